"""Security drills: hostile third-party text, forged or replayed Slack requests, XML bombs, secrets.

Third-party text (titles, abstracts, posts, author names) is the attacker's; whatever it holds,
what we post must never ping anyone nor show a link that goes somewhere other than it says.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from aiohttp import web

from adapters.discord_embeds import entry_embed, header_embed
from adapters.slack_app import EVENTS_PATH, build_slack_app, slack_routes
from adapters.slack_blocks import entry_message, header_message
from bot.clock import FakeClock
from bot.config import Settings
from bot.handler import CommandHandler
from bot.sources.arxiv import ArxivSource
from bot.sources.base import Window
from bot.sources.bluesky import BlueskySource
from bot.sources.http import SourceError
from tests.factories import adversarial_digest, make_digest
from tests.fake_slack import FakeSlack

DIGEST = adversarial_digest(10)
EVIL = "evil.example"
SLACK_TOKEN = re.compile(r"<([^<>]*)>")


def strings(value: Any) -> Iterator[str]:
    """Every string anywhere in a JSON-like payload."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


def slack_payloads() -> list[dict[str, Any]]:
    return [header_message(DIGEST), *(entry_message(DIGEST, e) for e in DIGEST.entries)]


def test_slack_messages_of_hostile_text_ping_no_one_and_forge_no_link() -> None:
    for payload in slack_payloads():
        for text in strings(payload):
            for token in SLACK_TOKEN.findall(text):
                # Slack's special syntax is <!..>, <@..>, <#..>, <url|label>: only our links remain
                assert token.startswith(("https://", "http://")), token
                url = token.split("|", 1)[0]
                assert EVIL not in urlsplit(url).netloc, token


