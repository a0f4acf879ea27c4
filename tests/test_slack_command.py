"""``/hotpapers`` in Slack: signed requests through the HTTP endpoint, replies, threads, OAuth."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from slack_bolt.async_app import AsyncApp

from adapters.slack_app import (
    build_slack_app,
    command_text,
    request_of,
    slack_routes,
    start_socket_mode,
    stop_socket_mode,
)
from adapters.slack_blocks import escape_mrkdwn, validate_message
from adapters.slack_oauth import SCOPES, build_slack_oauth
from bot.clock import FakeClock
from bot.commands import CommandError, Query, parse_command
from bot.config import ConfigError, Settings
from bot.handler import CommandHandler
from bot.ports import Request
from bot.store import Store
from bot.subscription_commands import SubscriptionHandler
from bot.subscriptions import SubscriptionStore
from tests.chat_drivers import SECRET, TOKEN, TRIGGERS, FakeService, signed
from tests.factories import make_digest
from tests.fake_slack import FakeSlack, fake_slack_fixture  # noqa: F401 (the fixture)

NOW = dt.datetime(2021, 4, 13, 12, 0, tzinfo=dt.UTC)
LOOKING = "Looking up Hot Papers for cs.CL on 2021-04-12 (top 10); the thread follows here."


def make_settings(fake: FakeSlack, **kw: Any) -> Settings:
    base: dict[str, Any] = {
        "slack_api_url": fake.api_url, "slack_bot_token": TOKEN,
        "slack_signing_secret": SECRET, "default_categories": ["cs.CL"],
    }  # fmt: skip
    return Settings(_env_file=None, **(base | kw))


def make_app(settings: Settings, service: FakeService, clock: FakeClock, **kw: Any) -> AsyncApp:
    return build_slack_app(settings, CommandHandler(settings, service, clock), clock=clock, **kw)


def command_body(fake: FakeSlack, text: str, *, team: str = "T111", channel: str = "C1") -> str:
    return urlencode({
        "command": "/hotpapers", "text": text, "team_id": team, "team_domain": "fake",
        "channel_id": channel, "channel_name": "papers", "user_id": "U42", "user_name": "ada",
        "response_url": fake.response_url("1"), "trigger_id": next(TRIGGERS), "api_app_id": "A111",
    })  # fmt: skip


async def serve(app: AsyncApp, oauth: bool = False, settings: Settings | None = None) -> TestClient:
    """The app's HTTP routes on a test server; requests are signed with ``SECRET``."""
    settings = settings or Settings(_env_file=None, slack_signing_secret=SECRET)
    web_app = web.Application()
    web_app.add_routes(slack_routes(app, settings, oauth=oauth))
    client = TestClient(TestServer(web_app))
    await client.start_server()
    return client


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
async def http(
    fake_slack: FakeSlack, clock: FakeClock
) -> AsyncIterator[tuple[TestClient, FakeService]]:
    settings = make_settings(fake_slack)
    service = FakeService()
    service.outcome = make_digest(3)
    client = await serve(make_app(settings, service, clock))
    yield client, service
    await client.close()


async def test_signed_query_is_acked_at_once_then_threaded(
    http: tuple[TestClient, FakeService], fake_slack: FakeSlack
) -> None:
    client, service = http
    service.release.clear()  # the digest is not ready until the ack is back
    body = command_body(fake_slack, "cs.CL 2021-04-12")
    started = time.perf_counter()
    response = await client.post("/slack/events", data=body, headers=signed(body))
    latency = time.perf_counter() - started
    print(f"\n/hotpapers ack latency: {latency * 1000:.1f} ms")
    assert response.status == 200
    assert await response.text() == ""
    assert fake_slack.posts == []

    service.release.set()
    await fake_slack.wait_for(lambda f: len(f.posts) == 4)
    assert service.queries == [Query(("cs.CL",), dt.date(2021, 4, 12), 10)]
    assert fake_slack.responses == [{"text": LOOKING, "response_type": "ephemeral"}]
    header, *replies = fake_slack.posts
    assert header["channel"] == "C1" and header["text"].startswith("Hot Papers 2021-04-12")
    assert [r["thread_ts"] for r in replies] == ["1618300000.000001"] * 3
    assert all(validate_message(p) == [] for p in fake_slack.posts)
    assert {c.token for c in fake_slack.calls if c.method != "response_url"} == {TOKEN}


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(lambda body: signed(body, secret="wrong-secret"), id="wrong-secret"),
        pytest.param(lambda body: signed(body, age=6 * 60), id="stale-timestamp"),
        pytest.param(
            lambda body: {"Content-Type": "application/x-www-form-urlencoded"}, id="unsigned"
        ),
    ],
)
async def test_unverified_requests_get_401(
    http: tuple[TestClient, FakeService], fake_slack: FakeSlack, headers: Any
) -> None:
    client, service = http
    body = command_body(fake_slack, "cs.CL")
    response = await client.post("/slack/events", data=body, headers=headers(body))
    assert response.status == 401
    assert fake_slack.calls == [] and service.queries == []


