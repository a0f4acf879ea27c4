"""``/hotpapers`` in Slack: signed requests through the HTTP endpoint, replies, threads, OAuth."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
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
    NO_SUBSCRIPTIONS,
    NOT_IN_CHANNEL,
    SOMETHING_WRONG,
    build_slack_app,
    slack_routes,
    start_socket_mode,
    stop_socket_mode,
)
from adapters.slack_blocks import escape_mrkdwn, validate_message
from adapters.slack_oauth import SCOPES, build_slack_oauth
from bot.clock import FakeClock
from bot.commands import HELP_TEXT, CommandError, Query, Subscribe, parse_command
from bot.config import ConfigError, Settings
from bot.models import Digest
from bot.service import UserError
from tests.factories import make_digest
from tests.fake_slack import FakeSlack, fake_slack_fixture  # noqa: F401 (the fixture)

SECRET = "test-signing-secret"
TOKEN = "xoxb-single-workspace"
NOW = dt.datetime(2021, 4, 13, 12, 0, tzinfo=dt.UTC)
LOOKING = "Looking up Hot Papers for cs.CL on 2021-04-12 (top 10); the thread follows here."


class FakeService:
    """The DigestService surface the command uses; can hold a digest back until released."""

    def __init__(self, settings: Settings, clock: FakeClock, outcome: Digest | Exception) -> None:
        self.settings, self.clock, self.outcome = settings, clock, outcome
        self.queries: list[Query] = []
        self.release = asyncio.Event()
        self.release.set()

    async def digest_for(self, query: Query) -> Digest:
        self.queries.append(query)
        await self.release.wait()
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


class FakeSubscriptions:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.allowed: list[bool] = []

    async def handle(self, platform: str, team_id: str, channel_id: str, user_id: str,
                     request: object, *, allowed: bool, managers: str) -> str:  # fmt: skip
        assert managers == "workspace admins and owners"
        self.calls.append((platform, team_id, channel_id, user_id, request))
        self.allowed.append(allowed)
        return "Subscribed <#C1> to cs.CL at 09:00"


def make_settings(fake: FakeSlack, **kw: Any) -> Settings:
    base: dict[str, Any] = {
        "slack_api_url": fake.api_url, "slack_bot_token": TOKEN,
        "slack_signing_secret": SECRET, "default_categories": ["cs.CL"],
    }  # fmt: skip
    return Settings(_env_file=None, **(base | kw))


def signed(body: str, *, secret: str = SECRET, age: int = 0) -> dict[str, str]:
    """Slack's signature: HMAC-SHA256 of ``v0:{ts}:{body}`` (Bolt checks it against time.time())."""
    ts = str(int(time.time()) - age)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
    }


def command_body(fake: FakeSlack, text: str, *, team: str = "T111", channel: str = "C1") -> str:
    return urlencode({
        "command": "/hotpapers", "text": text, "team_id": team, "team_domain": "fake",
        "channel_id": channel, "channel_name": "papers", "user_id": "U42", "user_name": "ada",
        "response_url": fake.response_url("1"), "trigger_id": "1.2.3", "api_app_id": "A111",
    })  # fmt: skip


async def serve(app: AsyncApp, oauth: bool = False) -> TestClient:
    web_app = web.Application()
    web_app.add_routes(slack_routes(app, oauth=oauth))
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
    service = FakeService(settings, clock, make_digest(3))
    client = await serve(build_slack_app(settings, service, clock=clock))
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


async def test_help_is_an_ephemeral_reply(
    http: tuple[TestClient, FakeService], fake_slack: FakeSlack
) -> None:
    client, service = http
    replies = await reply_to(client, fake_slack, "help")
    assert replies == [{"text": escape_mrkdwn(HELP_TEXT), "response_type": "ephemeral"}]
    assert fake_slack.posts == [] and service.queries == []


async def test_bad_input_gets_the_parser_message(
    http: tuple[TestClient, FakeService], fake_slack: FakeSlack, clock: FakeClock
) -> None:
    client, service = http
    with pytest.raises(CommandError) as expected:
        parse_command("cs.XX 2021-04-10 <!channel>", now=NOW, default_categories=["cs.CL"],
                      default_top=10)  # fmt: skip
    replies = await reply_to(client, fake_slack, "cs.XX 2021-04-10 <!channel>")
    assert replies == [{"text": escape_mrkdwn(str(expected.value)), "response_type": "ephemeral"}]
    assert "<!" not in replies[0]["text"]
    assert fake_slack.posts == [] and service.queries == []


