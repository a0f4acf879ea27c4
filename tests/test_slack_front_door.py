"""``POST /slack/events``'s front door: signature on the raw bytes first, one line per refusal, a
replayed or retried command taken once (``adapters.slack_verify``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from slack_bolt.response import BoltResponse

from adapters.slack_app import build_slack_app, slack_routes
from adapters.slack_verify import FrontDoor, Remembered, ReplayGuard
from bot.clock import FakeClock
from bot.config import Settings
from bot.handler import CommandHandler
from tests.chat_drivers import SECRET, TOKEN, FakeService, signed
from tests.factories import make_digest
from tests.fake_slack import FakeSlack, fake_slack_fixture  # noqa: F401 (the fixture)

NOW = dt.datetime(2021, 4, 13, 12, 0, tzinfo=dt.UTC)
LOOKING = "Looking up Hot Papers for cs.CL on 2021-04-12 (top 10); the thread follows here."
COMMAND = (
    "command=%2Fhotpapers&text=help&team_id=T111&channel_id=C1&user_id=U42&trigger_id=1.2.3"
    "&response_url=http%3A%2F%2F127.0.0.1%3A9%2Fresponse%2Fx"
)
FORGED = "v0=" + "0" * 64  # well-formed, not the signature
INVALID = {"error": "invalid request"}
MALFORMED = {"error": "malformed request"}


@pytest.fixture
async def endpoint(
    fake_slack: FakeSlack,
) -> AsyncIterator[tuple[TestClient, FakeService, CommandHandler]]:
    settings = Settings(
        _env_file=None, slack_api_url=fake_slack.api_url, slack_bot_token=TOKEN,
        slack_signing_secret=SECRET, default_categories=["cs.CL"],
    )  # fmt: skip
    service = FakeService()
    service.outcome = make_digest(3)
    clock = FakeClock(NOW)
    handler = CommandHandler(settings, service, clock)
    web_app = web.Application()
    web_app.add_routes(slack_routes(build_slack_app(settings, handler, clock=clock), settings))
    client = TestClient(TestServer(web_app))
    await client.start_server()
    yield client, service, handler
    await client.close()


def ours(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Every record but aiohttp's access log (one line per request, whatever the answer)."""
    return [r for r in caplog.records if r.name != "aiohttp.access"]


def assert_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert "Traceback" not in caplog.text
    assert all(r.exc_info is None and r.exc_text is None for r in caplog.records)


def fresh(ts_header: str, signature: str = FORGED, kind: str = "form") -> dict[str, str]:
    content = "application/json" if kind == "json" else "application/x-www-form-urlencoded"
    return {"Content-Type": content, "X-Slack-Request-Timestamp": ts_header,
            "X-Slack-Signature": signature}  # fmt: skip


def now_ts() -> str:
    return signed("")["X-Slack-Request-Timestamp"]  # the wall clock, as the tests sign with


