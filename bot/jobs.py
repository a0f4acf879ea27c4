"""Running the schedule: APScheduler jobs that build each digest once and post it to every channel.

``DigestScheduler`` is a ``bot.job_table.JobTable`` (the jobs, kept in step with the store) that
says what a run does. Only the leader (``bot.leader``) has jobs, and each job asks the leader
again before it posts. Digests are
cached for a few minutes by (date, categories, top, filters) in a ``bot.digest_cache.DigestCache``,
so channels that fire together share one build; channels are posted concurrently, at most
``adapter.post_concurrency`` of a platform at a time (``bot.post_slots``), each through
``bot.posting.deliver``, which claims the ledger first and resumes a broken thread.

A run's result is a ``RunOutcome``: a status for callers and tests, one line for ``/healthz``.

With a ``queue`` (several instances on PostgreSQL), the leader's job only *queues* a due run
(``bot.fanout_queue``); every instance's ``bot.fanout_worker`` takes runs from the queue and
runs them here (``run_queued``), with the run's retries going back to the queue.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Collection, Sequence
from contextvars import ContextVar
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.channel_voices import Voices, voice_for
from bot.clock import Clock
from bot.digest import Filters
from bot.digest_cache import DigestCache
from bot.fanout_queue import FanoutQueue, Item
from bot.job_table import BACKOFF, BUILD_BACKOFF, RETRY_DELAY, JobTable, backoff
from bot.ledger import Ledger, categories_key
from bot.models import Digest
from bot.ports import Adapter, Refusal
from bot.post_slots import PostingSlots
from bot.posting import Posted, deliver
from bot.run_outcome import RunOutcome, RunStatus
from bot.scheduler import GRACE, RunPlan, last_run_at_or_before, plan_run
from bot.store import StoreError
from bot.subscriptions import Subscription, SubscriptionStore
from bot.voice import Voice

log = logging.getLogger(__name__)

NOTICE_KEY = ("notice:no-listing",)
#: A held claim is retried this long after it goes stale (clocks of two hosts differ a little).
STALE_MARGIN = dt.timedelta(seconds=2)
#: The queued run this task is posting (set by ``run_queued``), else ``None``.
_QUEUED: ContextVar[Item | None] = ContextVar("queued_run", default=None)


class DigestBuilder(Protocol):
    async def build(self, date: dt.date, categories: Sequence[str], top: int,
                    filters: Filters | None = None, *,
                    catching_fire_days: int | None = None,
                    voice: Voice | None = None) -> Digest: ...  # fmt: skip

    async def build_week(self, date: dt.date, categories: Sequence[str], top: int,
                         filters: Filters | None = None, *,
                         voice: Voice | None = None) -> Digest: ...  # fmt: skip


class AdapterProvider(Protocol):
    async def adapter(self, platform: str, workspace: str) -> Adapter:
        """The adapter posting to ``platform`` for ``workspace``; raises ``LookupError`` if none."""
        ...


class Leadership(Protocol):
    async def check(self) -> bool: ...


class RunFailed(Exception):
    """A run that should be retried (the digest could not be built or posted)."""


class DigestScheduler(JobTable):
    """The jobs' runs: build (shared), claim, post, record; retry within the grace."""

    def __init__(
        self, *, subscriptions: SubscriptionStore, service: DigestBuilder,
        adapters: AdapterProvider, ledger: Ledger, leader: Leadership, clock: Clock,
        holidays: Collection[dt.date] = (), grace: dt.timedelta = GRACE,
        scheduler: AsyncIOScheduler | None = None, queue: FanoutQueue | None = None,
        voices: Voices | None = None,
    ) -> None:  # fmt: skip
        super().__init__(subscriptions=subscriptions, clock=clock, grace=grace,
                         scheduler=scheduler)  # fmt: skip
        self.queue = queue
        self.service = service
        self.voices = voices  # a channel's reactions shape its digest (``bot.reactions``)
        self.adapters = adapters
        self.ledger = ledger
        self.leader = leader
        self.holidays = tuple(holidays)
        self.cache = DigestCache(clock)
        self._slots = PostingSlots()

    # -- one run ----------------------------------------------------------------------------
    async def run_job(
        self, subscription_id: int, scheduled: dt.datetime | None = None
    ) -> RunOutcome:
        """Run a subscription's job and record how it went; never raises."""
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        try:
            outcome = await self.run_once(subscription_id, scheduled)
        except Exception as exc:  # recorded for /healthz; the loop and other jobs go on
            outcome = RunOutcome(RunStatus.FAILED, f"subscription {subscription_id}: {exc}")
            self.last_error = outcome.text
            log.warning("scheduled run failed: %s", outcome.text,
                        exc_info=not isinstance(exc, RunFailed))  # fmt: skip
        self.last_result, self.last_status = outcome.text, outcome.status
        self.last_run = self.clock.now()
        return outcome

    async def run_once(
        self, subscription_id: int, scheduled: dt.datetime | None = None
    ) -> RunOutcome:
        sub = await self.subscriptions.store.run(self.subscriptions.by_id, subscription_id)
        if sub is None or not sub.active:
            self._unschedule(subscription_id)
            return RunOutcome(RunStatus.GONE, f"subscription {subscription_id} is gone")
        queued = _QUEUED.get()
        if queued is None and not await self.leader.check():
            self.set_leader(False)
            return RunOutcome(RunStatus.NOT_LEADER, f"{sub.where}: not the leader, nothing posted")
        now = self.clock.now()
        scheduled = scheduled or last_run_at_or_before(sub, now)
        if scheduled is None or now - scheduled > self.grace:
            return RunOutcome(
                RunStatus.TOO_OLD,
                f"{sub.where}: the run of {scheduled} is too old to post; skipped",
            )
        plan = plan_run(sub, scheduled, self.holidays)
        posts = plan.listing is not None or (plan.notice is not None and sub.notify_no_listing)
        if self.queue is not None and queued is None and posts:
            state = await self.subscriptions.store.run(
                self.queue.enqueue, sub.id, sub.platform, scheduled
            )
            if state == "done":  # an earlier leader queued it, and an instance ran it
                return RunOutcome(RunStatus.ALREADY, f"{sub.where}: the run of "
                                  f"{scheduled.isoformat()} was already done")  # fmt: skip
            return RunOutcome(RunStatus.QUEUED, f"{sub.where}: the run of "
                              f"{scheduled.isoformat()} is queued for the instances")  # fmt: skip
        if plan.listing is not None:
            return await self._deliver(sub, plan)
        if plan.notice and sub.notify_no_listing:
            return await self._notice(sub, plan)
        return RunOutcome(
            RunStatus.NOTHING_NEW,
            f"{sub.where}: no new listing at {scheduled.isoformat()}; nothing posted",
        )

    async def run_queued(self, item: Item) -> RunOutcome:
        """Run a run taken from the queue (any instance): no leadership asked, retries queued."""
        _QUEUED.set(item)  # this task's context only
        return await self.run_job(item.subscription_id, item.scheduled)

    def _retry_later(
        self, sub: Subscription, scheduled: dt.datetime, *, at: dt.datetime | None = None,
        steps: tuple[dt.timedelta, ...] = BACKOFF,
    ) -> None:  # fmt: skip
        item = _QUEUED.get()
        if item is None or self.queue is None:
            return super()._retry_later(sub, scheduled, at=at, steps=steps)
        when = at or self.clock.now() + backoff(item.attempts, steps)
        if when - scheduled <= self.grace:  # else it ends here, like a retry past the grace
            self.queue.retry(item, when)

    async def _deliver(self, sub: Subscription, plan: RunPlan) -> RunOutcome:
        assert plan.listing is not None
        listing, what = plan.listing, (sub.categories, sub.top)
        filters = Filters(sub.include, sub.exclude) if sub.include or sub.exclude else None
        service = self.service

        def build(voice: Voice | None) -> Awaitable[Digest]:
            if sub.weekly:
                return service.build_week(listing, *what, filters, voice=voice)
            return service.build(listing, *what, filters, catching_fire_days=sub.catching_fire_days,
                                 voice=voice)  # fmt: skip

        try:
            # The channel's reactions shape its digest (``bot.reactions``): part of the key.
            voice = await voice_for(self.voices, sub.platform, sub.workspace, sub.channel) if (
                sub.reactions) else None  # fmt: skip
            key = (listing, categories_key(sub.categories), sub.top, sub.include, sub.exclude,
                   sub.catching_fire_days, sub.weekly, voice)  # fmt: skip
            digest = await self.cache.get(key, lambda: build(voice))
        except Exception as exc:  # a source down (spare it), or the database gone (resume soon)
            database = isinstance(exc, StoreError) or isinstance(exc.__cause__, StoreError)
            self._retry_later(sub, plan.scheduled, steps=BACKOFF if database else BUILD_BACKOFF)
            raise RunFailed(f"{sub.where}: could not build the digest: {exc}") from None
        if not digest.thread_entries:
            return RunOutcome(
                RunStatus.NO_ATTENTION,
                f"{sub.where}: no paper of {plan.listing} got attention; nothing posted",
            )
        adapter = await self.adapters.adapter(sub.platform, sub.workspace)
        try:
            async with self._slots.of(adapter):
                outcome = await deliver(adapter, self.ledger, sub.workspace, sub.channel, digest)
        except Exception as exc:  # connection lost mid-thread, the database gone: resume soon
            self._retry_later(sub, plan.scheduled)
            raise RunFailed(f"{sub.where}: posting stopped: {type(exc).__name__}: {exc}") from exc
        if not outcome.ok:
            failure = outcome.delivery.failure if outcome.delivery else None
            passing = failure is None or failure.refusal is Refusal.UNAVAILABLE
            self._retry_later(sub, plan.scheduled, steps=BACKOFF if passing else (RETRY_DELAY,))
            raise RunFailed(outcome.message)
        held = await self.ledger.aheld_until(
            sub.platform, sub.workspace, sub.channel, digest.date, digest.ledger_categories
        ) if outcome.skipped else None  # fmt: skip
        if held is not None:  # another owner's claim: resume once stale
            self._retry_later(sub, plan.scheduled, at=held + STALE_MARGIN)
            return RunOutcome(
                RunStatus.HELD_ELSEWHERE,
                f"{sub.where}: another instance holds the delivery of {plan.listing}",
            )
        self._succeeded(sub, plan.scheduled)
        return RunOutcome(_RUN_STATUS[outcome.status], outcome.message)

    async def _notice(self, sub: Subscription, plan: RunPlan) -> RunOutcome:
        assert plan.notice is not None and plan.holiday is not None
        claim = await self.ledger.aclaim(sub.platform, sub.workspace, sub.channel, plan.holiday,
                                         NOTICE_KEY)  # fmt: skip
        if claim is None:
            return RunOutcome(
                RunStatus.ALREADY, f"{sub.where}: the no-listing notice was already posted"
            )
        adapter = await self.adapters.adapter(sub.platform, sub.workspace)
        try:
            message_id = await adapter.post_text(sub.channel, plan.notice)
        except Exception as exc:
            await self.ledger.afinish(claim, ok=False, error=str(exc))
            self._retry_later(sub, plan.scheduled)
            raise RunFailed(f"{sub.where}: could not post the notice: {exc}") from None
        await self.ledger.arecord(claim, "notice", message_id, None)
        await self.ledger.afinish(claim, ok=True)
        return RunOutcome(RunStatus.NOTICE, f"{sub.where}: posted the no-listing notice")


_RUN_STATUS = {
    Posted.POSTED: RunStatus.POSTED,
    Posted.RESUMED: RunStatus.RESUMED,
    Posted.ALREADY: RunStatus.ALREADY,
    Posted.TAKEN_OVER: RunStatus.HELD_ELSEWHERE,
}