@pytest.mark.parametrize(
    ("outcome", "channel_error", "answer"),
    [
        (UserError("No listing on 2021-04-12 yet"), None, "No listing on 2021-04-12 yet"),
        (make_digest(2), "not_in_channel", NOT_IN_CHANNEL),
        (make_digest(2), "channel_not_found", NOT_IN_CHANNEL),
        (
            make_digest(2), "invalid_auth",
            "I couldn't post the digest: Slack rejected the bot token (invalid_auth): "
            "check SLACK_BOT_TOKEN or reinstall the app",
        ),
        (make_digest(0), None, "No paper in cs.CL on 2021-04-12 (top 10) got any attention yet."),
        (RuntimeError("boom"), None, SOMETHING_WRONG),
    ],
)  # fmt: skip
async def test_failures_become_ephemeral_replies(
    fake_slack: FakeSlack, clock: FakeClock, outcome: Any, channel_error: str | None, answer: str
) -> None:
    if channel_error:
        fake_slack.fail_channel("C1", channel_error)
    settings = make_settings(fake_slack)
    client = await serve(build_slack_app(settings, FakeService(settings, clock, outcome),
                                         clock=clock))  # fmt: skip
    try:
        replies = await reply_to(client, fake_slack, "cs.CL 2021-04-12", count=2)
    finally:
        await client.close()
    assert replies == [
        {"text": LOOKING, "response_type": "ephemeral"},
        {"text": escape_mrkdwn(answer), "response_type": "ephemeral"},
    ]
    assert fake_slack.posts == []


async def test_subscriptions_go_to_the_handler_or_the_cli(
    fake_slack: FakeSlack, clock: FakeClock
) -> None:
    settings = make_settings(fake_slack)
    service = FakeService(settings, clock, make_digest(1))
    client = await serve(build_slack_app(settings, service, clock=clock))
    try:
        assert (await reply_to(client, fake_slack, "unsubscribe"))[-1]["text"] == NO_SUBSCRIPTIONS
    finally:
        await client.close()
    subscriptions = FakeSubscriptions()
    app = build_slack_app(settings, service, clock=clock, subscriptions=subscriptions)
    client = await serve(app)
    fake_slack.admins = {"U42"}  # type: ignore[attr-defined]
    try:
        replies = await reply_to(client, fake_slack, "subscribe cs.CL at 09:00", count=2)
    finally:
        await client.close()
    # users.info said U42 is a workspace admin: the handler may change the subscription.
    assert subscriptions.allowed == [True]
    assert [c.body for c in fake_slack.calls_to("users.info")] == [
        {"user": "U42", "team_id": "T111"}
    ]
    assert replies[-1]["text"] == "Subscribed &lt;#C1&gt; to cs.CL at 09:00"
    [(platform, team, channel, user, request)] = subscriptions.calls
    assert (platform, team, channel, user) == ("slack", "T111", "C1", "U42")
    assert isinstance(request, Subscribe) and request.time == dt.time(9, 0)


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
    service = FakeService(settings, clock, make_digest(1))
    client = await serve(build_slack_app(settings, service, clock=clock, oauth=oauth), oauth=True)
    try:
        install = await client.get("/slack/install", allow_redirects=False)
        assert install.status == 302
        location = urlsplit(install.headers["Location"])
        query = parse_qs(location.query)
        assert f"{location.scheme}://{location.netloc}{location.path}" == (
            "https://slack.com/oauth/v2/authorize"
        )
        assert query["client_id"] == ["111.222"] and query["scope"] == [",".join(SCOPES)]
        assert query["scope"] == ["commands,chat:write,users:read"]

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
    app = build_slack_app(settings, FakeService(settings, clock, make_digest(1)), clock=clock)
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
    app = build_slack_app(settings, FakeService(settings, clock, make_digest(1)), clock=clock)
    with pytest.raises(ConfigError) as caught:
        await start_socket_mode(app, "xapp-revoked")
    assert str(caught.value) == (
        "Slack refused SLACK_APP_TOKEN (invalid_auth): use an app-level token (xapp-...) "
        "with the connections:write scope and Socket Mode enabled"
    )