UNSIGNED: list[Any] = [
    # id, body, headers (a function of the current timestamp), status, answer, level
    ("invalid-utf8", b"command=%2Fhotpapers&text=\xff\xfe\x80", lambda t: fresh(t), 401, INVALID,
     logging.WARNING),
    ("truncated-json", b'{"type": "event_callback", "event": {"ty', lambda t: fresh(t, kind="json"),
     401, INVALID, logging.WARNING),
    ("json-array", b'[{"type": "url_verification"}]', lambda t: fresh(t, kind="json"), 401,
     INVALID, logging.WARNING),
    ("broken-payload", b"payload=%7B%22type%22%3A", lambda t: fresh(t), 401, INVALID,
     logging.WARNING),
    ("superscript-timestamp", COMMAND.encode(), lambda t: fresh(t[:-1] + "¹"), 401, INVALID,
     logging.INFO),
    ("arabic-indic-timestamp", COMMAND.encode(), lambda t: fresh("١٦١٨٣٠٠٠٠٠"), 401, INVALID,
     logging.INFO),
    ("5000-digit-timestamp", COMMAND.encode(), lambda t: fresh("9" * 5000), 401, INVALID,
     logging.INFO),
    ("non-ascii-signature", COMMAND.encode(), lambda t: fresh(t, "v0=" + "é" * 64), 401, INVALID,
     logging.INFO),
    ("missing-headers", COMMAND.encode(),
     lambda t: {"Content-Type": "application/x-www-form-urlencoded"}, 401, INVALID, logging.INFO),
    ("missing-signature", COMMAND.encode(),
     lambda t: {"X-Slack-Request-Timestamp": t}, 401, INVALID, logging.INFO),
    ("unsigned-ssl-check", b"ssl_check=1&token=x", lambda t: {}, 401, INVALID, logging.INFO),
    ("huge", b"text=" + b"a" * (2 * 1024 * 1024), lambda t: fresh(t), 413,
     {"error": "request too large"}, logging.INFO),
    ("wrong-secret", COMMAND.encode(), lambda t: signed(COMMAND, secret="not-the-secret"), 401,
     INVALID, logging.WARNING),
    ("stale-timestamp", COMMAND.encode(), lambda t: signed(COMMAND, age=5 * 60 + 10), 401,
     INVALID, logging.WARNING),
    ("future-timestamp", COMMAND.encode(), lambda t: signed(COMMAND, age=-(5 * 60 + 10)), 401,
     INVALID, logging.WARNING),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "headers", "status", "answer", "level"),
    [pytest.param(*case[1:], id=case[0]) for case in UNSIGNED],
)
async def test_unverifiable_input_gets_a_4xx_and_one_line(
    endpoint: tuple[TestClient, FakeService, CommandHandler],
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    headers: Callable[[str], dict[str, str]],
    status: int,
    answer: dict[str, str],
    level: int,
) -> None:
    client, service, handler = endpoint
    sent = headers(now_ts())
    with caplog.at_level(logging.INFO):
        response = await client.post("/slack/events", data=io.BytesIO(body), headers=sent)
        assert (response.status, await response.json()) == (status, answer)
        await handler.drain(5)
    [record] = ours(caplog)
    assert (record.name, record.levelno) == ("adapters.slack_verify", level)
    assert record.getMessage().startswith("slack: refused a request to /slack/events from ")
    assert SECRET not in caplog.text and "hotpapers&text" not in caplog.text
    assert_no_traceback(caplog)
    assert fake_slack.calls == [] and service.queries == []  # nothing got past the door


async def test_a_huge_chunked_body_is_refused_without_reading_it_all(
    endpoint: tuple[TestClient, FakeService, CommandHandler],
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, _, _ = endpoint
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: read with a cap
        nonlocal sent
        for _ in range(64):
            sent += 64 * 1024
            yield b"a" * 64 * 1024

    with caplog.at_level(logging.INFO):
        response = await client.post("/slack/events", data=chunks(), headers=fresh(now_ts()))
    assert (response.status, await response.json()) == (413, {"error": "request too large"})
    [record] = ours(caplog)
    assert "(413, unknown bytes): body over 1048576 bytes" in record.getMessage()
    assert fake_slack.calls == []


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        pytest.param(b"command=%2Fhotpapers&text=\xff\xfe", "form", id="invalid-utf8"),
        pytest.param(b'{"type": "event_callback", "ev', "json", id="truncated-json"),
        pytest.param(b"[1, 2, 3]", "json", id="json-array"),
        pytest.param(b"payload=%7Bnot+json", "form", id="broken-payload"),
        pytest.param(b'{"authorizations": 5}', "json", id="bolt-context-of-a-wrong-shape"),
        pytest.param(b'{"event": []}', "json", id="bolt-middleware-raises"),
        pytest.param(b'{"type": "block_actions", "actions": 5}', "json", id="bolt-matcher-raises"),
    ],
)
async def test_a_signed_malformed_body_gets_400_and_one_line(
    endpoint: tuple[TestClient, FakeService, CommandHandler],
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    kind: str,
) -> None:
    client, service, handler = endpoint
    ts = now_ts()
    headers = fresh(ts, signature_of(body, ts), kind=kind)  # the HMAC of these very bytes
    with caplog.at_level(logging.INFO):
        response = await client.post("/slack/events", data=body, headers=headers)
        assert (response.status, await response.json()) == (400, MALFORMED)
        await handler.drain(5)
    [record] = ours(caplog)
    assert record.levelno == logging.WARNING and "signed" in record.getMessage()
    assert_no_traceback(caplog)
    assert fake_slack.posts == [] and fake_slack.responses == [] and service.queries == []


def signature_of(body: bytes, ts: str, secret: str = SECRET) -> str:
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return f"v0={digest}"


