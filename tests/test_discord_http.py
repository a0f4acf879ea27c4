"""``POST /discord/interactions`` in ``hotpapers run``: real Ed25519 signatures (PyNaCl), PING,
401s, ``/hotpapers cs.CL 2021-04-12`` ending with the thread at the loopback fake Discord and the
follow-up as the asker sees it, bad input answered briefly, garbage refused with a 400."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from nacl.signing import SigningKey

from adapters.discord_http import INTERACTIONS_PATH
from bot.buttons import OLD_BUTTON
from bot.clock import FakeClock
from bot.config import Settings
from hotpapers.checks import discord_mode
from hotpapers.runtime import Runtime
from tests.fake_discord import FakeDiscord, Recorded, serving

NOW = dt.datetime(2021, 4, 13, 12, 0, tzinfo=dt.UTC)
KEY = SigningKey(bytes(range(32)))  # a fixed test key: the signatures are real Ed25519
CATEGORY = {"name": "category", "type": 3, "value": "cs.CL"}
DATE = {"name": "date", "type": 3, "value": "2021-04-12"}


class Endpoint:
    """The running bot's endpoint, and a way to send it bodies signed as Discord signs them."""

    def __init__(self, runtime: Runtime, fake: FakeDiscord, clock: FakeClock) -> None:
        self.runtime, self.fake, self.clock = runtime, fake, clock
        self.url = f"http://127.0.0.1:{runtime.port}{INTERACTIONS_PATH}"

    def signed(self, body: bytes, *, key: SigningKey = KEY, age: float = 0) -> dict[str, str]:
        timestamp = str(int(self.clock.now().timestamp() - age))
        signature = key.sign(timestamp.encode() + body).signature.hex()
        return {"X-Signature-Ed25519": signature, "X-Signature-Timestamp": timestamp,
                "Content-Type": "application/json"}  # fmt: skip

    async def post(
        self, body: bytes | dict[str, Any], headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent = self.signed(raw) if headers is None else headers
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.url, data=raw, headers=sent) as response,
        ):
            text = await response.text()
            return response.status, json.loads(text) if text.startswith("{") else text

    async def followup(self, token: str) -> Recorded:
        """The edit of the deferred message (waits for it: the answer runs after the 200)."""
        path = f"/webhooks/{self.fake.app_id}/{token}/messages/@original"
        await self.fake.wait_for(lambda f: any(r.path == path for r in f.requests))
        (edit,) = [r for r in self.fake.requests if r.path == path]
        return edit


@pytest.fixture
async def endpoint(tmp_path: Path) -> AsyncIterator[Endpoint]:
    async with serving() as fake:
        fake.add_text_channel(2000)
        clock = FakeClock(NOW)
        settings = fake.settings(
            database_url=f"sqlite:///{tmp_path / 'run.sqlite3'}",
            DISCORD_PUBLIC_KEY=KEY.verify_key.encode().hex(),
        )
        runtime = Runtime(settings, clock=clock, host="127.0.0.1", port=0, schedule=False)
        await runtime.start()
        try:
            yield Endpoint(runtime, fake, clock)
        finally:
            await runtime.stop()


async def test_ping_is_answered_pong_and_health_shows_http_mode(endpoint: Endpoint) -> None:
    assert await endpoint.post({"type": 1}) == (200, {"type": 1})
    url = f"http://127.0.0.1:{endpoint.runtime.port}/healthz"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        discord = (await response.json())["platforms"]["discord"]
    assert (discord["ok"], discord["mode"], discord["state"]) == (True, "http", "ready")
    assert endpoint.fake.identifies == []  # no gateway: Discord sends interactions one way only
    puts = [r.path for r in endpoint.fake.requests if r.method == "PUT"]
    assert puts == [f"/applications/{endpoint.fake.app_id}/commands"]  # /hotpapers registered


async def test_bad_missing_or_stale_signatures_are_401(endpoint: Endpoint) -> None:
    body = json.dumps({"type": 1}).encode()
    other = SigningKey(bytes(range(1, 33)))
    tampered = endpoint.signed(b'{"type": 2}')
    for headers in (
        endpoint.signed(body, key=other),  # signed by someone else
        tampered,  # a valid signature of another body
        {"X-Signature-Timestamp": tampered["X-Signature-Timestamp"]},  # no signature
        {**endpoint.signed(body), "X-Signature-Ed25519": "zz"},  # not hex
        endpoint.signed(body, age=301),  # a replay from more than 5 minutes ago
        {},
    ):
        assert await endpoint.post(body, headers) == (401, {"error": "invalid request signature"})
    assert endpoint.fake.posts() == []


