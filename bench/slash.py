"""Signed Slack slash commands fired at a running ``hotpapers run``: ack latency (time to the
HTTP 200) and, per command, the time until the fake Slack holds the whole answer thread."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import statistics
import time
import urllib.parse
from typing import Any

import aiohttp

from bench.chat_fakes import LimitedSlack
from bot.demo import DEMO_DATE

SIGNING_SECRET = "bench-signing-secret"  # noqa: S105 (a fake's, loopback only)


def signed(body: str, secret: str, when: int) -> dict[str, str]:
    """Slack's v0 request signature: HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    base = f"v0:{when}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": str(when),
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def command_body(channel: str, response_url: str, team: str = "T111") -> str:
    return urllib.parse.urlencode(
        {
            "token": "legacy", "team_id": team, "team_domain": "bench", "channel_id": channel,
            "channel_name": "papers", "user_id": "U111", "user_name": "bench",
            "command": "/hotpapers", "text": f"cs.CL {DEMO_DATE.isoformat()}",
            "response_url": response_url, "trigger_id": f"{channel}.1.abc", "api_app_id": "A111",
        }
    )  # fmt: skip


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]


async def fire_commands(port: int, slack: LimitedSlack, commands: int, concurrency: int, *,
                        team: str = "T111") -> dict[str, Any]:  # fmt: skip
    """``commands`` signed ``/hotpapers`` requests, ``concurrency`` at a time, each from its own
    channel (``A00000``...); ack latencies in ms and the send time of each channel."""
    url = f"http://127.0.0.1:{port}/slack/events"
    gate = asyncio.Semaphore(concurrency)
    sent: dict[str, float] = {}
    acks: list[float] = []
    statuses: list[int] = []

    async def one(client: aiohttp.ClientSession, i: int) -> None:
        channel = f"A{i:05d}"
        body = command_body(channel, slack.response_url(str(i)), team)
        async with gate:
            headers = signed(body, SIGNING_SECRET, int(time.time()))
            sent[channel] = time.monotonic()
            started = time.perf_counter()
            try:
                async with client.post(url, data=body, headers=headers) as answer:
                    await answer.read()
                statuses.append(answer.status)
            except (TimeoutError, aiohttp.ClientError):  # counted (not 200), its time kept
                statuses.append(0)
            acks.append((time.perf_counter() - started) * 1000)

    # aiohttp, not httpx: httpx's pool scans every pooled connection on each request
    # (encode/httpx#3215), which at 50 connections costs the client more than the bot's ack.
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=10)  # Slack itself gives up on an ack after 3 s
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:
        await asyncio.gather(*(one(client, i) for i in range(commands)))
    return {
        "commands": commands,
        "concurrency": concurrency,
        "ok_acks": statuses.count(200),
        "ack_p50_ms": statistics.median(acks),
        "ack_p99_ms": p99(acks),
        "sent": sent,
    }
