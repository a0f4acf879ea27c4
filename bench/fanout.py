"""The production fan-out: real ``hotpapers run`` processes posting one day's digest to every
subscribed channel, measured at the fakes until every thread is complete.

One run (``fanout_run``): the source fakes in their own process (``bench.served``), the limited
Slack and Discord fakes here (``bench.chat_fakes``); a database seeded as the product writes it
(``bench.seeding``: OAuth installations per workspace, subscriptions all due at one minute);
``instances`` processes of ``python -m bench.child run`` (``hotpapers run`` with the clock set on
the listing day, see ``bench.child``). The subscriptions' minute has just passed when they
start, so the leader's scheduler fires them all at once (a run due within the grace is caught
up at start). While they post, signed slash commands may be fired at the first instance
(``acks``). A thread is complete when its channel holds the header and every entry.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.chat_fakes import LimitedDiscord, LimitedSlack
from bench.fanout_figures import fanout_figures
from bench.processes import Running, rss_mb, start_run, stop
from bench.scenarios import BENCH_DATE, Scale, source_settings
from bench.seeding import (
    CATEGORIES,
    CLIENT_ID,
    CLIENT_SECRET,
    FanoutSet,
    delivery_owners,
    install_workspaces,
    seed_subscriptions,
    token_of,
)
from bench.served import ServedFakes
from bench.slash import fire_commands
from bot import calendar
from bot.clock import ShiftedClock
from bot.service import DigestService
from bot.store import Store

SIGNING_SECRET = "bench-signing-secret"  # noqa: S105 (a fake's, loopback only)
DISCORD_TOKEN = "bench-discord-token"  # noqa: S105
ACK_TEAM = "TACK"  # the slash commands' workspace: not one of the fan-out's
FANOUT_DAY = (300, 1200)  # papers, posts of the day the fan-out posts
#: The subscriptions' minute: half an hour after the listing's announcement (UTC).
DUE = calendar.announcement_time(BENCH_DATE) + dt.timedelta(minutes=30)


async def expected_thread(fakes: ServedFakes, top: int, tmp: str) -> int:
    """Messages of one complete thread: the header and one per entry of the digest the
    subscriptions will get (built here once, on the same fakes, at the same virtual time)."""
    settings = source_settings(fakes, f"sqlite:///{tmp}/expected.db")
    store = Store(settings.database_url)
    clock = ShiftedClock(DUE + dt.timedelta(seconds=10) - dt.datetime.now(dt.UTC))
    service = DigestService(settings, store, clock=clock)
    try:
        digest = await service.build(BENCH_DATE, CATEGORIES, top)
    finally:
        await service.aclose()
        store.close()
    return 1 + len(digest.entries)


def run_env(fakes: ServedFakes, slack: LimitedSlack, discord: LimitedDiscord,
            database: str) -> dict[str, str]:  # fmt: skip
    return {
        **fakes.env(),
        "SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET, "HOTPAPERS_SLACK_API_URL": slack.api_url,
        "DISCORD_TOKEN": DISCORD_TOKEN, "HOTPAPERS_DISCORD_API_URL": discord.base_url,
        "HOTPAPERS_BENCH_DISCORD_GATEWAY": discord.gateway_url,
        "HOTPAPERS_DATABASE_URL": database,
        # Every instance reads the same virtual time: 10 s after the subscriptions' minute.
        "HOTPAPERS_BENCH_CLOCK_OFFSET": str(
            (DUE + dt.timedelta(seconds=10) - dt.datetime.now(dt.UTC)).total_seconds()
        ),
    }  # fmt: skip


async def fanout_run(scale: Scale, fanout: FanoutSet, *, instances: int = 1,
                     database: str | None = None, acks: int = 0) -> dict[str, Any]:  # fmt: skip
    """One fan-out, measured; ``database``: a PostgreSQL URL (default: SQLite in a temp dir)."""
    papers, posts = FANOUT_DAY
    fakes = await ServedFakes(BENCH_DATE, papers, posts, scale.latency, scale.arxiv_scale).start()
    slack, discord = LimitedSlack(scale.latency), LimitedDiscord(scale.latency)
    await slack.start()
    await discord.start()
    for team in [*fanout.slack, ACK_TEAM]:
        slack.install(team, token_of(team))
    for channel in fanout.discord:
        discord.add_text_channel(channel)
    running: list[Running] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                url = database or f"sqlite:///{tmp}/run.db"
                created = DUE - dt.timedelta(days=2)
                await asyncio.to_thread(seed_subscriptions, url, fanout, DUE.time(), scale.top,
                                        created)  # fmt: skip
                await install_workspaces(url, [*fanout.slack, ACK_TEAM], created)
                expected = await expected_thread(fakes, scale.top, tmp)
                env = run_env(fakes, slack, discord, url)
                launched = time.monotonic()
                running = list(
                    await asyncio.gather(
                        *(start_run(env, tmp, timeout=120, module="bench.child", name=f"run{i}")
                          for i in range(instances))
                    )
                )  # fmt: skip
                exited = [r.reason for r in running if r.process.poll() is not None]
                if exited:
                    return {"reason": "; ".join(map(str, exited)), "log": _tail(running[0].log)}
                # One not healthy in time still posts (a stalled loop): measured all the same.
                unready = [r.reason for r in running if r.reason]
                ready = None if unready else time.monotonic() - launched
                acking = None
                if acks and await _first_message(slack, discord, timeout=120):
                    acking = asyncio.ensure_future(
                        fire_commands(running[0].port, slack, acks, min(10, acks), team=ACK_TEAM)
                    )  # while the fan-out goes on
                complete = await _until_complete(slack, discord, fanout, expected, scale.stall_s)
                acked = await acking if acking is not None else None
                rss = [rss_mb(r.process.pid) for r in running if r.process.poll() is None]
                owners = delivery_owners(url) if instances > 1 else {}
                log_tail = _tail(running[0].log) if not complete else ""
            finally:
                for r in running:
                    stop(r)
    finally:
        await slack.close()
        await discord.close()
        await fakes.stats()
        await fakes.close()
    figures = fanout_figures(slack, discord, fanout, expected, scale.latency.base)
    return {
        **figures,
        "instances": instances,
        "database": "postgresql" if database else "sqlite",
        "all_complete": complete,
        "ready_s": ready,
        "rss_mb_per_instance": rss,
        "owners": owners,
        "source_requests": dict(fakes.requests),
        "source_429": dict(fakes.rejected),
        **({"acks": acked} if acked is not None else {}),
        **({"log_tail": log_tail} if log_tail else {}),
        **({"not_ready": unready} if unready else {}),
    }


async def _first_message(slack: LimitedSlack, discord: LimitedDiscord, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if slack.times or discord.history:
            return True
        await asyncio.sleep(0.05)
    return False


async def _until_complete(slack: LimitedSlack, discord: LimitedDiscord, fanout: FanoutSet,
                          expected: int, stall_s: float) -> bool:  # fmt: skip
    """Poll until every channel holds a complete thread, or nothing has moved for ``stall_s``
    (60 s: the bot retries a run 15 s, 30 s, then every 60 s)."""
    wanted_slack = [c for channels in fanout.slack.values() for c in channels]
    last_total, last_change = -1, time.monotonic()
    while time.monotonic() - last_change < stall_s:
        slack_sizes, discord_sizes = slack.thread_sizes(), discord.thread_sizes()
        if all(slack_sizes.get(c, 0) >= expected for c in wanted_slack) and all(
            discord_sizes.get(c, 0) >= expected for c in fanout.discord
        ):
            return True
        total = sum(slack_sizes.values()) + sum(discord_sizes.values())
        if total != last_total:
            last_total, last_change = total, time.monotonic()
        await asyncio.sleep(0.25)
    return False


def _tail(log: Path, lines: int = 8) -> str:
    try:
        return " | ".join(log.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""
