"""Security drill: no secret of the settings reaches a log line, an error, a digest or /healthz.

Every secret is set the way an operator sets it (environment variables read by
``load_settings``, which registers them with the log redactor), then every service answers in the
worst way for a secret: its error echoes the request back, URL and headers (the Authorization
header, the API key header), a bug raises with the request in its message, a transport error
carries it. Logs are written in both formats at DEBUG.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from adapters import discord_embeds, slack_blocks
from bench.fakes import atom_feed, make_day
from bot import calendar
from bot.clock import FakeClock
from bot.config import Settings, load_settings
from bot.logs import setup_logging
from bot.service import DigestService
from bot.store import Store
from hotpapers.formats import format_digest
from hotpapers.health import health_report
from tests.cli_runner import run_cli
from tests.fake_slack import FakeSlack

SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-drill-secret-slack-bot",
    "SLACK_APP_TOKEN": "xapp-drill-secret-app",
    "SLACK_SIGNING_SECRET": "drill-secret-signing",
    "SLACK_CLIENT_SECRET": "drill-secret-client",
    "DISCORD_TOKEN": "drill-secret-discord.token.x",
    "HOTPAPERS_BLUESKY_APP_PASSWORD": "drill-secret-bsky-pw",
    "HOTPAPERS_X_BEARER_TOKEN": "drill-secret-x-bearer",
    "HOTPAPERS_S2_API_KEY": "drill-secret-s2-key",
    "HOTPAPERS_LLM_API_KEY": "drill-secret-llm-key",
}
DATE = dt.date(2025, 3, 11)
DAY = make_day(DATE, 30, 90)


def assert_no_secret(text: str, where: str) -> None:
    leaked = [name for name, value in SECRETS.items() if value in text]
    assert leaked == [], f"{leaked} in {where}"


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    return load_settings(
        _env_file=None, database_url=f"sqlite:///{tmp_path / 'drill.db'}",
        arxiv_api_url="http://arxiv.test/api/query", hf_api_url="http://hf.test/api",
        bluesky_service="http://bsky.test", bluesky_handle="drill.bsky.social",
        hn_api_url="http://hn.test/api/v1", s2_api_url="http://s2.test/graph/v1",
        x_api_url="http://x.test/2", llm_base_url="http://llm.test/v1", llm_model="m",
        http_retries=1,
    )  # fmt: skip


@pytest.fixture
def log_to() -> Callable[[str], io.StringIO]:
    """``log_to(fmt)``: the process's logging set up as ``hotpapers`` does, into a buffer (the
    autouse ``restore_logging`` of conftest undoes it after the test)."""

    def setup(fmt: str) -> io.StringIO:
        buffer = io.StringIO()
        setup_logging("DEBUG", fmt, stream=buffer)
        return buffer

    return setup


def echo(request: httpx.Request) -> str:
    return json.dumps({"url": str(request.url), "headers": dict(request.headers),
                       "body": request.content.decode(errors="replace")})  # fmt: skip


FAILURES: dict[str, Callable[[httpx.Request], httpx.Response]] = {}


def failure(name: str) -> Callable[[Any], Any]:
    def register(fn: Callable[[httpx.Request], httpx.Response]) -> Any:
        FAILURES[name] = fn
        return fn

    return register


@failure("401-echo")
def _echo_401(request: httpx.Request) -> httpx.Response:
    body = {"error": "AuthenticationRequired", "message": echo(request), "detail": echo(request)}
    return httpx.Response(401, json=body, headers={"WWW-Authenticate": echo(request)[:2000]})


@failure("500-echo")
def _echo_500(request: httpx.Request) -> httpx.Response:
    return httpx.Response(500, text=echo(request), headers={"Location": str(request.url)})


@failure("bug-with-the-request-in-its-message")
def _crash(request: httpx.Request) -> httpx.Response:
    raise RuntimeError(f"unexpected answer to {echo(request)}")


@failure("transport-error-with-the-request")
def _transport(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError(f"cannot connect: {echo(request)}", request=request)


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("kind", list(FAILURES))
async def test_failing_services_echoing_the_request_leak_no_secret(
    settings: Settings, log_to: Callable[[str], io.StringIO], fmt: str, kind: str
) -> None:
    fail = FAILURES[kind]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "arxiv.test":
            return httpx.Response(200, content=atom_feed(DAY.papers, 0, len(DAY.papers)))
        if request.url.host == "hf.test":  # no credential to leak; its upvotes make entries
            page = int(request.url.params["p"])
            items = [{"paper": {"id": p["id"], "upvotes": 9}} for p in DAY.papers[:5]]
            return httpx.Response(200, json=items if page == 0 else [])
        if request.url.host == "llm.test" and fail is _crash:
            return _echo_500(request)  # summaries guard model failures, not bugs of their own
        return fail(request)

    buffer = log_to(fmt)
    clock = FakeClock(calendar.announcement_time(DATE) + dt.timedelta(days=1))
    store = Store(settings.database_url)
    try:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            service = DigestService(settings, store, clock=clock, client=client)
            digest = await service.build(DATE, ["cs.CL", "cs.LG"], 3)
    finally:
        store.close()

    failed = [name for name, status in digest.sources.items() if not status.ok]
    assert set(failed) == {"bluesky", "hackernews", "semantic_scholar", "x"}
    assert digest.entries  # so the LLM was asked for their summaries, and failed too
    logged = buffer.getvalue()
    for name in ("bluesky", "hackernews", "semantic_scholar", "x", "LLM summaries failed"):
        assert name in logged, f"no record of {name}'s failure: the drill would prove nothing"
    assert_no_secret(logged, f"the {fmt} log")
    assert_no_secret(repr(digest.sources), "the sources' statuses")
    for output in ("text", "markdown", "json"):
        assert_no_secret(format_digest(digest, output), f"--format {output}")
    assert_no_secret(json.dumps(slack_blocks.thread_payloads(digest)), "the Slack thread")
    assert_no_secret(json.dumps(discord_embeds.thread_payloads(digest)), "the Discord thread")


def test_healthz_redacts_an_error_that_carries_a_secret(settings: Settings) -> None:
    token = SECRETS["SLACK_BOT_TOKEN"]
    status, body = health_report(
        {"slack": {"ok": False, "error": f"invalid_auth for Bearer {token}"}},
        {"running": True, "last_error": f"posting with {SECRETS['DISCORD_TOKEN']} failed"},
    )
    assert status == 503
    assert_no_secret(json.dumps(body), "/healthz")
    assert body["platforms"]["slack"]["error"] == "invalid_auth for Bearer [redacted]"


def test_settings_show_no_secret_in_any_form(settings: Settings) -> None:
    assert_no_secret(repr(settings) + str(settings), "repr(settings)")
    assert_no_secret(json.dumps(settings.model_dump(mode="json")), "the settings as JSON")


# ----- the CLI's own lines (not log records) ----------------------------------------------------
class EchoingSlack(FakeSlack):
    """A Slack API (or a proxy in front of it) whose every error echoes the request's headers."""

    echoed: int = 0

    async def _web_api(self, request: web.Request) -> web.Response:
        self.echoed += 1
        return web.json_response({"ok": False, "error": json.dumps(dict(request.headers))})


