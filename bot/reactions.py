"""The channel's voice, stored: reactions on the bot's own paper messages, counted per channel
and paper, written once here for every platform (adapters only translate their events).

``record(platform, workspace, channel, message_id, delta)`` is all an adapter calls: ``+1`` for a
reaction added, ``-1`` for one removed. The message is looked up in the delivery ledger
(``hp_delivery_messages``, which keeps the paper each reply shows): a reaction on any other
message (a header, a person's message, another bot's) is ignored, and so is every reaction in a
channel that turned them off (``/hotpapers subscribe reactions=off``).

**No user ids.** ``hp_reactions`` holds one row per (channel, paper): a count and the paper's
title, authors and categories (what ``bot.voice`` matches new papers against), never who
reacted. The count is the number of reactions added minus those removed, floored at 0: one
person adding two different emoji counts twice, which is the price of not remembering people
(a count that can be checked against the platform is what ``reactions.get`` would give; it is
not asked). A reaction removed that was never counted (added before the bot knew the message)
cannot take the count below 0.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.breadth import base_id
from bot.categories import categories_key
from bot.clock import Clock
from bot.latex import paper_text
from bot.models import WEEK_KEY, Paper
from bot.store import Store
from bot.tables import AttentionRow, DeliveryRow, MessageRow, ReactionRow, SubscriptionRow
from bot.voice import Reacted, Voice

log = logging.getLogger(__name__)


class Reactions:
    """The ``hp_reactions`` table: ``record`` (from the adapters), ``voice`` (for a channel's
    next digest), ``forget`` (a channel that opts out). ``weight``: the setting
    ``HOTPAPERS_CHANNEL_REACTION_WEIGHT`` every ``Voice`` carries."""

    def __init__(self, store: Store, clock: Clock, *, weight: float = 1.0) -> None:
        self.store = store
        self.clock = clock
        self.weight = weight

    async def arecord(
        self, platform: str, workspace: str, channel: str, message_id: str, delta: int
    ) -> int | None:
        """``record`` on the store's own threads (off the event loop)."""
        return await self.store.run(self.record, platform, workspace, channel, message_id, delta)

    async def avoice(self, platform: str, workspace: str, channel: str) -> Voice | None:
        """``voice`` on the store's own threads (off the event loop)."""
        return await self.store.run(self.voice, platform, workspace, channel)

    def record(
        self, platform: str, workspace: str, channel: str, message_id: str, delta: int
    ) -> int | None:
        """Count one reaction added (``delta`` 1) or removed (-1) on ``message_id``; the paper's
        new count here, or ``None`` when it does not count (not a paper message of this bot,
        or the channel opted out). ``channel`` is where the message is: the digest's channel,
        or its thread (Discord's replies live in a thread channel of their own); the count is
        kept for the channel (and workspace) the ledger delivered the digest to."""
        with self.store.session() as s:
            found = s.execute(
                select(MessageRow.arxiv_id, DeliveryRow.workspace, DeliveryRow.channel,
                       DeliveryRow.date, DeliveryRow.categories)
                .join(DeliveryRow, MessageRow.delivery_id == DeliveryRow.id)
                .where(DeliveryRow.platform == platform,
                       or_(DeliveryRow.channel == channel, DeliveryRow.thread_id == channel),
                       MessageRow.message_id == message_id, MessageRow.arxiv_id.is_not(None))
            ).first()  # fmt: skip
            if found is None:
                return None
            arxiv_id, kept_in, where, date, categories = found
            assert arxiv_id is not None  # the query asked for replies only
            if not _enabled(s, platform, kept_in, where):
                return None
        key = dict(platform=platform, workspace=kept_in, channel=where, arxiv_id=arxiv_id)
        count = self._add(key, delta)
        if count is None:  # the channel's first reaction to this paper: a new row
            count = self._insert(key, delta, self._paper(date, categories, arxiv_id))
        log.info("%s: reaction %+d on %s in %s (now %d)", platform, delta, arxiv_id, channel,
                 count)  # fmt: skip
        return count

    def _add(self, key: dict[str, str], delta: int) -> int | None:
        """Add ``delta`` to the row's count in one statement (floored at 0); ``None``: no row."""
        total = ReactionRow.count + delta
        with self.store.session() as s:
            done = s.execute(
                update(ReactionRow).filter_by(**key)
                .values(count=case((total < 0, 0), else_=total), updated_at=self.clock.now())
            )  # fmt: skip
            if not done.rowcount:  # type: ignore[attr-defined]
                return None
            return int(s.scalars(select(ReactionRow.count).filter_by(**key)).one())

    def _insert(self, key: dict[str, str], delta: int, paper: Paper | None) -> int:
        row = ReactionRow(
            **key, count=max(0, delta), updated_at=self.clock.now(),
            title=paper.title if paper else "",
            authors="\n".join(paper.authors) if paper else "",
            categories=paper.primary_category if paper else "",
        )  # fmt: skip
        try:
            with self.store.session() as s:
                s.add(row)
        except IntegrityError:  # another reaction made the row first: add to it
            return self._add(key, delta) or 0
        return row.count

    def _paper(self, date: dt.date, categories: str, arxiv_id: str) -> Paper | None:
        """The paper as an arXiv snapshot of the delivery's selection has it (title, authors,
        category): the delivery's listing, else the paper's own listing as the trends recorded
        it (a "Catching fire" paper, a weekly roundup's paper of an earlier day)."""
        key = categories_key([c for c in categories.split() if c != WEEK_KEY])
        with self.store.session() as s:
            listed = s.scalars(select(AttentionRow.listed).filter_by(arxiv_id=arxiv_id)
                               .distinct()).all()  # fmt: skip
        for day in dict.fromkeys([date, *listed]):
            snap = self.store.get_snapshot("arxiv", day, key)
            for raw in snap.payload.get("papers", []) if snap else []:
                if base_id(str(raw.get("arxiv_id", ""))) == arxiv_id:
                    return paper_text(Paper.model_validate(raw))
        return None

    def voice(self, platform: str, workspace: str, channel: str) -> Voice | None:
        """What the channel's reactions say, for its next digest; ``None`` when it has none or
        opted out (then its digests are everyone's)."""
        with self.store.session() as s:
            if not _enabled(s, platform, workspace, channel):
                return None
            rows = list(s.scalars(
                select(ReactionRow).filter_by(platform=platform, workspace=workspace,
                                              channel=channel)
                .where(ReactionRow.count > 0).order_by(ReactionRow.arxiv_id)
            ))  # fmt: skip
            reacted = [
                Reacted(r.arxiv_id, r.count, r.title, tuple(filter(None, r.authors.split("\n"))),
                        r.categories)
                for r in rows
            ]  # fmt: skip
        return Voice.of(reacted, self.weight) if reacted else None

    def forget(self, platform: str, workspace: str, channel: str) -> int:
        """Delete the channel's counts (it opted out); how many papers' counts went."""
        with self.store.session() as s:
            done = s.execute(
                delete(ReactionRow).filter_by(platform=platform, workspace=workspace,
                                              channel=channel)
            )  # fmt: skip
            return int(done.rowcount)  # type: ignore[attr-defined]


def _enabled(s: Session, platform: str, workspace: str, channel: str) -> bool:
    """Reactions count unless the channel's subscription turned them off."""
    found = s.scalars(
        select(SubscriptionRow.reactions).filter_by(platform=platform, workspace=workspace,
                                                    channel=channel)
    ).first()  # fmt: skip
    return found is None or bool(found)
