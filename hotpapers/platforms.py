"""The chat platforms of ``hotpapers run``, one small wrapper each: start, stop, status, adapter.

Each SDK is imported only when its platform is configured (startup time, memory): nothing here
imports slack_bolt or discord.py at module level.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from aiohttp import web

from bot.clock import Clock
from bot.config import Settings
from bot.logs import redact
from bot.ports import Adapter

if TYPE_CHECKING:
    from adapters.discord import DiscordAdapter
    from bot.handler import CommandHandler

log = logging.getLogger(__name__)

#: How long a stopping Slack platform lets slash-command answers in flight finish.
DRAIN_SECONDS = 10.0


class Platform(Protocol):
    name: str
    error: str | None

    def routes(self) -> list[web.RouteDef]: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def status(self) -> dict[str, Any]: ...

    async def adapter(self, workspace: str) -> Adapter: ...


class ConsolePlatform:
    """No chat token: scheduled digests for ``--platform console`` subscriptions go to stdout."""

    name = "console"

    def __init__(self, out: TextIO | None = None) -> None:
        from adapters.console import ConsoleAdapter

        self._adapter = ConsoleAdapter(out)
        self.error: str | None = None

    def routes(self) -> list[web.RouteDef]:
        return []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def status(self) -> dict[str, Any]:
        return {"ok": self.error is None, "mode": "stdout", "error": self.error}

    async def adapter(self, workspace: str) -> Adapter:
        return self._adapter


class SlackPlatform:
    """Slack: Socket Mode and/or HTTP mode for ``/hotpapers``; Web API posting for the scheduler."""

    name = "slack"

    def __init__(self, settings: Settings, handler: CommandHandler, clock: Clock) -> None:
        from adapters.slack_app import build_slack_app
        from adapters.slack_client import ChannelPacer
        from adapters.slack_oauth import build_slack_oauth, oauth_configured
        from adapters.slack_pool import SlackAdapters

        self.settings = settings
        self.clock = clock
        self.oauth = build_slack_oauth(settings) if oauth_configured(settings) else None
        self.pacer = ChannelPacer(clock)  # one for slash answers and scheduled posts alike
        self.handler = handler
        # One adapter per workspace token on one session, each with its workspace's budget
        # (adapters.slack_pool), which the slash commands' threads share: closed by stop().
        self._adapters = SlackAdapters(
            settings, clock, token_of=self._token, pacer=self.pacer,
            per_minute=settings.slack_workspace_per_minute,
        )  # fmt: skip
        self.app = build_slack_app(
            settings, handler, clock=clock, oauth=self.oauth, pacer=self.pacer,
            adapter_of=self._adapters.for_workspace,
        )  # fmt: skip
        self.app_token = settings.secret("slack_app_token")
        self.http = settings.slack_signing_secret is not None
        self.mode = "socket" if self.app_token else "http" if self.http else "post-only"
        self.socket: Any = None
        self.error: str | None = None
        self.instances = 1

    def routes(self) -> list[web.RouteDef]:
        from adapters.slack_app import slack_routes

        return (
            slack_routes(self.app, self.settings, oauth=self.oauth is not None) if self.http else []
        )

    async def start(self) -> None:
        from adapters.slack_app import start_socket_mode

        if self.oauth is not None:
            await self.oauth.create_tables()
        if self.app_token:
            self.socket = await start_socket_mode(self.app, self.app_token)

    async def stop(self) -> None:
        """No new command (the socket closes), then answers in flight get ``DRAIN_SECONDS``."""
        from adapters.slack_app import stop_socket_mode

        if self.socket is not None:
            await stop_socket_mode(self.socket)
            self.socket = None
        await self.handler.drain(DRAIN_SECONDS)
        if self.oauth is not None:
            await self.oauth.close()
        await self._adapters.close()

    async def status(self) -> dict[str, Any]:
        ok = self.error is None
        if self.mode == "socket":
            ok = ok and self.socket is not None and bool(await self.socket.client.is_connected())
        return {"ok": ok, "mode": self.mode, "error": self.error}

    async def adapter(self, workspace: str) -> Adapter:
        """The workspace's adapter: one per token, every one on one HTTP session, with its
        workspace's budget (``adapters.slack_pool``); closed by stop()."""
        adapter: Adapter = await self._adapters.for_workspace(workspace)
        return adapter

    def share(self, instances: int) -> None:
        """``instances`` of this app post at once: each keeps its share of every workspace's
        budget (``adapters.slack_pool.SlackAdapters.share``)."""
        self.instances = instances
        self._adapters.share(instances)

    async def _token(self, workspace: str) -> str | None:
        if self.oauth is not None:
            token: str | None = await self.oauth.bot_token(workspace)
            return token
        return self.settings.secret("slack_bot_token")


