"""The chat measurements: slash-command acks and threads, fan-out, idle footprint of ``run``.

``hotpapers run`` is measured as a real subprocess (``python -m bot run``), fan-out in-process
with the real adapters; each returns a dict of numbers, or ``None`` figures with a ``reason``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import statistics
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

import aiohttp

from bench.chat_fakes import PacedDiscord, PacedSlack
from bench.processes import rss_mb, start_run, stop
from bench.scenarios import Scale, maxrss_mb
from bot.clock import SystemClock
from bot.config import Settings
from bot.demo import DEMO_DATE
from bot.ledger import Ledger
from bot.models import Digest
from bot.posting import deliver
from bot.service import DigestService
from bot.store import Store
from tests.factories import make_digest

ROOT = Path(__file__).resolve().parent.parent
SIGNING_SECRET = "bench-signing-secret"  # noqa: S105 (a fake's, loopback only)
BOT_TOKEN = "xoxb-bench-token"  # noqa: S105
DISCORD_TOKEN = "bench-discord-token"  # noqa: S105


# ----- 4. idle footprint ------------------------------------------------------------------------
async def idle_scenario() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        running = await start_run({}, tmp)
        try:
            if running.reason is not None:
                return {"idle_rss_mb": None, "startup_s": None, "reason": running.reason}
            await asyncio.sleep(1.0)  # let start-up work settle before reading the footprint
            return {"idle_rss_mb": rss_mb(running.process.pid), "startup_s": running.startup_s}
        finally:
            stop(running)


# ----- 2. slash command -------------------------------------------------------------------------
def signed(body: str, secret: str, when: int) -> dict[str, str]:
    """Slack's v0 request signature: HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    base = f"v0:{when}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": str(when),
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def command_body(i: int, response_url: str) -> str:
    return urllib.parse.urlencode(
        {
            "token": "legacy", "team_id": "T111", "team_domain": "bench", "channel_id": f"C{i:05d}",
            "channel_name": "papers", "user_id": "U111", "user_name": "bench",
            "command": "/hotpapers", "text": f"cs.CL {DEMO_DATE.isoformat()}",
            "response_url": response_url, "trigger_id": f"{i}.1.abc", "api_app_id": "A111",
        }
    )  # fmt: skip


async def demo_thread_length() -> int:
    """Messages in the demo thread: header + one per entry (built offline, as the bot does)."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp}/d.db")  # type: ignore[call-arg]
        store = Store(settings.database_url)
        service = DigestService(settings, store, offline=True)
        try:
            digest = await service.build(DEMO_DATE, ["cs.CL"], settings.default_top)
        finally:
            await service.aclose()
            store.close()
    return 1 + len(digest.entries)


async def slash_scenario(scale: Scale) -> dict[str, Any]:
    expected = await demo_thread_length()
    slack = await PacedSlack(latency=scale.latency).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "HOTPAPERS_SLACK_API_URL": slack.api_url,
            }
            running = await start_run(env, tmp)
            try:
                if running.reason is not None:
                    return {"ack_p99_ms": None, "thread_p50_s": None, "reason": running.reason}
                return await _fire_commands(scale, slack, running.port, expected)
            finally:
                stop(running)
    finally:
        await slack.close()


async def _fire_commands(scale: Scale, slack: PacedSlack, port: int, expected: int) -> dict:
    url = f"http://127.0.0.1:{port}/slack/events"
    gate = asyncio.Semaphore(scale.concurrency)
    sent: dict[str, float] = {}
    acks: list[float] = []
    statuses: list[int] = []

    async def one(client: aiohttp.ClientSession, i: int) -> None:
        body = command_body(i, slack.response_url(str(i)))
        async with gate:
            headers = signed(body, SIGNING_SECRET, int(time.time()))
            sent[f"C{i:05d}"] = time.monotonic()
            started = time.perf_counter()
            async with client.post(url, data=body, headers=headers) as answer:
                await answer.read()
            acks.append((time.perf_counter() - started) * 1000)
            statuses.append(answer.status)

    # aiohttp, not httpx: httpx's pool scans every pooled connection on each request
    # (encode/httpx#3215), which at 50 connections costs the client more than the bot's ack.
    connector = aiohttp.TCPConnector(limit=scale.concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:
        await asyncio.gather(*(one(client, i) for i in range(scale.commands)))
    complete = await _until_threads_complete(slack, list(sent), expected, 60 + expected * 2.0)
    threads = [
        slack.times[c][expected - 1] - sent[c]
        for c in sent
        if len(slack.times.get(c, [])) >= expected
    ]
    acks.sort()
    return {
        "commands": scale.commands,
        "ok_acks": statuses.count(200),
        "ack_p50_ms": statistics.median(acks),
        "ack_p99_ms": acks[min(len(acks) - 1, math.ceil(0.99 * len(acks)) - 1)],
        "thread_messages": expected,
        "threads_complete": len(threads),
        "all_complete": complete,
        "thread_p50_s": statistics.median(threads) if threads else None,
        "pacing_floor_s": (expected - 1) * 1.0,
        "slack_429": slack.too_fast,
    }


async def _until_threads_complete(
    slack: PacedSlack, channels: list[str], expected: int, timeout: float
) -> bool:
    """Poll (the bench runs in real time) until every channel holds its whole thread."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(len(slack.times.get(c, [])) >= expected for c in channels):
            return True
        await asyncio.sleep(0.05)
    return False


