"""Scheduled fan-out: channels of one platform post at once up to that platform's own cap.

40 Slack channels in two workspaces and 70 Discord channels fire together through the real
adapters and the loopback fakes. The fakes hold every message request until released, so the
channels in flight can be counted: Slack's slots are per workspace (``channels_in_flight`` of the
workspace's budget: 6 each), Discord's per bot (60), the rest waiting.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from discord.http import Route

import adapters.discord_limit as discord_limit
from adapters.discord import DEFAULT_API_BASE, DiscordAdapter, make_discord_rest_adapter
from adapters.slack import SlackAdapter
from adapters.slack_pool import SlackAdapters
from bot.clock import FakeClock
from bot.jobs import DigestScheduler
from bot.leader import AlwaysLeader
from bot.ledger import Ledger
from bot.models import Digest
from bot.run_outcome import RunOutcome, RunStatus
from bot.sources.http import RateLimiter
from bot.store import Store
from bot.subscriptions import Subscription, SubscriptionStore
from tests.factories import make_digest
from tests.fake_discord import FakeDiscord
from tests.fake_slack import FakeSlack

MONDAY_0900 = dt.datetime(2021, 4, 12, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
LISTING = dt.date(2021, 4, 12)
SLACK_CHANNELS = [f"C{n:04d}" for n in range(40)]
DISCORD_CHANNELS = [str(5000 + n) for n in range(70)]


def workspace(channel: str) -> str:
    return "T1" if int(channel[1:]) % 2 else "T2"


class Gate:
    """Holds requests until ``open()``; counts those in flight and the most at once."""

    def __init__(self) -> None:
        self.released = asyncio.Event()
        self.in_flight = 0
        self.peak = 0

    async def hold(self, answer: Callable[[], Any]) -> web.Response:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await self.released.wait()
            return await answer()
        finally:
            self.in_flight -= 1


class GatedSlack(FakeSlack):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.gate = Gate()

    async def _web_api(self, request: web.Request) -> web.Response:
        if request.match_info["method"] != "chat.postMessage":
            return await super()._web_api(request)
        return await self.gate.hold(lambda: super(GatedSlack, self)._web_api(request))


class GatedDiscord(FakeDiscord):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.gate = Gate()

    async def _rest(self, request: web.Request) -> web.Response:
        if not request.match_info["tail"].startswith("channels/"):  # the login goes through
            return await super()._rest(request)
        return await self.gate.hold(lambda: super(GatedDiscord, self)._rest(request))


class Service:
    async def build(self, date, categories, top, filters=None, **_options) -> Digest:
        return make_digest(n=top, date=date, categories=tuple(categories))


class Adapters:
    def __init__(self, **by_platform: Any) -> None:
        self.by_platform = by_platform
        self.asked = 0

    async def adapter(self, platform: str, workspace: str) -> Any:
        self.asked += 1  # a job asks right before it waits for a posting slot
        provider = self.by_platform[platform]
        return await provider.adapter(platform, workspace) if platform == "slack" else provider


@pytest.fixture
async def slack() -> AsyncIterator[GatedSlack]:
    async with GatedSlack() as fake:
        yield fake


@pytest.fixture
async def discord() -> AsyncIterator[GatedDiscord]:
    async with GatedDiscord() as fake:
        yield fake
    assert Route.BASE == DEFAULT_API_BASE  # the fake is each client's own base


async def until(predicate: Callable[[], bool]) -> None:
    async with asyncio.timeout(10):
        while not predicate():
            await asyncio.sleep(0)


def claimed(ledger: Ledger, platform: str, workspace: str, channels: list[str]) -> int:
    """Channels whose delivery was claimed: the ledger's claim is a job's first step in a slot."""
    states = [ledger.status(platform, workspace, c, LISTING, ["cs.CL"]) for c in channels]
    return sum(state is not None for state in states)


def subscribe(store: Store, clock: FakeClock) -> list[Subscription]:
    subs = SubscriptionStore(store, clock)
    values: dict[str, Any] = dict(categories=("cs.CL",), time=dt.time(9, 0),
                                  tz="Europe/Berlin", top=1)  # fmt: skip
    return [subs.upsert("slack", workspace(c), c, **values)[0] for c in SLACK_CHANNELS] + [
        subs.upsert("discord", "G1", c, **values)[0] for c in DISCORD_CHANNELS
    ]


async def test_each_platform_posts_up_to_its_own_cap_at_once(
    store: Store, slack: GatedSlack, discord: GatedDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    global_limit = RateLimiter(50, 1.0, FakeClock())  # Discord's 50 / s without waiting for it
    monkeypatch.setattr(discord_limit, "global_limiter", lambda: global_limit)
    clock = FakeClock(MONDAY_0900.astimezone(dt.UTC) + dt.timedelta(seconds=30))
    for channel in DISCORD_CHANNELS:
        discord.add_text_channel(channel)
    settings = discord.settings(SLACK_BOT_TOKEN="xoxb-test", slack_api_url=slack.api_url)
    discord_adapter = await make_discord_rest_adapter(settings)
    slack_adapters = SlackAdapters(settings, clock, token_of=lambda ws: "xoxb-" + ws)
    adapters = Adapters(slack=slack_adapters, discord=discord_adapter)
    ledger = Ledger(store, "host-a", clock)
    scheduler = DigestScheduler(
        subscriptions=SubscriptionStore(store, clock), service=Service(), adapters=adapters,
        ledger=ledger, leader=AlwaysLeader(), clock=clock,
    )  # fmt: skip
    subs = subscribe(store, clock)
    jobs = [asyncio.create_task(scheduler.run_job(sub.id)) for sub in subs]
    try:
        await until(
            lambda: (
                adapters.asked == len(subs)
                and slack.gate.in_flight == 2 * SlackAdapter.post_concurrency == 12
                and discord.gate.in_flight == DiscordAdapter.post_concurrency == 60
            )
        )
        # Every job has asked for its adapter; exactly the cap of each scope got a slot.
        for ws in ("T1", "T2"):
            assert claimed(ledger, "slack", ws, SLACK_CHANNELS) == 6
        assert claimed(ledger, "discord", "G1", DISCORD_CHANNELS) == 60
    finally:
        slack.gate.released.set()
        discord.gate.released.set()
        results = await asyncio.gather(*jobs)
        await discord_adapter.close()
        await slack_adapters.close()
        scheduler.shutdown()

    assert results == [
        RunOutcome(
            RunStatus.POSTED, f"posted Hot Papers 2021-04-12 to {sub.channel}: header and 1 reply"
        )
        for sub in subs
    ]
    assert (slack.gate.peak, discord.gate.peak) == (12, 60)
    assert {c.token for c in slack.calls_to("chat.postMessage")} == {"xoxb-T1", "xoxb-T2"}
    posts = slack.calls_to("chat.postMessage")
    assert len(posts) == 2 * len(SLACK_CHANNELS) and all(p.ok for p in posts)
    for channel in SLACK_CHANNELS:
        header, reply = [p for p in posts if p.body["channel"] == channel]
        assert "thread_ts" not in header.body
        assert reply.body["thread_ts"] == header.answer["ts"]  # the paper, in the header's thread
    thread_posts = [c for c in discord.calls() if c[0] == "POST" and c[1].endswith("/threads")]
    assert len(thread_posts) == len(DISCORD_CHANNELS)
    assert len(discord.requests) == 2 + 4 * len(DISCORD_CHANNELS)  # login; channel, 3 posts
