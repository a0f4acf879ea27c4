"""The digest's notes: what changes its meaning for a reader, and nothing else."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from bot import demo
from bot.models import Entry, SourceStatus
from bot.render import join_words, source_label


def notes(
    date: dt.date, entries: Sequence[Entry], sources: Mapping[str, SourceStatus]
) -> tuple[str, ...]:
    """True by construction: "citations stand in" only when an entry was ranked by citations; a
    failed source is named with what ranked the digest instead; a source whose answer was used
    only in part (truncated, malformed items skipped) is named with why. Skipped sources (no
    credentials) are the operator's business: logs, ``hotpapers check`` and ``/healthz`` say so,
    chat never.
    """
    out = []
    if demo.is_bundled(date):
        out.append(
            "Demo snapshot made from the original Hot Papers post; counts are its "
            "Twitter sums (retweets of retweets included)."
        )
    if any(e.breakdown.get("citations") for e in entries):
        out.append(
            "This date is older than social search reaches: citations stand in (Semantic Scholar)."
        )
    missing = [source_label(n) for n, s in sources.items() if s.state == "failed"]
    if missing:
        used = [source_label(n) for n, s in sources.items() if s.ok and n != "arxiv"]
        instead = f"ranked by {join_words(used)}" if used else "no other source of attention"
        out.append(f"{join_words(missing)} unavailable today: {instead}.")
    for name, status in sources.items():
        if status.state == "degraded":
            out.append(f"{source_label(name)} counted in part today: {status.note}.")
    return tuple(out)