def test_discord_embeds_of_hostile_text_ping_no_one_and_forge_no_link() -> None:
    embeds = [header_embed(DIGEST), *(entry_embed(DIGEST, e) for e in DIGEST.entries)]
    for embed in embeds:
        for text in strings(embed):
            assert not re.search(r"@(everyone|here)\b", text), text[:200]
            assert not re.search(r"<[@#][!&]?\d+>", text), text[:200]
            for _label, url in re.findall(r"\[([^\]]*)\]\(([^)\s]+)", text):
                assert EVIL not in urlsplit(url).netloc, url


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<feed xmlns="http://www.w3.org/2005/Atom"><title>&lol3;</title></feed>"""


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<feed xmlns="http://www.w3.org/2005/Atom"><title>&xxe;</title></feed>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE feed SYSTEM "http://127.0.0.1:9/feed.dtd"><feed xmlns="http://www.w3.org/2005/Atom"/>"""
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE feed [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>
<feed xmlns="http://www.w3.org/2005/Atom"/>"""


@pytest.mark.parametrize(
    "body", [BOMB, XXE, EXTERNAL_DTD, PARAMETER_ENTITY],
    ids=["billion-laughs", "external-entity", "external-dtd", "parameter-entity"],
)  # fmt: skip
async def test_an_xml_bomb_from_arxiv_is_refused_unparsed(body: bytes) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    async with httpx.AsyncClient(transport=transport) as client:
        source = ArxivSource(client, base_url="http://arxiv.test/api/query", clock=FakeClock())
        with pytest.raises(SourceError, match=r"unsafe XML \(a DTD\); refused to parse it"):
            await source.papers(dt.date(2025, 3, 11), ["cs.CL"])


# ----- Slack request signatures --------------------------------------------------------------
SECRET = "drill-signing-secret"


class NoDigests:
    async def digest_for(self, query: object) -> Any:
        return make_digest(1)


@pytest.fixture
async def slack_endpoint() -> Any:
    async with FakeSlack() as fake:  # auth.test, which Bolt asks once a request is verified
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, SLACK_BOT_TOKEN="xoxb-drill", SLACK_SIGNING_SECRET=SECRET,
            slack_api_url=fake.api_url,
        )  # fmt: skip
        async for url in _serve(settings):
            yield url


async def _serve(settings: Settings) -> Any:
    clock = FakeClock()
    app = build_slack_app(settings, CommandHandler(settings, NoDigests(), clock), clock=clock)
    web_app = web.Application()
    web_app.add_routes(slack_routes(app, settings))
    runner = web.AppRunner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}{EVENTS_PATH}"
    await runner.cleanup()


def _signed(body: str, when: int, secret: str = SECRET) -> dict[str, str]:
    mac = hmac.new(secret.encode(), f"v0:{when}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": str(when),
        "X-Slack-Signature": f"v0={mac}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


BODY = urlencode(
    {"command": "/hotpapers", "text": "help", "team_id": "T1", "channel_id": "C1", "user_id": "U1",
     "response_url": "http://127.0.0.1:9/r", "trigger_id": "1"}
)  # fmt: skip


def superscript(now: int) -> dict[str, Any]:
    """Signed, but the timestamp ends in "¹": ``str.isdigit()`` says yes, ``int()`` no."""
    return _signed(BODY, now) | {"X-Slack-Request-Timestamp": f"{now}"[:-1].encode() + "¹".encode()}


@pytest.mark.parametrize(
    ("case", "headers"),
    [
        ("forged", lambda now: _signed(BODY, now, secret="not-the-secret")),
        ("replayed", lambda now: _signed(BODY, now - 6 * 60)),  # Slack's window is 5 minutes
        ("unsigned", lambda now: {"Content-Type": "application/x-www-form-urlencoded"}),
        # a 500 and a traceback before the front door checked the timestamp's digits
        ("superscript", superscript),
        ("genuine", lambda now: _signed(BODY, now)),  # the control: the endpoint does answer
    ],
)
async def test_forged_replayed_or_unsigned_slack_requests_are_refused(
    slack_endpoint: str, case: str, headers: Any
) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.post(slack_endpoint, content=BODY, headers=headers(int(time.time())))
    assert answer.status_code == (200 if case == "genuine" else 401), case
    assert answer.text == ("" if case == "genuine" else '{"error": "invalid request"}'), case


# ----- secrets -------------------------------------------------------------------------------
async def test_a_failed_bluesky_login_keeps_the_password_out_of_logs_and_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    password = "drill-app-password-123"

    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "AuthenticationRequired", "message": password})

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, bluesky_handle="me.bsky.social", bluesky_app_password=password,
        bluesky_service="http://bsky.test",
    )  # fmt: skip
    now = dt.datetime(2025, 3, 11, tzinfo=dt.UTC)
    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
        source = BlueskySource(client, settings, FakeClock(now))
        with caplog.at_level(logging.DEBUG), pytest.raises(SourceError) as raised:
            await source.collect(Window(now.date(), now, now), [])
    assert password not in str(raised.value) + repr(raised.value) + caplog.text
    assert password not in repr(settings) + json.dumps(settings.model_dump(mode="json"))


async def test_secrets_never_reach_healthz_or_the_log_of_hotpapers_run(tmp_path: Any) -> None:
    from bench.processes import start_run, stop

    secrets = {
        "HOTPAPERS_BLUESKY_HANDLE": "me.bsky.social",
        "HOTPAPERS_BLUESKY_APP_PASSWORD": "drill-bsky-secret-1",
        "HOTPAPERS_S2_API_KEY": "drill-s2-secret-2",
        "HOTPAPERS_LLM_API_KEY": "drill-llm-secret-3",
        "HOTPAPERS_X_BEARER_TOKEN": "drill-x-secret-4",
    }
    running = await start_run(secrets, str(tmp_path))
    try:
        assert running.reason is None, running.reason
        async with httpx.AsyncClient() as client:
            health = await client.get(f"http://127.0.0.1:{running.port}/healthz")
    finally:
        stop(running)
    assert health.status_code == 200
    seen = health.text + running.log.read_text(errors="replace")
    for name, value in secrets.items():
        if name != "HOTPAPERS_BLUESKY_HANDLE":
            assert value not in seen, name
