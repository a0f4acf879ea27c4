"""The delivery ledger: a digest reaches a channel once, and a broken thread is resumed, not redone.

A delivery is keyed by (platform, workspace, channel, date, categories). It is *claimed* before the
first message is posted; every posted message is recorded with its platform id before the next one
is sent. A claim held by a live instance (its lease is fresh) is never taken; a stale or failed one
is taken over, and the new owner posts only the parts that are missing.

The claim is a lease with a fencing token (``claimed_at``, changed by every write): an owner that
was frozen past its lease and taken over can neither record another message (``ClaimLost``: it
stops) nor finish the delivery, so at most the message it had in flight is posted twice.

The window a ledger alone cannot close, a message the platform accepted whose id never reached
the database (the process killed between the API's answer and the write, or the database gone),
is closed by reconciliation: every message carries the digest's tag and part, and before posting
anything of an interrupted thread (``Claim.interrupted``) ``bot.posting.deliver`` asks the
platform what it holds (``bot.ports.ThreadReader``) and records what is there as posted. Only a
platform that cannot be asked (the console) or that does not answer leaves the old window open,
and then at most one message is posted twice.

Leases are short and renewed while a thread is posted (``Heartbeat``): an owner killed mid-thread
leaves a claim that goes stale within ``DEFAULT_LEASE``, and the next run (a restart's catch-up,
or the retry the scheduler sets for the moment it goes stale) resumes it. Anything short of a
kill (an error, a shutdown's cancellation) releases the claim at once (``release``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.categories import categories_key
from bot.clock import Clock
from bot.store import Store
from bot.store_error import StoreError
from bot.tables import DeliveryRow, MessageRow
from bot.write_batch import WriteBatch

log = logging.getLogger(__name__)

#: A claim not renewed for this long is stale: another run may take the thread over.
DEFAULT_LEASE = dt.timedelta(seconds=45)
_TICK = dt.timedelta(microseconds=1)


class ClaimLost(Exception):
    """Another instance took the delivery over (this one's lease ran out): stop posting."""


@dataclass
class Claim:
    """A delivery this instance may post; ``parts`` are the messages already posted."""

    id: int
    token: dt.datetime  # the row's claimed_at as this owner last wrote it
    thread_id: str | None = None
    parts: dict[str, str] = field(default_factory=dict)
    resumed: bool = False
    interrupted: bool = False  # an earlier attempt began this thread: ask the platform first
    # One write of a claim at a time (a heartbeat's renewal and a record share the token).
    writing: asyncio.Lock = field(default_factory=asyncio.Lock, compare=False, repr=False)


class Ledger:
    def __init__(
        self, store: Store, owner: str, clock: Clock, lease: dt.timedelta = DEFAULT_LEASE
    ) -> None:
        self.store = store
        self.owner = owner
        self.clock = clock
        self.lease = lease
        self.writes = WriteBatch(store)

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
                return Claim(id=row.id, token=now)
        except IntegrityError:
            pass
        return self._take_over(key, now, force)

    def _take_over(self, key: dict[str, object], now: dt.datetime, force: bool) -> Claim | None:
        with self.store.session() as s:
            row = s.scalars(select(DeliveryRow).filter_by(**key)).one()
            claimed_at = _aware(row.claimed_at)
            live = row.status == "claimed" and now - claimed_at < self.lease
            if not force and (row.status == "done" or (live and row.claimed_by != self.owner)):
                return None
            stamp = _after(now, claimed_at)  # every taker writes a new token
            taken = _swap(s, row.id, row.claimed_by, row.claimed_at, status="claimed",
                          claimed_by=self.owner, claimed_at=stamp, error=None,
                          thread_id=None if force else row.thread_id)  # fmt: skip
            if not taken:
                return None
            if force:
                s.execute(delete(MessageRow).where(MessageRow.delivery_id == row.id))
                return Claim(id=row.id, token=stamp)
            parts = {
                m.part: m.message_id
                for m in s.scalars(select(MessageRow).where(MessageRow.delivery_id == row.id))
            }
            return Claim(id=row.id, token=stamp, thread_id=row.thread_id, parts=parts,
                         resumed=bool(parts), interrupted=True)  # fmt: skip

    def record(
        self, claim: Claim, part: str, message_id: str, thread_id: str | None,
        arxiv_id: str | None = None,
    ) -> None:  # fmt: skip
        """Record one posted message (and renew the lease) before the next one is sent; raises
        ``ClaimLost`` when another instance has taken the delivery over. ``arxiv_id``: the
        paper a reply is about (``featured`` finds it; reactions to it count for it)."""
        stamp = _after(self.clock.now(), claim.token)
        with self.store.session() as s:
            if not self._record(claim.id, claim.token, stamp, part, message_id, thread_id,
                                arxiv_id)(s):  # fmt: skip
                raise ClaimLost(f"delivery {claim.id} was taken over by another instance")
        claim.token = stamp
        claim.parts[part] = message_id
        claim.thread_id = thread_id

    def renew(self, claim: Claim) -> bool:
        """Renew the lease (a heartbeat while a thread is posted); ``False`` once it is lost."""
        stamp = _after(self.clock.now(), claim.token)
        with self.store.session() as s:
            if not self._renew(s, claim, stamp):
                return False
        claim.token = stamp
        return True

    def finish(self, claim: Claim, *, ok: bool, error: str | None = None) -> bool:
        """Mark the delivery done (or failed: free for any instance to resume); ``False`` when
        it is no longer this owner's to finish."""
        try:
            with self.store.session() as s:
                mine = self._renew(s, claim, claim.token, status="done" if ok else "failed",
                                   error=error)  # fmt: skip
        except StoreError as exc:
            log.error("could not record the end of delivery %s: %s", claim.id, exc)
            raise
        if not mine:
            log.info("delivery %s was taken over by another instance; left to it", claim.id)
        return mine

    def release(self, claim: Claim, error: str) -> None:
        """``finish(ok=False)`` for a run being abandoned (cancelled, crashed): never raises."""
        try:
            self.finish(claim, ok=False, error=error)
        except Exception as exc:  # the lease runs out on its own
            log.warning("could not release delivery %s: %s", claim.id, type(exc).__name__)

    def _record(
        self, delivery_id: int, token: dt.datetime, stamp: dt.datetime, part: str,
        message_id: str, thread_id: str | None, arxiv_id: str | None = None,
    ) -> Callable[[Session], bool]:  # fmt: skip
        """The write of ``record``: the claim's row renewed (if still this owner's) and the
        message's row added, two statements of one transaction."""

        def write(s: Session) -> bool:
            if not _swap(s, delivery_id, self.owner, token, claimed_at=stamp, thread_id=thread_id):
                return False
            row = dict(delivery_id=delivery_id, part=part, message_id=message_id, posted_at=stamp,
                       arxiv_id=arxiv_id)  # fmt: skip
            s.execute(insert(MessageRow).values(**row))
            return True

        return write

    def _renew(self, s: Session, claim: Claim, stamp: dt.datetime, **values: object) -> bool:
        """Update the claim's row if this owner still holds it (the fencing token matches)."""
        return _swap(s, claim.id, self.owner, claim.token, claimed_at=stamp, **values)

    # -- the same calls off the event loop: reads on the store's threads (``Store.run``), a
    # claim's writes one at a time, committed in batches with other claims' (``WriteBatch``) ----
    async def aclaim(
        self, platform: str, workspace: str, channel: str, date: dt.date,
        categories: Sequence[str], *, force: bool = False,
    ) -> Claim | None:  # fmt: skip
        return await self.store.run(self.claim, platform, workspace, channel, date, categories,
                                    force=force)  # fmt: skip

    async def arecord(self, claim: Claim, part: str, message_id: str, thread_id: str | None,
                      arxiv_id: str | None = None) -> None:  # fmt: skip
        async with claim.writing:
            stamp = _after(self.clock.now(), claim.token)
            write = self._record(claim.id, claim.token, stamp, part, message_id, thread_id,
                                 arxiv_id)  # fmt: skip
            if not await self.writes.submit(write):
                raise ClaimLost(f"delivery {claim.id} was taken over by another instance")
            claim.token = stamp
            claim.parts[part] = message_id
            claim.thread_id = thread_id

    async def arenew(self, claim: Claim) -> bool:
        async with claim.writing:
            stamp, token = _after(self.clock.now(), claim.token), claim.token
            if not await self.writes.submit(
                lambda s: _swap(s, claim.id, self.owner, token, claimed_at=stamp)
            ):
                return False
            claim.token = stamp
            return True

    async def afinish(self, claim: Claim, *, ok: bool, error: str | None = None) -> bool:
        async with claim.writing:
            token = claim.token
            end = dict(claimed_at=token, status="done" if ok else "failed", error=error)
            mine = await self.writes.submit(lambda s: _swap(s, claim.id, self.owner, token, **end))
        if not mine:
            log.info("delivery %s was taken over by another instance; left to it", claim.id)
        return mine

    async def aheld_until(self, platform: str, workspace: str, channel: str, date: dt.date,
                          categories: Sequence[str]) -> dt.datetime | None:  # fmt: skip
        return await self.store.run(self.held_until, platform, workspace, channel, date,
                                    categories)  # fmt: skip

    def held_until(
        self, platform: str, workspace: str, channel: str, date: dt.date, categories: Sequence[str]
    ) -> dt.datetime | None:
        """When another owner's unfinished claim goes stale (``None``: done, or nobody's)."""
        with self.store.session() as s:
            row = _row(s, platform, workspace, channel, date, categories)
            if row is None or row.status == "done":
                return None
            return max(_aware(row.claimed_at) + self.lease, self.clock.now())

    def status(
        self, platform: str, workspace: str, channel: str, date: dt.date, categories: Sequence[str]
    ) -> tuple[str, str | None, int] | None:
        """(status, error, messages posted) of a delivery, or ``None`` when never claimed."""
        with self.store.session() as s:
            row = _row(s, platform, workspace, channel, date, categories)
            if row is None:
                return None
            count = s.scalar(
                select(func.count()).select_from(MessageRow).where(MessageRow.delivery_id == row.id)
            )
            return row.status, row.error, int(count or 0)


def _row(
    s: Session, platform: str, workspace: str, channel: str, date: dt.date,
    categories: Sequence[str],
) -> DeliveryRow | None:  # fmt: skip
    """The delivery row of a (platform, workspace, channel, date, categories) key, if any."""
    key = dict(platform=platform, workspace=workspace, channel=channel, date=date,
               categories=categories_key(categories))  # fmt: skip
    return s.scalars(select(DeliveryRow).filter_by(**key)).first()


def _aware(value: dt.datetime) -> dt.datetime:
    """A stored time as UTC-aware (SQLite hands back naive datetimes)."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _swap(s: Session, delivery_id: int, owner: str, token: dt.datetime, **values: object) -> bool:
    """Compare and set: update the delivery's row only if ``owner`` holds it with ``token``."""
    done = s.execute(
        update(DeliveryRow)
        .where(
            DeliveryRow.id == delivery_id,
            DeliveryRow.claimed_by == owner,
            DeliveryRow.claimed_at == token,
        )
        .values(**values)
    )
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]


def _after(now: dt.datetime, previous: dt.datetime) -> dt.datetime:
    """``now``, or just after ``previous`` when the clock has not moved past it: a new token."""
    previous = _aware(previous)
    return now if now > previous else previous + _TICK
