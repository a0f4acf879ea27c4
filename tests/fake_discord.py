"""A loopback fake of Discord (REST under /api/v10, a minimal gateway) recording every request.

The real discord.py is pointed at it by URL (each client's REST base from
``HOTPAPERS_DISCORD_API_URL``; the test-only ``DiscordWebSocket.DEFAULT_GATEWAY``),
so tests exercise the library's real request building, rate-limit buckets and 429 handling.
Objects returned are shaped like the examples in Discord's API docs. Use the ``fake_discord``
fixture (``from tests.fake_discord import fake_discord``), or ``async with serving() as fake``
(which also restores discord.py's process-wide gateway URL afterwards).

    fake.add_text_channel(2000)          # type 0 in guild fake.guild_id
    fake.add_forum_channel(2100)         # type 15
    fake.forbid(2000)                    # 403 Missing Permissions (50013) on GET and POST
    fake.rate_limit(times=1, via=True)   # next POST /channels/... answers 429 with retry_after
    fake.calls()                         # [("GET", "/channels/2000"), ("POST", ...), ...]
    await fake.send_interaction(fake.interaction(options=[...]))   # INTERACTION_CREATE
    await fake.send_interaction(fake.component_interaction("hp:more:2104.04015:v1"))  # a button
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import yarl
from aiohttp import WSMsgType, web
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.config import Settings

PREFIX = "/api/v10"
TIMESTAMP = "2021-04-13T12:00:00.000000+00:00"


@dataclass
class Recorded:
    method: str
    path: str  # after /api/v10, e.g. "/channels/2000/messages"
    query: dict[str, str]
    headers: dict[str, str]
    json: Any


@dataclass
class _RateLimit:
    times: int
    via: bool
    retry_after: float
    is_global: bool
    method: str
    path_prefix: str


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py only parses JSON when the content type is exactly "application/json".
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


@dataclass
class FakeDiscord:
    token: str | None = None  # None: any token is accepted; else others get 401
    app_id: str = "1255985704232554496"
    guild_id: str = "1070516376046944286"
    bot_user: dict[str, Any] = field(
        default_factory=lambda: {
            "id": "1255985704232554496",
            "username": "hotpapers",
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
            "bot": True,
        }
    )
    requests: list[Recorded] = field(default_factory=list)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    forbidden: dict[str, tuple[str, ...]] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)  # channels answered 404 Unknown Channel
    commands: list[dict[str, Any]] = field(default_factory=list)
    identifies: list[dict[str, Any]] = field(default_factory=list)
    shards: int = 1  # GET /gateway/bot's recommended count

    def __post_init__(self) -> None:
        self._ids = itertools.count(1300000000000000001)
        self._limits: list[_RateLimit] = []
        self._changed = asyncio.Condition()
        self._sockets: list[web.WebSocketResponse] = []
        self._seq = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._interaction_channels: dict[str, str] = {}
        self.history: dict[str, list[dict[str, Any]]] = {}  # channel -> messages, oldest first
        self._nonces: dict[str, dict[str, Any]] = {}  # enforce_nonce: nonce -> the message
        self.port = 0

    # ----- lifecycle -------------------------------------------------------------------------
    async def start(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def settings(self, **overrides: Any) -> Settings:
        """Settings with a token and ``HOTPAPERS_DISCORD_API_URL`` pointing here, no ``.env``."""
        values: dict[str, Any] = {
            "DISCORD_TOKEN": self.token or "fake-discord-token",
            "discord_api_url": self.base_url,
            **overrides,
        }
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    # ----- configuration ---------------------------------------------------------------------
    def add_channel(self, data: dict[str, Any]) -> dict[str, Any]:
        self.channels[str(data["id"])] = data
        return data

    def _guild_channel(
        self, channel_id: int | str, kind: int, name: str, **extra: Any
    ) -> dict[str, Any]:
        """A guild channel as Discord's REST API describes it (``kind``: 0 text, 15 forum)."""
        return self.add_channel(
            {
                "id": str(channel_id), "type": kind, "guild_id": self.guild_id, "name": name,
                "position": 0 if kind == 0 else 1, "permission_overwrites": [], "nsfw": False,
                "parent_id": None, "topic": None, "last_message_id": None,
                "rate_limit_per_user": 0, "flags": 0, **extra,
            }
        )  # fmt: skip

    def add_text_channel(self, channel_id: int | str, *, name: str = "papers") -> dict[str, Any]:
        return self._guild_channel(channel_id, 0, name)

    def add_forum_channel(self, channel_id: int | str, *, name: str = "papers") -> dict[str, Any]:
        return self._guild_channel(
            channel_id, 15, name, available_tags=[], default_reaction_emoji=None,
            default_sort_order=None, default_forum_layout=0, default_thread_rate_limit_per_user=0,
        )  # fmt: skip

    def add_thread(
        self, thread_id: int | str, parent_id: int | str, *, name: str = "papers"
    ) -> dict[str, Any]:
        """A public thread (type 11) under an existing channel."""
        return self._thread(self.channels[str(parent_id)], {"name": name}, thread_id=str(thread_id))

    def forbid(self, channel_id: int | str, methods: tuple[str, ...] = ("GET", "POST")) -> None:
        """Answer 403 Missing Permissions (50013) to these methods on the channel's routes."""
        self.forbidden[str(channel_id)] = methods

    def rate_limit(
        self,
        times: int = 1,
        *,
        via: bool = True,
        retry_after: float = 0.0,
        is_global: bool = False,
        method: str = "POST",
        path_prefix: str = "/channels/",
    ) -> None:
        """The next ``times`` matching requests get a 429 (with ``Via`` as Discord's edge sends)."""
        self._limits.append(_RateLimit(times, via, retry_after, is_global, method, path_prefix))

    # ----- what was received -----------------------------------------------------------------
    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, r.path) for r in self.requests]

    def posts(self) -> list[Recorded]:
        return [r for r in self.requests if r.method in ("POST", "PATCH")]

    def message_bodies(self) -> list[dict[str, Any]]:
        """Every message body received: channel messages, forum starters, webhook followups."""
        bodies = []
        for r in self.posts():
            if not isinstance(r.json, dict):
                continue
            if r.path.endswith("/messages") or r.path.startswith("/webhooks/"):
                bodies.append(r.json)
            elif isinstance(r.json.get("message"), dict):
                bodies.append(r.json["message"])
        return bodies

    async def wait_for(self, predicate: Callable[[FakeDiscord], bool], timeout: float = 10) -> None:
        """Until ``predicate(self)`` holds after some request (a deadline, not a sleep)."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: predicate(self))

    # ----- REST ------------------------------------------------------------------------------
    async def _rest(self, request: web.Request) -> web.Response:
        raw = await request.text()
        path = "/" + request.match_info["tail"]
        record = Recorded(
            request.method,
            path,
            dict(request.query),
            dict(request.headers),
            json.loads(raw) if raw else None,
        )
        self.requests.append(record)
        try:
            return self._answer(record)
        finally:
            async with self._changed:
                self._changed.notify_all()

    def _answer(self, r: Recorded) -> web.Response:
        authorized = self.token is None or r.headers.get("Authorization") == f"Bot {self.token}"
        if not authorized and not r.path.startswith(("/webhooks/", "/interactions/")):
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        limited = self._limited(r)
        if limited is not None:
            return limited
        parts = r.path.strip("/").split("/")
        if parts[0] == "channels" and len(parts) > 1:
            return self._channel_route(r, parts[1], parts[2:])
        routes = {
            ("GET", "/users/@me"): lambda: _json(self.bot_user),
            ("GET", "/oauth2/applications/@me"): lambda: _json(self._application()),
            ("GET", "/gateway"): lambda: _json({"url": self.gateway_url}),
            ("GET", "/gateway/bot"): lambda: _json(self._gateway_bot()),
        }
        if (r.method, r.path) in routes:
            return routes[(r.method, r.path)]()
        if parts[0] == "applications" and parts[-1] == "commands" and r.method == "PUT":
            self.commands = [
                {**c, "id": str(next(self._ids)), "application_id": self.app_id, "version": "1"}
                for c in r.json
            ]
            return _json(self.commands, headers=self._bucket("commands"))
        if parts[0] == "interactions" and r.method == "POST":
            return _json(self._callback(parts[1], r.json))
        if parts[0] == "webhooks" and r.method in ("POST", "PATCH"):
            flags = (r.json or {}).get("flags", 0)
            channel_id = self._interaction_channels.get(parts[2], "0")
            return _json(self._message(channel_id, r.json or {}, flags=flags))
        return _json({"message": "404: Not Found", "code": 0}, 404)

    def _channel_route(self, r: Recorded, channel_id: str, rest: list[str]) -> web.Response:
        channel = self.channels.get(channel_id)
        if channel is None or channel_id in self.gone:
            return _json({"message": "Unknown Channel", "code": 10003}, 404)
        if r.method in self.forbidden.get(channel_id, ()):
            return _json({"message": "Missing Permissions", "code": 50013}, 403)
        bucket = self._bucket(f"{r.method}{channel_id}")
        if r.method == "GET" and not rest:
            return _json(channel, headers=bucket)
        if r.method == "GET" and rest == ["messages"]:  # newest first, as Discord answers
            limit = int(r.query.get("limit", 50))
            return _json(self.history.get(channel_id, [])[::-1][:limit], headers=bucket)
        if r.method == "POST" and rest == ["messages"]:
            return _json(self._posted(channel_id, r.json or {}), headers=bucket)
        if r.method == "POST" and len(rest) == 3 and rest[0] == "messages" and rest[2] == "threads":
            started = self._started_from(channel_id, rest[1])
            if started is not None and "thread" in started:
                body = {"message": "A thread has already been created for this message",
                        "code": 160004}  # fmt: skip
                return _json(body, 400)
            thread = self._thread(channel, r.json, thread_id=rest[1])
            if started is not None:
                started["thread"] = thread
            return _json(thread, headers=bucket)
        if r.method == "POST" and rest == ["threads"]:
            thread = self._thread(channel, r.json, thread_id=str(next(self._ids)))
            if channel["type"] == 15:
                thread["message"] = self._message(thread["id"], r.json["message"], mid=thread["id"])
            return _json(thread, headers=bucket)
        return _json({"message": "405: Method Not Allowed", "code": 0}, 405)

    def _limited(self, r: Recorded) -> web.Response | None:
        for rule in self._limits:
            if rule.times > 0 and r.method == rule.method and r.path.startswith(rule.path_prefix):
                rule.times -= 1
                headers = {
                    "Retry-After": str(max(int(rule.retry_after + 0.999), 0)),
                    "X-RateLimit-Limit": "5",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset-After": str(rule.retry_after),
                    "X-RateLimit-Bucket": "abcd1234",
                    "X-RateLimit-Scope": "global" if rule.is_global else "user",
                }
                if rule.is_global:
                    headers["X-RateLimit-Global"] = "true"
                if rule.via:
                    headers["Via"] = "1.1 google"
                body = {
                    "message": "You are being rate limited.",
                    "retry_after": rule.retry_after,
                    "global": rule.is_global,
                }
                return _json(body, 429, headers)
        return None

    @staticmethod
    def _bucket(name: str) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "4",
            "X-RateLimit-Reset-After": "1.000",
            "X-RateLimit-Bucket": f"b-{name}",
        }

    def _application(self) -> dict[str, Any]:
        return {
            "id": self.app_id,
            "name": "hotpapers",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self.bot_user,
            "verify_key": "0" * 64,
            "flags": 0,
        }

    def _gateway_bot(self) -> dict[str, Any]:
        """What ``AutoShardedClient`` asks first: the URL, the recommended shard count, and the
        session start limit (Discord's own numbers for a small bot)."""
        limit = {"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1}
        return {"url": self.gateway_url, "shards": self.shards, "session_start_limit": limit}

    def _posted(self, channel_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """A channel message: kept in ``history``; with ``enforce_nonce``, a nonce seen before
        answers with the message it made (Discord keeps nonces a few minutes; this fake, for the
        whole test)."""
        key = str(body.get("nonce")) if body.get("enforce_nonce") else None
        if key is not None and key in self._nonces:
            return self._nonces[key]
        message = self._message(channel_id, body)
        self.history.setdefault(channel_id, []).append(message)
        if key is not None:
            self._nonces[key] = message
        return message

    def _started_from(self, channel_id: str, message_id: str) -> dict[str, Any] | None:
        return next((m for m in self.history.get(channel_id, []) if m["id"] == message_id), None)

    def _message(
        self, channel_id: str, body: dict[str, Any], *, mid: str | None = None, flags: int = 0
    ) -> dict[str, Any]:
        return {
            "id": mid or str(next(self._ids)),
            "channel_id": channel_id,
            "author": self.bot_user,
            "content": body.get("content") or "",
            "timestamp": TIMESTAMP,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "pinned": False,
            "type": 0,
            "flags": flags,
            "components": [],
        }

    def _thread(
        self, parent: dict[str, Any], body: dict[str, Any], *, thread_id: str
    ) -> dict[str, Any]:
        # "the id of the created thread will be the same as the id of the source message"
        thread = {
            "id": thread_id,
            "guild_id": parent.get("guild_id"),
            "parent_id": parent["id"],
            "owner_id": self.bot_user["id"],
            "name": body["name"],
            "type": 11,
            "last_message_id": None,
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "flags": 0,
            "total_message_sent": 0,
            "thread_metadata": {
                "archived": False,
                "locked": False,
                "auto_archive_duration": body.get("auto_archive_duration", 1440),
                "archive_timestamp": TIMESTAMP,
            },
        }
        self.add_channel(dict(thread))
        return thread

    def _callback(self, interaction_id: str, body: dict[str, Any]) -> dict[str, Any]:
        data = body.get("data") or {}
        return {
            "interaction": {
                "id": interaction_id,
                "type": 2,
                "response_message_loading": body.get("type") == 5,
                "response_message_ephemeral": bool(data.get("flags", 0) & 64),
            }
        }

    # ----- gateway ---------------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                continue
            message = json.loads(frame.data)
            if message.get("op") == 1:
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif message.get("op") == 2:
                self.identifies.append(message["d"])
                await self._dispatch(ws, "READY", self._ready(message["d"].get("shard")))
        self._sockets.remove(ws)
        return ws

    def _ready(self, shard: list[int] | None = None) -> dict[str, Any]:
        """READY, with ``shard`` ([id, count]) echoed as Discord does when the client shards."""
        return {
            **({"shard": shard} if shard is not None else {}),
            "v": 10,
            "user": self.bot_user,
            "guilds": [],
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "private_channels": [],
            "application": {"id": self.app_id, "flags": 0},
        }

    async def _dispatch(self, ws: web.WebSocketResponse, event: str, data: Any) -> None:
        await ws.send_json({"op": 0, "t": event, "s": next(self._seq), "d": data})

    async def send_interaction(self, payload: dict[str, Any]) -> None:
        """Deliver an INTERACTION_CREATE to every connected gateway session."""
        for ws in list(self._sockets):
            await self._dispatch(ws, "INTERACTION_CREATE", payload)

    async def send_event(self, name: str, payload: dict[str, Any]) -> None:
        """Deliver any gateway event (``MESSAGE_REACTION_ADD``...) to every session."""
        for ws in list(self._sockets):
            await self._dispatch(ws, name, payload)

    def reaction(self, channel_id: str, message_id: str, user_id: str = "42") -> dict[str, Any]:
        """A ``MESSAGE_REACTION_ADD``/``_REMOVE`` payload: 👍 by ``user_id`` on a message."""
        return {"user_id": user_id, "channel_id": channel_id, "message_id": message_id,
                "guild_id": self.guild_id, "emoji": {"id": None, "name": "\N{THUMBS UP SIGN}"},
                "burst": False, "type": 0}  # fmt: skip

    def interaction(
        self,
        options: list[dict[str, Any]],
        *,
        channel_id: str = "2000",
        kind: int = 2,
        user_id: str = "336733686529654798",
        permissions: str = "2251799813685247",
    ) -> dict[str, Any]:
        """An APPLICATION_COMMAND (kind 2) or AUTOCOMPLETE (kind 4) interaction for /hotpapers."""
        iid = str(next(self._ids))
        self._interaction_channels[f"itok-{iid}"] = channel_id
        user = {
            "id": user_id,
            "username": "oolunar",
            "discriminator": "0",
            "global_name": "Lunar",
            "avatar": None,
            "public_flags": 0,
        }
        return {
            "id": iid,
            "application_id": self.app_id,
            "type": kind,
            "token": f"itok-{iid}",
            "version": 1,
            "guild_id": self.guild_id,
            "channel_id": channel_id,
            "channel": {
                **self.channels.get(channel_id, {"id": channel_id, "type": 0}),
                "permissions": permissions,
            },
            "app_permissions": "2222085723512400",
            "locale": "en-US",
            "guild_locale": "en-US",
            "context": 0,
            "entitlements": [],
            "authorizing_integration_owners": {"0": self.guild_id},
            "attachment_size_limit": 8388608,
            "member": {
                "user": user,
                "roles": [],
                "permissions": permissions,
                "nick": None,
                "joined_at": "2023-02-02T01:34:40.083000+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
                "pending": False,
                "avatar": None,
            },
            "data": {
                "id": self.commands[0]["id"] if self.commands else "1354205866907140146",
                "name": "hotpapers",
                "type": 1,
                "options": options,
            },
        }

    def component_interaction(
        self,
        custom_id: str,
        *,
        channel_id: str = "2000",
        message_id: str = "4242",
        user_id: str = "336733686529654798",
    ) -> dict[str, Any]:
        """A MESSAGE_COMPONENT (kind 3) interaction: a button with ``custom_id`` pressed on one
        of the bot's messages (``message_id`` in ``channel_id``), shaped like Discord's own."""
        payload = self.interaction([], channel_id=channel_id, kind=3, user_id=user_id)
        message = self._message(channel_id, {"content": ""}, mid=message_id)
        message["components"] = [{"type": 1, "id": 1, "components": [
            {"type": 2, "id": 2, "style": 2, "label": "More like this", "custom_id": custom_id},
        ]}]  # fmt: skip
        payload["message"] = message
        payload["data"] = {"custom_id": custom_id, "component_type": 2}
        return payload


@contextlib.asynccontextmanager
async def serving() -> AsyncIterator[FakeDiscord]:
    """A started FakeDiscord; discord.py's process-wide bases restored after (the code under
    test changes neither; ``point_gateway_at`` changes the gateway's)."""
    base, gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    fake = await FakeDiscord().start()
    try:
        yield fake
    finally:
        await fake.close()
        Route.BASE = base
        DiscordWebSocket.DEFAULT_GATEWAY = gateway


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """The fixture form of ``serving()`` (import it into a test module to use it)."""
    async with serving() as fake:
        yield fake


def point_gateway_at(fake: FakeDiscord) -> None:
    """Send discord.py's gateway connection to the fake (process-wide; tests only)."""
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