async def test_a_replayed_and_retried_command_posts_one_thread(
    endpoint: tuple[TestClient, FakeService, CommandHandler],
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, service, handler = endpoint
    body = (
        "command=%2Fhotpapers&text=cs.CL+2021-04-12&team_id=T111&channel_id=C1&user_id=U42"
        f"&trigger_id=1.2.3&response_url={fake_slack.response_url('1')}"
    )
    first = signed(body)
    retry = signed(body, age=1) | {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert retry["X-Slack-Signature"] != first["X-Slack-Signature"]  # a retry is signed anew
    with caplog.at_level(logging.INFO):
        answers = []
        for headers in (first, first, retry):  # sent, replayed byte for byte, retried by Slack
            response = await client.post("/slack/events", data=body, headers=headers)
            answers.append((response.status, await response.text()))
        await handler.drain(10)
    assert answers == [(200, "")] * 3
    headers_posted = [p for p in fake_slack.posts if not p.get("thread_ts")]
    assert len(headers_posted) == 1 and len(fake_slack.posts) == 4  # one thread: header + 3
    assert fake_slack.responses == [{"text": LOOKING, "response_type": "ephemeral"}]
    assert len(service.queries) == 1
    ignored = [r.getMessage() for r in ours(caplog) if r.name == "adapters.slack_verify"]
    assert ignored == [
        "slack: acknowledged and ignored a replay of a request already taken",
        "slack: acknowledged and ignored a Slack retry of a request already taken",
    ]
    assert_no_traceback(caplog)


# ----- the door alone, on an injected clock --------------------------------------------------
Dispatch = Callable[[Any], Awaitable[BoltResponse]]
RETRY = {"X-Slack-Retry-Num": "1"}


async def door_client(door: FrontDoor, dispatch: Dispatch) -> TestClient:
    async def events(request: web.Request) -> web.StreamResponse:
        return await door(request, dispatch)

    web_app = web.Application()
    web_app.router.add_post("/slack/events", events)
    client = TestClient(TestServer(web_app))
    await client.start_server()
    return client


def at(ts: int, body: str, **extra: str) -> dict[str, str]:
    return fresh(str(ts), signature_of(body.encode(), str(ts))) | extra


async def test_a_retry_of_a_failed_request_runs_and_memory_ends_with_the_window() -> None:
    now = [1_700_000_000.0]
    door = FrontDoor(SECRET, now=lambda: now[0])
    outcomes = [RuntimeError("Bolt blew up"), BoltResponse(status=200, body="")]
    taken: list[str] = []

    async def dispatch(request: Any) -> BoltResponse:
        taken.append(request.body["text"])
        outcome = outcomes.pop(0) if outcomes else BoltResponse(status=200, body="")
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    client = await door_client(door, dispatch)
    try:
        ts = int(now[0])
        post = client.post
        failed = await post("/slack/events", data=COMMAND, headers=at(ts, COMMAND))
        assert (failed.status, await failed.json()) == (400, MALFORMED)
        retried = await post("/slack/events", data=COMMAND, headers=at(ts + 60, COMMAND, **RETRY))
        assert retried.status == 200 and taken == ["help", "help"]  # the failure was forgotten
        again = await post("/slack/events", data=COMMAND, headers=at(ts + 61, COMMAND, **RETRY))
        assert again.status == 200 and taken == ["help", "help"]  # acknowledged, not run
        now[0] += 60 + 10 * 60 + 1  # past the retry window of the one taken
        late = await post("/slack/events", data=COMMAND, headers=at(int(now[0]), COMMAND, **RETRY))
        assert late.status == 200 and taken == ["help"] * 3
    finally:
        await client.close()


def test_the_replay_memory_is_bounded_by_age_and_by_size() -> None:
    memory = Remembered(limit=3)
    for i in range(3):
        memory.add(f"k{i}", expiry=100.0 + i, now=50.0)
    assert [memory.seen(f"k{i}", 50.0) for i in range(3)] == [True] * 3
    memory.add("k3", expiry=200.0, now=50.0)  # over the cap: the oldest goes
    assert len(memory) == 3 and not memory.seen("k0", 50.0) and memory.seen("k3", 50.0)
    assert not memory.seen("k1", 101.5) and memory.seen("k2", 101.5)  # expired: not seen
    memory.add("k4", expiry=300.0, now=150.0)  # adding evicts what expired
    assert len(memory) == 2 and memory.seen("k3", 150.0) and memory.seen("k4", 150.0)

    guard = ReplayGuard(limit=2, retry_window=600)
    ts = "1700000000"
    assert guard.take(ts, "v0=a", b"one", retry=False, now=1_700_000_000) == ""
    assert guard.take(ts, "v0=a", b"one", retry=False, now=1_700_000_299) != ""
    assert guard.take(ts, "v0=a", b"one", retry=False, now=1_700_000_301) == ""  # stale anyway
    assert guard.take("1700000400", "v0=b", b"one", retry=False, now=1_700_000_400) == ""
    assert guard.take("1700000401", "v0=c", b"one", retry=True, now=1_700_000_401) != ""
    assert len(guard.signatures) == 1  # "v0=a" gone with its window, "v0=c" never taken
