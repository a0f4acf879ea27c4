"""arXiv's holiday calendar, bundled: the listing dates that do not exist because arXiv closed.

``bot/data/arxiv-holidays.json`` is transcribed from arXiv's published announcement schedule
(its source, date and method are in the file). It lists *closures* as arXiv does: days whose
mailing is deferred. What the rest of the bot needs is the *listing dates* those closures remove,
so that ``hotpapers digest --date 2025-12-25`` knows, with no setting, that there is no listing:

- a closure Monday to Thursday cancels that evening's announcement: no listing the next day;
- a closure on a Friday holds Thursday's and Friday's submissions (there is no Friday evening
  announcement to cancel), so Sunday's announcement and the listing dated Monday do not exist.

This matches arXiv's own feeds: the feed of Wednesday 2023-07-05 was empty after the Tuesday
2023-07-04 closure, and the one of Monday 2026-06-22 after Friday 2026-06-19.
``HOTPAPERS_HOLIDAYS`` adds listing dates to these, or removes one with a leading ``-``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

DATA_FILE = "arxiv-holidays.json"
_ONE_DAY = dt.timedelta(days=1)


def listing_removed_by(closure: dt.date) -> dt.date | None:
    """The listing date a closure removes (see the module docstring); None on a Saturday."""
    weekday = closure.weekday()
    if weekday <= 3 or weekday == 6:  # Monday-Thursday or Sunday: that evening's announcement
        return closure + _ONE_DAY
    if weekday == 4:  # Friday: Sunday's announcement, the listing dated Monday
        return closure + 3 * _ONE_DAY
    return None


@cache
def calendar_data() -> dict[str, Any]:
    """The bundled file as data (source, transcription date, closures)."""
    text = resources.files("bot.data").joinpath(DATA_FILE).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def bundled_holidays() -> frozenset[dt.date]:
    """Every listing date the bundled closures remove."""
    closures = (dt.date.fromisoformat(c["date"]) for c in calendar_data()["closures"])
    return frozenset(d for d in map(listing_removed_by, closures) if d is not None)


def merged_holidays(words: Iterable[str]) -> list[dt.date]:
    """The bundled listing holidays with ``YYYY-MM-DD`` added and ``-YYYY-MM-DD`` removed.

    Raises ``ValueError`` naming the first word that is not such a date.
    """
    dates = set(bundled_holidays())
    for word in words:
        removing = word.startswith("-")
        text = word[1:] if removing else word
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"{word[:20]!r} is not a date: expected YYYY-MM-DD to add a holiday, "
                "-YYYY-MM-DD to remove a bundled one"
            ) from None
        if removing:
            dates.discard(day)
        else:
            dates.add(day)
    return sorted(dates)
