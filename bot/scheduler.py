"""The daily scheduler: one APScheduler cron job per subscription, in the subscriber's time zone.

Which listing a run delivers (the rule, precisely): a run scheduled at instant ``T`` delivers
``L = calendar.latest_listing(T)``, the newest listing announced by ``T``, but only when ``L`` was
announced after the subscription's previous scheduled run, so every listing goes out exactly once,
at the first run after its announcement (20:00 US Eastern, Sunday to Thursday). A run with
nothing new posts nothing, or, when the channel asked for it and its local date is an arXiv
holiday, one line saying so. The ledger then makes each post happen once per channel.

The weekdays a job fires on are named (``mon-fri``, never crontab digits, which APScheduler 3
numbers from Monday) and follow from the local time: 09:00 in Berlin is ``mon-fri``, 21:00 in
New York ``sun,mon,tue,wed,thu`` (Sunday evening's announcement is Monday's listing), 08:00 in
Tokyo ``tue-sat``. Where US and local DST rules disagree for some weeks, the union is used (09:00
in Tokyo: ``mon-sat``); the "announced since the previous run" rule keeps the extra day silent.

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
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot import calendar

if TYPE_CHECKING:
    from bot.subscriptions import Subscription

#: A run missed by less than this (restart, outage) still happens, once; an older one is dropped.
GRACE = dt.timedelta(hours=1)
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ANNOUNCEMENT_WEEKDAYS = (6, 0, 1, 2, 3)  # Sunday to Thursday evenings, US Eastern
_WEEK = dt.timedelta(days=7)


@lru_cache(maxsize=4096)
def fire_days(time: dt.time, tz: str, year: int) -> str:
    """The local weekdays (APScheduler names) whose run at ``time`` is the first after an arXiv
    announcement, for any week of ``year``; e.g. ``mon-fri`` or ``sun,mon,tue,wed,thu``."""
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
    return _day_names(sorted(found))


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


def trigger_for(sub: Subscription, year: int) -> CronTrigger:
    """The subscription's cron trigger, in its own time zone (DST handled by APScheduler)."""
    return _trigger(sub.time, sub.tz, year)


@lru_cache(maxsize=4096)
def _trigger(time: dt.time, tz: str, year: int) -> CronTrigger:
    return CronTrigger(
        day_of_week=fire_days(time, tz, year), hour=time.hour, minute=time.minute,
        timezone=ZoneInfo(tz),
    )  # fmt: skip


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
        cursor = found
    return runs


def previous_run(sub: Subscription, before: dt.datetime) -> dt.datetime | None:
    """The last scheduled run strictly before ``before`` (within the week before it)."""
    runs = next_runs(sub, before - dt.timedelta(days=8), 8)
    earlier = [run for run in runs if run < before]
    return earlier[-1] if earlier else None


def last_run_at_or_before(sub: Subscription, now: dt.datetime) -> dt.datetime | None:
    """The run a job started at ``now`` stands for (APScheduler coalesces to the latest one)."""
    return previous_run(sub, now + dt.timedelta(microseconds=1))


@dataclass(frozen=True)
class RunPlan:
    """What a run at ``scheduled`` does: deliver ``listing``, or post ``notice``, or nothing."""

    scheduled: dt.datetime
    listing: dt.date | None = None
    notice: str | None = None
    local_date: dt.date | None = None


def plan_run(sub: Subscription, scheduled: dt.datetime, holidays: Collection[dt.date]) -> RunPlan:
    """Apply the module's rule to the run at ``scheduled`` (pure)."""
    latest = calendar.latest_listing(scheduled, holidays)
    before = previous_run(sub, scheduled)
    local_date = scheduled.astimezone(ZoneInfo(sub.tz)).date()
    if before is None or calendar.announcement_time(latest) > before:
        return RunPlan(scheduled, listing=latest, local_date=local_date)
    if local_date.weekday() < 5 and not calendar.is_listing_day(local_date, holidays):
        return RunPlan(scheduled, notice=no_listing_notice(local_date, holidays),
                       local_date=local_date)  # fmt: skip
    return RunPlan(scheduled, local_date=local_date)


def no_listing_notice(day: dt.date, holidays: Collection[dt.date]) -> str:
    following = day + dt.timedelta(days=1)
    while not calendar.is_listing_day(following, holidays):
        following += dt.timedelta(days=1)
    return f"No arXiv listing today (holiday); the next is {calendar.describe(following)}."


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
