"""Reading optional fields of third-party JSON: absent, null or mistyped values become ``None``.

Shared by every source, so a malformed answer is tolerated the same way everywhere.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any


def as_text(value: Any) -> str | None:
    """Non-empty text, or ``None``."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def as_web_url(value: Any) -> str | None:
    """An http(s) URL without spaces, or ``None``: third-party links must not become other links."""
    text = as_text(value)
    if text is None or any(ch.isspace() for ch in text):
        return None
    if not text.lower().startswith(("https://", "http://")):
        return None
    return text


def string(value: Any) -> str:
    """Text of an optional string field (``""`` when absent or not a string)."""
    return value if isinstance(value, str) else ""


def count(value: Any) -> int | None:
    """A reported count, or ``None`` (unknown) when absent, null, negative or not a finite number
    (Python's JSON parser accepts ``NaN`` and ``Infinity``)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return int(value)


def mistyped_count(value: Any) -> bool:
    """Whether a count field holds something that is not a number at all (``"12"``, ``true``, a
    list): a malformed answer, unlike an absent, null or ``NaN`` count (unknown)."""
    return value is not None and (isinstance(value, bool) or not isinstance(value, int | float))


def plural(number: int, noun: str, nouns: str = "") -> str:
    """``1 post``, ``3 posts`` (``nouns`` when it is not ``noun`` + s)."""
    return f"{number} {noun if number == 1 else nouns or noun + 's'}"


def epoch_time(value: Any) -> dt.datetime | None:
    """Seconds since the epoch as aware UTC; ``None`` when absent, negative or out of range."""
    seconds = count(value)
    if seconds is None:
        return None
    try:
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def parse_time(value: Any) -> dt.datetime | None:
    """An ISO 8601 timestamp as aware UTC; ``None`` when absent or unparsable."""
    if not isinstance(value, str):
        return None
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def iso_time(when: dt.datetime) -> str:
    """``2021-04-12T18:00:00Z``: the form both Bluesky and X accept."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
