"""Schedule edge cases with an injected clock: DST days, far zones, the turn of the year, holiday
notices where the local date is not the listing's, the grace boundary, retries within the hour."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot import calendar
from bot.clock import FakeClock
from bot.job_table import RETRY_DELAY
from bot.run_outcome import RunStatus
from bot.scheduler import GRACE, next_deliveries, next_runs, plan_run, trigger_for
from bot.store import Store
from tests.test_scheduler import (  # noqa: F401 (fixtures)
    MONDAY_0900,
    FakeService,
    RecordingAdapter,
    add_sub,
    clock_fixture,
    made_fixture,
    make_scheduler,
    sub,
    thread,
    utc,
)

UTC = dt.UTC
CAIRO = ZoneInfo("Africa/Cairo")


def listings_in_order(first: dt.date, n: int, holidays: tuple[dt.date, ...] = ()) -> list[dt.date]:
    days = [first]
    while len(days) < n:
        day = days[-1] + dt.timedelta(days=1)
        while not calendar.is_listing_day(day, holidays):
            day += dt.timedelta(days=1)
        days.append(day)
    return days


# -- DST: the days the clocks change -------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "start", "expected"),
    [  # spring forward on Sunday 2027-03-28 (Berlin) and 2027-03-14 (New York), 02:00 -> 03:00
        ("Europe/Berlin", utc(2027, 3, 25, 12), [utc(2027, 3, 26, 1, 30), utc(2027, 3, 29, 0, 30)]),
        ("America/New_York", utc(2027, 3, 11, 12),
         [utc(2027, 3, 12, 7, 30), utc(2027, 3, 15, 6, 30)]),
    ],
)  # fmt: skip
def test_0230_on_the_spring_forward_weekend_is_not_a_run_day(
    tz: str, start: dt.datetime, expected: list[dt.datetime]
) -> None:
    """02:30 does not exist that Sunday; a 02:30 subscription runs Monday to Friday anyway."""
    s = sub("02:30", tz)
    runs = next_runs(s, start, 2)
    assert [r.astimezone(UTC) for r in runs] == expected
    assert [f"{r:%a %H:%M}" for r in runs] == ["Fri 02:30", "Mon 02:30"]
    found = next_deliveries(s, start, 6, ())
    assert [listing for _, listing in found] == listings_in_order(found[0][1], 6)


def test_cairo_fall_back_thursday_runs_once() -> None:
    """Egypt's clocks go back at the end of Thursday 2027-10-28, so 23:30 happens twice that
    Thursday; the run is the first 23:30 only, and the next run is Friday's."""
    s = sub("23:30", "Africa/Cairo")
    runs = next_runs(s, utc(2027, 10, 27, 12), 3)
    assert [r.astimezone(UTC) for r in runs] == [
        utc(2027, 10, 27, 20, 30), utc(2027, 10, 28, 20, 30), utc(2027, 10, 29, 21, 30),
    ]  # fmt: skip
    found = next_deliveries(s, utc(2027, 10, 25), 8, ())
    assert [listing for _, listing in found] == listings_in_order(dt.date(2027, 10, 25), 8)


def test_cairo_spring_forward_friday_still_runs() -> None:
    """Egypt's clocks jump from 00:00 to 01:00 on Friday 2027-04-30: a 00:30 run that day happens
    at the same instant (01:30 summer time), carrying Thursday's listing, instead of being lost."""
    s = sub("00:30", "Africa/Cairo")
    runs = next_runs(s, utc(2027, 4, 28, 12), 3)
    assert [r.astimezone(UTC) for r in runs] == [
        utc(2027, 4, 28, 22, 30), utc(2027, 4, 29, 22, 30), utc(2027, 4, 30, 21, 30),
    ]  # fmt: skip
    assert plan_run(s, runs[1], ()).listing == dt.date(2027, 4, 29)
    found = next_deliveries(s, utc(2027, 4, 26), 8, ())
    assert [listing for _, listing in found] == listings_in_order(dt.date(2027, 4, 26), 8)


def test_the_job_trigger_itself_fires_once_per_day_across_dst() -> None:
    """What APScheduler fires is the trigger; asked as APScheduler asks (previous fire time,
    now), it gives each day once, in the gap and in the repeated hour alike."""
    for time, start, end in (("23:30", utc(2027, 10, 26), utc(2027, 11, 2)),
                             ("00:30", utc(2027, 4, 27), utc(2027, 5, 4))):  # fmt: skip
        trigger = trigger_for(sub(time, "Africa/Cairo"), 2027)
        fired = [trigger.get_next_fire_time(None, start)]
        while (following := trigger.get_next_fire_time(fired[-1], end)) <= end:
            fired.append(following)
        local_days = [f.astimezone(CAIRO).date() for f in fired]
        assert len(local_days) == len(set(local_days)) == 5, fired


