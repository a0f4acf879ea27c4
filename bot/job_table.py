"""The APScheduler side of ``bot.jobs``: one job per subscription, kept in step with the store.

``JobTable`` owns an ``AsyncIOScheduler`` with an in-memory job store rebuilt from the
subscriptions table (never a shared job store: two schedulers on one store double-post). Only the
leader has jobs. Jobs are bound methods (``fire``), and their triggers follow the injected clock
through ``ClockTrigger``; ``bot.jobs.DigestScheduler`` says what a run does.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import logging
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING

from bot.clock import Clock
from bot.run_outcome import ClockTrigger, RunOutcome, RunStatus
from bot.scheduler import GRACE, trigger_for
from bot.subscriptions import Subscription, SubscriptionStore

log = logging.getLogger(__name__)

#: The retry of a run the platform refused for a reason that will not pass soon (the bot not in
#: the channel, a missing permission): someone has to act first.
RETRY_DELAY = dt.timedelta(minutes=10)
#: The retries of a thread that stopped for a passing reason (the platform or the database
#: unreachable): soon, then every minute, so it resumes within a minute of the cause going away.
BACKOFF = (dt.timedelta(seconds=15), dt.timedelta(seconds=30), dt.timedelta(seconds=60))
#: The retries of a digest that could not be built (arXiv down): sooner at first, then sparing
#: the sources, every ten minutes.
BUILD_BACKOFF = (
    dt.timedelta(seconds=15), dt.timedelta(minutes=1), dt.timedelta(minutes=5), RETRY_DELAY
)  # fmt: skip


#: How many subscriptions ``refresh`` schedules before letting the event loop run again.
BATCH = 250


def backoff(attempt: int, steps: tuple[dt.timedelta, ...] = BACKOFF) -> dt.timedelta:
    """The wait before retry number ``attempt`` (1, 2, ...): the last step repeats."""
    return steps[min(attempt, len(steps)) - 1]


class JobTable:
    """Per-subscription jobs, leader-gated, with health figures for ``/healthz``."""

    def __init__(
        self, *, subscriptions: SubscriptionStore, clock: Clock, grace: dt.timedelta = GRACE,
        scheduler: AsyncIOScheduler | None = None,
    ) -> None:  # fmt: skip
        self.subscriptions = subscriptions
        self.clock = clock
        self.grace = grace
        self.scheduler = scheduler or AsyncIOScheduler(timezone=dt.UTC)
        self.leading = False
        self.last_run: dt.datetime | None = None
        self.last_result: str | None = None
        self.last_status: RunStatus | None = None
        self.last_error: str | None = None
        self._scheduled: dict[int, tuple[Subscription, int]] = {}
        self._unschedulable: dict[int, Subscription] = {}
        self._running: set[asyncio.Task[Any]] = set()
        self._attempts: dict[tuple[int, dt.datetime], int] = {}
        self._synced: set[int] | None = None  # channels sync() changed while refresh() reads

    async def run_job(
        self, subscription_id: int, scheduled: dt.datetime | None = None
    ) -> RunOutcome:  # pragma: no cover - DigestScheduler's
        raise NotImplementedError

    async def fire(self, subscription_id: int, scheduled: str = "") -> None:
        """The APScheduler job of a subscription (and of its retry, with the run it retries)."""
        when = dt.datetime.fromisoformat(scheduled) if scheduled else None
        # A task of its own, shielded: APScheduler's executor cancels its job tasks on shutdown,
        # and the run must be left to ``drain`` instead.
        run = asyncio.ensure_future(self.run_job(subscription_id, when))
        try:
            await asyncio.shield(run)
        except asyncio.CancelledError:  # not an error of the job: APScheduler is shutting down
            log.info("stopping: the run of subscription %s is left to the drain", subscription_id)

    # -- lifecycle and jobs -----------------------------------------------------------------
    def start(self, *, paused: bool = False) -> None:
        if not self.scheduler.running:
            self.scheduler.start(paused=paused)

    def shutdown(self) -> None:
        """Stop firing; runs in flight go on until ``drain`` (which ``Runtime.stop`` awaits
        next) lets them finish or cancels them (the next run resumes the thread)."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

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
        with self._one_wakeup():
            for _ in self._reconciling(self.subscriptions.list_all(), catch_up=catch_up):
                pass

    async def lead(self) -> None:
        """The election loop's round as the leader: ``set_leader(True)`` (newly leading: every
        job built, catching up) or ``reconcile()`` (already leading), by ``refresh``."""
        catch_up = not self.leading
        self.leading = True
        await self.refresh(catch_up=catch_up)

    async def refresh(self, *, catch_up: bool = False) -> None:
        """``reconcile`` without holding the event loop: the subscriptions are read in a worker
        thread and the jobs built ``BATCH`` at a time, so with 10,000 subscriptions slash commands
        and ``/healthz`` are still answered meanwhile. A channel that ``sync`` changed during the
        read is left as ``sync`` made it (the read may predate the change)."""
        if not self.leading:
            return
        self._synced = set()
        try:
            subs = self.subscriptions
            active = await asyncio.to_thread(subs.list_all) if subs.thread_safe else subs.list_all()
            building = self._reconciling(active, catch_up=catch_up)
            while self.leading:  # else lost meanwhile: set_leader(False) dropped every job
                with self._one_wakeup():
                    batch = list(itertools.islice(building, BATCH))
                if len(batch) < BATCH:  # the last one
                    return
                await asyncio.sleep(0)
        finally:
            self._synced = None

    @contextlib.contextmanager
    def _one_wakeup(self) -> Iterator[None]:
        """Jobs added inside wake APScheduler once, at the end. Each wakeup is a byte on the
        event loop's self-pipe, where signals arrive too: a burst of thousands fills it, and a
        SIGTERM sent then would be lost."""
        running = self.scheduler.state == STATE_RUNNING
        if running:
            self.scheduler.state = STATE_PAUSED
        try:
            yield
        finally:
            if running and self.scheduler.state == STATE_PAUSED:
                self.scheduler.state = STATE_RUNNING
                self.scheduler.wakeup()

    def _reconciling(self, subs: list[Subscription], *, catch_up: bool) -> Iterator[int]:
        """Unschedule what is gone, then (re)schedule each subscription: yields a running count."""
        active = {sub.id: sub for sub in subs}
        changed_meanwhile = self._synced or set()
        for sub_id in [i for i in self._scheduled if i not in active]:
            if sub_id not in changed_meanwhile:
                self._unschedule(sub_id)
        year = self.clock.now().year
        for done, sub in enumerate(active.values(), 1):
            if sub.id not in changed_meanwhile and self._scheduled.get(sub.id) != (sub, year):
                try:
                    self.schedule(sub, catch_up=catch_up)
                except (KeyError, ValueError) as exc:  # an unknown zone: skip this channel only
                    if self._unschedulable.get(sub.id) != sub:  # said once, until the row changes
                        log.error("cannot schedule %s (%s): %r", sub.where, sub.tz, exc)
                    self._unschedulable[sub.id] = sub
            yield done

    def sync(self, sub: Subscription) -> None:
        """``SubscriptionHandler``'s ``on_change``: apply one change at once (no catch-up)."""
        if not self.leading:
            return
        if self._synced is not None:  # a refresh is reading the store: it must not undo this
            self._synced.add(sub.id)
        if sub.active:
            self.schedule(sub)
        else:
            self._unschedule(sub.id)

    def schedule(self, sub: Subscription, *, catch_up: bool = False) -> None:
        """Add or replace the subscription's job. A job whose trigger would not change is kept
        as it is: rebuilt at the turn of the year, or for a new category, it keeps a run that
        is due this very moment instead of moving it to the next day."""
        now = self.clock.now()
        trigger = _clock_trigger(trigger_for(sub, now.year), self.clock.wall_offset())
        job = self.scheduler.get_job(sub.job_id)
        if job is not None and not catch_up and _same_trigger(job.trigger, trigger):
            self._scheduled[sub.id] = (sub, now.year)
            return
        start = self._wall(now - self.grace if catch_up else now)
        first = trigger.get_next_fire_time(None, start)
        self.scheduler.add_job(
            self.fire, trigger, args=[sub.id], id=sub.job_id,
            name=f"digest {sub.where}", replace_existing=True, next_run_time=first,
            coalesce=True, max_instances=1, misfire_grace_time=int(self.grace.total_seconds()),
        )  # fmt: skip
        self._scheduled[sub.id] = (sub, now.year)

    def _wall(self, when: dt.datetime) -> dt.datetime:
        """The wall-clock instant APScheduler's timers know ``when`` (a time of our clock) by."""
        return when - self.clock.wall_offset()

    def _unschedule(self, sub_id: int) -> None:
        self._scheduled.pop(sub_id, None)
        for job_id in (f"sub:{sub_id}", f"retry:{sub_id}"):
            if self.scheduler.get_job(job_id) is not None:
                self.scheduler.remove_job(job_id)

    def _retry_later(
        self, sub: Subscription, scheduled: dt.datetime, *, at: dt.datetime | None = None,
        steps: tuple[dt.timedelta, ...] = BACKOFF,
    ) -> None:  # fmt: skip
        """Run ``scheduled`` again: ``at`` a given time (a claim going stale), else after the
        next of ``steps`` (``(RETRY_DELAY,)`` for a refusal); never past the grace."""
        now = self.clock.now()
        key = (sub.id, scheduled)
        self._attempts[key] = attempt = self._attempts.get(key, 0) + 1
        when = at or now + backoff(attempt, steps)
        if when - scheduled > self.grace or not self.scheduler.running:
            return
        self.scheduler.add_job(
            self.fire, "date", run_date=self._wall(when),
            args=[sub.id, scheduled.isoformat()], id=f"retry:{sub.id}",
            replace_existing=True, misfire_grace_time=int(self.grace.total_seconds()),
        )  # fmt: skip

    def _succeeded(self, sub: Subscription, scheduled: dt.datetime) -> None:
        self._attempts.pop((sub.id, scheduled), None)

    # -- health -----------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        jobs = [job for job in self.scheduler.get_jobs() if job.id.startswith("sub:")]
        upcoming = [job.next_run_time for job in jobs if job.next_run_time is not None]
        return {
            "running": bool(self.scheduler.running),
            "leader": self.leading,
            "jobs": len(jobs),
            # APScheduler keeps wall-clock times; /healthz speaks in the clock's.
            "next_run": (min(upcoming) + self.clock.wall_offset()).astimezone(dt.UTC).isoformat()
            if upcoming
            else None,
            "last_run": self.last_run.isoformat() if self.last_run else None,
            "last_status": self.last_status.value if self.last_status else None,
            "last_result": self.last_result,
            "last_error": self.last_error,
        }


@lru_cache(maxsize=4096)
def _clock_trigger(trigger: Any, offset: dt.timedelta) -> ClockTrigger:
    """One trigger object for every job of a (time, zone, year): 10,000 channels share ~100."""
    return ClockTrigger(trigger, offset)


def _same_trigger(old: Any, new: Any) -> bool:
    return bool(str(old) == str(new) and getattr(old, "timezone", None) == new.timezone)
