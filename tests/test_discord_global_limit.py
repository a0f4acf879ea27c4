"""Discord's global 50 requests / s: every REST request of every client waits on one limiter.

The real discord.py talks to the loopback fake; the process's limiter is swapped for one on a
``FakeClock`` that records each request it lets through, so pacing is checked without waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from discord.http import Route

import adapters.discord_limit as discord_limit
from adapters.discord import DiscordAdapter, make_discord_rest_adapter, new_client
from adapters.discord_bot import DiscordBot
from adapters.discord_limit import (
    GLOBAL_CALLS,
    GLOBAL_PERIOD,
    counts_globally,
    global_limiter,
    share_global_budget,
)
from bot.clock import FakeClock
from bot.config import Settings
from bot.delivery import post_thread
from bot.handler import CommandHandler
from bot.sources.http import RateLimiter
from tests.chat_drivers import FakeService
from tests.factories import make_digest
from tests.fake_discord import FakeDiscord, point_gateway_at, serving

T0 = 1000.0  # FakeClock's monotonic start


class RecordingLimiter(RateLimiter):
    """The global limit on a fake clock; ``granted``: (clock time, requests the fake had)."""

    def __init__(self, fake: FakeDiscord, clock: FakeClock) -> None:
        super().__init__(GLOBAL_CALLS, GLOBAL_PERIOD, clock)
        self.fake = fake
        self.granted: list[tuple[float, int]] = []

    async def wait(self) -> None:
        await super().wait()
        self.granted.append((self.clock.monotonic(), len(self.fake.requests)))


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with serving() as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limiter(fake: FakeDiscord, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Any:
    recording = RecordingLimiter(fake, clock)
    monkeypatch.setattr(discord_limit, "global_limiter", lambda: recording)
    return recording


async def rest_adapter(fake: FakeDiscord) -> DiscordAdapter:
    return await make_discord_rest_adapter(fake.settings())


async def test_each_request_waits_on_the_limiter_before_it_is_sent(
    fake: FakeDiscord, limiter: RecordingLimiter
) -> None:
    fake.add_text_channel(2000)
    adapter = await rest_adapter(fake)
    try:
        delivery = await post_thread(adapter, "2000", make_digest(3))
    finally:
        await adapter.close()

    assert delivery.ok
    assert len(fake.requests) == 8  # login 2, channel, header, thread, 3 papers
    # One wait per request, each let through while the fake had received only the ones before.
    assert [received for _, received in limiter.granted] == list(range(8))
    assert limiter.clock.sleeps == []  # 8 requests fit in one second's budget


async def test_channels_posting_at_once_share_fifty_requests_a_window(
    fake: FakeDiscord, limiter: RecordingLimiter, clock: FakeClock
) -> None:
    channels = [str(3000 + n) for n in range(10)]
    for channel in channels:
        fake.add_text_channel(channel)
    first, second = await rest_adapter(fake), await rest_adapter(fake)  # two clients, one limit
    try:
        deliveries = await asyncio.gather(
            *(
                post_thread(first if n % 2 else second, channel, make_digest(3))
                for n, channel in enumerate(channels)
            )
        )
    finally:
        await first.close()
        await second.close()

    assert all(d.ok for d in deliveries)
    assert len(fake.requests) == 2 * 2 + 10 * 6  # two logins, six requests per thread
    assert [t for t, _ in limiter.granted] == [T0] * 50 + [T0 + GLOBAL_PERIOD] * 14
    assert clock.sleeps == [pytest.approx(GLOBAL_PERIOD)]


async def test_discord_py_retries_wait_on_the_limiter_too(
    fake: FakeDiscord, limiter: RecordingLimiter
) -> None:
    fake.add_text_channel(2000)
    fake.rate_limit(times=1, via=True, retry_after=0.0, path_prefix="/channels/2000/messages")
    adapter = await rest_adapter(fake)
    try:
        delivery = await post_thread(adapter, "2000", make_digest(1))
    finally:
        await adapter.close()

    assert delivery.ok
    assert fake.calls().count(("POST", "/channels/2000/messages")) == 2  # the 429, then the retry
    assert len(limiter.granted) == len(fake.requests) == 7


def handler_for(settings: Settings) -> CommandHandler:
    """The core's command handler on a service answering every query with a digest."""
    return CommandHandler(settings, FakeService(), FakeClock())


