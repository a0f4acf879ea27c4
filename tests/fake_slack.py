"""A loopback fake of Slack: Web API, ``response_url`` webhooks and a Socket Mode WebSocket.

A real aiohttp server on 127.0.0.1 (port 0) that the real slack_sdk / slack_bolt clients are pointed
at by URL, so tests see exactly what went over the wire. Reusable by any test::

    from tests.fake_slack import FakeSlack, fake_slack_fixture  # noqa: F401 (the fixture)

    async def test_post(fake_slack: FakeSlack) -> None:
        client = AsyncWebClient(token="xoxb-test", base_url=fake_slack.api_url)
        await client.chat_postMessage(channel="C1", text="hi")
        assert fake_slack.posts == [{"channel": "C1", "text": "hi"}]

Behaviour switches: ``rate_limit(times, retry_after=N)`` answers 429 the next ``times`` calls of a
method; ``fail_channel(channel, "not_in_channel")`` makes every call naming that channel fail;
``fail_token(token, "invalid_auth")`` does the same per token; ``grant_oauth(code, ...)`` answers
``oauth.v2.access``; ``admins`` / ``owners`` (sets of user ids) are what ``users.info`` says is
an admin or an owner. ``async with FakeSlack() as fake`` works too.
``limit_channels(clock, interval=1.0)`` answers 429 (``Retry-After``) to a ``chat.postMessage``
sooner than ``interval`` after the channel's previous message, and ``limit_workspaces(clock,
per_minute=N)`` to one beyond N accepted in the last 60 s for that token (Slack's limits are per
app per workspace; a token is a workspace here), on the given clock (a ``FakeClock`` in tests).
``await wait_for(lambda fake: ...)`` waits (bounded) until background work (a slash command's
thread) has reached the fake.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import WSMsgType, web

TEAM_ID = "T111"
BOT_USER_ID = "UBOT"
BOT_ID = "B111"


@dataclass(frozen=True)
class SlackCall:
    """One request the fake received. ``method`` is the Web API method or ``"response_url"``."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int
    answer: dict[str, Any]

    @property
    def token(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        return auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.answer.get("ok"))