async def test_the_repeated_hour_posts_once(store: Store, made) -> None:
    clock = FakeClock(utc(2027, 10, 28, 20, 30, 5))  # the first 23:30 of Thursday, in Cairo
    sub1 = add_sub(store, clock, time=dt.time(23, 30), tz="Africa/Cairo")
    adapter = RecordingAdapter()
    scheduler = make_scheduler(made, store, clock, adapter)
    assert (await scheduler.run_job(sub1.id)).status is RunStatus.POSTED
    clock.set(utc(2027, 10, 28, 21, 30, 5))  # the second 23:30, if anything fired then
    result = await scheduler.run_job(sub1.id)
    assert result.status not in (RunStatus.POSTED, RunStatus.RESUMED)
    assert len(adapter.sent) == 11


# -- far zones ----------------------------------------------------------------------------------


@pytest.mark.parametrize("tz", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
@pytest.mark.parametrize("time", ["00:00", "09:00", "13:59", "14:00", "23:59"])
def test_far_zones_get_every_listing_once(tz: str, time: str) -> None:
    """UTC+14 and UTC-11 are a day apart: each still gets each listing once, after it is out."""
    holidays = (dt.date(2021, 12, 24), dt.date(2021, 12, 31))
    found = next_deliveries(sub(time, tz), utc(2021, 12, 20), 10, holidays)
    assert [listing for _, listing in found] == listings_in_order(found[0][1], 10, holidays)
    assert all(calendar.announcement_time(listing) <= run for run, listing in found)


# -- the turn of the year -----------------------------------------------------------------------

NEW_YEAR_HOLIDAYS = (dt.date(2025, 12, 25), dt.date(2026, 1, 1))


def test_a_trigger_built_in_december_fires_on_january_2nd() -> None:
    s = sub("09:00", "Europe/Berlin")
    trigger = trigger_for(s, 2025)  # built in December; the job keeps it into January
    fired = [trigger.get_next_fire_time(None, utc(2025, 12, 30, 12))]
    while len(fired) < 3:
        fired.append(trigger.get_next_fire_time(fired[-1], utc(2026, 2, 1)))
    assert [f"{f:%a %Y-%m-%d %H:%M}" for f in fired] == [
        "Wed 2025-12-31 09:00", "Thu 2026-01-01 09:00", "Fri 2026-01-02 09:00",
    ]  # fmt: skip
    plans = [plan_run(s, f, NEW_YEAR_HOLIDAYS) for f in fired]
    assert [p.listing for p in plans] == [dt.date(2025, 12, 31), None, dt.date(2026, 1, 2)]
    assert plans[1].notice == "No arXiv listing today (holiday); the next is Friday 2026-01-02."


async def test_the_new_years_reconcile_keeps_a_run_that_is_due(store: Store, made) -> None:
    """At the turn of the (UTC) year every job's trigger is rebuilt for the new year; a run due
    that very moment must not be pushed to the next day when the trigger did not change."""
    clock = FakeClock(utc(2025, 12, 31, 12))
    sub1 = add_sub(store, clock, time=dt.time(0, 0), tz="UTC")
    scheduler = make_scheduler(made, store, clock)
    scheduler.start(paused=True)
    scheduler.set_leader(True)
    job = scheduler.scheduler.get_job(sub1.job_id)
    assert job.next_run_time == utc(2026, 1, 1)
    clock.set(utc(2026, 1, 1, 0, 0, 0) + dt.timedelta(milliseconds=3))  # before it fired
    scheduler.reconcile()  # the leadership round's reconcile
    assert scheduler.scheduler.get_job(sub1.job_id).next_run_time == utc(2026, 1, 1)


# -- holidays: the notice names the missing listing ---------------------------------------------

MONDAY_HOLIDAY = (dt.date(2021, 4, 12),)


@pytest.mark.parametrize(
    ("time", "tz", "run", "notice"),
    [
        ("09:00", "Europe/Berlin", utc(2021, 4, 12, 7),
         "No arXiv listing today (holiday); the next is Tuesday 2021-04-13."),
        # Sunday evening's post carries Monday's listing: the holiday is announced then
        ("21:00", "America/New_York", utc(2021, 4, 12, 1),
         "No arXiv listing on Monday 2021-04-12 (holiday); the next is Tuesday 2021-04-13."),
        # Tuesday morning's post in Tokyo carries Monday's listing
        ("08:00", "Asia/Tokyo", utc(2021, 4, 12, 23),
         "No arXiv listing on Monday 2021-04-12 (holiday); the next is Tuesday 2021-04-13."),
        ("09:00", "Pacific/Kiritimati", utc(2021, 4, 12, 19),
         "No arXiv listing on Monday 2021-04-12 (holiday); the next is Tuesday 2021-04-13."),
    ],
)  # fmt: skip
def test_the_holiday_notice_comes_at_the_run_that_would_have_carried_it(
    time: str, tz: str, run: dt.datetime, notice: str
) -> None:
    s = sub(time, tz)
    assert next_runs(s, run - dt.timedelta(seconds=1), 1) == [run]
    assert plan_run(s, run, MONDAY_HOLIDAY).notice == notice
    # exactly one run of the week says so
    runs = next_runs(s, utc(2021, 4, 9, 12), 6)
    notices = [r for r in runs if plan_run(s, r, MONDAY_HOLIDAY).notice is not None]
    assert notices == [run]


async def test_a_new_york_channel_gets_its_holiday_notice_once(store: Store, made) -> None:
    clock = FakeClock(utc(2021, 4, 12, 1, 0, 20))  # Sunday 21:00:20 in New York
    sub1 = add_sub(store, clock, time=dt.time(21, 0), tz="America/New_York",
                   notify_no_listing=True)  # fmt: skip
    adapter = RecordingAdapter()
    scheduler = make_scheduler(made, store, clock, adapter, holidays=MONDAY_HOLIDAY)
    await scheduler.run_job(sub1.id)
    await scheduler.run_job(sub1.id)
    text = "No arXiv listing on Monday 2021-04-12 (holiday); the next is Tuesday 2021-04-13."
    assert adapter.sent == [("text", "general", None, text)]


# -- the grace boundary and retries -------------------------------------------------------------


@pytest.mark.parametrize(
    ("late", "runs"), [(GRACE, True), (GRACE + dt.timedelta(seconds=1), False)]
)
async def test_catch_up_exactly_at_the_grace_boundary(
    store: Store, made, late: dt.timedelta, runs: bool
) -> None:
    clock = FakeClock(MONDAY_0900.astimezone(UTC) + late)
    sub1 = add_sub(store, clock)
    adapter = RecordingAdapter()
    scheduler = make_scheduler(made, store, clock, adapter)
    scheduler.start(paused=True)
    scheduler.set_leader(True)
    first = scheduler.scheduler.get_job(sub1.job_id).next_run_time
    assert first == (MONDAY_0900 if runs else MONDAY_0900 + dt.timedelta(days=1))
    result = await scheduler.run_job(sub1.id, MONDAY_0900)
    assert result.status is (RunStatus.POSTED if runs else RunStatus.TOO_OLD)
    assert len(adapter.sent) == (11 if runs else 0)


class FlakyService(FakeService):
    """Fails its first ``failures`` builds."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def build(self, date, categories, top, filters=None, **_options):
        self.fail = len(self.calls) < self.failures
        return await super().build(date, categories, top, filters)


def fire_retry(scheduler) -> tuple[dt.datetime, tuple] | None:
    """What APScheduler does with the pending retry: take it off the store, return its time."""
    job = scheduler.scheduler.get_job("retry:1")
    if job is None:
        return None
    scheduler.scheduler.remove_job("retry:1")
    return job.next_run_time, job.args


@pytest.mark.parametrize("failures", [3, 99])
async def test_retries_stop_at_the_grace_and_post_once(
    store: Store, clock: FakeClock, made, failures: int
) -> None:
    sub1 = add_sub(store, clock)
    adapter = RecordingAdapter()
    service = FlakyService(failures)
    scheduler = make_scheduler(made, store, clock, adapter, service=service)
    scheduler.start(paused=True)
    await scheduler.run_job(sub1.id)  # 09:00:30, fails
    retried_at = []
    while (retry := fire_retry(scheduler)) is not None:
        when, args = retry
        clock.set(when)
        retried_at.append(when)
        await scheduler.run_job(args[0], dt.datetime.fromisoformat(args[1]))
    assert all(when - MONDAY_0900 <= GRACE for when in retried_at)
    first = MONDAY_0900 + dt.timedelta(seconds=30)  # the failed run
    # A build that fails (arXiv down) is retried after 15 s, 1 min, 5 min, then every 10 min.
    gaps = [dt.timedelta(seconds=15), dt.timedelta(minutes=1), dt.timedelta(minutes=5)]
    gaps += [RETRY_DELAY] * 10
    expected = [first + sum(gaps[:n], dt.timedelta(0)) for n in range(1, len(gaps) + 1)]
    if failures == 3:
        assert retried_at == expected[:3]
        assert adapter.sent == [("header", "general", None, dt.date(2021, 4, 12)),
                                *thread("general", "thread-m1", range(1, 11))]  # fmt: skip
        assert scheduler.last_status is RunStatus.POSTED
    else:
        # 09:00:45, 09:01:45, 09:06:45, then 09:16:45 ... 09:56:45; 10:06:45 is past the hour
        assert retried_at == expected[:8]
        assert adapter.sent == []


# -- one bad row ----------------------------------------------------------------------------------


async def test_a_zone_this_tzdata_lacks_does_not_unschedule_the_others(
    store: Store, clock: FakeClock, made
) -> None:
    """A row written elsewhere (another instance's newer tzdata, a hand edit) naming a zone this
    process does not know is skipped and logged; every other channel keeps its job."""
    from sqlalchemy import update

    from bot.tables import SubscriptionRow

    bad = add_sub(store, clock, "a")
    good = add_sub(store, clock, "b")
    with store.session() as s:
        s.execute(
            update(SubscriptionRow).where(SubscriptionRow.id == bad.id).values(tz="Mars/Olympus")
        )
    scheduler = make_scheduler(made, store, clock)
    scheduler.start(paused=True)
    scheduler.set_leader(True)
    scheduler.reconcile()
    assert [job.id for job in scheduler.scheduler.get_jobs()] == [good.job_id]
