"""Subscriptions in the store and from chat: exact replies, permissions, jobs kept in step."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from bot.clock import FakeClock
from bot.commands import ShowSettings, Subscribe, Unsubscribe, parse_command
from bot.jobs import DigestScheduler
from bot.leader import AlwaysLeader
from bot.ledger import Ledger
from bot.store import Store
from bot.subscription_commands import NO_SUBSCRIPTION, REFUSAL, SubscriptionHandler
from bot.subscriptions import Subscription, SubscriptionStore, parse_time

TUESDAY_NOON = dt.datetime(2021, 4, 13, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(TUESDAY_NOON)


def command(text: str, clock: FakeClock) -> Subscribe | Unsubscribe | ShowSettings:
    parsed = parse_command(text, now=clock.now(), default_categories=["cs.AI"], default_top=10)
    assert isinstance(parsed, Subscribe | Unsubscribe | ShowSettings)
    return parsed


def test_store_round_trip_update_and_deactivate(store: Store, clock: FakeClock) -> None:
    subs = SubscriptionStore(store, clock)
    created, new = subs.upsert(
        "slack", "T1", "C1", categories=("cs.CL", "cs.LG", "cs.CL"), time=dt.time(9, 5),
        tz="Europe/Berlin", top=7, include=("llm", "agents"), exclude=("survey",),
        notify_no_listing=True,
    )  # fmt: skip
    assert new is True
    assert created == Subscription(
        id=1, platform="slack", workspace="T1", channel="C1", categories=("cs.CL", "cs.LG"),
        top=7, time=dt.time(9, 5), tz="Europe/Berlin", include=("llm", "agents"),
        exclude=("survey",), active=True, notify_no_listing=True,
    )  # fmt: skip
    updated, new = subs.upsert("slack", "T1", "C1", categories=("cs.AI",), time=dt.time(7, 0),
                               tz="UTC", top=3)  # fmt: skip
    assert (new, updated.id, updated.categories, updated.include) == (False, 1, ("cs.AI",), ())
    assert subs.get("slack", "T1", "C1") == updated
    assert subs.deactivate("slack", "T1", "C1") == Subscription(
        id=1, platform="slack", workspace="T1", channel="C1", categories=("cs.AI",), top=3,
        time=dt.time(7, 0), tz="UTC", active=False,
    )  # fmt: skip
    assert subs.get("slack", "T1", "C1") is None
    assert subs.deactivate("slack", "T1", "C1") is None
    assert subs.list_all() == []
    assert [s.active for s in subs.list_all(include_inactive=True)] == [False]


def test_store_rejects_bad_zone_and_platform(store: Store, clock: FakeClock) -> None:
    subs = SubscriptionStore(store, clock)
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        subs.upsert("slack", "T", "C", categories=("cs.CL",), time=dt.time(9), tz="Mars/Olympus",
                    top=10)  # fmt: skip
    with pytest.raises(ValueError, match="unknown platform 'irc'"):
        subs.upsert("irc", "T", "C", categories=("cs.CL",), time=dt.time(9), tz="UTC", top=10)


@pytest.mark.parametrize("text", ["9", "24:00", "09:60", "9:5", "ab:cd", "09:00:00", ""])
def test_parse_time_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="is not a time: use HH:MM on a 24-hour clock"):
        parse_time(text)


def test_parse_time_accepts() -> None:
    assert parse_time("9:05") == dt.time(9, 5)
    assert parse_time(" 23:59 ") == dt.time(23, 59)


@pytest.fixture
async def scheduler(store: Store, clock: FakeClock) -> AsyncIterator[DigestScheduler]:
    class NoBuilds:
        async def build(self, *args: object, **kwargs: object) -> None:
            raise AssertionError("no digest is built here")

    class NoAdapters:
        async def adapter(self, platform: str, workspace: str) -> None:
            raise AssertionError("nothing is posted here")

    sched = DigestScheduler(
        subscriptions=SubscriptionStore(store, clock), service=NoBuilds(),  # type: ignore[arg-type]
        adapters=NoAdapters(), ledger=Ledger(store, "test", clock),  # type: ignore[arg-type]
        leader=AlwaysLeader(), clock=clock,
    )  # fmt: skip
    sched.start(paused=True)
    sched.set_leader(True)
    yield sched
    sched.shutdown()


async def test_chat_subscribe_update_show_unsubscribe(
    store: Store, clock: FakeClock, scheduler: DigestScheduler
) -> None:
    handler = SubscriptionHandler(SubscriptionStore(store, clock), clock,
                                  on_change=scheduler.sync)  # fmt: skip

    async def say(text: str) -> str:
        return (await handler.handle("slack", "T111", "C1", "U1", command(text, clock),
                                    allowed=True)).text  # fmt: skip

    assert await say("subscribe cs.CL cs.LG at 09:00 Europe/Berlin") == (
        "Subscribed: this channel gets Hot Papers for cs.CL, cs.LG at 09:00 Europe/Berlin, "
        "top 10, on every arXiv listing day. Next: Wednesday 2021-04-14 09:00 Europe/Berlin "
        "(the listing of Wednesday 2021-04-14)."
    )
    job = scheduler.scheduler.get_job("sub:1")
    assert str(job.trigger) == "cron[day_of_week='mon-fri', hour='9', minute='0']"
    assert await say("subscribe cs.CL at 21:00 America/New_York top=5") == (
        "Updated the subscription: this channel gets Hot Papers for cs.CL at 21:00 "
        "America/New_York, top 5, on every arXiv listing day. Next: Tuesday 2021-04-13 21:00 "
        "America/New_York (the listing of Wednesday 2021-04-14)."
    )
    job = scheduler.scheduler.get_job("sub:1")
    assert str(job.trigger) == "cron[day_of_week='sun,mon,tue,wed,thu', hour='21', minute='0']"
    assert await say("settings") == (
        "This channel gets Hot Papers for cs.CL at 21:00 America/New_York, top 5. Next: "
        "Tuesday 2021-04-13 21:00 America/New_York (the listing of Wednesday 2021-04-14). "
        "Change it with `/hotpapers subscribe ...`, stop it with `/hotpapers unsubscribe`."
    )
    assert await say("unsubscribe") == (
        "Unsubscribed: this channel no longer gets Hot Papers (cs.CL at 21:00 "
        "America/New_York, top 5)."
    )
    assert scheduler.scheduler.get_job("sub:1") is None
    assert await say("unsubscribe") == NO_SUBSCRIPTION
    assert (
        await say("settings")
        == NO_SUBSCRIPTION
        == (
            "This channel has no Hot Papers subscription. Start one with "
            "`/hotpapers subscribe cs.CL at 09:00 Europe/Berlin`."
        )
    )


async def test_chat_subscribe_keeps_the_filters_set_with_the_cli(
    store: Store, clock: FakeClock
) -> None:
    subs = SubscriptionStore(store, clock)
    subs.upsert("slack", "T111", "C1", categories=("cs.CL",), time=dt.time(9), tz="UTC", top=10,
                include=("agents",), exclude=("survey",), notify_no_listing=True)  # fmt: skip
    handler = SubscriptionHandler(subs, clock)
    reply = (await handler.handle("slack", "T111", "C1", "U1",
                                 command("subscribe cs.LG at 08:00 Europe/Berlin top=3", clock),
                                 allowed=True)).text  # fmt: skip
    assert reply.startswith(
        "Updated the subscription: this channel gets Hot Papers for cs.LG at 08:00 Europe/Berlin, "
        "top 3, only papers mentioning agents, without survey, with a line on arXiv holidays, on "
        "every arXiv listing day."
    )
    sub = subs.get("slack", "T111", "C1")
    assert sub is not None
    assert (sub.categories, sub.time, sub.tz, sub.top) == (
        ("cs.LG",),
        dt.time(8),
        "Europe/Berlin",
        3,
    )
    assert (sub.include, sub.exclude, sub.notify_no_listing) == (("agents",), ("survey",), True)
    subs.deactivate("slack", "T111", "C1")  # a fresh start after an unsubscribe: no filters
    await handler.handle("slack", "T111", "C1", "U1", command("subscribe cs.LG at 08:00", clock),
                         allowed=True)  # fmt: skip
    again = subs.get("slack", "T111", "C1")
    assert again is not None and (again.include, again.exclude) == ((), ())
    assert again.notify_no_listing is False


@pytest.mark.parametrize("platform", ["slack", "discord"])
async def test_only_managers_may_change_a_subscription(
    store: Store, clock: FakeClock, platform: str
) -> None:
    subs = SubscriptionStore(store, clock)
    changes: list[Subscription] = []
    handler = SubscriptionHandler(subs, clock, on_change=changes.append)
    for text in ("subscribe cs.CL at 09:00 Europe/Berlin", "unsubscribe"):
        reply = (await handler.handle(platform, "W", "C1", "U2", command(text, clock),
                                     allowed=False, managers="the admins")).text  # fmt: skip
        assert reply == REFUSAL.format(managers="the admins")
    assert subs.list_all(include_inactive=True) == []
    assert changes == []
    assert (await handler.handle(platform, "W", "C1", "U2", ShowSettings(),
                                allowed=False)).text == NO_SUBSCRIPTION  # fmt: skip
    assert REFUSAL.format(managers="the admins") == (
        "Only the admins can change this channel's Hot Papers subscription. Please ask one of "
        "them; `/hotpapers settings` shows the current one."
    )


async def test_holidays_move_the_next_delivery(store: Store, clock: FakeClock) -> None:
    handler = SubscriptionHandler(SubscriptionStore(store, clock), clock,
                                  holidays=(dt.date(2021, 4, 14),))  # fmt: skip
    reply = (await handler.handle("discord", "G", "42", "U", Subscribe(("cs.CL",), dt.time(9),
                                 "Europe/Berlin", 10), allowed=True)).text  # fmt: skip
    assert reply.endswith(
        "Next: Thursday 2021-04-15 09:00 Europe/Berlin (the listing of Thursday 2021-04-15)."
    )
