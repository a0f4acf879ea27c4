"""A channel's memory across days: a paper it was shown before is not shown again, unless rising.

Applied when a digest is delivered to one channel (``bot.posting.deliver``): the ledger knows
which paper every reply of an earlier listing's thread was about (``bot.ledger.featured``). A
paper featured in this channel on an earlier listing day is left out of today's thread, unless
it is rising (``delta_24h`` of at least ``bot.trends.RISING_DELTA``): then it stays, marked
"featured here on <date>, rising (+N in 24 h)". Replies are numbered again 1..N in order. Only
earlier listings count, so resuming or re-posting today's own thread remembers nothing of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from bot.models import Digest, Entry
from bot.ranking import base_id
from bot.trends import is_rising


def remember(digest: Digest, featured: Mapping[str, dt.date]) -> Digest:
    """``digest`` as this channel should see it, given what it ``featured`` (arxiv_id: date)."""
    if not featured:
        return digest

    def kept(entries: Sequence[Entry]) -> list[Entry]:
        out = []
        for entry in entries:
            when = featured.get(base_id(entry.paper.arxiv_id))
            if when is None:
                out.append(entry)
            elif is_rising(entry.trend):
                out.append(entry.model_copy(update={"featured_on": when}))
        return out

    day, late = kept(digest.entries), kept(digest.catching_fire)
    ranked = [e.model_copy(update={"rank": n}) for n, e in enumerate([*day, *late], start=1)]
    return digest.model_copy(
        update={"entries": tuple(ranked[: len(day)]), "catching_fire": tuple(ranked[len(day) :])}
    )