async def test_a_digest_command_over_http_posts_the_thread_and_edits_the_answer(
    endpoint: Endpoint, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake = endpoint.fake
    payload = fake.interaction(options=[CATEGORY, DATE])
    status, answer = await endpoint.post(payload)
    assert (status, answer) == (200, {"type": 5, "data": {"flags": 64}})  # deferred, ephemeral
    edit = await endpoint.followup(payload["token"])
    header = next(r for r in fake.requests if r.path == "/channels/2000/messages")
    (thread,) = [r for r in fake.requests if r.path.endswith("/threads")]
    thread_id = thread.path.split("/")[4]  # the thread has its header message's id
    replies = [r for r in fake.requests if r.path == f"/channels/{thread_id}/messages"]
    assert header.json["embeds"][0]["title"].startswith("Hot Papers")
    assert header.json["allowed_mentions"] == {"parse": []}
    assert thread.json["name"].startswith("Hot Papers 2021-04-12")
    assert len(replies) >= 1
    assert edit.method == "PATCH" and "Authorization" not in edit.headers
    assert edit.json == {
        "content": f"Posted Hot Papers 2021-04-12 ({len(replies)} papers in cs.CL) in its "
        f"thread. <#{thread_id}>",
        "allowed_mentions": {"parse": []},
    }
    assert header.headers["Authorization"] == "Bot fake-discord-token"  # the bot posts it
    ours = [r for r in caplog.records if r.name != "aiohttp.access"]  # the fake's own access log
    logged = "\n".join(r.getMessage() for r in ours)
    assert payload["token"] not in logged and "fake-discord-token" not in logged


async def test_bad_input_gets_a_short_ephemeral_reply(endpoint: Endpoint) -> None:
    fake = endpoint.fake
    unknown = fake.interaction(options=[{"name": "category", "type": 3, "value": "cs.XX"}])
    assert (await endpoint.post(unknown))[1] == {"type": 5, "data": {"flags": 64}}
    edit = await endpoint.followup(unknown["token"])
    assert edit.json == {
        "content": "Unknown category `cs.XX`. Did you mean `cs.AI`, `cs.AR` or `cs.CC`? "
        "Try `/hotpapers help`.",
        "allowed_mentions": {"parse": []},
    }
    # A value of the wrong type (an outdated registration): answered at once, no deferral.
    wrong = fake.interaction(options=[{"name": "top", "type": 3, "value": "ten"}])
    assert await endpoint.post(wrong) == (200, {"type": 4, "data": {
        "content": "The `top` option needs a number.", "flags": 64,
        "allowed_mentions": {"parse": []},
    }})  # fmt: skip
    assert [r.path for r in fake.posts() if r.path.startswith("/channels/")] == []


async def test_autocomplete_over_http_offers_categories(endpoint: Endpoint) -> None:
    payload = endpoint.fake.interaction(
        options=[{"name": "category", "type": 3, "value": "cs.C", "focused": True}], kind=4
    )
    status, answer = await endpoint.post(payload)
    assert status == 200 and answer["type"] == 8
    assert {"name": "cs.CL (Computation and Language)", "value": "cs.CL"} in answer["data"][
        "choices"
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"type": 99}',
        b'{"type": "1"}',
        b'{"type": 2}',
        b'{"type": 2, "data": {"name": "hotpapers"}}',  # no token, no channel
        b'{"type": 2, "data": {"name": "hotpapers", "options": "cs.CL"}, "token": "t", '
        b'"application_id": "1", "channel_id": "2000", "guild_id": "1", '
        b'"member": {"user": {"id": "3"}}}',
        b"\xff\xfe",
    ],
)
async def test_signed_garbage_is_a_400_never_a_traceback(endpoint: Endpoint, body: bytes) -> None:
    assert await endpoint.post(body) == (400, {"error": "not an interaction"})
    assert endpoint.fake.posts() == []


@pytest.mark.parametrize(
    ("settings", "mode"),
    [
        ({"DISCORD_PUBLIC_KEY": "ab" * 32, "port": 8080},
         "HTTP interactions at POST /discord/interactions on port 8080"),
        ({}, "gateway (shards as Discord recommends)"),
        ({"discord_shard_count": 4, "discord_shard_ids": "2,3"}, "gateway, shards 2, 3 of 4"),
    ],
)  # fmt: skip
def test_check_reports_the_discord_mode(settings: dict[str, Any], mode: str) -> None:
    assert discord_mode(Settings(_env_file=None, **settings)) == mode  # type: ignore[call-arg]


async def test_a_paper_button_over_http_is_answered_to_the_presser_only(endpoint: Endpoint) -> None:
    fake = endpoint.fake
    press = fake.component_interaction("hp:abstract:2104.04015:v1")
    assert await endpoint.post(press) == (200, {"type": 5, "data": {"flags": 64}})
    edit = await endpoint.followup(press["token"])
    assert edit.method == "PATCH" and "Authorization" not in edit.headers
    text = edit.json["content"]
    assert "We aim at constructing a high performance model" in text
    assert text.endswith("https://arxiv.org/abs/2104.04015")
    assert (edit.json["flags"], edit.json["allowed_mentions"]) == (4, {"parse": []})  # no preview
    # A button of an older message version: one short line; nothing posted in the channel.
    old = fake.component_interaction("hp:more:2104.04015:v0")
    assert (await endpoint.post(old))[0] == 200
    assert (await endpoint.followup(old["token"])).json["content"] == OLD_BUTTON
    assert [r for r in fake.posts() if r.path.startswith("/channels/")] == []


async def test_a_component_without_a_custom_id_is_refused(endpoint: Endpoint) -> None:
    press = endpoint.fake.component_interaction("hp:abstract:2104.04015:v1")
    press["data"] = {"component_type": 2}
    assert await endpoint.post(press) == (400, {"error": "not an interaction"})
