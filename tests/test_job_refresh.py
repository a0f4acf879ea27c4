"""The election loop's ``JobTable.lead``/``refresh``: the subscriptions are read off the event loop
and the jobs built in batches (10,000 channels never hold slash commands or /healthz for long),
with the same jobs as ``reconcile``, and a change ``sync`` applies during the read is kept."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.job_table import BATCH, JobTable
from bot.store import Store
from bot.subscriptions import Subscription, SubscriptionStore

NOW = dt.datetime(2021, 4, 12, 7, 0, 30, tzinfo=dt.UTC)


@pytest.fixture
def subs(tmp_path: Path) -> Iterator[SubscriptionStore]:
    store = Store(f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    try:
        yield SubscriptionStore(store, FakeClock(NOW))
    finally:
        store.close()


def add(subs: SubscriptionStore, channel: str, hour: int = 9) -> Subscription:
    sub, _ = subs.upsert("slack", "T1", channel, categories=("cs.CL",), time=dt.time(hour, 0),
                         tz="Europe/Berlin", top=3)  # fmt: skip
    return sub


def job_times(table: JobTable) -> dict[str, dt.datetime]:
    return {job.id: job.next_run_time for job in table.scheduler.get_jobs()}


async def test_lead_builds_the_jobs_reconcile_builds_and_lets_the_loop_run(
    subs: SubscriptionStore,
) -> None:
    for n in range(BATCH + 10):
        add(subs, f"C{n:05d}", hour=9 + n % 3)
    table = JobTable(subscriptions=subs, clock=FakeClock(NOW))
    table.start(paused=True)
    ticks = 0

    async def other_work() -> None:  # what a slash command's handler would be
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(other_work())
    await table.lead()
    other.cancel()
    assert ticks >= 3  # the read (a thread) and every batch gave the loop a turn
    expected = JobTable(subscriptions=subs, clock=FakeClock(NOW))
    expected.start(paused=True)
    expected.set_leader(True)  # the synchronous path: the same jobs, the same times
    assert job_times(table) == job_times(expected) and len(job_times(table)) == BATCH + 10
    table.shutdown()
    expected.shutdown()


async def test_a_change_synced_during_the_read_is_not_undone(subs: SubscriptionStore) -> None:
    kept = add(subs, "C1")
    table = JobTable(subscriptions=subs, clock=FakeClock(NOW))
    table.start(paused=True)
    table.set_leader(True)
    stale = subs.list_all()  # before the changes below
    new = add(subs, "C2")
    reading, release = threading.Event(), threading.Event()

    def slow_read() -> list[Subscription]:
        reading.set()
        release.wait(10)
        return stale

    subs.list_all = slow_read  # type: ignore[method-assign]
    refresh = asyncio.create_task(table.lead())
    await asyncio.to_thread(reading.wait, 10)
    table.sync(new)  # a channel subscribed from chat while the store is being read
    release.set()
    await refresh
    assert sorted(job_times(table)) == [kept.job_id, new.job_id]
    table.shutdown()


async def test_a_batch_wakes_the_running_scheduler_once(subs: SubscriptionStore) -> None:
    """Each APScheduler wakeup writes a byte to the event loop's self-pipe, where SIGTERM arrives
    too: thousands at once fill it and lose the signal. One per batch does not."""
    for n in range(BATCH + 10):
        add(subs, f"C{n:05d}", hour=12)  # none due: nothing fires
    table = JobTable(subscriptions=subs, clock=FakeClock(NOW))
    table.start()
    wakeups = 0
    wakeup = table.scheduler.wakeup

    def counted() -> None:
        nonlocal wakeups
        wakeups += 1
        wakeup()

    table.scheduler.wakeup = counted  # type: ignore[method-assign]
    await table.lead()
    assert wakeups == 2 and len(job_times(table)) == BATCH + 10
    table.scheduler.pause()
    table.shutdown()
