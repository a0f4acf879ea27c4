"""The chat measurements of ``hotpapers run`` (always a real subprocess): start-up and idle
memory, slash-command acks, the production fan-out alone and with acks fired at it, and the
1- against 3-instance fan-out on PostgreSQL. Each returns a dict of numbers, or ``None``
figures with a ``reason``."""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import tempfile
import time
from typing import Any

from bench.chat_fakes import LimitedSlack
from bench.fanout import ACK_TEAM, fanout_run
from bench.limits import LIMITS
from bench.processes import rss_mb, start_run, stop
from bench.scenarios import Scale
from bench.seeding import (
    CLIENT_ID,
    CLIENT_SECRET,
    FanoutSet,
    FreshPostgres,
    install_workspaces,
    seed_subscriptions,
)
from bench.slash import SIGNING_SECRET, fire_commands
from bot.config import Settings
from bot.demo import DEMO_DATE
from bot.service import DigestService
from bot.store import Store

BOT_TOKEN = "xoxb-bench-token"  # noqa: S105 (a fake's, loopback only)


# ----- idle footprint ---------------------------------------------------------------------------
async def idle_scenario(scale: Scale) -> dict[str, Any]:
    """``run`` with no chat token and an empty database: ready time and memory; then ``run``
    with Slack installed in 200 workspaces and ``idle_subscriptions`` subscriptions (none due)."""
    with tempfile.TemporaryDirectory() as tmp:
        running = await start_run({}, tmp)
        try:
            if running.reason is not None:
                return {"idle_rss_mb": None, "startup_s": None, "reason": running.reason}
            await asyncio.sleep(1.0)  # let start-up work settle before reading the footprint
            figures = {"idle_rss_mb": rss_mb(running.process.pid), "startup_s": running.startup_s}
        finally:
            stop(running)
    return {**figures, **await _idle_with_subscriptions(scale.idle_subscriptions)}


async def _idle_with_subscriptions(count: int) -> dict[str, Any]:
    slack = await LimitedSlack().start()
    fanout = FanoutSet.of(count, min(200, count), 0)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/run.db"
            now = dt.datetime.now(dt.UTC)
            not_due = (now + dt.timedelta(hours=6)).time()  # hours away, none to catch up
            await asyncio.to_thread(seed_subscriptions, url, fanout, not_due, 10, now)
            await install_workspaces(url, list(fanout.slack), now)
            env = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET,
                   "SLACK_SIGNING_SECRET": SIGNING_SECRET, "HOTPAPERS_SLACK_API_URL": slack.api_url,
                   "HOTPAPERS_DATABASE_URL": url}  # fmt: skip
            running = await start_run(env, tmp, timeout=60, name="idle")
            try:
                if running.reason is not None:
                    return {"rss_10k_subscriptions_mb": None, "reason": running.reason}
                await asyncio.sleep(2.0)
                return {
                    "subscriptions": count,
                    "workspaces": len(fanout.slack),
                    "rss_10k_subscriptions_mb": rss_mb(running.process.pid),
                    "ready_with_subscriptions_s": running.startup_s,
                }
            finally:
                stop(running)
    finally:
        await slack.close()


# ----- slash command ----------------------------------------------------------------------------
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
    """``scale.commands`` commands, ``scale.concurrency`` at a time, at an idle ``run``."""
    expected = await demo_thread_length()
    slack = await LimitedSlack(scale.latency).start()
    slack.install("T111", BOT_TOKEN)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                   "HOTPAPERS_SLACK_API_URL": slack.api_url}  # fmt: skip
            running = await start_run(env, tmp)
            try:
                if running.reason is not None:
                    return {"ack_p99_ms": None, "thread_p50_s": None, "reason": running.reason}
                fired = await fire_commands(running.port, slack, scale.commands,
                                            scale.concurrency)  # fmt: skip
                sent = fired.pop("sent")
                # Capped: one workspace's answers queue behind its 300 / min limit.
                complete = await _until_threads(slack, list(sent), expected, 30.0)
            finally:
                stop(running)
    finally:
        await slack.close()
    threads = [slack.times[c][expected - 1] - sent[c] for c in sent
               if len(slack.times.get(c, [])) >= expected]  # fmt: skip
    channel = LIMITS["slack_channel"]
    return {
        **fired,
        "thread_messages": expected,
        "threads_complete": len(threads),
        "all_complete": complete,
        # Only when every thread completed: a median of the finished ones would flatter.
        "thread_p50_s": statistics.median(threads) if complete else None,
        "pacing_floor_s": max(0, expected - channel.burst) / channel.rate,
        "slack_429": dict(slack.too_fast),
    }


async def _until_threads(slack: LimitedSlack, channels: list[str], expected: int,
                         timeout: float) -> bool:  # fmt: skip
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(len(slack.times.get(c, [])) >= expected for c in channels):
            return True
        await asyncio.sleep(0.05)
    return False


# ----- fan-out ----------------------------------------------------------------------------------
async def fanout_scenario(scale: Scale) -> dict[str, Any]:
    """The whole fan-out set through one ``run`` (SQLite), slash commands fired at it."""
    fanout = FanoutSet.of(scale.slack_channels, scale.slack_workspaces, scale.discord_channels)
    result = await fanout_run(scale, fanout, acks=max(20, scale.commands // 2))
    acks = result.get("acks") or {}
    result["ack_p99_under_fanout_ms"] = acks.get("ack_p99_ms")
    result["ack_team"] = ACK_TEAM
    acks.pop("sent", None)
    return result


async def instances_scenario(scale: Scale) -> dict[str, Any]:
    """The same fan-out on PostgreSQL (a fresh database each), 1 instance then 3."""
    fanout = FanoutSet.of(scale.instance_slack_channels, scale.instance_workspaces,
                          scale.instance_discord_channels)  # fmt: skip
    runs: dict[int, dict[str, Any]] = {}
    for count in (1, 3):
        try:
            with FreshPostgres() as url:
                runs[count] = await fanout_run(scale, fanout, instances=count, database=url)
        except Exception as exc:  # no server: say so, never guess
            return {"instances": None, "reason": f"PostgreSQL: {type(exc).__name__}: {exc}"}
    one, three = runs[1], runs[3]
    total = sum(three.get("owners", {}).values())
    return {
        "instances": {
            "count": 3,
            "wall_s": three.get("wall_s"),
            "one_instance_wall_s": one.get("wall_s"),
            "speedup_vs_one": one["wall_s"] / three["wall_s"] if three.get("wall_s") else None,
            "share": {o: n / total for o, n in three.get("owners", {}).items()} if total else {},
            "failed": three.get("failed"),
            "duplicated": three.get("duplicated"),
            "rate_vs_allowed": three.get("fanout_rate_vs_allowed"),
            "one_instance_rate_vs_allowed": one.get("fanout_rate_vs_allowed"),
        },
        "one": one,
        "three": three,
        **({"reason": three["reason"]} if three.get("reason") else {}),
    }
