"""Running the schedule: APScheduler jobs that build each digest once and post it to every channel.

``DigestScheduler`` owns an ``AsyncIOScheduler`` with an in-memory job store rebuilt from the
subscriptions table (never a shared job store: two schedulers on one store double-post). Only the
leader (``bot.leader``) has jobs, and each job asks the leader again before it posts. Digests are
cached for a few minutes by (date, categories, top, filters) in a ``bot.digest_cache.DigestCache``,
so channels that fire together share one build; channels are posted concurrently, at most
``POST_CONCURRENCY[platform]`` of a platform at a time (``bot.post_slots``), each through
``bot.posting.deliver``, which claims the ledger first and resumes a broken thread.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Collection, Sequence
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock
from bot.digest import Filters
from bot.digest_cache import DigestCache
from bot.ledger import Ledger, categories_key
from bot.models import Digest
from bot.ports import Adapter
from bot.post_slots import PostingSlots
from bot.posting import deliver
from bot.scheduler import GRACE, RunPlan, last_run_at_or_before, plan_run, trigger_for
from bot.subscriptions import Subscription, SubscriptionStore

log = logging.getLogger(__name__)

RETRY_DELAY = dt.timedelta(minutes=10)
NOTICE_KEY = ("notice:no-listing",)
_INSTANCES: dict[str, DigestScheduler] = {}


class DigestBuilder(Protocol):
    async def build(self, date: dt.date, categories: Sequence[str], top: int,
                    filters: Filters | None = None) -> Digest: ...  # fmt: skip


class AdapterProvider(Protocol):
    async def adapter(self, platform: str, workspace: str) -> Adapter:
        """The adapter posting to ``platform`` for ``workspace``; raises ``LookupError`` if none."""
        ...


class Leadership(Protocol):
    async def check(self) -> bool: ...


class RunFailed(Exception):
    """A run that should be retried (the digest could not be built or posted)."""


async def run_subscription_job(instance: str, subscription_id: int, scheduled: str = "") -> None:
    """The APScheduler job (module level, primitive arguments: safe for any job store)."""
    scheduler = _INSTANCES.get(instance)
    if scheduler is None:
        log.warning("no scheduler %r for subscription %s", instance, subscription_id)
        return
    when = dt.datetime.fromisoformat(scheduled) if scheduled else None
    # A task of its own, shielded: APScheduler's executor cancels its job tasks on shutdown,
    # and the run must be left to ``DigestScheduler.drain`` instead.
    run = asyncio.ensure_future(scheduler.run_job(subscription_id, when))
    try:
        await asyncio.shield(run)
    except asyncio.CancelledError:  # not an error of the job: APScheduler is shutting down
        log.info("stopping: the run of subscription %s is left to the drain", subscription_id)


class DigestScheduler:
    """Per-subscription cron jobs, leader-gated, with health figures for ``/healthz``."""

    def __init__(
        self, *, subscriptions: SubscriptionStore, service: DigestBuilder,
        adapters: AdapterProvider, ledger: Ledger, leader: Leadership, clock: Clock,
        holidays: Collection[dt.date] = (), grace: dt.timedelta = GRACE, name: str = "main",
        scheduler: AsyncIOScheduler | None = None,
    ) -> None:  # fmt: skip
        self.subscriptions = subscriptions
        self.service = service
        self.adapters = adapters
        self.ledger = ledger
        self.leader = leader
        self.clock = clock
        self.holidays = tuple(holidays)
        self.grace = grace
        self.name = name
        self.scheduler = scheduler or AsyncIOScheduler(timezone=dt.UTC)
        self.cache = DigestCache(clock)
        self.leading = False
        self.last_run: dt.datetime | None = None
        self.last_result: str | None = None
        self.last_error: str | None = None
        self._scheduled: dict[int, tuple[Subscription, int]] = {}
        self._unschedulable: dict[int, Subscription] = {}
        self._slots = PostingSlots()
        self._running: set[asyncio.Task[Any]] = set()
        _INSTANCES[name] = self

    # -- lifecycle and jobs -----------------------------------------------------------------
    def start(self, *, paused: bool = False) -> None:
        if not self.scheduler.running:
            self.scheduler.start(paused=paused)

    def shutdown(self) -> None:
        """Stop firing; runs in flight go on until ``drain`` (which ``Runtime.stop`` awaits
        next) lets them finish or cancels them (the next run resumes the thread)."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if _INSTANCES.get(self.name) is self:
            del _INSTANCES[self.name]

    async def drain(self, timeout: float) -> None:
        """Let runs in flight finish for ``timeout`` seconds, then cancel them: the ledger has
        every message posted so far, and the next run resumes the thread."""
        running = [task for task in self._running if task is not asyncio.current_task()]
        if not running:
            return
        _, late = await asyncio.wait(running, timeout=timeout)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    def set_leader(self, leading: bool) -> None:
        """Become the leader (build every job, catching up runs missed within the grace) or
        stop being one (drop every job)."""
        if leading and not self.leading:
            self.leading = True
            self.reconcile(catch_up=True)
        elif not leading and self.leading:
            self.leading = False
            for sub_id in list(self._scheduled):
                self._unschedule(sub_id)

    def reconcile(self, *, catch_up: bool = False) -> None:
        """Make the jobs match the active subscriptions (changes made by any instance or CLI)."""
        if not self.leading:
            return
        active = {sub.id: sub for sub in self.subscriptions.list_all()}
        for sub_id in [i for i in self._scheduled if i not in active]:
            self._unschedule(sub_id)
        year = self.clock.now().year
        for sub in active.values():
            if self._scheduled.get(sub.id) != (sub, year):
                try:
                    self.schedule(sub, catch_up=catch_up)
                except (KeyError, ValueError) as exc:  # an unknown zone: skip this channel only
                    if self._unschedulable.get(sub.id) != sub:  # said once, until the row changes
                        log.error("cannot schedule %s (%s): %r", sub.where, sub.tz, exc)
                    self._unschedulable[sub.id] = sub

    def sync(self, sub: Subscription) -> None:
        """``SubscriptionHandler``'s ``on_change``: apply one change at once (no catch-up)."""
        if not self.leading:
            return
        if sub.active:
            self.schedule(sub)
        else:
            self._unschedule(sub.id)

    def schedule(self, sub: Subscription, *, catch_up: bool = False) -> None:
        """Add or replace the subscription's job. A job whose trigger would not change is kept
        as it is: rebuilt at the turn of the year, or for a new category, it keeps a run that
        is due this very moment instead of moving it to the next day."""
        now = self.clock.now()
        trigger = trigger_for(sub, now.year)
        job = self.scheduler.get_job(sub.job_id)
        if job is not None and not catch_up and _same_trigger(job.trigger, trigger):
            self._scheduled[sub.id] = (sub, now.year)
            return
        first = trigger.get_next_fire_time(None, now - self.grace if catch_up else now)
        self.scheduler.add_job(
            run_subscription_job, trigger, args=[self.name, sub.id], id=sub.job_id,
            name=f"digest {sub.where}", replace_existing=True, next_run_time=first,
            coalesce=True, max_instances=1, misfire_grace_time=int(self.grace.total_seconds()),
        )  # fmt: skip
        self._scheduled[sub.id] = (sub, now.year)

    def _unschedule(self, sub_id: int) -> None:
        self._scheduled.pop(sub_id, None)
        for job_id in (f"sub:{sub_id}", f"retry:{sub_id}"):
            if self.scheduler.get_job(job_id) is not None:
                self.scheduler.remove_job(job_id)

    def _retry_later(self, sub: Subscription, scheduled: dt.datetime) -> None:
        now = self.clock.now()
        if now + RETRY_DELAY - scheduled > self.grace or not self.scheduler.running:
            return
        self.scheduler.add_job(
            run_subscription_job, "date", run_date=now + RETRY_DELAY,
            args=[self.name, sub.id, scheduled.isoformat()], id=f"retry:{sub.id}",
            replace_existing=True, misfire_grace_time=int(self.grace.total_seconds()),
        )  # fmt: skip

    # -- one run ----------------------------------------------------------------------------
    async def run_job(self, subscription_id: int, scheduled: dt.datetime | None = None) -> str:
        """Run a subscription's job and record how it went; never raises."""
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        try:
            result = await self.run_once(subscription_id, scheduled)
            self.last_result = result
        except Exception as exc:  # recorded for /healthz; the loop and other jobs go on
            self.last_result = self.last_error = f"subscription {subscription_id}: {exc}"
            log.warning("scheduled run failed: %s", self.last_error,
                        exc_info=not isinstance(exc, RunFailed))  # fmt: skip
            result = self.last_error
        self.last_run = self.clock.now()
        return result

    async def run_once(self, subscription_id: int, scheduled: dt.datetime | None = None) -> str:
        sub = self.subscriptions.by_id(subscription_id)
        if sub is None or not sub.active:
            self._unschedule(subscription_id)
            return f"subscription {subscription_id} is gone"
        if not await self.leader.check():
            self.set_leader(False)
            return f"{sub.where}: not the leader, nothing posted"
        now = self.clock.now()
        scheduled = scheduled or last_run_at_or_before(sub, now)
        if scheduled is None or now - scheduled > self.grace:
            return f"{sub.where}: the run of {scheduled} is too old to post; skipped"
        plan = plan_run(sub, scheduled, self.holidays)
        if plan.listing is not None:
            return await self._deliver(sub, plan)
        if plan.notice and sub.notify_no_listing:
            return await self._notice(sub, plan)
        return f"{sub.where}: no new listing at {scheduled.isoformat()}; nothing posted"

    async def _deliver(self, sub: Subscription, plan: RunPlan) -> str:
        assert plan.listing is not None
        listing, what = plan.listing, (sub.categories, sub.top)
        key = (plan.listing, categories_key(sub.categories), sub.top, sub.include, sub.exclude)
        filters = Filters(sub.include, sub.exclude) if sub.include or sub.exclude else None
        try:
            digest = await self.cache.get(key, lambda: self.service.build(listing, *what, filters))
        except Exception as exc:
            self._retry_later(sub, plan.scheduled)
            raise RunFailed(f"{sub.where}: could not build the digest: {exc}") from None
        if not digest.entries:
            return f"{sub.where}: no paper of {plan.listing} got attention; nothing posted"
        adapter = await self.adapters.adapter(sub.platform, sub.workspace)
        try:
            async with self._slots.of(sub.platform):
                outcome = await deliver(adapter, self.ledger, sub.workspace, sub.channel, digest)
        except Exception as exc:  # connection lost mid-thread...: the ledger resumes it
            self._retry_later(sub, plan.scheduled)
            raise RunFailed(f"{sub.where}: posting stopped: {type(exc).__name__}: {exc}") from exc
        if not outcome.ok:
            self._retry_later(sub, plan.scheduled)
            raise RunFailed(outcome.message)
        if outcome.skipped and self._unfinished(sub, digest):
            self._retry_later(sub, plan.scheduled)  # another owner's claim: resume once stale
            return f"{sub.where}: another instance holds the delivery of {plan.listing}"
        return outcome.message

    def _unfinished(self, sub: Subscription, digest: Digest) -> bool:
        state = self.ledger.status(sub.platform, sub.workspace, sub.channel, digest.date,
                                   digest.categories)  # fmt: skip
        return state is not None and state[0] != "done"

    async def _notice(self, sub: Subscription, plan: RunPlan) -> str:
        assert plan.notice is not None and plan.holiday is not None
        claim = self.ledger.claim(sub.platform, sub.workspace, sub.channel, plan.holiday,
                                  NOTICE_KEY)  # fmt: skip
        if claim is None:
            return f"{sub.where}: the no-listing notice was already posted"
        adapter = await self.adapters.adapter(sub.platform, sub.workspace)
        try:
            message_id = await adapter.post_text(sub.channel, plan.notice)
        except Exception as exc:
            self.ledger.finish(claim, ok=False, error=str(exc))
            self._retry_later(sub, plan.scheduled)
            raise RunFailed(f"{sub.where}: could not post the notice: {exc}") from None
        self.ledger.record(claim, "notice", message_id, None)
        self.ledger.finish(claim, ok=True)
        return f"{sub.where}: posted the no-listing notice"

    # -- health -----------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        jobs = [job for job in self.scheduler.get_jobs() if job.id.startswith("sub:")]
        upcoming = [job.next_run_time for job in jobs if job.next_run_time is not None]
        return {
            "running": bool(self.scheduler.running),
            "leader": self.leading,
            "jobs": len(jobs),
            "next_run": min(upcoming).astimezone(dt.UTC).isoformat() if upcoming else None,
            "last_run": self.last_run.isoformat() if self.last_run else None,
            "last_result": self.last_result,
            "last_error": self.last_error,
        }


def _same_trigger(old: Any, new: Any) -> bool:
    return bool(str(old) == str(new) and getattr(old, "timezone", None) == new.timezone)