async def reply_to(client: TestClient, fake: FakeSlack, text: str, count: int = 1) -> list[dict]:
    body = command_body(fake, text)
    response = await client.post("/slack/events", data=body, headers=signed(body))
    assert response.status == 200
    await fake.wait_for(lambda f: len(f.responses) >= count)
    return fake.responses


async def test_bad_input_gets_the_parser_message(
    http: tuple[TestClient, FakeService], fake_slack: FakeSlack, clock: FakeClock
) -> None:
    client, service = http
    with pytest.raises(CommandError) as expected:
        parse_command(command_text("cs.XX 2021-04-10 <!channel>"), now=NOW,
                      default_categories=["cs.CL"], default_top=10)  # fmt: skip
    replies = await reply_to(client, fake_slack, "cs.XX 2021-04-10 <!channel>")
    assert replies == [{"text": escape_mrkdwn(str(expected.value)), "response_type": "ephemeral"}]
    assert "<!" not in replies[0]["text"]
    assert fake_slack.posts == [] and service.queries == []


def test_command_text_undoes_slacks_formatting() -> None:
    # Slack links what looks like a domain and escapes &<>: the core gets what was typed.
    assert command_text("<http://cs.AI|cs.AI> <http://stat.ML> top=3").split() == [
        "cs.AI", "stat.ML", "top=3"
    ]  # fmt: skip
    assert command_text("<mailto:a@b.io|a@b.io> x&amp;y &lt;!here&gt;").split() == [
        "a@b.io", "x&y", "<!here>"
    ]  # fmt: skip


def test_a_slash_command_becomes_the_cores_request() -> None:
    payload = {"command": "/hotpapers", "text": "<http://cs.AI|cs.AI> top=3", "team_id": "T1",
               "channel_id": "C9", "user_id": "U7", "response_url": "https://x"}  # fmt: skip
    assert request_of(payload) == Request(
        platform="slack", workspace="T1", channel="C9", user="U7", text=" cs.AI  top=3"
    )


async def test_users_info_is_asked_only_for_a_change(
    fake_slack: FakeSlack, clock: FakeClock, tmp_path: Path
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'subs.sqlite3'}")
    settings = make_settings(fake_slack)
    subscriptions = SubscriptionHandler(SubscriptionStore(store, clock), clock)
    handler = CommandHandler(settings, FakeService(), clock, subscriptions=subscriptions)
    client = await serve(build_slack_app(settings, handler, clock=clock))
    fake_slack.admins = {"U42"}
    try:
        await reply_to(client, fake_slack, "settings")
        assert fake_slack.calls_to("users.info") == []  # reading needs no permission
        replies = await reply_to(client, fake_slack, "subscribe cs.CL at 09:00", count=2)
    finally:
        await client.close()
        store.close()
    assert [c.body for c in fake_slack.calls_to("users.info")] == [
        {"user": "U42", "team_id": "T111"}
    ]
    assert replies[-1]["text"].startswith("Subscribed: this channel gets Hot Papers for cs.CL")


