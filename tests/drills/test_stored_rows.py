"""A malformed subscription row (hand-edited, or from an older version) must not sink the others.

Each case corrupts one column of channel C1's row the way a hand edit or an old version could
(a time that is no time, a zone this Python's tzdata no longer knows, no category, a top out of
range), next to a healthy C2 and C3. Read back by everything that reads subscriptions: the
listing, and the scheduler becoming leader and reconciling its jobs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import update

from bot.clock import FakeClock
from bot.commands import parse_command
from bot.jobs import DigestScheduler
from bot.leader import AlwaysLeader
from bot.ledger import Ledger
from bot.store import Store
from bot.subscription_commands import NO_SUBSCRIPTION, SubscriptionHandler
from bot.subscriptions import SubscriptionStore
from bot.tables import SubscriptionRow

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
UNREADABLE = {  # rows no Subscription can be made of: left out, logged
    "time-out-of-range": {"time": "25:99"},
    "time-not-hh-mm": {"time": "9"},
}
UNSCHEDULABLE = {  # rows that read fine but name a zone this tzdata does not have: not scheduled
    "unknown-zone": {"tz": "Mars/Olympus"},
    "zone-removed-from-tzdata": {"tz": "US/Pacific-New"},  # dropped by tzdata 2020b
}


def corrupt(store: Store, values: dict[str, Any]) -> SubscriptionStore:
    subs = SubscriptionStore(store, FakeClock(NOW))
    for channel in ("C1", "C2", "C3"):
        subs.upsert(
            "slack", "T1", channel, categories=["cs.CL"], time=dt.time(9, 0), tz="UTC", top=5
        )
    with store.session() as s:
        s.execute(update(SubscriptionRow).where(SubscriptionRow.channel == "C1").values(**values))
    return subs


def leader_jobs(store: Store, subs: SubscriptionStore) -> list[str]:
    """The channels whose daily job a scheduler that just became leader has scheduled."""
    clock = FakeClock(NOW)
    scheduler = DigestScheduler(
        subscriptions=subs, service=None, adapters=None,  # type: ignore[arg-type]
        ledger=Ledger(store, "drill", clock), leader=AlwaysLeader(), clock=clock,
    )  # fmt: skip
    try:
        scheduler.set_leader(True)
        return sorted(sub.channel for sub, _ in scheduler._scheduled.values())
    finally:
        scheduler.shutdown()


def test_one_malformed_subscription_row_leaves_the_others_listed(store: Store) -> None:
    subs = corrupt(store, UNREADABLE["time-out-of-range"])
    assert [sub.channel for sub in subs.list_all()] == ["C2", "C3"]


@pytest.mark.parametrize("values", UNREADABLE.values(), ids=list(UNREADABLE))
def test_an_unreadable_row_is_skipped_and_every_other_channel_is_scheduled(
    store: Store, values: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    subs = corrupt(store, values)
    assert [sub.channel for sub in subs.list_all()] == ["C2", "C3"]
    assert leader_jobs(store, subs) == ["C2", "C3"]
    assert "skipping malformed subscription 1 (slack C1)" in caplog.text


@pytest.mark.parametrize("values", UNSCHEDULABLE.values(), ids=list(UNSCHEDULABLE))
def test_a_row_in_an_unknown_zone_does_not_stop_the_other_channels(
    store: Store, values: dict[str, Any]
) -> None:
    subs = corrupt(store, values)
    assert leader_jobs(store, subs) == ["C2", "C3"]


async def test_the_channel_of_an_unreadable_row_can_see_stop_and_replace_it(store: Store) -> None:
    subs = corrupt(store, UNREADABLE["time-out-of-range"])
    handler = SubscriptionHandler(subs, FakeClock(NOW))

    async def say(text: str) -> str:
        request = parse_command(text, now=NOW, default_categories=["cs.CL"], default_top=5)
        return (await handler.handle("slack", "T1", "C1", "U1", request, allowed=True)).text  # type: ignore[arg-type]

    assert await say("settings") == (
        "This channel's subscription is stored in a form I cannot read ('25:99' is not a time: "
        "use HH:MM on a 24-hour clock, e.g. 09:00). `/hotpapers subscribe ...` replaces it; "
        "`/hotpapers unsubscribe` stops it."
    )
    assert await say("unsubscribe") == "Unsubscribed: this channel no longer gets Hot Papers."
    assert [sub.channel for sub in subs.list_all()] == ["C2", "C3"]
    assert await say("unsubscribe") == NO_SUBSCRIPTION  # it stays stopped
    assert (await say("subscribe cs.LG at 08:00 UTC")).startswith("Subscribed: this channel")
    assert [(sub.channel, sub.time) for sub in subs.list_all()] == [
        ("C1", dt.time(8, 0)), ("C2", dt.time(9, 0)), ("C3", dt.time(9, 0)),
    ]  # fmt: skip


def test_the_cli_stops_an_unreadable_row_too(
    store: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.cli_runner import run_cli

    corrupt(store, UNREADABLE["time-not-hh-mm"])
    monkeypatch.setenv("HOTPAPERS_DATABASE_URL", store.url)
    code, out, err = run_cli(monkeypatch, capsys, "unsubscribe", "--platform", "slack",
                             "--workspace", "T1", "--channel", "C1")  # fmt: skip
    assert (code, err) == (0, "")
    assert out.startswith("Unsubscribed slack:T1:C1 (subscription 1 cannot be read (")
    assert [sub.channel for sub in SubscriptionStore(store, FakeClock(NOW)).list_all()] == [
        "C2", "C3",
    ]  # fmt: skip
