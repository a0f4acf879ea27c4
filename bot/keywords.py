"""Keyword filters of a subscription, as people type them: ``include=llm,agents``,
``exclude=survey``, ``include=none`` (clears it). Shared by chat and the CLI, so both refuse the
same mistakes with the same words."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

MAX_KEYWORDS = 20
MAX_KEYWORD_CHARS = 40
CLEAR = "none"
_KEYWORD = re.compile(r"[\w][\w .+#/-]*", re.UNICODE)
EXAMPLE = "`include=llm,agents` or `exclude=survey` (`include=none` clears it)"


def keywords(value: str, *, option: str) -> tuple[str, ...]:
    """The words of ``include=...``/``exclude=...``; ``()`` for ``none``; ``ValueError`` (the
    reply) for anything else."""
    cleaned = value.strip()
    if cleaned.lower() == CLEAR:
        return ()
    words = tuple(dict.fromkeys(word.strip() for word in cleaned.split(",") if word.strip()))
    return check_keywords(words, option=option, typed=value)


def check_keywords(words: Sequence[str], *, option: str, typed: str = "") -> tuple[str, ...]:
    """``words`` if each is a plain keyword, else the ``ValueError`` saying how to write one."""
    shown = typed or ",".join(words)
    bad = [w for w in words if not _KEYWORD.fullmatch(w) or len(w) > MAX_KEYWORD_CHARS]
    if not words or bad or len(words) > MAX_KEYWORDS:
        raise ValueError(
            f"{option} takes up to {MAX_KEYWORDS} words of at most {MAX_KEYWORD_CHARS} "
            f"letters, digits, spaces or -+./#, separated by commas: {EXAMPLE} "
            f"(you wrote `{_quoted(shown)}`)."
        )
    return tuple(words)


def check_no_conflict(include: Iterable[str], exclude: Iterable[str]) -> None:
    """A word both included and excluded would leave nothing: say which."""
    both = sorted({w.lower() for w in include} & {w.lower() for w in exclude})
    if both:
        words = ", ".join(f"`{_quoted(w)}`" for w in both)
        raise ValueError(
            f"{words} cannot be both included and excluded; drop it from one of them "
            "(`include=none` or `exclude=none` clears a filter)."
        )


def _quoted(text: str) -> str:
    cleaned = "".join(ch for ch in text if ch not in "<>@&`" and ch.isprintable()).strip()
    return (cleaned[:39] + "…") if len(cleaned) > 40 else (cleaned or "?")
