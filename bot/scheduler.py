"""The daily scheduler: one APScheduler cron job per subscription, in the subscriber's time zone.

Which listing a run delivers (the rule, precisely): a run scheduled at instant ``T`` delivers
``L = calendar.latest_listing(T)``, the newest listing announced by ``T``, but only when ``L`` was
announced after the subscription's previous scheduled run, so every listing goes out exactly once,
at the first run after its announcement (20:00 US Eastern, Sunday to Thursday). A run with
nothing new posts nothing, or, when the channel asked for it and the listing it would have carried
falls on an arXiv holiday, one line saying so. The ledger then makes each post happen once per
channel.

The weekdays a job fires on are named (``mon-fri``, never crontab digits, which APScheduler 3
numbers from Monday) and follow from the local time: 09:00 in Berlin is ``mon-fri``, 21:00 in
New York ``sun,mon,tue,wed,thu`` (Sunday evening's announcement is Monday's listing), 08:00 in
Tokyo ``tue-sat``. Where US and local DST rules disagree for some weeks, the union is used (09:00
in Tokyo: ``mon-sat``); the "announced since the previous run" rule keeps the extra day silent.
A job fires once on each of its days even where a DST change falls on one (``LocalTimeTrigger``).

A weekly subscription (``week_day`` set) fires once a week, on that local weekday at its time,
and delivers the roundup of the arXiv week of ``L = calendar.latest_listing(T)``: the listing days
from that week's Monday up to ``L`` (``bot.weekly``). Friday 16:00 in Berlin is after Friday's
listing (announced Thursday 20:00 ET), so it carries Monday to Friday; a run on Monday morning
carries Monday's listing alone. A second run for the same week (a reschedule) finds the ledger
done and posts nothing.

Missed runs: jobs are rebuilt from the store when this instance becomes the leader, and a run
missed less than ``GRACE`` ago (a restart, a short outage) runs once at start; an older one is
dropped (APScheduler's ``misfire_grace_time``, and the job's own check of its scheduled time), so
yesterday's digest is never posted as today's. Everything here is pure (no clock, no I/O).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot import calendar

if TYPE_CHECKING:
    from bot.subscriptions import Subscription

#: A run missed by less than this (restart, outage) still happens, once; an older one is dropped.
GRACE = dt.timedelta(hours=1)
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEK = dt.timedelta(days=7)


def fire_days(time: dt.time, tz: str, year: int) -> str:
    """The local weekdays (APScheduler names) whose run at ``time`` is the first after an arXiv
    announcement, for any week of ``year``; e.g. ``mon-fri`` or ``sun,mon,tue,wed,thu``."""
    return _day_names(list(_fire_weekdays(time, tz, year)))


@lru_cache(maxsize=4096)
def _fire_weekdays(time: dt.time, tz: str, year: int) -> tuple[int, ...]:
    zone = ZoneInfo(tz)
    day = dt.date(year, 1, 1)
    day += dt.timedelta(days=(6 - day.weekday()) % 7)  # the first Sunday
    found: set[int] = set()
    while day.year == year:
        for offset in range(5):
            announced = dt.datetime.combine(
                day + dt.timedelta(days=offset), calendar.ANNOUNCEMENT_TIME_ET, tzinfo=calendar.ET
            )
            found.add(_first_local_run(announced, time, zone).weekday())
        day += _WEEK
    return tuple(sorted(found))


def _first_local_run(instant: dt.datetime, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    local = instant.astimezone(zone)
    candidate = dt.datetime.combine(local.date(), time, tzinfo=zone)
    if candidate < instant:
        candidate = dt.datetime.combine(local.date() + dt.timedelta(days=1), time, tzinfo=zone)
    return candidate


def _day_names(days: list[int]) -> str:
    """``[0, 1, 2, 3, 4]`` -> ``mon-fri``; other sets -> a list from Sunday, ``sun,mon,...``."""
    if len(days) > 1 and days == list(range(days[0], days[-1] + 1)):
        return f"{DAY_NAMES[days[0]]}-{DAY_NAMES[days[-1]]}"
    return ",".join(DAY_NAMES[d] for d in sorted(days, key=lambda d: (d + 1) % 7))


class LocalTimeTrigger(CronTrigger):
    """APScheduler's ``CronTrigger`` for one wall-clock time on named weekdays, firing exactly once
    on each of those local days whatever the clocks do that day.

    ``CronTrigger`` itself loses or doubles a run where a DST change falls on a run day (Cairo:
    00:00 -> 01:00 on the last Friday of April, 24:00 -> 23:00 on the last Thursday of October):
    it skips the day whose time the spring-forward gap swallows, and fires twice at a time the
    fall-back repeats. Here a swallowed time fires at the instant it names on the old offset (00:30
    in Cairo's gap is 22:30 UTC, 01:30 summer time) and a repeated one at its first occurrence.
    """

    def __init__(self, weekdays: Collection[int], time: dt.time, tz: str) -> None:
        super().__init__(day_of_week=_day_names(sorted(weekdays)), hour=time.hour,
                         minute=time.minute, timezone=ZoneInfo(tz))  # fmt: skip
        self.weekdays = frozenset(weekdays)
        self.time = time

    def get_next_fire_time(
        self, previous_fire_time: dt.datetime | None, now: dt.datetime
    ) -> dt.datetime | None:
        """APScheduler's contract: the first time after ``previous_fire_time`` when given (it may
        be before ``now``: a missed run), else the first at or after ``now``."""
        start = now.astimezone(dt.UTC)
        if previous_fire_time is not None:
            start = min(start, previous_fire_time.astimezone(dt.UTC) + dt.timedelta(microseconds=1))
        day = start.astimezone(self.timezone).date() - dt.timedelta(days=1)
        for _ in range(9):
            if day.weekday() in self.weekdays:
                wall = dt.datetime.combine(day, self.time, tzinfo=self.timezone)  # fold=0: first
                fire = wall.astimezone(dt.UTC)
                if fire >= start:
                    return fire.astimezone(self.timezone)
            day += dt.timedelta(days=1)
        return None

    def __getstate__(self) -> dict[str, Any]:
        return {**super().__getstate__(), "weekdays": sorted(self.weekdays), "time": self.time}

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self.weekdays = frozenset(state["weekdays"])
        self.time = state["time"]


def trigger_for(sub: Subscription, year: int) -> LocalTimeTrigger:
    """The subscription's trigger, in its own time zone, on the weekdays of ``fire_days`` (a
    weekly one: on its ``week_day``)."""
    if sub.week_day is not None:
        return _weekly_trigger(sub.week_day, sub.time, sub.tz)
    return _trigger(sub.time, sub.tz, year)


@lru_cache(maxsize=4096)
def _weekly_trigger(week_day: int, time: dt.time, tz: str) -> LocalTimeTrigger:
    return LocalTimeTrigger((week_day,), time, tz)


@lru_cache(maxsize=4096)
def _trigger(time: dt.time, tz: str, year: int) -> LocalTimeTrigger:
    return LocalTimeTrigger(_fire_weekdays(time, tz, year), time, tz)


def next_runs(sub: Subscription, after: dt.datetime, n: int) -> list[dt.datetime]:
    """The next ``n`` scheduled runs strictly after ``after`` (aware, in the sub's zone)."""
    runs: list[dt.datetime] = []
    cursor = after
    while len(runs) < n:
        trigger = trigger_for(sub, cursor.astimezone(ZoneInfo(sub.tz)).year)
        found = trigger.get_next_fire_time(None, cursor + dt.timedelta(microseconds=1))
        if found is None:  # pragma: no cover - a cron trigger without end always has one
            break
        runs.append(found)
        cursor = found.astimezone(dt.UTC)  # wall-clock arithmetic would be wrong in a DST change
    return runs


def previous_run(sub: Subscription, before: dt.datetime) -> dt.datetime | None:
    """The last scheduled run strictly before ``before`` (within the week before it)."""
    before = before.astimezone(dt.UTC)  # one zone compares wall clocks, blind to a DST fold
    runs = next_runs(sub, before - dt.timedelta(days=8), 8)
    earlier = [run for run in runs if run.astimezone(dt.UTC) < before]
    return earlier[-1] if earlier else None


def last_run_at_or_before(sub: Subscription, now: dt.datetime) -> dt.datetime | None:
    """The run a job started at ``now`` stands for (APScheduler coalesces to the latest one)."""
    return previous_run(sub, now + dt.timedelta(microseconds=1))


@dataclass(frozen=True)
class RunPlan:
    """What a run at ``scheduled`` does: deliver ``listing``, or post ``notice`` (about the
    ``holiday`` whose listing this run would have carried), or nothing."""

    scheduled: dt.datetime
    listing: dt.date | None = None
    notice: str | None = None
    holiday: dt.date | None = None


def plan_run(sub: Subscription, scheduled: dt.datetime, holidays: Collection[dt.date]) -> RunPlan:
    """Apply the module's rule to the run at ``scheduled`` (pure).

    The holiday notice goes with the run that would have carried the missing listing, which is
    not always on the listing's date: Sunday evening in New York, Tuesday morning in Tokyo."""
    latest = calendar.latest_listing(scheduled, holidays)
    if sub.week_day is not None:  # every weekly run carries the week of the latest listing
        return RunPlan(scheduled, listing=latest)
    before = previous_run(sub, scheduled)
    if before is None or calendar.announcement_time(latest) > before:
        return RunPlan(scheduled, listing=latest)
    holiday = _holiday_announced_between(before, scheduled, holidays)
    if holiday is None:
        return RunPlan(scheduled)
    local_date = scheduled.astimezone(ZoneInfo(sub.tz)).date()
    return RunPlan(scheduled, notice=no_listing_notice(holiday, local_date, holidays),
                   holiday=holiday)  # fmt: skip


def _holiday_announced_between(
    before: dt.datetime, until: dt.datetime, holidays: Collection[dt.date]
) -> dt.date | None:
    """The weekday holiday whose listing would have been announced in ``(before, until]``."""
    day = calendar.today_et(before)
    while (announced := calendar.announcement_time(day)) <= until:
        if announced > before and day.weekday() < 5 and day in holidays:
            return day
        day += dt.timedelta(days=1)
    return None


def no_listing_notice(holiday: dt.date, local_date: dt.date, holidays: Collection[dt.date]) -> str:
    """``No arXiv listing today (holiday); ...``, naming the date when it is not the reader's."""
    following = holiday + dt.timedelta(days=1)
    while not calendar.is_listing_day(following, holidays):
        following += dt.timedelta(days=1)
    when = "today" if holiday == local_date else f"on {calendar.describe(holiday)}"
    return f"No arXiv listing {when} (holiday); the next is {calendar.describe(following)}."


def next_deliveries(
    sub: Subscription, after: dt.datetime, n: int, holidays: Collection[dt.date]
) -> list[tuple[dt.datetime, dt.date]]:
    """The next ``n`` runs after ``after`` that deliver a listing, with that listing's date."""
    found: list[tuple[dt.datetime, dt.date]] = []
    cursor = after
    for _ in range(n * 3 + 14):  # holidays only skip a few runs; never loop forever
        run = next_runs(sub, cursor, 1)[0]
        plan = plan_run(sub, run, holidays)
        if plan.listing is not None:
            found.append((run, plan.listing))
            if len(found) == n:
                break
        cursor = run
    return found
