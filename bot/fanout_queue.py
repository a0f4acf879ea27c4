"""The fan-out queue: the leader says *when*, every instance takes part in *posting*.

When a subscription's run is due, the leader (``bot.leader``) enqueues one ``hp_fanout`` row for
it (``enqueue``; a repeat of the same run is ignored by the unique key). Every instance's worker
(``bot.fanout_worker``) takes a batch of pending rows with ``SELECT ... FOR UPDATE SKIP LOCKED``
(``take``): PostgreSQL hands each row to one instance, and instances never wait on each other's
rows. A taken row is posted through the ledger (``bot.posting.deliver``), which still decides
alone what is sent: the queue spreads the work, the ledger keeps it exactly once.

A row whose instance died stays ``taken``; once ``LEASE`` has passed without an end it is pending
again for anyone (the ledger's own lease, shorter, decides whether its thread is resumed). A run
to retry (a platform down, a claim held elsewhere) goes back to pending with a ``not_before``.

SQLite (one instance) has no ``FOR UPDATE``; the same statements run there without it, and its
single writer makes ``take`` just as exclusive.

``beat`` renews this instance's ``hp_instances`` row and counts the live ones (seen within
``ALIVE``): the instances of one Discord bot share its global budget by that count.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from bot.store import Store
from bot.tables import FanoutRow, InstanceRow

#: A taken row not finished within this long is pending again (its instance is presumed dead).
LEASE = dt.timedelta(minutes=2)
#: An instance whose heartbeat is older than this is not counted as live.
ALIVE = dt.timedelta(seconds=30)
#: Finished rows are kept this long (to see what a day's fan-out did), then deleted.
KEEP = dt.timedelta(days=2)


@dataclass
class Item:
    """A taken run: the subscription and the run (``scheduled``) to post."""

    id: int
    subscription_id: int
    scheduled: dt.datetime
    attempts: int
    requeued: bool = False


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class FanoutQueue:
    def __init__(self, store: Store, owner: str, clock: Clock) -> None:
        self.store = store
        self.owner = owner
        self.clock = clock

    def enqueue(self, subscription_id: int, platform: str, scheduled: dt.datetime) -> str:
        """Add the run: ``"queued"``, or the status of the row already there for it
        (``pending``, ``taken``, ``done``: queued by this or an earlier leader)."""
        now = self.clock.now()
        scheduled = scheduled.astimezone(dt.UTC)  # SQLite keeps no offset: UTC in, UTC out
        row = FanoutRow(subscription_id=subscription_id, platform=platform,
                        scheduled_at=scheduled, status="pending", not_before=now,
                        attempts=0)  # fmt: skip
        try:
            with self.store.session() as s:
                s.add(row)
        except IntegrityError:
            with self.store.session() as s:
                return str(s.scalars(select(FanoutRow.status).where(
                    FanoutRow.subscription_id == subscription_id,
                    FanoutRow.scheduled_at == scheduled)).first() or "pending")  # fmt: skip
        return "queued"

    def take(self, limit: int, platforms: tuple[str, ...] | None = None) -> list[Item]:
        """Up to ``limit`` runs that are due, each to this instance alone (SKIP LOCKED)."""
        if limit < 1:
            return []
        now = self.clock.now()
        ready = or_(
            and_(FanoutRow.status == "pending", FanoutRow.not_before <= now),
            and_(FanoutRow.status == "taken", FanoutRow.taken_at < now - LEASE),
        )
        query = select(FanoutRow).where(ready).order_by(FanoutRow.id).limit(limit)
        if platforms is not None:
            query = query.where(FanoutRow.platform.in_(platforms))
        with self.store.session() as s:
            rows = s.scalars(query.with_for_update(skip_locked=True)).all()
            items = [Item(r.id, r.subscription_id, _aware(r.scheduled_at), r.attempts + 1)
                     for r in rows]  # fmt: skip
            if rows:
                s.execute(update(FanoutRow).where(FanoutRow.id.in_([r.id for r in rows]))
                          .values(status="taken", taken_by=self.owner, taken_at=now,
                                  attempts=FanoutRow.attempts + 1))  # fmt: skip
        return items

    def done(self, item: Item) -> None:
        self._set(item, status="done")

    def retry(self, item: Item, when: dt.datetime) -> None:
        """Pending again from ``when`` (any instance may take it then)."""
        item.requeued = True
        self._set(item, status="pending", not_before=when, taken_by=None, taken_at=None)

    def _set(self, item: Item, **values: Any) -> None:
        with self.store.session() as s:
            s.execute(update(FanoutRow).where(FanoutRow.id == item.id,
                                              FanoutRow.taken_by == self.owner)
                      .values(**values))  # fmt: skip

    def pending(self) -> int:
        """Runs not finished yet (pending or taken)."""
        with self.store.session() as s:
            count = s.scalar(select(func.count()).select_from(FanoutRow)
                             .where(FanoutRow.status != "done"))  # fmt: skip
        return int(count or 0)

    def beat(self) -> int:
        """Renew this instance's heartbeat; the number of live instances (this one included).
        Also deletes finished rows older than ``KEEP`` and heartbeats long gone."""
        now = self.clock.now()
        with self.store.session() as s:
            done = s.execute(update(InstanceRow).where(InstanceRow.owner == self.owner)
                             .values(seen_at=now))  # fmt: skip
            if not done.rowcount:  # type: ignore[attr-defined]
                s.add(InstanceRow(owner=self.owner, seen_at=now))
            s.execute(delete(InstanceRow).where(InstanceRow.seen_at < now - KEEP))
            s.execute(delete(FanoutRow).where(FanoutRow.status == "done",
                                              FanoutRow.scheduled_at < now - KEEP))  # fmt: skip
            live = s.scalar(select(func.count()).select_from(InstanceRow)
                            .where(InstanceRow.seen_at >= now - ALIVE))  # fmt: skip
        return max(1, int(live or 0))

    def leave(self) -> None:
        """Stop counting as live (a clean shutdown): the others' share grows at their next beat."""
        with self.store.session() as s:
            s.execute(delete(InstanceRow).where(InstanceRow.owner == self.owner))