# ----- 3. fan-out -------------------------------------------------------------------------------
async def fanout_scenario(scale: Scale) -> dict[str, Any]:
    from adapters.discord import make_discord_rest_adapter
    from adapters.slack import make_slack_adapter

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp}/d.db")  # type: ignore[call-arg]
        store = Store(settings.database_url)
        digest = make_digest(
            scale.entries
        )  # ten papers, realistic lengths (the demo has fewer per query)
        slack, discord = (
            await PacedSlack(scale.latency).start(),
            await PacedDiscord(scale.latency).start(),
        )
        ids = [str(1_400_000_000_000_000_000 + n) for n in range(scale.channels)]
        for channel_id in ids:
            discord.add_text_channel(channel_id)
        chat = Settings(  # type: ignore[call-arg]
            _env_file=None, database_url=settings.database_url, SLACK_BOT_TOKEN=BOT_TOKEN,
            slack_api_url=slack.api_url, DISCORD_TOKEN=DISCORD_TOKEN,
            discord_api_url=discord.base_url,
        )  # fmt: skip
        clock = SystemClock()
        slack_adapter = make_slack_adapter(chat, clock)
        discord_adapter = await make_discord_rest_adapter(chat, clock)
        ledger = Ledger(store, "bench", clock)
        rss_before = maxrss_mb()
        started = time.perf_counter()
        try:
            timings = await asyncio.gather(
                _fan(slack_adapter, ledger, [f"C{n:05d}" for n in range(scale.channels)], digest),
                _fan(discord_adapter, ledger, ids, digest),
            )
        finally:
            peak = maxrss_mb() - rss_before
            await discord_adapter.close()
            await slack.close()
            await discord.close()
            store.close()
    wall = time.perf_counter() - started
    return _fanout_figures(scale, digest, slack, discord, timings, wall, peak)


async def _fan(
    adapter: Any, ledger: Ledger, channels: list[str], digest: Digest
) -> tuple[float, int]:
    started = time.perf_counter()
    outcomes = await asyncio.gather(*(deliver(adapter, ledger, "W1", c, digest) for c in channels))
    return time.perf_counter() - started, sum(not o.ok for o in outcomes)


def _fanout_figures(scale, digest, slack, discord, timings, wall, peak) -> dict[str, Any]:
    """Times against the bounds; the ratio is ``None`` when deliveries failed (not comparable)."""
    (slack_s, slack_failed), (discord_s, discord_failed) = timings
    per_thread = 1 + len(digest.entries)
    # A complete Discord thread: GET channel, header, thread, one per entry; + login (2 calls).
    discord_needed = 2 + scale.channels * (3 + len(digest.entries))
    slack_bound = (per_thread - 1) * 1.0 + scale.latency
    discord_bound = discord_needed / 50 + scale.latency
    bound = max(slack_bound, discord_bound)
    failed = slack_failed + discord_failed
    return {
        "channels_per_platform": scale.channels,
        "messages_per_thread": per_thread,
        "slack_messages": len(slack.posts),
        "discord_requests": len(discord.requests),
        "discord_requests_needed": discord_needed,
        "slack_s": slack_s,
        "discord_s": discord_s,
        "wall_s": wall,
        "bound_s": bound,
        "fanout_vs_bound": None if failed else wall / bound,
        "slack_vs_bound": slack_s / slack_bound,
        "discord_vs_bound": None if discord_failed else discord_s / discord_bound,
        "seen_429": slack.too_fast + discord.too_fast,
        "unhandled_429_or_failed": failed,
        "slack_failed": slack_failed,
        "discord_failed": discord_failed,
        "maxrss_growth_mb": peak,
        **({"reason": f"{failed} deliveries failed (429 after retries)"} if failed else {}),
    }
