"""The chat fakes of the bench: the test fakes of Slack and Discord plus the published limits.

``LimitedSlack``: ``chat.postMessage`` through two token buckets, the channel's (1 / s, burst 3)
and the workspace's (300 / min, burst 30; the workspace is the bot token's team), 429 with
``Retry-After`` and ``{"ok": false, "error": "ratelimited"}`` past either.

``LimitedDiscord``: the global 50 / s per bot token (token bucket, burst 50) and per-route
buckets (``POST /channels/{id}/messages``: 5 per 5 s per channel, a window opening at its first
request; any other route 50 per 1 s per major id), with truthful ``X-RateLimit-Limit``,
``-Remaining``, ``-Reset``, ``-Reset-After`` and ``-Bucket`` headers on every answer.

Both answer after ``latency.of(len(body))`` and count every 429 they send.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import Counter
from typing import Any

from aiohttp import web

from bench.limits import (
    LIMITS,
    PINNED_LATENCY,
    Bucket,
    Fixed,
    Latency,
    Now,
    limiter,
    retry_after,
)
from tests.fake_discord import FakeDiscord
from tests.fake_slack import FakeSlack

_MESSAGE_ROUTES = ("POST /channels/{id}/messages",)


class LimitedSlack(FakeSlack):
    """FakeSlack enforcing chat.postMessage's per-channel and per-workspace limits."""

    def __init__(self, latency: Latency = PINNED_LATENCY, now: Now = time.monotonic) -> None:
        super().__init__()
        self.latency, self.now = latency, now
        self.teams: dict[str, str] = {}  # bot token -> team id (its workspace)
        self.too_fast: Counter[str] = Counter()  # "channel" | "workspace" -> 429s sent
        self.times: dict[str, list[float]] = {}  # channel -> monotonic time of each ok message
        self.workspace_of: dict[str, str] = {}  # channel -> team id of its messages
        self._channel: dict[str, Bucket] = {}
        self._workspace: dict[str, Bucket] = {}

    def install(self, team_id: str, token: str) -> None:
        self.teams[token] = team_id

    def _bucket(self, table: dict[str, Bucket], key: str, name: str) -> Bucket:
        found = table.get(key)
        if found is None:
            found = table[key] = limiter(LIMITS[name], self.now)  # type: ignore[assignment]
        return found

    def _m_auth_test(self, body: dict[str, Any]) -> dict[str, Any]:
        answer = super()._m_auth_test(body)
        token = str(body.get("_token", ""))
        return {**answer, "team_id": self.teams.get(token, answer["team_id"])}

    async def _web_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method not in ("chat.postMessage", "auth.test"):
            await asyncio.sleep(self.latency.base)
            return await super()._web_api(request)
        body: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            body.update(await request.json())
        else:
            body.update(await request.post())
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if method == "auth.test":
            data = self._m_auth_test({"_token": token})
            return await self._send(data, 200, {})
        channel, team = str(body.get("channel", "")), self.teams.get(token, token)
        by_channel = self._bucket(self._channel, channel, "slack_channel")
        wait, scope = by_channel.take(), "channel"
        if wait is None:
            wait, scope = self._bucket(self._workspace, team, "slack_workspace").take(), "workspace"
            if wait is not None:
                by_channel.refund()
        if wait is not None:
            self.too_fast[scope] += 1
            refused = {"ok": False, "error": "ratelimited"}
            return await self._send(refused, 429, {"Retry-After": retry_after(wait)})
        status, answer, extra = self._answer(method, body, f"Bearer {token}")
        if status == 200 and answer.get("ok"):
            self.times.setdefault(channel, []).append(time.monotonic())
            self.workspace_of[channel] = team
        return await self._send(answer, status, extra)

    async def _send(self, data: Any, status: int, headers: dict[str, str]) -> web.Response:
        body = json.dumps(data).encode()
        await asyncio.sleep(self.latency.of(len(body)))
        return web.Response(body=body, status=status, headers=headers,
                            content_type="application/json")  # fmt: skip

    def thread_sizes(self) -> dict[str, int]:
        return {channel: len(times) for channel, times in self.times.items()}


