"""/hotpapers on Discord: real discord.py on a fake gateway + REST, interactions end to end."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest

from adapters.discord_bot import DiscordBot
from adapters.discord_commands import category_choices
from adapters.discord_embeds import validate_message
from bot.clock import FakeClock
from bot.commands import Query
from bot.handler import CommandHandler
from bot.ports import Options, Request
from tests.chat_drivers import FakeService
from tests.fake_discord import FakeDiscord, Recorded, point_gateway_at, serving


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with serving() as server:
        yield server


CATEGORY = {"name": "category", "type": 3, "value": "cs.CL"}
DATE = {"name": "date", "type": 3, "value": "2021-04-12"}
TOP = {"name": "top", "type": 4, "value": 2}


class CountingService(FakeService):
    """Records how many requests Discord had seen when the digest was asked for."""

    def __init__(self, fake: FakeDiscord) -> None:
        super().__init__()
        self.fake = fake
        self.requests_before: list[int] = []

    async def digest_for(self, query: Query) -> Any:
        self.requests_before.append(len(self.fake.requests))
        return await super().digest_for(query)


async def _start(fake: FakeDiscord) -> tuple[DiscordBot, CountingService]:
    fake.add_text_channel(2000)
    point_gateway_at(fake)
    settings = fake.settings()
    service = CountingService(fake)
    handler = CommandHandler(settings, service, FakeClock())
    bot = DiscordBot(settings, handler, client_options={"guild_ready_timeout": 0})
    await bot.start()
    async with asyncio.timeout(10):
        await bot.client.wait_until_ready()
    return bot, service


@pytest.fixture
async def running(fake: FakeDiscord) -> Any:
    bot, service = await _start(fake)
    yield bot, service
    await bot.close()


async def _invoke(fake: FakeDiscord, options: list[dict[str, Any]], **kw: Any) -> list[Recorded]:
    """Send /hotpapers through the gateway; the requests it caused, up to its follow-up."""
    payload = fake.interaction(options, **kw)
    start = len(fake.requests)
    await fake.send_interaction(payload)
    done = f"/webhooks/{fake.app_id}/{payload['token']}"
    await fake.wait_for(lambda f: any(r.path == done for r in f.requests[start:]))
    return fake.requests[start:]


def _followup(requests: list[Recorded]) -> dict[str, Any]:
    (body,) = [r.json for r in requests if r.path.startswith("/webhooks/")]
    assert body["allowed_mentions"] == {"parse": []} and body["flags"] == 64  # ephemeral
    return body


async def test_defer_first_then_the_thread_then_the_followup(
    fake: FakeDiscord,
    running: Any,
) -> None:
    _, service = running
    requests = await _invoke(fake, [CATEGORY, DATE, TOP])
    callback = requests[0]
    assert callback.path.endswith("/callback")
    assert callback.json == {"type": 5, "data": {"flags": 64}}
    assert service.queries == [Query(("cs.CL",), dt.date(2021, 4, 12), 2)]
    assert service.requests_before[0] > fake.requests.index(callback)
    thread = "1300000000000000003"  # ids: command sync 1, interaction 2, header 3
    assert [(r.method, r.path) for r in requests[1:]] == [
        ("GET", "/channels/2000"),
        ("POST", "/channels/2000/messages"),
        ("POST", f"/channels/2000/messages/{thread}/threads"),
        ("POST", f"/channels/{thread}/messages"),
        ("POST", f"/channels/{thread}/messages"),
        ("POST", f"/webhooks/{fake.app_id}/{callback.path.split('/')[3]}"),
    ]
    assert _followup(requests)["content"] == (
        f"Posted Hot Papers 2021-04-12 (2 papers in cs.CL) in its thread. <#{thread}>"
    )
    for body in fake.message_bodies():
        assert body["allowed_mentions"] == {"parse": []}
        assert validate_message(body) == []


async def test_two_asking_at_once_share_one_build(fake: FakeDiscord, running: Any) -> None:
    _, service = running
    service.release.clear()  # no digest until both have asked
    asked = [fake.interaction([CATEGORY, DATE, TOP]) for _ in range(2)]
    for payload in asked:
        await fake.send_interaction(payload)
    deferred = [f"/interactions/{p['id']}/{p['token']}/callback" for p in asked]
    await fake.wait_for(lambda f: all(any(r.path == d for r in f.requests) for d in deferred))
    service.release.set()
    done = [f"/webhooks/{fake.app_id}/{p['token']}" for p in asked]
    await fake.wait_for(lambda f: all(any(r.path == d for r in f.requests) for d in done))
    assert service.queries == [Query(("cs.CL",), dt.date(2021, 4, 12), 2)]  # one build for both
    headers = [
        r for r in fake.requests if (r.method, r.path) == ("POST", "/channels/2000/messages")
    ]
    assert len(headers) == 2  # and each asker still gets the thread posted


async def building(fake: FakeDiscord, service: FakeService, payload: dict[str, Any]) -> None:
    """Send the command; return once it is deferred and its digest is being built."""
    await fake.send_interaction(payload)
    deferred = f"/interactions/{payload['id']}/{payload['token']}/callback"
    await fake.wait_for(lambda f: any(r.path == deferred for r in f.requests))
    async with asyncio.timeout(10):
        while not service.queries:
            await asyncio.sleep(0)


async def test_closing_lets_an_answer_in_flight_finish_its_thread(fake: FakeDiscord) -> None:
    bot, service = await _start(fake)
    service.release.clear()  # the digest is being built when the shutdown comes
    payload = fake.interaction([CATEGORY, DATE, TOP])
    await building(fake, service, payload)
    closing = asyncio.create_task(bot.close(drain=30))
    await asyncio.sleep(0)
    assert not closing.done()  # waiting for the answer, not cutting it off
    service.release.set()
    async with asyncio.timeout(10):
        await closing
    paths = [r.path for r in fake.requests]
    assert paths.count("/channels/2000/messages") == 1  # the header, then its thread and replies
    assert f"/webhooks/{fake.app_id}/{payload['token']}" in paths  # and the user's answer
    assert bot.status()["state"] == "closed"


async def test_closing_cancels_an_answer_that_outlasts_the_drain(fake: FakeDiscord) -> None:
    bot, service = await _start(fake)
    service.release.clear()  # never released: a build that hangs
    await building(fake, service, fake.interaction([CATEGORY, DATE, TOP]))
    async with asyncio.timeout(10):
        await bot.close(drain=0.05)  # real seconds: the drain's own deadline
    assert bot.handler.answering == 0
    assert "/channels/2000/messages" not in [r.path for r in fake.requests]


async def test_a_channel_the_bot_cannot_post_in_is_explained(
    fake: FakeDiscord,
    running: Any,
) -> None:
    fake.forbid(2000, methods=("POST",))
    content = _followup(await _invoke(fake, [CATEGORY, DATE]))["content"]
    assert content.startswith(
        "I couldn't post the digest: Discord refused to post the header in "
        "channel 2000 (403 Missing Permissions (code 50013)): give the bot View Channel"
    )


async def test_autocomplete_offers_at_most_25_categories(
    fake: FakeDiscord,
    running: Any,
) -> None:
    payload = fake.interaction(
        [{"name": "category", "type": 3, "value": "cs", "focused": True}], kind=4
    )
    await fake.send_interaction(payload)
    path = f"/interactions/{payload['id']}/{payload['token']}/callback"
    await fake.wait_for(lambda f: any(r.path == path for r in f.requests))
    (body,) = [r.json for r in fake.requests if r.path == path]
    assert body["type"] == 8
    choices = body["data"]["choices"]
    assert len(choices) == 25
    assert choices[0] == {"name": "cs.AI (Artificial Intelligence)", "value": "cs.AI"}


async def test_commands_are_synced_once_and_status_follows_the_connection(
    fake: FakeDiscord,
) -> None:
    bot, _ = await _start(fake)
    assert bot.status()["state"] == "connected" and bot.status()["commands_synced"]
    await bot.client.setup_hook()  # as a second login would: no second sync
    puts = [r for r in fake.requests if r.method == "PUT"]
    assert [r.path for r in puts] == [f"/applications/{fake.app_id}/commands"]
    (command,) = puts[0].json
    assert command["name"] == "hotpapers"
    options = {o["name"]: o for o in command["options"]}
    assert list(options) == [
        "category", "date", "top", "action", "time", "include", "exclude", "notify",
        "catching", "week_day", "query", "reactions",
    ]  # fmt: skip
    assert [c["value"] for c in options["notify"]["choices"]] == ["on", "off"]
    assert [c["value"] for c in options["reactions"]["choices"]] == ["on", "off"]
    assert options["category"]["autocomplete"] is True
    assert (options["top"]["type"], options["top"]["min_value"], options["top"]["max_value"]) == (
        4,
        1,
        50,
    )
    assert [c["value"] for c in options["week_day"]["choices"]][::6] == ["monday", "sunday"]
    assert [c["value"] for c in options["action"]["choices"]] == [
        "digest",
        "week",
        "help",
        "paper",
        "search",
        "subscribe",
        "unsubscribe",
        "settings",
    ]
    assert len(fake.identifies) == 1
    await bot.close()
    assert bot.status() == {
        "state": "closed",
        "latency_ms": None,
        "shards": [0],
        "commands_synced": True,
        "error": None,
    }


async def test_the_gateway_client_shards_as_discord_recommends(fake: FakeDiscord) -> None:
    """An ``AutoShardedClient``: asks ``GET /gateway/bot`` how many shards, identifies each."""
    bot, _ = await _start(fake)
    assert isinstance(bot.client, discord.AutoShardedClient)
    assert ("GET", "/gateway/bot") in fake.calls()
    assert [i["shard"] for i in fake.identifies] == [[0, 1]]
    assert bot.status()["state"] == "connected" and bot.status()["shards"] == [0]
    await bot.close()


async def test_shards_split_across_processes_by_settings(fake: FakeDiscord) -> None:
    """``HOTPAPERS_DISCORD_SHARD_COUNT``/``_IDS``: this process runs shard 1 of 2 only."""
    fake.add_text_channel(2000)
    point_gateway_at(fake)
    settings = fake.settings(discord_shard_count=2, discord_shard_ids="1")
    bot = DiscordBot(settings, CommandHandler(settings, FakeService(), FakeClock()),
                     client_options={"guild_ready_timeout": 0})  # fmt: skip
    await bot.start()
    async with asyncio.timeout(10):
        await bot.client.wait_until_ready()
    assert [i["shard"] for i in fake.identifies] == [[1, 2]]
    assert ("GET", "/gateway/bot") not in fake.calls()  # the count is given: nothing to ask
    assert bot.status()["state"] == "connected" and bot.status()["shards"] == [1]
    await bot.close()


def test_a_bot_that_never_started_is_closed(fake: FakeDiscord) -> None:
    settings = fake.settings()
    bot = DiscordBot(settings, CommandHandler(settings, FakeService(), FakeClock()))
    assert bot.status()["state"] == "closed"


async def test_typed_options_reach_the_core_typed(fake: FakeDiscord, running: Any) -> None:
    bot, _ = running
    seen: list[Request] = []
    answer = bot.handler.answer

    async def spy(request: Request, conversation: Any) -> Any:
        seen.append(request)
        return await answer(request, conversation)

    bot.handler.answer = spy  # type: ignore[method-assign]
    await _invoke(fake, [CATEGORY, DATE, TOP, {"name": "action", "type": 3, "value": "digest"}])
    assert seen == [
        Request(
            platform="discord", workspace=fake.guild_id, channel="2000",
            user="336733686529654798", text="",
            options=Options(action="digest", categories="cs.CL", date="2021-04-12", top=2),
        )
    ]  # fmt: skip
    assert isinstance(seen[0].options and seen[0].options.top, int)  # no text round trip


def test_category_choices_complete_the_last_code() -> None:
    assert [c.value for c in category_choices("cs.CL cs.L")] == [
        "cs.CL cs.LG",
        "cs.CL cs.LO",
    ]
    assert category_choices("cs.C")[0].name == "cs.CC (Computational Complexity)"
    assert len(category_choices("")) == 25
    assert category_choices("no-such-thing") == []
    assert all(len(c.value) <= 100 for c in category_choices("x" * 99 + " cs"))