class DiscordPlatform:
    """Discord: ``/hotpapers`` over the gateway, or over HTTP when ``DISCORD_PUBLIC_KEY`` is set
    (``POST /discord/interactions``; Discord sends interactions one way or the other, never
    both); the bot's REST client posts the digests either way.

    Every gateway session of a bot gets every event, so with several instances (``leader_only``)
    only the leader connects: a follower stands by and connects when it takes over. In HTTP mode
    there is no gateway: every instance logs in over REST and answers what reaches it.
    """

    name = "discord"

    def __init__(self, settings: Settings, handler: CommandHandler, clock: Clock, *,
                 leader_only: bool = False) -> None:  # fmt: skip
        from adapters.discord_bot import DiscordBot

        self.settings = settings
        self._new_bot = lambda: DiscordBot(settings, handler)
        self.bot = self._new_bot()
        self.mode = "http" if settings.discord_public_key else "gateway"
        self._rest: Any = None  # a follower's REST-only adapter for queued runs
        self.leader_only = leader_only and self.mode == "gateway"
        self.connected = False
        self.error: str | None = None
        self._login = asyncio.Lock()
        self.webhook: Any = None
        self.endpoint: Any = None
        if settings.discord_public_key:
            from adapters.discord_http import InteractionEndpoint
            from adapters.discord_webhook import InteractionWebhook

            self.webhook = InteractionWebhook(settings, clock)
            self.endpoint = InteractionEndpoint(
                settings.discord_public_key, handler, self._rest_adapter, self.webhook, clock
            )

    def routes(self) -> list[web.RouteDef]:
        return self.endpoint.routes() if self.endpoint is not None else []

    async def start(self) -> None:
        if self.mode == "http":
            await self._rest_adapter()
        elif not self.leader_only:
            await self._connect()

    async def _connect(self) -> None:
        if not self.connected:
            self.connected = True
            await self.bot.start()

    async def _rest_adapter(self) -> DiscordAdapter:
        """HTTP mode: the bot logged in over REST (again, if a login failed or it was closed)."""
        async with self._login:
            client = self.bot.client
            if not self.connected or client.user is None or client.is_closed():
                if client.is_closed():
                    self.bot = self._new_bot()
                await self.bot.start(gateway=False)
                self.connected = True
                self.error = None
        return self.bot.adapter

    async def stop(self) -> None:
        if self._rest is not None:
            await self._rest.close()
            self._rest = None
        if self.connected:
            self.connected = False
            await self.bot.close(drain=DRAIN_SECONDS)  # answers in flight finish their threads
            self.bot = self._new_bot()  # a closed discord.Client cannot log in again
        if self.webhook is not None:
            await self.webhook.close()

    async def on_leadership(self, leading: bool) -> None:
        if not self.leader_only:
            return
        try:
            await (self._connect() if leading else self.stop())
            self.error = None
        except Exception as exc:
            self.error = redact(f"{type(exc).__name__}: {exc}")
            log.error("discord: could not %s: %s", "connect" if leading else "stop", self.error)

    async def status(self) -> dict[str, Any]:
        if self.leader_only and not self.connected:
            return {"ok": self.error is None, "mode": "gateway", "state": "standby",
                    "error": self.error}  # fmt: skip
        state = self.bot.status()
        wanted = "ready" if self.mode == "http" else "connected"
        ok = self.error is None and state.get("state") == wanted
        return {"ok": ok, "mode": self.mode, **state, "error": self.error or state.get("error")}

    async def adapter(self, workspace: str) -> Adapter:
        """The gateway bot's adapter (HTTP mode: the bot logged in over REST); on a follower (no
        gateway) a REST-only one, so every instance posts its share of a fan-out (the global
        budget is shared by heartbeats)."""
        if self.mode == "http":
            return await self._rest_adapter()
        if self.connected:
            return self.bot.adapter
        if self._rest is None:
            from adapters.discord import make_discord_rest_adapter

            self._rest = await make_discord_rest_adapter(self.settings)
        adapter: Adapter = self._rest
        return adapter


def chat_configured(settings: Settings) -> dict[str, bool]:
    """Which chat platforms have tokens (checked here so unused SDKs are never imported)."""
    oauth = bool(settings.slack_client_id and settings.secret("slack_client_secret"))
    slack = bool(settings.secret("slack_bot_token")) or oauth
    return {"slack": slack, "discord": bool(settings.secret("discord_token"))}


async def make_adapter(platform: str, settings: Settings, clock: Clock) -> Adapter:
    """A REST-only adapter for posting outside the long-running bot."""
    if platform == "console":
        from adapters.console import ConsoleAdapter

        return ConsoleAdapter()
    if platform == "slack":
        from adapters.slack import verified_slack_adapter

        return await verified_slack_adapter(settings, clock)
    if platform == "discord":
        from adapters.discord import make_discord_rest_adapter

        return await make_discord_rest_adapter(settings, clock)
    raise ValueError(f"unknown platform {platform!r}")