async def test_the_gateway_bot_is_paced_but_interaction_answers_are_not(
    fake: FakeDiscord, limiter: RecordingLimiter
) -> None:
    fake.add_text_channel(2000)
    point_gateway_at(fake)
    settings = fake.settings()
    bot = DiscordBot(settings, handler_for(settings), client_options={"guild_ready_timeout": 0})
    await bot.start()
    try:
        async with asyncio.timeout(10):
            await bot.client.wait_until_ready()
        payload = fake.interaction(
            [
                {"name": "category", "type": 3, "value": "cs.CL"},
                {"name": "date", "type": 3, "value": "2021-04-12"},
            ]
        )
        await fake.send_interaction(payload)
        followup = f"/webhooks/{fake.app_id}/{payload['token']}"
        await fake.wait_for(lambda f: any(r.path == followup for r in f.requests))
    finally:
        await bot.close()

    answers = [r for r in fake.requests if r.path.startswith(("/interactions/", "/webhooks/"))]
    assert [r.path.split("/")[1] for r in answers] == ["interactions", "webhooks"]
    paced = [r for r in fake.requests if r not in answers]
    assert ("POST", "/channels/2000/messages") in [(r.method, r.path) for r in paced]
    assert len(limiter.granted) == len(paced)  # login, command sync, the thread; not the answers


def test_only_rest_calls_below_the_api_base_count() -> None:
    base = "http://127.0.0.1:5000/api/v10"  # a client's own base (HOTPAPERS_DISCORD_API_URL)

    assert counts_globally("http://127.0.0.1:5000/api/v10/channels/2000/messages", base)
    assert counts_globally("http://127.0.0.1:5000/api/v10/users/@me", base)
    assert not counts_globally("http://127.0.0.1:5000/api/v10/interactions/1/tok/callback", base)
    assert not counts_globally("http://127.0.0.1:5000/api/v10/webhooks/12/tok?wait=1", base)
    assert not counts_globally("ws://127.0.0.1:5000/gateway?v=10", base)  # the gateway socket
    assert not counts_globally("https://cdn.discordapp.com/avatars/1/a.png", base)
    assert not counts_globally("http://127.0.0.1:5000/api/v100/channels/1", base)
    assert counts_globally(Route.BASE + "/users/@me")  # without one: discord.py's


async def test_one_limiter_per_event_loop_at_the_published_limit_with_a_margin() -> None:
    mine = global_limiter()

    assert global_limiter() is mine
    assert (mine.calls, mine.period) == (50, pytest.approx(1.05))  # 50 / s, 50 ms for jitter
    other = await asyncio.to_thread(lambda: asyncio.run(_limiter_of_a_new_loop()))
    assert other is not mine  # an asyncio lock belongs to one loop


async def _limiter_of_a_new_loop() -> RateLimiter:
    return global_limiter()


def test_every_client_carries_the_global_limit_trace() -> None:
    rest = new_client()
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    gateway = DiscordBot(settings, handler_for(settings)).client
    for client in (rest, gateway):
        trace = client.http.http_trace
        assert trace is not None
        assert [f.__name__ for f in trace.on_request_start] == ["await_global_limit"]


async def test_instances_of_one_bot_share_the_global_budget() -> None:
    """N live instances (their heartbeats, ``bot.fanout_worker``) keep 50 / N each, at once for
    a limiter already made and for one made later; back to 50 when alone again."""
    mine = global_limiter()
    try:
        share_global_budget(3)
        assert mine.calls == 16
        later = await asyncio.to_thread(lambda: asyncio.run(_limiter_of_a_new_loop()))
        assert later.calls == 16
        share_global_budget(100)
        assert mine.calls == 1
    finally:
        share_global_budget(1)
    assert mine.calls == 50
