"""A channel's memory across days: a paper it was shown before is not shown again, unless rising.

Applied when a digest is delivered to one channel (``bot.posting.deliver``): the ledger knows
which paper every reply of an earlier listing's thread was about (``featured``). A
paper featured in this channel on an earlier listing day is left out of today's thread, unless
it is rising (``delta_24h`` of at least ``bot.trends.RISING_DELTA``): then it stays, marked
"featured here on <date>, rising (+N in 24 h)". Replies are numbered again 1..N in order. Only
earlier listings count, so resuming or re-posting today's own thread remembers nothing of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import func, select

from bot.models import Digest, Entry
from bot.ranking import base_id
from bot.store import Store
from bot.tables import DeliveryRow, MessageRow
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


def featured(
    store: Store, platform: str, workspace: str, channel: str, before: dt.date,
    arxiv_ids: Collection[str],
) -> dict[str, dt.date]:  # fmt: skip
    """The papers among ``arxiv_ids`` a thread of an earlier listing (before ``before``) posted
    in this channel, each with the first such listing date."""
    if not arxiv_ids:
        return {}
    query = (
        select(MessageRow.arxiv_id, func.min(DeliveryRow.date))
        .join(DeliveryRow, MessageRow.delivery_id == DeliveryRow.id)
        .where(DeliveryRow.platform == platform, DeliveryRow.workspace == workspace,
               DeliveryRow.channel == channel, DeliveryRow.date < before,
               MessageRow.arxiv_id.in_(sorted(set(arxiv_ids))))
        .group_by(MessageRow.arxiv_id)
    )  # fmt: skip
    with store.session() as s:
        return {arxiv_id: date for arxiv_id, date in s.execute(query) if arxiv_id}
