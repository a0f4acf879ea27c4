"""The schedule: run times across DST and zones, which listing a run delivers, and running it."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest

from bot import calendar
from bot.clock import FakeClock
from bot.digest import Filters
from bot.jobs import DigestScheduler
from bot.leader import AlwaysLeader
from bot.ledger import Ledger
from bot.models import Digest, Entry
from bot.run_outcome import RunOutcome, RunStatus
from bot.scheduler import (
    fire_days,
    last_run_at_or_before,
    next_deliveries,
    next_runs,
    plan_run,
    previous_run,
    trigger_for,
)
from bot.store import Store
from bot.subscriptions import Subscription, SubscriptionStore
from tests.factories import make_digest

UTC = dt.UTC


def sub(time: str = "09:00", tz: str = "Europe/Berlin", **kw: object) -> Subscription:
    hour, minute = (int(part) for part in time.split(":"))
    data: dict[str, object] = dict(
        id=1, platform="console", workspace="default", channel="general",
        categories=("cs.CL",), top=10, time=dt.time(hour, minute), tz=tz,
    )  # fmt: skip
    data.update(kw)
    return Subscription(**data)  # type: ignore[arg-type]


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("time", "tz", "days"),
    [
        ("09:00", "Europe/Berlin", "mon-fri"),
        ("09:00", "UTC", "mon-fri"),
        ("21:00", "America/New_York", "sun,mon,tue,wed,thu"),
        ("18:00", "America/Los_Angeles", "sun,mon,tue,wed,thu"),
        ("08:00", "Asia/Tokyo", "tue-sat"),
        ("10:00", "Asia/Tokyo", "mon-fri"),
        ("09:00", "Asia/Tokyo", "mon-sat"),  # 20:00 ET in summer, 19:00 ET in winter
    ],
)
def test_fire_days_are_named_and_follow_the_announcements(time: str, tz: str, days: str) -> None:
    assert fire_days(sub(time, tz).time, tz, 2027) == days


def test_trigger_is_a_named_weekday_cron_in_the_subscribers_zone() -> None:
    trigger = trigger_for(sub("09:30", "Europe/Berlin"), 2027)
    assert str(trigger) == "cron[day_of_week='mon-fri', hour='9', minute='30']"
    assert trigger.timezone == ZoneInfo("Europe/Berlin")


def test_berlin_spring_forward_keeps_nine_local_and_skips_the_weekend() -> None:
    # EU clocks go forward on Sunday 2027-03-28: 09:00 is 08:00 UTC before, 07:00 UTC after.
    runs = next_runs(sub("09:00", "Europe/Berlin"), utc(2027, 3, 25, 12, 0), 3)
    assert [r.astimezone(UTC) for r in runs] == [
        utc(2027, 3, 26, 8, 0), utc(2027, 3, 29, 7, 0), utc(2027, 3, 30, 7, 0),
    ]  # fmt: skip
    assert [f"{r:%a %H:%M}" for r in runs] == ["Fri 09:00", "Mon 09:00", "Tue 09:00"]


def test_berlin_fall_back() -> None:
    # EU clocks go back on Sunday 2027-10-31.
    runs = next_runs(sub("09:00", "Europe/Berlin"), utc(2027, 10, 28, 12, 0), 2)
    assert [r.astimezone(UTC) for r in runs] == [utc(2027, 10, 29, 7, 0), utc(2027, 11, 1, 8, 0)]


def test_new_york_evening_runs_on_sunday_across_spring_forward() -> None:
    # US clocks go forward on Sunday 2027-03-14; a 21:00 run is 02:00 UTC, then 01:00 UTC.
    runs = next_runs(sub("21:00", "America/New_York"), utc(2027, 3, 11, 12, 0), 3)
    assert [r.astimezone(UTC) for r in runs] == [
        utc(2027, 3, 12, 2, 0), utc(2027, 3, 15, 1, 0), utc(2027, 3, 16, 1, 0),
    ]  # fmt: skip
    assert [f"{r:%a}" for r in runs] == ["Thu", "Sun", "Mon"]


def test_new_york_fall_back() -> None:
    # US clocks go back on Sunday 2027-11-07: 08:30 EDT is 12:30 UTC, 08:30 EST 13:30 UTC.
    runs = next_runs(sub("08:30", "America/New_York"), utc(2027, 11, 4, 18, 0), 2)
    assert [r.astimezone(UTC) for r in runs] == [utc(2027, 11, 5, 12, 30), utc(2027, 11, 8, 13, 30)]


def test_next_runs_are_strictly_after() -> None:
    at_nine = dt.datetime(2021, 4, 13, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert next_runs(sub(), at_nine, 1)[0].date() == dt.date(2021, 4, 14)
    assert previous_run(sub(), at_nine).date() == dt.date(2021, 4, 12)
    assert last_run_at_or_before(sub(), at_nine) == at_nine


def test_each_run_delivers_its_own_listing() -> None:
    # Monday 09:00 Berlin is 03:00 ET: Monday's listing, announced Sunday 20:00 ET.
    plans = [plan_run(sub(), r, ()) for r in next_runs(sub(), utc(2021, 4, 9, 12, 0), 5)]
    assert [p.listing for p in plans] == [dt.date(2021, 4, d) for d in (12, 13, 14, 15, 16)]


def test_sunday_evening_in_new_york_delivers_mondays_listing() -> None:
    found = next_deliveries(sub("21:00", "America/New_York"), utc(2021, 4, 9, 12, 0), 5, ())
    assert [(f"{run:%a %H:%M}", listing) for run, listing in found] == [
        ("Sun 21:00", dt.date(2021, 4, 12)), ("Mon 21:00", dt.date(2021, 4, 13)),
        ("Tue 21:00", dt.date(2021, 4, 14)), ("Wed 21:00", dt.date(2021, 4, 15)),
        ("Thu 21:00", dt.date(2021, 4, 16)),
    ]  # fmt: skip


def test_holiday_run_posts_nothing_or_one_notice() -> None:
    holidays = (dt.date(2021, 4, 5),)
    monday = dt.datetime(2021, 4, 5, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    plan = plan_run(sub(), monday, holidays)
    assert plan.listing is None
    assert plan.notice == ("No arXiv listing today (holiday); the next is Tuesday 2021-04-06.")
    found = next_deliveries(sub(), utc(2021, 4, 2, 12, 0), 2, holidays)
    assert [(f"{run:%a}", listing) for run, listing in found] == [
        ("Tue", dt.date(2021, 4, 6)), ("Wed", dt.date(2021, 4, 7)),
    ]  # fmt: skip


def test_extra_union_day_is_silent() -> None:
    # Tokyo 09:00 in January is 19:00 ET the day before: Monday's run has nothing new.
    monday = dt.datetime(2021, 1, 11, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    plan = plan_run(sub("09:00", "Asia/Tokyo"), monday, ())
    assert (plan.listing, plan.notice) == (None, None)


@pytest.mark.parametrize(
    ("time", "tz"),
    [("09:00", "Asia/Tokyo"), ("00:30", "Europe/London"), ("20:00", "America/New_York"),
     ("15:00", "Pacific/Honolulu"), ("07:00", "Australia/Sydney"), ("23:59", "Europe/Berlin")],
)  # fmt: skip
@pytest.mark.parametrize("start", [utc(2021, 1, 4), utc(2021, 3, 8), utc(2021, 10, 25)])
def test_every_listing_is_delivered_exactly_once(time: str, tz: str, start: dt.datetime) -> None:
    """Around DST changes on both sides and in winter, every zone gets each listing once."""
    holidays = (dt.date(2021, 1, 18), dt.date(2021, 3, 15), dt.date(2021, 11, 1))
    found = next_deliveries(sub(time, tz), start, 12, holidays)
    listings = [listing for _, listing in found]
    assert listings[0] == calendar.latest_listing(found[0][0], holidays)
    expected = [listings[0]]
    while len(expected) < 12:
        day = expected[-1] + dt.timedelta(days=1)
        while not calendar.is_listing_day(day, holidays):
            day += dt.timedelta(days=1)
        expected.append(day)
    assert listings == expected
    for run, listing in found:  # never before the listing is announced
        assert calendar.announcement_time(listing) <= run


# -- running the jobs (bot.jobs) with an injected clock, a recording adapter, no network --------

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_0900 = dt.datetime(2021, 4, 12, 9, 0, tzinfo=BERLIN)


class Killed(BaseException):
    """The process dying mid-thread (not an error the job could catch)."""


class RecordingAdapter:
    name = "console"
    max_message_chars = 10_000
    post_concurrency = 1

    def __init__(self, die_after_replies: int | None = None) -> None:
        self.sent: list[tuple[str, str, str | None, object]] = []
        self.die_after_replies = die_after_replies
        self._ids = 0

    def _id(self) -> str:
        self._ids += 1
        return f"m{self._ids}"

    async def post_header(self, channel: str, digest: Digest) -> tuple[str, str]:
        self.sent.append(("header", channel, None, digest.date))
        message_id = self._id()
        return message_id, f"thread-{message_id}"

    async def post_entry(self, channel: str, thread_id: str, digest: Digest, entry: Entry) -> str:
        replies = sum(1 for kind, *_ in self.sent if kind == "reply")
        if self.die_after_replies is not None and replies >= self.die_after_replies:
            raise Killed
        self.sent.append(("reply", channel, thread_id, entry.rank))
        return self._id()

    async def post_text(self, channel: str, text: str) -> str:
        self.sent.append(("text", channel, None, text))
        return self._id()


class Adapters:
    def __init__(self, adapter: RecordingAdapter) -> None:
        self.current = adapter

    async def adapter(self, platform: str, workspace: str) -> RecordingAdapter:
        return self.current


class FakeService:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[dt.date, tuple[str, ...], int, Filters | None]] = []
        self.options: list[dict[str, object]] = []
        self.fail = fail

    async def build(self, date, categories, top, filters=None, **options) -> Digest:
        self.calls.append((date, tuple(categories), top, filters))
        self.options.append(options)
        await asyncio.sleep(0)
        if self.fail:
            raise RuntimeError("arXiv is down")
        return make_digest(n=top, date=date, categories=tuple(categories))


class Follower:
    async def check(self, *, force: bool = False) -> bool:
        return False


def thread(channel: str, thread_id: str, ranks: range) -> list[tuple[str, str, str, int]]:
    return [("reply", channel, thread_id, rank) for rank in ranks]


HEADER = ("header", "general", None, dt.date(2021, 4, 12))


@pytest.fixture(name="clock")
def clock_fixture() -> FakeClock:
    return FakeClock(MONDAY_0900.astimezone(UTC) + dt.timedelta(seconds=30))


@pytest.fixture(name="made")
async def made_fixture(store: Store, clock: FakeClock) -> AsyncIterator[list[DigestScheduler]]:
    schedulers: list[DigestScheduler] = []
    yield schedulers
    for scheduler in schedulers:
        scheduler.shutdown()


def make_scheduler(
    made,
    store,
    clock,
    adapter=None,
    *,
    owner="host-a",
    leader=None,
    service=None,
    holidays=(),
) -> DigestScheduler:
    scheduler = DigestScheduler(
        subscriptions=SubscriptionStore(store, clock), service=service or FakeService(),
        adapters=Adapters(adapter or RecordingAdapter()), ledger=Ledger(store, owner, clock),
        leader=leader or AlwaysLeader(), clock=clock, holidays=holidays,
    )  # fmt: skip
    made.append(scheduler)
    return scheduler


def add_sub(store: Store, clock: FakeClock, channel: str = "general", **kw: object):
    values: dict[str, object] = dict(categories=("cs.CL",), time=dt.time(9, 0),
                                     tz="Europe/Berlin", top=10)  # fmt: skip
    values.update(kw)
    return SubscriptionStore(store, clock).upsert("console", "default", channel, **values)[0]  # type: ignore[arg-type]


async def test_scheduled_run_posts_once(store, clock, made) -> None:
    sub1 = add_sub(store, clock)
    adapter = RecordingAdapter()
    scheduler = make_scheduler(made, store, clock, adapter)
    first = await scheduler.run_job(sub1.id)
    assert first == RunOutcome(
        RunStatus.POSTED, "posted Hot Papers 2021-04-12 to general: header and 10 replies"
    )
    assert adapter.sent == [HEADER, *thread("general", "thread-m1", range(1, 11))]
    second = await scheduler.run_job(sub1.id)
    assert second.status is RunStatus.ALREADY
    assert len(adapter.sent) == 11
    assert scheduler.status()["last_error"] is None


async def test_catch_up_after_a_short_outage_runs_once(store, clock, made) -> None:
    sub1 = add_sub(store, clock)
    clock.set(MONDAY_0900.astimezone(UTC) + dt.timedelta(minutes=40))  # back up at 09:40
    adapter = RecordingAdapter()
    scheduler = make_scheduler(made, store, clock, adapter)
    scheduler.start(paused=True)
    scheduler.set_leader(True)
    assert scheduler.scheduler.get_job("sub:1").next_run_time == MONDAY_0900
    await scheduler.run_job(sub1.id)
    await scheduler.run_job(sub1.id)
    assert adapter.sent == [HEADER, *thread("general", "thread-m1", range(1, 11))]


async def test_a_run_missed_past_the_grace_is_dropped(store, clock, made) -> None:
    sub1 = add_sub(store, clock)
    clock.set(MONDAY_0900.astimezone(UTC) + dt.timedelta(minutes=90))  # back up at 10:30
    adapter = RecordingAdapter()
    scheduler = make_scheduler(made, store, clock, adapter)
    scheduler.start(paused=True)
    scheduler.set_leader(True)
    assert scheduler.scheduler.get_job("sub:1").next_run_time == MONDAY_0900 + dt.timedelta(days=1)
    result = await scheduler.run_job(sub1.id, MONDAY_0900)
    assert result.status is RunStatus.TOO_OLD
    assert adapter.sent == []


async def test_yesterdays_digest_is_not_posted_today(store, clock, made) -> None:
    sub1 = add_sub(store, clock)
    clock.set(MONDAY_0900.astimezone(UTC) + dt.timedelta(days=1, minutes=5))  # Tuesday 09:05
    adapter = RecordingAdapter()
    scheduler = make_scheduler(made, store, clock, adapter)
    assert (await scheduler.run_job(sub1.id, MONDAY_0900)).status is RunStatus.TOO_OLD
    assert adapter.sent == []
    await scheduler.run_job(sub1.id)  # Tuesday's own run: Tuesday's listing
    assert adapter.sent[0] == ("header", "general", None, dt.date(2021, 4, 13))


@pytest.mark.parametrize("notify", [False, True])
async def test_holiday_posts_nothing_or_one_line(store, clock, made, notify: bool) -> None:
    sub1 = add_sub(store, clock, notify_no_listing=notify)
    adapter = RecordingAdapter()
    service = FakeService()
    scheduler = make_scheduler(made, store, clock, adapter, service=service,
                               holidays=(dt.date(2021, 4, 12),))  # fmt: skip
    await scheduler.run_job(sub1.id)
    await scheduler.run_job(sub1.id)
    notice = "No arXiv listing today (holiday); the next is Tuesday 2021-04-13."
    assert adapter.sent == ([("text", "general", None, notice)] if notify else [])
    assert service.calls == []


async def test_one_build_fans_out_to_every_channel(store, clock, made) -> None:
    subs = [add_sub(store, clock, channel) for channel in ("a", "b", "c")]
    other = add_sub(store, clock, "d", top=3)
    adapter = RecordingAdapter()
    service = FakeService()
    scheduler = make_scheduler(made, store, clock, adapter, service=service)
    await asyncio.gather(*(scheduler.run_job(s.id) for s in [*subs, other]))
    monday = dt.date(2021, 4, 12)
    assert service.calls == [(monday, ("cs.CL",), 10, None), (monday, ("cs.CL",), 3, None)]
    for channel, count in (("a", 11), ("b", 11), ("c", 11), ("d", 4)):
        assert len([s for s in adapter.sent if s[1] == channel]) == count


async def test_a_run_killed_after_3_of_10_replies_resumes_the_thread(store, clock, made) -> None:
    sub1 = add_sub(store, clock)
    dying = RecordingAdapter(die_after_replies=3)
    with pytest.raises(Killed):
        await make_scheduler(made, store, clock, dying).run_job(sub1.id)
    assert dying.sent == [HEADER, *thread("general", "thread-m1", range(1, 4))]
    clock.advance(20)  # the process restarts (same host) and its catch-up run fires
    fresh = RecordingAdapter()
    result = await make_scheduler(made, store, clock, fresh).run_job(sub1.id)
    assert result == RunOutcome(
        RunStatus.RESUMED, "resumed Hot Papers 2021-04-12 to general: header and 10 replies"
    )
    assert fresh.sent == thread("general", "thread-m1", range(4, 11))


async def test_another_instance_resumes_once_the_claim_is_stale(store, clock, made) -> None:
    sub1 = add_sub(store, clock)
    with pytest.raises(Killed):
        await make_scheduler(made, store, clock, RecordingAdapter(3), owner="a").run_job(sub1.id)
    other = RecordingAdapter()
    b = make_scheduler(made, store, clock, other, owner="b")
    b.start(paused=True)
    result = await b.run_job(sub1.id)
    assert result == RunOutcome(
        RunStatus.HELD_ELSEWHERE,
        "console:default:general: another instance holds the delivery of 2021-04-12",
    )
    retry = b.scheduler.get_job("retry:1")
    assert retry.args == (sub1.id, MONDAY_0900.isoformat())
    # The retry is set for the moment a's lease (45 s since its last record) goes stale, + 2 s.
    # (a's records, all at this fake instant, each moved its token on by a microsecond)
    wait = retry.next_run_time - clock.now()
    assert dt.timedelta(seconds=47) <= wait < dt.timedelta(seconds=47, milliseconds=1)
    clock.set(retry.next_run_time)
    await b.run_job(sub1.id, MONDAY_0900)
    assert other.sent == thread("general", "thread-m1", range(4, 11))


async def test_a_follower_posts_nothing(store, clock, made) -> None:
    sub1 = add_sub(store, clock)
    adapter = RecordingAdapter()
    scheduler = make_scheduler(made, store, clock, adapter, leader=Follower())
    assert await scheduler.run_job(sub1.id) == RunOutcome(
        RunStatus.NOT_LEADER, "console:default:general: not the leader, nothing posted"
    )
    assert adapter.sent == []


async def test_a_failed_build_is_retried_within_the_grace(store, clock, made) -> None:
    sub1 = add_sub(store, clock)
    scheduler = make_scheduler(made, store, clock, service=FakeService(fail=True))
    scheduler.start(paused=True)
    await scheduler.run_job(sub1.id)
    assert scheduler.status()["last_error"] == (
        "subscription 1: console:default:general: could not build the digest: arXiv is down"
    )
    assert scheduler.scheduler.get_job("retry:1").next_run_time == (
        clock.now() + dt.timedelta(seconds=15)  # sooner first, then sparing arXiv
    )


async def test_jobs_follow_the_subscriptions(store, clock, made) -> None:
    berlin = add_sub(store, clock, "a")
    new_york = add_sub(store, clock, "b", time=dt.time(21, 0), tz="America/New_York")
    scheduler = make_scheduler(made, store, clock)
    scheduler.start(paused=True)
    scheduler.set_leader(True)
    jobs = {job.id: job for job in scheduler.scheduler.get_jobs()}
    assert sorted(jobs) == [berlin.job_id, new_york.job_id] == ["sub:1", "sub:2"]
    assert str(jobs["sub:1"].trigger) == "cron[day_of_week='mon-fri', hour='9', minute='0']"
    assert str(jobs["sub:2"].trigger) == (
        "cron[day_of_week='sun,mon,tue,wed,thu', hour='21', minute='0']"
    )
    assert jobs["sub:1"].trigger.timezone == BERLIN
    assert jobs["sub:1"].next_run_time == MONDAY_0900  # 30 s ago: caught up at start
    assert jobs["sub:2"].next_run_time == dt.datetime(
        2021, 4, 12, 21, 0, tzinfo=ZoneInfo("America/New_York"))  # fmt: skip
    assert (jobs["sub:1"].coalesce, jobs["sub:1"].max_instances) == (True, 1)
    assert jobs["sub:1"].misfire_grace_time == 3600
    assert scheduler.status() == {
        "running": True, "leader": True, "jobs": 2, "next_run": "2021-04-12T07:00:00+00:00",
        "last_run": None, "last_status": None, "last_result": None, "last_error": None,
    }  # fmt: skip
    subs = SubscriptionStore(store, clock)
    scheduler.sync(subs.upsert("console", "default", "a", categories=("cs.LG",),
                               time=dt.time(7, 30), tz="UTC", top=5)[0])  # fmt: skip
    assert str(scheduler.scheduler.get_job("sub:1").trigger) == (
        "cron[day_of_week='mon-fri', hour='7', minute='30']"
    )
    subs.deactivate("console", "default", "b")  # by another instance or the CLI
    add_sub(store, clock, "c")
    scheduler.reconcile()
    assert sorted(job.id for job in scheduler.scheduler.get_jobs()) == ["sub:1", "sub:3"]
    scheduler.set_leader(False)
    assert scheduler.scheduler.get_jobs() == []


async def test_a_channel_s_catching_fire_setting_reaches_its_build(store, clock, made) -> None:
    own = add_sub(store, clock, "own", catching_fire_days=0)
    default = add_sub(store, clock, "default")
    service = FakeService()
    scheduler = make_scheduler(made, store, clock, service=service)
    await scheduler.run_job(own.id)
    await scheduler.run_job(default.id)
    # None: the deployment's HOTPAPERS_CATCHING_FIRE_DAYS; two settings, two builds.
    assert service.options == [{"catching_fire_days": 0, "voice": None},
                               {"catching_fire_days": None, "voice": None}]  # fmt: skip
