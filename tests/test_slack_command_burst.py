"""``/hotpapers`` in a burst: acks that never wait for the work, shared builds and connections."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack_client import SharedSession
from bot.clock import FakeClock
from bot.commands import Query
from bot.handler import CommandHandler
from bot.models import Digest
from bot.ondemand import BUILD_CONCURRENCY
from tests.chat_drivers import FakeService, signed
from tests.factories import make_digest
from tests.fake_slack import FakeSlack, fake_slack_fixture  # noqa: F401 (the fixture)
from tests.test_slack_command import LOOKING, NOW, command_body, make_app, make_settings, serve

CS_CL = Query(("cs.CL",), dt.date(2021, 4, 12), 10)


def service_of(outcome: Digest | None = None) -> FakeService:
    service = FakeService()
    service.outcome = outcome
    return service


class PeerSlack(FakeSlack):
    """FakeSlack noting the client port of every ``chat.postMessage`` (one port: one connection)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.post_ports: list[int] = []

    async def _web_api(self, request: web.Request) -> web.Response:
        if request.match_info["method"] == "chat.postMessage":
            self.post_ports.append(request.transport.get_extra_info("peername")[1])
        return await super()._web_api(request)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


async def command(client: TestClient, fake: FakeSlack, text: str, channel: str) -> int:
    body = command_body(fake, text, channel=channel)
    response = await client.post("/slack/events", data=body, headers=signed(body))
    return response.status


def thread_of(fake: FakeSlack, channel: str) -> tuple[dict[str, Any], list[str]]:
    """The channel's header message and the ``thread_ts`` of each reply posted after it."""
    header, *replies = [
        c for c in fake.calls_to("chat.postMessage") if c.body["channel"] == channel
    ]
    assert all(r.body["thread_ts"] == header.answer["ts"] for r in replies)
    return header.body, [r.body["thread_ts"] for r in replies]


async def test_a_burst_is_acked_while_its_one_shared_build_is_held(
    fake_slack: FakeSlack, clock: FakeClock
) -> None:
    settings = make_settings(fake_slack)
    service = service_of(make_digest(3))
    service.release.clear()  # no digest until the test says so
    client = await serve(make_app(settings, service, clock))
    channels = [f"C{n}" for n in range(1, 6)]
    try:
        acks = await asyncio.gather(
            *(command(client, fake_slack, "cs.CL 2021-04-12", c) for c in channels)
        )
        assert acks == [200] * 5  # every 200 is back while the build is still held
        await fake_slack.wait_for(lambda f: len(f.responses) == 5)
        assert service.queries == [CS_CL]  # five askers, one build
        assert fake_slack.posts == []

        service.release.set()
        await fake_slack.wait_for(lambda f: len(f.posts) == 5 * 4)
    finally:
        await client.close()
    assert service.queries == [CS_CL]
    assert fake_slack.responses == [{"text": LOOKING, "response_type": "ephemeral"}] * 5
    for channel in channels:
        header, replies = thread_of(fake_slack, channel)
        assert header["text"].startswith("Hot Papers 2021-04-12") and len(replies) == 3


async def test_distinct_queries_are_built_a_few_at_a_time(
    fake_slack: FakeSlack, clock: FakeClock
) -> None:
    settings = make_settings(fake_slack)
    service = service_of()  # a digest of each query's own date
    service.release.clear()
    client = await serve(make_app(settings, service, clock))
    dates = [dt.date(2021, 4, day) for day in (5, 6, 7, 8, 9, 12)]  # six listing days
    try:
        acks = await asyncio.gather(
            *(command(client, fake_slack, f"cs.CL {d}", f"C{d.day}") for d in dates)
        )
        assert acks == [200] * 6
        await fake_slack.wait_for(lambda f: len(f.responses) == 6)
        # BUILD_CONCURRENCY builds run; the others wait for a turn, already acked.
        assert len(service.queries) == BUILD_CONCURRENCY < len(dates)
        assert fake_slack.posts == []

        service.release.set()
        await fake_slack.wait_for(lambda f: len(f.posts) == 6 * 11)
    finally:
        await client.close()
    assert sorted(q.date for q in service.queries) == dates
    for day in dates:
        header, replies = thread_of(fake_slack, f"C{day.day}")
        assert header["text"].startswith(f"Hot Papers {day.isoformat()}") and len(replies) == 10


async def test_a_thread_is_posted_over_one_connection(clock: FakeClock) -> None:
    async with PeerSlack() as fake:
        settings = make_settings(fake)
        service = service_of(make_digest(3))
        client = await serve(make_app(settings, service, clock))
        try:
            assert await command(client, fake, "cs.CL 2021-04-12", "C1") == 200
            await fake.wait_for(lambda f: len(f.posts) == 4)
        finally:
            await client.close()
    header, replies = thread_of(fake, "C1")
    assert header["text"].startswith("Hot Papers 2021-04-12") and len(replies) == 3
    assert len(fake.post_ports) == 4 and len(set(fake.post_ports)) == 1


async def test_the_shared_session_closes_when_its_last_user_leaves() -> None:
    first, second = AsyncWebClient(token="xoxb-a", timeout=7), AsyncWebClient(token="xoxb-b")
    shared = SharedSession()
    async with shared.use(first):
        async with shared.use(second):
            session = first.session
            assert session is not None and second.session is session and not session.closed
            assert session.timeout.total == 7
        assert second.session is None and not session.closed  # the first user still needs it
    assert first.session is None and session.closed
    async with shared.use(second):
        assert second.session is not None and second.session is not session  # a fresh one
    assert second.session is None


async def test_a_slash_answer_waits_its_turn_behind_a_scheduled_post(
    fake_slack: FakeSlack, clock: FakeClock
) -> None:
    from hotpapers.platforms import SlackPlatform

    settings = make_settings(fake_slack)
    service = service_of(make_digest(1))
    platform = SlackPlatform(settings, CommandHandler(settings, service, clock), clock)
    scheduled = await platform.adapter("T111")
    await scheduled.post_header("C1", make_digest(1))  # the scheduler's post, at this instant
    client = await serve(platform.app)
    try:
        assert await command(client, fake_slack, "cs.CL 2021-04-12", "C1") == 200
        await fake_slack.wait_for(lambda f: len(f.posts) == 1 + 2)
    finally:
        await client.close()
        await platform.stop()
    # One pacer for both: the answer's header waited a second behind the scheduled message,
    assert clock.sleeps == [pytest.approx(1.0)] * 2  # then its reply, a second after it


async def test_scheduled_posts_reuse_one_connection_until_the_platform_stops(
    clock: FakeClock,
) -> None:
    from hotpapers.platforms import SlackPlatform

    async with PeerSlack() as fake:
        settings = make_settings(fake)
        platform = SlackPlatform(settings, CommandHandler(settings, FakeService(), clock), clock)
        for channel in ("C1", "C2"):  # two jobs, each with its own adapter
            adapter = await platform.adapter("T111")
            header, _ = await adapter.post_header(channel, make_digest(2))
            for entry in make_digest(2).entries:
                await adapter.post_entry(channel, header, make_digest(2), entry)
        session = adapter.client.session  # type: ignore[attr-defined]
        await platform.stop()
    assert len(fake.post_ports) == 6 and len(set(fake.post_ports)) == 1
    assert session is not None and session.closed