# slack_sdk's oauth.v2.access still passes aiohttp.BasicAuth, deprecated in aiohttp 3.14.
@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
async def test_oauth_install_and_a_command_from_the_new_workspace(
    fake_slack: FakeSlack, clock: FakeClock, tmp_path: Path
) -> None:
    database = tmp_path / "slack.sqlite3"
    settings = make_settings(
        fake_slack, slack_bot_token=None, slack_client_id="111.222",
        slack_client_secret="client-secret", database_url=f"sqlite:///{database}",
    )  # fmt: skip
    oauth = build_slack_oauth(settings)
    await oauth.create_tables()
    service = FakeService()
    service.outcome = make_digest(1)
    client = await serve(make_app(settings, service, clock, oauth=oauth), oauth=True)
    try:
        install = await client.get("/slack/install", allow_redirects=False)
        assert install.status == 302
        location = urlsplit(install.headers["Location"])
        query = parse_qs(location.query)
        assert f"{location.scheme}://{location.netloc}{location.path}" == (
            "https://slack.com/oauth/v2/authorize"
        )
        assert query["client_id"] == ["111.222"] and query["scope"] == [",".join(SCOPES)]
        assert query["scope"] == [
            "commands,chat:write,users:read,channels:history,groups:history,reactions:read"
        ]

        fake_slack.grant_oauth("code-1", team_id="T999", bot_token="xoxb-installed-T999")
        cookie = install.cookies["slack-app-oauth-state"]  # Secure: the jar keeps it off http
        callback = await client.get(
            "/slack/oauth_redirect",
            params={"code": "code-1", "state": query["state"][0]},
            headers={"Cookie": f"{cookie.key}={cookie.value}"},
        )
        assert callback.status == 200
        assert await oauth.bot_token("T999") == "xoxb-installed-T999"

        body = command_body(fake_slack, "cs.CL 2021-04-12", team="T999")
        response = await client.post("/slack/events", data=body, headers=signed(body))
        assert response.status == 200
        await fake_slack.wait_for(lambda f: len(f.posts) == 2)
    finally:
        await client.close()
        await oauth.close()
    assert {c.token for c in fake_slack.calls_to("chat.postMessage")} == {"xoxb-installed-T999"}
    assert database.exists()


async def test_oauth_stores_create_their_tables(fake_slack: FakeSlack, tmp_path: Path) -> None:
    import sqlite3

    database = tmp_path / "nested" / "hot.sqlite3"
    settings = make_settings(fake_slack, slack_client_id="1.2", slack_client_secret="s",
                             database_url=f"sqlite:///{database}")  # fmt: skip
    oauth = build_slack_oauth(settings)
    await oauth.create_tables()
    await oauth.close()
    with sqlite3.connect(database) as db:
        tables = {row[0] for row in db.execute("select name from sqlite_master where type='table'")}
    assert {"slack_bots", "slack_installations", "slack_oauth_states"} <= tables


async def test_socket_mode_command(fake_slack: FakeSlack, clock: FakeClock) -> None:
    settings = make_settings(fake_slack, slack_signing_secret=None)
    service = FakeService()
    service.outcome = make_digest(1)
    app = make_app(settings, service, clock)
    handler = await start_socket_mode(app, "xapp-test")
    try:
        await fake_slack.wait_for(lambda f: f.socket_connected)
        payload = {"command": "/hotpapers", "text": "cs.CL 2021-04-12", "team_id": "T111",
                   "channel_id": "C1", "user_id": "U42", "api_app_id": "A111",
                   "response_url": fake_slack.response_url("s"), "trigger_id": "t"}  # fmt: skip
        await fake_slack.push_envelope("slash_commands", payload, envelope_id="env-1")
        await fake_slack.wait_for(lambda f: len(f.posts) == 2 and len(f.socket_acks) == 1)
    finally:
        await stop_socket_mode(handler)
    assert fake_slack.socket_acks[0]["envelope_id"] == "env-1"
    assert [c.token for c in fake_slack.calls_to("apps.connections.open")] == ["xapp-test"]
    header_ts = fake_slack.calls_to("chat.postMessage")[0].answer["ts"]
    assert fake_slack.posts[1]["thread_ts"] == header_ts


async def test_socket_mode_with_a_refused_app_token(
    fake_slack: FakeSlack, clock: FakeClock
) -> None:
    fake_slack.fail_token("xapp-revoked", "invalid_auth")
    settings = make_settings(fake_slack, slack_signing_secret=None)
    app = make_app(settings, FakeService(), clock)
    with pytest.raises(ConfigError) as caught:
        await start_socket_mode(app, "xapp-revoked")
    assert str(caught.value) == (
        "Slack refused SLACK_APP_TOKEN (invalid_auth): use an app-level token (xapp-...) "
        "with the connections:write scope and Socket Mode enabled"
    )
