"""The delivery ledger: a digest reaches a channel once, and a broken thread is resumed, not redone.

A delivery is keyed by (platform, workspace, channel, date, categories). It is *claimed* before the
first message is posted; every posted message is recorded with its platform id before the next one
is sent. A claim held by a live instance (its lease is fresh) is never taken; a stale or failed one
is taken over, and the new owner posts only the parts that are missing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from bot.store import DeliveryRow, MessageRow, Store, StoreError

log = logging.getLogger(__name__)

DEFAULT_LEASE = dt.timedelta(minutes=10)


def categories_key(categories: Sequence[str]) -> str:
    """The canonical text of a category selection: sorted, space-separated."""
    return " ".join(sorted(set(categories)))


@dataclass
class Claim:
    """A delivery this instance may post; ``parts`` are the messages already posted."""

    id: int
    thread_id: str | None = None
    parts: dict[str, str] = field(default_factory=dict)
    resumed: bool = False


class Ledger:
    def __init__(
        self, store: Store, owner: str, clock: Clock, lease: dt.timedelta = DEFAULT_LEASE
    ) -> None:
        self.store = store
        self.owner = owner
        self.clock = clock
        self.lease = lease

    def claim(
        self,
        platform: str,
        workspace: str,
        channel: str,
        date: dt.date,
        categories: Sequence[str],
        *,
        force: bool = False,
    ) -> Claim | None:
        """Claim the delivery, or ``None`` when it is done or another instance is posting it."""
        key = dict(
            platform=platform,
            workspace=workspace,
            channel=channel,
            date=date,
            categories=categories_key(categories),
        )
        now = self.clock.now()
        try:
            with self.store.session() as s:
                row = DeliveryRow(**key, status="claimed", claimed_by=self.owner, claimed_at=now)
                s.add(row)
                s.flush()
                return Claim(id=row.id)
        except IntegrityError:
            pass
        return self._take_over(key, now, force)

    def _take_over(self, key: dict[str, object], now: dt.datetime, force: bool) -> Claim | None:
        with self.store.session() as s:
            row = s.scalars(select(DeliveryRow).filter_by(**key)).one()
            claimed_at = (
                row.claimed_at if row.claimed_at.tzinfo else row.claimed_at.replace(tzinfo=dt.UTC)
            )
            live = row.status == "claimed" and now - claimed_at < self.lease
            if not force and (row.status == "done" or (live and row.claimed_by != self.owner)):
                return None
            taken = s.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.id == row.id,
                    DeliveryRow.claimed_by == row.claimed_by,
                    DeliveryRow.claimed_at == row.claimed_at,
                )
                .values(
                    status="claimed",
                    claimed_by=self.owner,
                    claimed_at=now,
                    error=None,
                    thread_id=None if force else row.thread_id,
                )
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                return None
            if force:
                s.execute(delete(MessageRow).where(MessageRow.delivery_id == row.id))
                return Claim(id=row.id)
            parts = {
                m.part: m.message_id
                for m in s.scalars(select(MessageRow).where(MessageRow.delivery_id == row.id))
            }
            return Claim(id=row.id, thread_id=row.thread_id, parts=parts, resumed=bool(parts))

    def record(self, claim: Claim, part: str, message_id: str, thread_id: str | None) -> None:
        """Record one posted message (and renew the lease) before the next one is sent."""
        now = self.clock.now()
        with self.store.session() as s:
            s.add(MessageRow(delivery_id=claim.id, part=part, message_id=message_id, posted_at=now))
            s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id == claim.id)
                .values(thread_id=thread_id, claimed_at=now)
            )
        claim.parts[part] = message_id
        claim.thread_id = thread_id

    def finish(self, claim: Claim, *, ok: bool, error: str | None = None) -> None:
        try:
            with self.store.session() as s:
                s.execute(
                    update(DeliveryRow)
                    .where(DeliveryRow.id == claim.id)
                    .values(status="done" if ok else "failed", error=error)
                )
        except StoreError as exc:
            log.error("could not record the end of delivery %s: %s", claim.id, exc)
            raise

    def status(
        self, platform: str, workspace: str, channel: str, date: dt.date, categories: Sequence[str]
    ) -> tuple[str, str | None, int] | None:
        """(status, error, messages posted) of a delivery, or ``None`` when never claimed."""
        with self.store.session() as s:
            row = s.scalars(
                select(DeliveryRow).filter_by(
                    platform=platform,
                    workspace=workspace,
                    channel=channel,
                    date=date,
                    categories=categories_key(categories),
                )
            ).first()
            if row is None:
                return None
            count = s.scalar(
                select(func.count()).select_from(MessageRow).where(MessageRow.delivery_id == row.id)
            )
            return row.status, row.error, int(count or 0)
