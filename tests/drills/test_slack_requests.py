"""Security drill: ``hotpapers run`` in HTTP mode refuses every Slack request it cannot verify.

A real ``python -m bot run`` subprocess (Slack in HTTP mode, its Web API and ``response_url`` on
the loopback FakeSlack) gets forged, replayed, future-dated, unsigned, half-signed and tampered
``/hotpapers`` requests, each naming its own ``response_url``, then one correctly signed request.
The refused ones get a 401 and nothing else happens: once the signed request's answer is at the
fake, the fake has heard from the bot about that one only.

Slack's signature covers ``v0:{timestamp}:{body}`` with the app's signing secret; a request is
fresh for five minutes (``adapters.slack_verify``, then Bolt again). The check reads the wall
clock, so the timestamps here do too; nothing here waits on it. Unsigned garbage of every kind
gets a 4xx and one log line; a replayed or retried signed command is answered once.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from adapters.slack_blocks import escape_mrkdwn
from bench.processes import Running, start_run, stop
from bot.command_hints import help_text
from tests.drills.slack_garbage import garbage
from tests.fake_slack import FakeSlack

pytestmark = pytest.mark.drill

SECRET = "drill-signing-secret"  # noqa: S105 (the fake's, loopback only)
TOKEN = "xoxb-drill-requests"  # noqa: S105


def body_for(fake: FakeSlack, name: str, text: str = "help") -> str:
    return urlencode(
        {"command": "/hotpapers", "text": text, "team_id": "T111", "channel_id": "C1",
         "user_id": "U1", "response_url": fake.response_url(name), "trigger_id": "1.2.3"}
    )  # fmt: skip


def signature(body: str, when: int | str, secret: str = SECRET, version: str = "v0") -> str:
    mac = hmac.new(secret.encode(), f"v0:{when}:{body}".encode(), hashlib.sha256).hexdigest()
    return f"{version}={mac}"


Case = Callable[[FakeSlack, int], tuple[str, dict[str, str]]]


def signed(name: str, *, shift: int = 0, secret: str = SECRET, version: str = "v0") -> Case:
    def case(fake: FakeSlack, now: int) -> tuple[str, dict[str, str]]:
        body = body_for(fake, name)
        when = now + shift
        headers = {"X-Slack-Request-Timestamp": str(when),
                   "X-Slack-Signature": signature(body, when, secret, version)}  # fmt: skip
        return body, headers

    return case


def without(name: str, header: str) -> Case:
    def case(fake: FakeSlack, now: int) -> tuple[str, dict[str, str]]:
        body, headers = signed(name)(fake, now)
        del headers[header]
        return body, headers

    return case


def tampered(name: str) -> Case:
    """Signed for ``help`` answered to one URL; sent asking for a digest answered elsewhere."""

    def case(fake: FakeSlack, now: int) -> tuple[str, dict[str, str]]:
        _, headers = signed("signed-for-this")(fake, now)
        return body_for(fake, name, text="cs.CL 2021-04-12"), headers

    return case


def bad_timestamp(name: str) -> Case:
    def case(fake: FakeSlack, now: int) -> tuple[str, dict[str, str]]:
        body = body_for(fake, name)
        return body, {"X-Slack-Request-Timestamp": "soon",
                      "X-Slack-Signature": signature(body, "soon")}  # fmt: skip

    return case


REFUSED: dict[str, Case] = {
    "forged": signed("forged", secret="not-the-signing-secret"),
    "replayed": signed("replayed", shift=-6 * 60),
    "future": signed("future", shift=6 * 60),
    "other-version": signed("other-version", version="v1"),
    "no-signature": without("no-signature", "X-Slack-Signature"),
    "no-timestamp": without("no-timestamp", "X-Slack-Request-Timestamp"),
    "tampered": tampered("tampered"),
}
REFUSED_BODY = '{"error": "invalid request"}'  # the answer (Bolt's too) to an unverifiable one


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[tuple[Running, FakeSlack]]:
    async with FakeSlack() as fake:
        env = {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "HOTPAPERS_SLACK_API_URL": fake.api_url,
        }
        run = await start_run(env, str(tmp_path))
        try:
            assert run.reason is None, run.reason
            yield run, fake
        finally:
            stop(run)


async def test_unverifiable_slack_requests_get_401_and_nothing_else(
    running: tuple[Running, FakeSlack],
) -> None:
    run, fake = running
    url = f"http://127.0.0.1:{run.port}/slack/events"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    statuses = {}
    async with httpx.AsyncClient(timeout=10) as client:
        for name, case in REFUSED.items():
            body, headers = case(fake, int(time.time()))
            answer = await client.post(url, content=body, headers=form | headers)
            statuses[name] = (answer.status_code, answer.text)
        body, headers = signed("genuine")(fake, int(time.time()))
        genuine = await client.post(url, content=body, headers=form | headers)
    assert statuses == {name: (401, REFUSED_BODY) for name in REFUSED}
    assert genuine.status_code == 200

    await fake.wait_for(lambda f: bool(f.calls_to("response_url")))
    answered = [call.path for call in fake.calls_to("response_url")]
    assert answered == ["/response/genuine"]
    assert fake.calls_to("response_url")[0].body["text"] == escape_mrkdwn(
        help_text(options=False, max_top=50)
    )
    assert fake.calls_to("chat.postMessage") == []
    log = run.log.read_text(errors="replace")
    assert "Traceback" not in log and SECRET not in log and TOKEN not in log


async def test_a_non_numeric_timestamp_is_refused_without_a_traceback(
    running: tuple[Running, FakeSlack],
) -> None:
    run, fake = running
    body, headers = bad_timestamp("bad-timestamp")(fake, int(time.time()))
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.post(
            f"http://127.0.0.1:{run.port}/slack/events", content=body, headers=form | headers
        )
    assert (answer.status_code, answer.text) == (401, REFUSED_BODY)
    assert "Traceback" not in run.log.read_text(errors="replace")


async def test_unsigned_garbage_gets_4xx_and_one_log_line_each(
    running: tuple[Running, FakeSlack],
) -> None:
    """~500 assorted unsigned requests: each a 4xx, one log line, no traceback, nothing behind."""
    run, fake = running
    url = f"http://127.0.0.1:{run.port}/slack/events"
    before = run.log.stat().st_size
    cases = garbage(500, int(time.time()), SECRET)
    statuses: Counter[tuple[str, int]] = Counter()
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=10) as client:
        for kind, body, headers in cases:
            answer = await client.post(url, content=body, headers=headers)
            statuses[kind, answer.status_code] += 1
    took = time.perf_counter() - started
    written = run.log.read_bytes()[before:].decode(errors="replace")
    lines = written.splitlines()
    print(f"\n{len(cases)} unsigned requests in {took:.1f} s: {sorted(statuses.items())}; "
          f"log {len(written.encode())} bytes, {len(lines)} lines")  # fmt: skip
    assert all(400 <= status < 500 for _, status in statuses), statuses
    assert {status for kind, status in statuses if kind != "huge"} == {401}
    assert {status for kind, status in statuses if kind == "huge"} == {413}
    assert "Traceback" not in written
    assert len(lines) == len(cases)  # one line each
    assert all(SECRET not in line and "hotpapers&text" not in line for line in lines)
    assert fake.calls == []  # not even Bolt's auth.test: nothing got past the signature


async def test_a_replayed_or_retried_command_is_answered_once(
    running: tuple[Running, FakeSlack],
) -> None:
    """Slack's retry carries a new timestamp and signature over the same body."""
    run, fake = running
    url = f"http://127.0.0.1:{run.port}/slack/events"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    body = body_for(fake, "once")
    now = int(time.time())
    first = {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": signature(body, now)}
    retry = {"X-Slack-Request-Timestamp": str(now - 1), "X-Slack-Retry-Num": "1",
             "X-Slack-Retry-Reason": "http_timeout",
             "X-Slack-Signature": signature(body, now - 1)}  # fmt: skip
    async with httpx.AsyncClient(timeout=10) as client:
        answers = [
            await client.post(url, content=body, headers=form | headers)
            for headers in (first, first, retry)
        ]
    assert [(a.status_code, a.text) for a in answers] == [(200, "")] * 3
    await fake.wait_for(lambda f: bool(f.calls_to("response_url")))
    genuine = body_for(fake, "after")  # a different command still gets its answer
    async with httpx.AsyncClient(timeout=10) as client:
        now = int(time.time())
        headers = {"X-Slack-Request-Timestamp": str(now),
                   "X-Slack-Signature": signature(genuine, now)}  # fmt: skip
        assert (await client.post(url, content=genuine, headers=form | headers)).status_code == 200
    await fake.wait_for(lambda f: any(c.path == "/response/after" for c in f.calls))
    assert [c.path for c in fake.calls_to("response_url")] == ["/response/once", "/response/after"]
    assert "Traceback" not in run.log.read_text(errors="replace")