@pytest.mark.parametrize(
    "args", [["post", "--platform", "slack", "--channel", "C0123456789", "--demo"], ["check"]]
)
async def test_cli_lines_show_no_secret_when_slack_echoes_the_request(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    for name in ("ARXIV_API_URL", "HF_API_URL", "BLUESKY_SERVICE", "HN_API_URL", "S2_API_URL",
                 "X_API_URL", "DISCORD_API_URL"):  # fmt: skip
        monkeypatch.setenv(f"HOTPAPERS_{name}", "http://127.0.0.1:9/")  # refused at once
    monkeypatch.setenv("HOTPAPERS_HTTP_RETRIES", "0")
    async with EchoingSlack() as fake:
        monkeypatch.setenv("HOTPAPERS_SLACK_API_URL", fake.api_url)
        code, out, err = await _in_thread(lambda: run_cli(monkeypatch, capsys, "-v", *args))
    assert code != 0, out + err
    assert fake.echoed  # Slack's answers did carry the token; none of it reached the output
    assert_no_secret(out + err, f"`hotpapers {args[0]}` output")


async def _in_thread(fn: Callable[[], Any]) -> Any:
    """The CLI runs its own event loop: run it off this one (the fake serves on this loop)."""
    import asyncio

    return await asyncio.to_thread(fn)
