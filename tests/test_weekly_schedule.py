"""A weekly subscription on the scheduler (``bot.jobs``, ``bot.scheduler``) with an injected
clock: it fires on its weekday only, carries the week up to the latest listing, posts once, and
its ledger key never collides with the daily digest of the same date in the same channel."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FakeClock
from bot.digest import Filters
from bot.jobs import DigestScheduler
from bot.models import Digest, Week
from bot.run_outcome import RunStatus
from bot.scheduler import next_deliveries, next_runs, plan_run
from bot.store import Store
from bot.weekly import week_days
from tests.factories import make_digest
from tests.test_scheduler import RecordingAdapter, add_sub, make_scheduler, sub, thread

BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY_1600 = dt.datetime(2021, 4, 16, 16, 0, tzinfo=BERLIN)
UTC = dt.UTC


class WeekService:
    """``DigestService``'s two builds, recorded; a weekly digest carries its ``week``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dt.date, tuple[str, ...], int, Filters | None]] = []

    async def build(
        self, date, categories, top, filters=None, *, catching_fire_days=None, voice=None
    ) -> Digest:
        self.calls.append(("day", date, tuple(categories), top, filters))
        await asyncio.sleep(0)
        return make_digest(n=top, date=date, categories=tuple(categories))

    async def build_week(self, date, categories, top, filters=None, *, voice=None) -> Digest:
        self.calls.append(("week", date, tuple(categories), top, filters))
        await asyncio.sleep(0)
        days = week_days(date)
        week = Week(start=days[0], end=date, days=days)
        return make_digest(n=top, date=date, categories=tuple(categories), week=week)


class TitledAdapter(RecordingAdapter):
    """The recording adapter, keeping each header's title too."""

    def __init__(self) -> None:
        super().__init__()
        self.titles: list[str] = []

    async def post_header(self, channel: str, digest: Digest) -> tuple[str, str]:
        self.titles.append(digest.title)
        return await super().post_header(channel, digest)


def test_a_weekly_subscription_runs_on_its_weekday_only() -> None:
    weekly = sub("16:00", "Europe/Berlin", week_day=4)
    runs = next_runs(weekly, dt.datetime(2021, 4, 12, 12, 0, tzinfo=UTC), 3)
    assert [f"{r:%a %Y-%m-%d %H:%M}" for r in runs] == [
        "Fri 2021-04-16 16:00", "Fri 2021-04-23 16:00", "Fri 2021-04-30 16:00",
    ]  # fmt: skip
    # Every run carries the week of the latest listing: Friday's, announced Thursday 20:00 ET.
    assert plan_run(weekly, runs[0], ()).listing == dt.date(2021, 4, 16)
    # A Monday-morning roundup has Monday's listing alone (announced Sunday evening).
    monday = sub("09:00", "Europe/Berlin", week_day=0)
    (when, listing), *_ = next_deliveries(monday, runs[0], 1, ())
    assert (f"{when:%a %Y-%m-%d}", listing) == ("Mon 2021-04-19", dt.date(2021, 4, 19))


@pytest.fixture(name="made")
async def made_fixture() -> AsyncIterator[list[DigestScheduler]]:
    schedulers: list[DigestScheduler] = []
    yield schedulers
    for scheduler in schedulers:
        scheduler.shutdown()


async def test_a_scheduled_weekly_run_posts_once_beside_the_daily(store: Store, made) -> None:
    clock = FakeClock(FRIDAY_1600.astimezone(UTC) + dt.timedelta(seconds=30))
    daily = add_sub(store, clock, time=dt.time(9, 0))
    weekly = add_sub(store, clock, time=dt.time(16, 0), week_day=4)
    adapter, service = TitledAdapter(), WeekService()
    scheduler = make_scheduler(made, store, clock, adapter, service=service)
    scheduler.start(paused=True)
    scheduler.set_leader(True)
    job = scheduler.scheduler.get_job(f"sub:{weekly.id}")
    assert job.next_run_time == FRIDAY_1600  # the run due now (caught up within the grace)
    assert str(job.trigger) == "cron[day_of_week='fri', hour='16', minute='0']"

    first = await scheduler.run_job(weekly.id)
    assert first.status is RunStatus.POSTED
    assert first.text == (
        "posted Hot Papers, week of 2021-04-12 to 2021-04-16 to general: header and 10 replies"
    )
    assert service.calls == [("week", dt.date(2021, 4, 16), ("cs.CL",), 10, None)]
    assert adapter.titles == ["Hot Papers, week of 2021-04-12 to 2021-04-16"]
    assert adapter.sent == [("header", "general", None, dt.date(2021, 4, 16)),
                            *thread("general", "thread-m1", range(1, 11))]  # fmt: skip

    again = await scheduler.run_job(weekly.id)  # a repeated fire: the ledger has it
    assert again.status is RunStatus.ALREADY and len(adapter.sent) == 11

    # The daily digest of the same date in the same channel is another delivery.
    clock.set(dt.datetime(2021, 4, 16, 9, 0, 30, tzinfo=BERLIN).astimezone(UTC))
    day = await scheduler.run_job(daily.id)
    assert day.status is RunStatus.POSTED
    assert adapter.titles[-1] == "Hot Papers 2021-04-16"
    assert scheduler.ledger.status("console", "default", "general", dt.date(2021, 4, 16),
                                   ("cs.CL",)) == ("done", None, 11)  # fmt: skip
    assert scheduler.ledger.status("console", "default", "general", dt.date(2021, 4, 16),
                                   ("cs.CL", "week")) == ("done", None, 11)  # fmt: skip


async def test_a_weekly_run_on_another_day_is_too_old_or_not_due(store: Store, made) -> None:
    clock = FakeClock(dt.datetime(2021, 4, 15, 16, 0, 30, tzinfo=BERLIN).astimezone(UTC))
    weekly = add_sub(store, clock, time=dt.time(16, 0), week_day=4)
    adapter = TitledAdapter()
    scheduler = make_scheduler(made, store, clock, adapter, service=WeekService())
    result = await scheduler.run_job(weekly.id)  # Thursday: last Friday's run is long past
    assert result.status is RunStatus.TOO_OLD and adapter.sent == []