@dataclass
class FakeSlack:
    team_id: str = TEAM_ID
    calls: list[SlackCall] = field(default_factory=list)
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    base_url: str = ""
    admins: set[str] = field(default_factory=set)  # users.info says is_admin for these users
    owners: set[str] = field(default_factory=set)  # ... and is_owner for these

    def __post_init__(self) -> None:
        self._ts = itertools.count(1)
        self._rate_limits: dict[str, list[int]] = {}
        self._channel_errors: dict[str, str] = {}
        self._token_errors: dict[str, str] = {}
        self._oauth_grants: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}  # channel -> messages, oldest first
        self._sockets: list[web.WebSocketResponse] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._clock: Any = None  # limit_channels / limit_workspaces: a Clock
        self._channel_interval = 0.0
        self._per_minute = 0
        self._last_post: dict[str, float] = {}
        self._workspace_posts: dict[str, deque[float]] = {}
        self.limited = 0  # chat.postMessage calls answered 429 by those limits

    # ----- lifecycle -----
    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_post("/api/{method}", self._web_api)
        app.router.add_get("/api/{method}", self._web_api)  # conversations.history/replies
        app.router.add_post("/response/{name}", self._response_url)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def __aenter__(self) -> FakeSlack:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        """The Web API base URL, with the trailing slash slack_sdk expects."""
        return self.base_url + "/api/"

    def response_url(self, name: str = "1") -> str:
        return f"{self.base_url}/response/{name}"

    # ----- behaviour switches -----
    def rate_limit(self, times: int, *, retry_after: int = 1, method: str = "chat.postMessage"):
        self._rate_limits[method] = [times, retry_after]

    def limit_channels(self, clock: Any, interval: float = 1.0) -> None:
        self._clock, self._channel_interval = clock, interval

    def limit_workspaces(self, clock: Any, per_minute: int) -> None:
        self._clock, self._per_minute = clock, per_minute

    def _over_limit(self, body: dict[str, Any], token: str) -> float | None:
        """Seconds to wait when this post breaks a limit; else counts it and returns None."""
        if self._clock is None:
            return None
        now = self._clock.monotonic()
        channel = str(body.get("channel", ""))
        last = self._last_post.get(channel)
        if self._channel_interval and last is not None and now - last < self._channel_interval:
            return self._channel_interval - (now - last)
        posts = self._workspace_posts.setdefault(token, deque())
        while posts and posts[0] <= now - 60:
            posts.popleft()
        if self._per_minute and len(posts) >= self._per_minute:
            return posts[0] + 60 - now
        posts.append(now)
        self._last_post[channel] = now
        return None

    def fail_channel(self, channel: str, error: str) -> None:
        self._channel_errors[channel] = error

    def fail_token(self, token: str, error: str = "invalid_auth") -> None:
        self._token_errors[token] = error

    def grant_oauth(self, code: str, *, team_id: str, bot_token: str, team_name: str = "Team"):
        self._oauth_grants[code] = {
            "ok": True, "app_id": "A111", "token_type": "bot", "access_token": bot_token,
            "scope": "commands,chat:write", "bot_user_id": BOT_USER_ID,
            "team": {"id": team_id, "name": team_name}, "enterprise": None,
            "is_enterprise_install": False, "authed_user": {"id": "U111"},
        }  # fmt: skip

    # ----- what was received -----
    def calls_to(self, method: str) -> list[SlackCall]:
        return [c for c in self.calls if c.method == method]

    @property
    def posts(self) -> list[dict[str, Any]]:
        """Bodies of the chat.postMessage calls that were answered ok, in order."""
        return [c.body for c in self.calls_to("chat.postMessage") if c.ok]

    @property
    def responses(self) -> list[dict[str, Any]]:
        """Bodies posted to response_url (ephemeral and in-channel replies to slash commands)."""
        return [c.body for c in self.calls_to("response_url")]

    async def wait_for(self, predicate: Callable[[FakeSlack], bool], timeout: float = 10.0):
        """Wait until ``predicate(self)`` holds; fail the test after ``timeout`` seconds."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: predicate(self)), timeout)

    # ----- Socket Mode -----
    async def push_envelope(self, kind: str, payload: dict[str, Any], envelope_id: str) -> None:
        """Send an event (e.g. ``slash_commands``) to every connected Socket Mode client."""
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                    "accepts_response_payload": True}  # fmt: skip
        for ws in self._sockets:
            await ws.send_json(envelope)

    @property
    def socket_connected(self) -> bool:
        return any(not ws.closed for ws in self._sockets)

    # ----- handlers -----
    async def _record(self, call: SlackCall) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    async def _web_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            body.update(await request.json())
        else:
            body.update(await request.post())
        headers = dict(request.headers)
        status, answer, extra = self._answer(method, body, headers.get("Authorization", ""))
        await self._record(SlackCall(method, request.path, headers, body, status, answer))
        return web.json_response(answer, status=status, headers=extra)

    def _answer(self, method: str, body: dict[str, Any], auth: str):
        limit = self._rate_limits.get(method)
        if limit and limit[0] > 0:
            limit[0] -= 1
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(limit[1])}
        token = auth.removeprefix("Bearer ")
        wait = self._over_limit(body, token) if method == "chat.postMessage" else None
        if wait is not None:
            self.limited += 1
            retry = str(max(1, math.ceil(wait)))
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": retry}
        error = self._token_errors.get(token) or self._channel_errors.get(body.get("channel", ""))
        if error:
            return 200, {"ok": False, "error": error}, {}
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method"}, {}
        return 200, handler(body), {}

    def _m_auth_test(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "https://fake.slack.com/", "team": "Fake", "user": "hotpapers",
                "team_id": self.team_id, "user_id": BOT_USER_ID, "bot_id": BOT_ID}  # fmt: skip

    def _m_chat_postMessage(self, body: dict[str, Any]) -> dict[str, Any]:
        blocks = body.get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        if len(blocks) > 50 or any(
            len((b.get("text") or {}).get("text", "")) > 3000 for b in blocks
        ):
            return {"ok": False, "error": "invalid_blocks"}
        if len(body.get("text") or "") > 40_000:
            return {"ok": False, "error": "msg_too_long"}
        ts = f"1618300000.{next(self._ts):06d}"
        message = {"type": "message", "text": body.get("text"), "ts": ts, "bot_id": BOT_ID}
        if body.get("thread_ts"):
            message["thread_ts"] = body["thread_ts"]
        meta = body.get("metadata")
        if isinstance(meta, str):
            meta = json.loads(meta)
        if meta:
            if not isinstance(meta, dict) or not meta.get("event_type"):
                return {"ok": False, "error": "invalid_metadata_format"}
            message["metadata"] = meta
        self.messages.setdefault(str(body.get("channel", "")), []).append(message)
        return {"ok": True, "channel": body.get("channel"), "ts": ts,
                "message": {k: v for k, v in message.items() if k != "metadata"}}  # fmt: skip

    def _m_chat_postEphemeral(self, body: dict[str, Any]) -> dict[str, Any]:
        """A message only ``user`` sees: not kept in the channel's history."""
        if not body.get("user") or not body.get("text"):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "message_ts": f"1618300000.{next(self._ts):06d}"}

    def _page(self, messages: list[dict[str, Any]], body: dict[str, Any]) -> dict[str, Any]:
        """A page of ``messages`` as Slack answers it: ``limit``, ``cursor``, metadata only when
        ``include_all_metadata`` is asked for."""
        start = int(body.get("cursor") or 0)
        limit = min(int(body.get("limit") or 100), 1000)
        page = messages[start : start + limit]
        if str(body.get("include_all_metadata", "")).lower() not in ("1", "true"):
            page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
        more = start + limit < len(messages)
        cursor = str(start + limit) if more else ""
        return {"ok": True, "messages": page, "has_more": more,
                "response_metadata": {"next_cursor": cursor}}  # fmt: skip

    def _m_conversations_history(self, body: dict[str, Any]) -> dict[str, Any]:
        """The channel's messages, newest first, without thread replies."""
        channel = self.messages.get(str(body.get("channel", "")), [])
        top = [m for m in channel if m.get("thread_ts") in (None, m["ts"])]
        return self._page(top[::-1], body)

    def _m_conversations_replies(self, body: dict[str, Any]) -> dict[str, Any]:
        """A thread: its parent, then its replies, oldest first."""
        ts = str(body.get("ts", ""))
        channel = self.messages.get(str(body.get("channel", "")), [])
        thread = [m for m in channel if m["ts"] == ts or m.get("thread_ts") == ts]
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        return self._page(thread, body)

    def _m_users_info(self, body: dict[str, Any]) -> dict[str, Any]:
        user = body.get("user", "")
        return {"ok": True, "user": {"id": user, "name": user.lower(),
                                     "is_admin": user in self.admins,
                                     "is_owner": user in self.owners,
                                     "is_primary_owner": False}}  # fmt: skip

    def _m_conversations_info(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = body.get("channel", "")
        return {"ok": True, "channel": {"id": channel, "name": "papers", "is_member": True}}

    def _m_oauth_v2_access(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._oauth_grants.get(body.get("code", ""), {"ok": False, "error": "invalid_code"})

    def _m_apps_connections_open(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": self.base_url.replace("http://", "ws://") + "/socket"}

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        await self._record(
            SlackCall("response_url", request.path, dict(request.headers), body, 200, {"ok": True})
        )
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1,
                            "debug_info": {"host": "fake"}})  # fmt: skip
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                async with self._changed:
                    self.socket_acks.append(json.loads(message.data))
                    self._changed.notify_all()
        return ws


@pytest.fixture(name="fake_slack")
async def fake_slack_fixture() -> AsyncIterator[FakeSlack]:
    """A started FakeSlack, closed after the test (import ``fake_slack_fixture`` to use it)."""
    async with FakeSlack() as fake:
        yield fake
