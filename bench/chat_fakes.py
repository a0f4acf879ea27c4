"""The chat fakes of the bench: Slack and Discord that enforce the published rate limits."""

from __future__ import annotations

import asyncio
import json
import math
import time

from aiohttp import web

from bench.fakes import DISCORD_GLOBAL_PER_S, SLACK_TOLERANCE, SlidingLimit
from tests.fake_discord import FakeDiscord
from tests.fake_slack import FakeSlack


class PacedSlack(FakeSlack):
    """FakeSlack that answers 429 (Retry-After: 1) to a message faster than ~1 / s per channel."""

    def __init__(self, latency: float = 0.05) -> None:
        super().__init__()
        self.latency = latency
        self.too_fast = 0
        self.times: dict[str, list[float]] = {}  # channel -> monotonic time of each ok message
        self._last: dict[str, float] = {}

    async def _web_api(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.latency)
        if request.match_info["method"] == "chat.postMessage":
            channel = str((await request.post()).get("channel") or "")
            if not channel and request.content_type == "application/json":
                channel = str((await request.json()).get("channel", ""))
            now = time.monotonic()
            if now - self._last.get(channel, -math.inf) < SLACK_TOLERANCE:
                self.too_fast += 1
                body = {"ok": False, "error": "ratelimited"}
                return web.json_response(body, status=429, headers={"Retry-After": "1"})
            self._last[channel] = now
            answer = await super()._web_api(request)
            if answer.status == 200:
                self.times.setdefault(channel, []).append(time.monotonic())
            return answer
        return await super()._web_api(request)


class PacedDiscord(FakeDiscord):
    """FakeDiscord enforcing Discord's global 50 requests / s with a global 429 (Via header)."""

    def __init__(self, latency: float = 0.05) -> None:
        super().__init__()
        self.latency = latency
        self.too_fast = 0
        self._global = SlidingLimit(DISCORD_GLOBAL_PER_S, 1.0)

    async def _rest(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.latency)
        wait = self._global.hit()
        if wait is not None:
            self.too_fast += 1
            body = {"message": "You are being rate limited.", "retry_after": wait, "global": True}
            headers = {
                "Retry-After": str(math.ceil(wait)),
                "X-RateLimit-Global": "true",
                "X-RateLimit-Scope": "global",
                "Via": "1.1 google",
                "Content-Type": "application/json",  # exactly: discord.py reads the body only so
            }
            return web.Response(body=json.dumps(body).encode(), status=429, headers=headers)
        return await super()._rest(request)