def route_of(method: str, path: str) -> tuple[str, str]:
    """``(bucket route, major id)``: ``POST /channels/123/messages`` -> the route with ids
    replaced, and the channel id (Discord's buckets are per route and major parameter)."""
    parts = path.strip("/").split("/")
    major = parts[1] if parts[0] in ("channels", "guilds", "webhooks") and len(parts) > 1 else ""
    template = "/".join("{id}" if part.isdigit() else part for part in parts)
    return f"{method} /{template}", major


class LimitedDiscord(FakeDiscord):
    """FakeDiscord enforcing the global 50 / s and per-route buckets, with their headers."""

    def __init__(self, latency: Latency = PINNED_LATENCY, now: Now = time.monotonic) -> None:
        super().__init__()
        self.latency, self.now = latency, now
        self.too_fast: Counter[str] = Counter()  # "global" | "route" -> 429s sent
        self._global: dict[str, Bucket] = {}  # per bot token
        self._routes: dict[tuple[str, str], Fixed] = {}
        self.message_times: list[float] = []  # monotonic time of each message accepted

    def _route_limit(self, route: str, major: str) -> Fixed:
        key = (route, major)
        found = self._routes.get(key)
        if found is None:
            name = ("discord_channel_messages" if route == "POST /channels/{id}/messages"
                    else "discord_route")  # fmt: skip
            found = self._routes[key] = limiter(LIMITS[name], self.now)  # type: ignore[assignment]
        return found

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        token = request.headers.get("Authorization", "")
        route, major = route_of(request.method, path)
        bucket = self._route_limit(route, major)
        glob = self._global.get(token)
        if glob is None:
            glob = self._global[token] = limiter(LIMITS["discord_global"], self.now)  # type: ignore[assignment]
        headers = self._headers(bucket, route, major)
        wait = glob.take()
        if wait is not None:
            self.too_fast["global"] += 1
            return await self._refuse(wait, True, headers)
        wait = bucket.take()
        if wait is not None:
            glob.refund()
            self.too_fast["route"] += 1
            return await self._refuse(wait, False, self._headers(bucket, route, major))
        answer = await super()._rest(request)
        if answer.status == 200 and route in _MESSAGE_ROUTES:
            self.message_times.append(time.monotonic())
        answer.headers.update(self._headers(bucket, route, major))
        size = len(answer.body) if isinstance(answer.body, bytes) else 0
        await asyncio.sleep(self.latency.of(size))
        return answer

    @staticmethod
    def _headers(bucket: Fixed, route: str, major: str) -> dict[str, str]:
        reset_after = bucket.reset_after
        return {
            "X-RateLimit-Limit": str(bucket.calls),
            "X-RateLimit-Remaining": str(bucket.remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": hashlib.sha1(route.encode()).hexdigest()[:16],  # noqa: S324
        }

    async def _refuse(self, wait: float, is_global: bool, headers: dict[str, str]) -> web.Response:
        body = {"message": "You are being rate limited.", "retry_after": round(wait, 3),
                "global": is_global}  # fmt: skip
        extra = {
            "Retry-After": retry_after(wait),
            "Content-Type": "application/json",
            "X-RateLimit-Scope": "global" if is_global else "user",
            "Via": "1.1 google",
        }  # fmt: skip  (discord.py reads a 429 without Via as a ban)
        if is_global:
            extra["X-RateLimit-Global"] = "true"
            headers = {k: v for k, v in headers.items() if k != "X-RateLimit-Bucket"}
        await asyncio.sleep(self.latency.base)
        data = json.dumps(body).encode()
        return web.Response(body=data, status=429, headers={**headers, **extra})

    def thread_sizes(self) -> dict[str, int]:
        """Messages per parent channel: its own (the header) plus those of its threads."""
        sizes: Counter[str] = Counter()
        for channel_id, messages in self.history.items():
            parent = self.channels.get(channel_id, {}).get("parent_id") or channel_id
            sizes[str(parent)] += len(messages)
        return dict(sizes)
