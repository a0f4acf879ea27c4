"""``hotpapers run``: one asyncio process with every platform configured, the scheduler, /healthz.

    aiohttp server on HOTPAPERS_PORT: GET /healthz (+ POST /slack/events with SLACK_SIGNING_SECRET,
        + POST /discord/interactions with DISCORD_PUBLIC_KEY)
    Slack: Socket Mode with SLACK_APP_TOKEN (slack-bolt imported only when Slack is configured)
    Discord: the gateway with DISCORD_TOKEN, or HTTP interactions with DISCORD_PUBLIC_KEY too
        (discord.py imported only then)
    console: digests on stdout when no chat token is set
    scheduler: leader-elected (bot.leader), jobs from the subscriptions table (bot.jobs)

SIGTERM/SIGINT stop it in order: the scheduler (runs in flight get ``DRAIN_SECONDS``; one cut
short releases its ledger claim, so the next run, on any instance, resumes it at once), then Slack
(no new command; answers in flight get ``hotpapers.platforms.DRAIN_SECONDS`` to finish their
threads), then Discord (the same for its answers), then the web server and the store. Worst case
about 30 s: give the container that long to stop (Docker's default is 10 s, then SIGKILL).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from typing import Any, TextIO

from aiohttp import web

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.fanout_queue import FanoutQueue
from bot.fanout_worker import FanoutWorker
from bot.handler import CommandHandler
from bot.jobs import DigestScheduler
from bot.leader import AlwaysLeader, Leader, LeadershipLoop, make_leader
from bot.ledger import Ledger
from bot.logs import redact
from bot.ports import Adapter
from bot.reactions import Reactions
from bot.service import DigestService
from bot.store import Store
from bot.subscription_commands import Defaults, SubscriptionHandler
from bot.subscriptions import SubscriptionStore
from hotpapers.demo_run import DemoScheduler, add_demo_subscription
from hotpapers.health import health_report, health_routes
from hotpapers.platforms import (
    ConsolePlatform,
    DiscordPlatform,
    Platform,
    SlackPlatform,
    chat_configured,
)

log = logging.getLogger(__name__)

DRAIN_SECONDS = 10.0
STOP_ORDER = ("slack", "discord", "console")


class Runtime:
    """The long-running bot. ``await start()``, then ``await stop()``; ``health()`` any time."""

    def __init__(
        self, settings: Settings, *, clock: Clock | None = None, host: str = "0.0.0.0",  # noqa: S104
        port: int | None = None, owner: str | None = None, schedule: bool = True,
        console_out: TextIO | None = None, leader: Leader | None = None, demo: bool = False,
    ) -> None:  # fmt: skip
        """``demo``: ``hotpapers run --demo`` (``hotpapers.demo_run``; pass its settings)."""
        self.settings = settings
        self.demo = demo
        self.console_out = console_out
        self.clock = clock or SystemClock()
        self.host = host
        self.requested_port = settings.port if port is None else port
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.schedule = schedule
        self.store = Store(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
        self.service = DigestService(settings, self.store, clock=self.clock, offline=demo)
        self.leader = leader or make_leader(settings.database_url, self.clock)
        self.subscriptions = SubscriptionStore(self.store, self.clock)
        # Several instances (PostgreSQL): the leader queues due runs, every instance posts them.
        several = schedule and not demo and not isinstance(self.leader, AlwaysLeader)
        self.queue = FanoutQueue(self.store, self.owner, self.clock) if several else None
        self.reactions = Reactions(self.store, self.clock,
                                   weight=settings.channel_reaction_weight)  # fmt: skip
        self.scheduler = (DemoScheduler if demo else DigestScheduler)(
            subscriptions=self.subscriptions, service=self.service, adapters=self,
            ledger=Ledger(self.store, self.owner, self.clock), leader=self.leader,
            clock=self.clock, holidays=settings.holidays, queue=self.queue,
            voices=self.reactions,
        )  # fmt: skip
        subscription_commands = SubscriptionHandler(
            self.subscriptions, self.clock, holidays=settings.holidays,
            on_change=self.scheduler.sync, defaults=Defaults.of(settings),
        )  # fmt: skip
        self.handler = CommandHandler(settings, self.service, self.clock,
                                      subscriptions=subscription_commands,
                                      talk=self.service.talk(),
                                      voices=self.reactions)  # fmt: skip
        self.platforms = self._platforms(console_out)
        self.worker = None if self.queue is None else FanoutWorker(
            self.scheduler, self.queue, self.clock, platforms=tuple(self.platforms),
            on_instances=self._share,
        )  # fmt: skip
        self._worker: asyncio.Task[None] | None = None
        self.port: int | None = None
        self._runner: web.AppRunner | None = None
        self.election: LeadershipLoop | None = None
        self._election: asyncio.Task[None] | None = None

    def _platforms(self, console_out: TextIO | None) -> dict[str, Platform]:
        wanted = chat_configured(self.settings)
        platforms: dict[str, Platform] = {}
        if wanted["slack"]:
            platforms["slack"] = SlackPlatform(self.settings, self.handler, self.clock)
        if wanted["discord"]:
            platforms["discord"] = DiscordPlatform(
                self.settings, self.handler, self.clock,
                leader_only=self.schedule and not isinstance(self.leader, AlwaysLeader),
            )  # fmt: skip
        if not platforms:
            platforms["console"] = ConsolePlatform(console_out)
        return platforms

    async def adapter(self, platform: str, workspace: str) -> Adapter:
        """``bot.jobs.AdapterProvider``: the adapter of a platform this process runs."""
        found = self.platforms.get(platform)
        if found is None:
            raise LookupError(f"{platform} is not configured in this process (set its token)")
        return await found.adapter(workspace)

    async def start(self) -> None:
        """The web server first (so /healthz answers), then each platform, then the schedule."""
        app = web.Application()
        app.add_routes(health_routes(self.health))
        for platform in self.platforms.values():
            app.add_routes(platform.routes())
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.requested_port).start()
        self.port = self._runner.addresses[0][1]
        for platform in self.platforms.values():
            await self._start_platform(platform)
        if self.schedule:
            if self.demo:
                add_demo_subscription(self.subscriptions, self.settings, self.console_out)
            self.scheduler.start()
            self.election = LeadershipLoop(self.leader, self.scheduler, on_change=self._leadership)
            await self.election.round()  # lead (or follow) from the start
            self._election = asyncio.create_task(self.election.run(), name="leader-election")
            if self.worker is not None:
                self._worker = asyncio.create_task(self.worker.run(), name="fan-out worker")
        log.info("hotpapers: running (%s) with /healthz on port %s",
                 ", ".join(self.platforms), self.port)  # fmt: skip

    def _share(self, instances: int) -> None:
        """The live instances share each budget of a bot token (Discord's global 50 / s) and of
        an app per workspace (Slack's): each keeps 1/N."""
        slack = self.platforms.get("slack")
        if isinstance(slack, SlackPlatform):
            slack.share(instances)
        if "discord" in self.platforms:
            from adapters.discord_limit import share_global_budget

            share_global_budget(instances)

    async def _leadership(self, leading: bool) -> None:
        discord = self.platforms.get("discord")
        if isinstance(discord, DiscordPlatform):
            await discord.on_leadership(leading)

    async def _start_platform(self, platform: Platform) -> None:
        try:
            await platform.start()
        except Exception as exc:  # keep the others up; /healthz reports this one degraded
            error = redact(f"{type(exc).__name__}: {exc}")
            platform.error = error
            log.error("%s: could not start: %s", platform.name, error)

    async def stop(self) -> None:
        """Scheduler, then Slack, then Discord, then the web server, store and HTTP client."""
        if self._election is not None:
            self._election.cancel()
            await asyncio.gather(self._election, return_exceptions=True)
        self.scheduler.shutdown()
        if self._worker is not None and self.worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            await self.worker.stop(DRAIN_SECONDS)
        await self.scheduler.drain(DRAIN_SECONDS)
        await self.leader.release()
        for name in STOP_ORDER:
            platform = self.platforms.get(name)
            if platform is not None:
                try:
                    await platform.stop()
                except Exception as exc:
                    log.warning("%s: stop failed: %s", name, type(exc).__name__)
        if self._runner is not None:
            await self._runner.cleanup()
        await self.service.aclose()
        self.store.close()
        log.info("hotpapers: stopped")

    async def health(self) -> tuple[int, dict[str, Any]]:
        platforms = {name: await p.status() for name, p in self.platforms.items()}
        scheduler = self.scheduler.status()
        if not self.schedule:
            scheduler.update(running=True, enabled=False)
        else:  # a follower that cannot reach the database cannot tell that anyone leads
            scheduler["election_error"] = self.leader.status().get("error")
        return health_report(platforms, scheduler, await self.database_status())

    async def database_status(self) -> dict[str, Any]:
        """``{"ok", "schema", "error"}``: a read of every table at the expected revision (in a
        thread: the store's driver blocks)."""
        revision, problem = await asyncio.to_thread(self.store.schema_status)
        return {"ok": problem is None, "schema": revision, "error": problem}


async def serve(
    settings: Settings,
    *,
    schedule: bool = True,
    host: str = "0.0.0.0",  # noqa: S104
    demo: bool = False,
    clock: Clock | None = None,
) -> None:
    """Run until SIGTERM or SIGINT, then stop cleanly (what ``hotpapers run`` calls)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runtime = Runtime(settings, schedule=schedule, host=host, demo=demo, clock=clock)
    try:
        await runtime.start()
        await stop.wait()
        log.info("hotpapers: stopping")
    finally:
        await runtime.stop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
