"""The paper buttons on Slack beyond the shared suite: Socket Mode, the ``chat.postEphemeral``
fallback, and the front door refusing an unsigned press (``tests/test_talk_chat.py`` covers the
answers over HTTP mode on both platforms)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.slack_app import build_slack_app, slack_routes, start_socket_mode, stop_socket_mode
from bot.buttons import OLD_BUTTON
from bot.clock import FakeClock
from bot.config import Settings
from bot.handler import CommandHandler
from bot.store import Store
from bot.talk import Talk
from tests.chat_drivers import SECRET, TOKEN, FakeService, block_actions
from tests.fake_slack import FakeSlack, fake_slack_fixture  # noqa: F401 (the fixture)

NOW = dt.datetime(2021, 4, 13, 12, 0, tzinfo=dt.UTC)


def make_handler(fake: FakeSlack, tmp_path: Path, **kw: object) -> tuple[Settings, CommandHandler]:
    settings = Settings(_env_file=None, slack_api_url=fake.api_url, slack_bot_token=TOKEN, **kw)
    clock = FakeClock(NOW)
    talk = Talk(settings, Store(f"sqlite:///{tmp_path}/hp.sqlite3"), clock)
    return settings, CommandHandler(settings, FakeService(), clock, talk=talk)


def press(fake: FakeSlack, value: str, *, response_url: bool = True) -> dict[str, object]:
    payload = block_actions(fake.response_url("b"), value, "hotpapers_abstract", channel="C1",
                            workspace="T111")  # fmt: skip
    if not response_url:
        del payload["response_url"]
    return payload


async def test_socket_mode_press_is_acked_and_answered_ephemerally(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    settings, handler = make_handler(fake_slack, tmp_path)
    app = build_slack_app(settings, handler, clock=handler.clock)
    socket = await start_socket_mode(app, "xapp-test")
    try:
        await fake_slack.wait_for(lambda f: f.socket_connected)
        payload = press(fake_slack, "hp:abstract:2104.04015:v1")
        await fake_slack.push_envelope("interactive", payload, envelope_id="env-b")
        await fake_slack.wait_for(lambda f: len(f.responses) == 1 and len(f.socket_acks) == 1)
        await handler.drain(10)
    finally:
        await stop_socket_mode(socket)
    assert fake_slack.socket_acks[0]["envelope_id"] == "env-b"
    (answer,) = fake_slack.responses
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert answer["text"].startswith("CutPaste: Self-Supervised Learning for Anomaly Detection")
    assert fake_slack.posts == []  # nothing in the channel


async def test_without_a_response_url_the_answer_is_posted_ephemerally(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    settings, handler = make_handler(fake_slack, tmp_path)
    app = build_slack_app(settings, handler, clock=handler.clock)
    socket = await start_socket_mode(app, "xapp-test")
    try:
        await fake_slack.wait_for(lambda f: f.socket_connected)
        payload = press(fake_slack, "hp:abstract:0000.0000:v9", response_url=False)
        await fake_slack.push_envelope("interactive", payload, envelope_id="env-c")
        await fake_slack.wait_for(lambda f: len(f.calls_to("chat.postEphemeral")) == 1)
        await handler.drain(10)
    finally:
        await stop_socket_mode(socket)
    (call,) = fake_slack.calls_to("chat.postEphemeral")
    assert call.ok and call.token == TOKEN
    assert (call.body["channel"], call.body["user"]) == ("C1", "U42")
    assert call.body["text"] == OLD_BUTTON.replace("<", "&lt;").replace(">", "&gt;")
    assert fake_slack.responses == [] and fake_slack.posts == []


async def test_an_unsigned_press_is_refused_at_the_front_door(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    settings, handler = make_handler(fake_slack, tmp_path, slack_signing_secret=SECRET)
    web_app = web.Application()
    web_app.add_routes(slack_routes(build_slack_app(settings, handler, clock=handler.clock),
                                    settings))  # fmt: skip
    body = urlencode({"payload": json.dumps(press(fake_slack, "hp:abstract:2104.04015:v1"))})
    async with TestClient(TestServer(web_app)) as client:
        response = await client.post(
            "/slack/events", data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        assert response.status == 401
    await handler.drain(10)
    assert fake_slack.calls == []
