"""The Discord gateway bot for ``hotpapers run``: ``/hotpapers`` served inside the shared loop.

Never ``client.run()`` (it owns the event loop): ``start()`` logs in over REST and runs
``client.connect(reconnect=True)`` as a task next to Slack and the scheduler; ``close()`` ends it.
The client is an ``AutoShardedClient``: Discord requires shards above 2,500 guilds, and with no
shard setting it asks ``GET /gateway/bot`` how many and runs them all in this process;
``HOTPAPERS_DISCORD_SHARD_COUNT`` and ``HOTPAPERS_DISCORD_SHARD_IDS`` split them across processes
(each id in exactly one). ``start(gateway=False)`` logs in over REST only: HTTP interactions mode
(``adapters.discord_http``), where the same login registers the command and the client posts.
Reactions (``on_raw_reaction_add``/``_remove``, intent ``guild_reactions``) go to the core's
``CommandHandler.reaction`` (gateway mode only: HTTP interactions carry no reactions).
Commands are synced from ``setup_hook``, which discord.py calls once per login, not on the
gateway reconnects (``on_ready`` fires again on those); a flag guards it anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands

from adapters.discord import (
    MAX_RATELIMIT_WAIT,
    DiscordAdapter,
    client_defaults,
    login_rest_client,
)
from adapters.discord_buttons import on_interaction
from adapters.discord_commands import build_app_command
from bot.config import Settings
from bot.handler import CommandHandler

log = logging.getLogger(__name__)

CLOSE_TIMEOUT = 10.0


Reaction = Callable[[discord.RawReactionActionEvent, int], Awaitable[None]]


class _GatewayClient(discord.AutoShardedClient):
    """An ``AutoShardedClient`` whose ``setup_hook`` is the bot's (sync the commands), whose
    component interactions (the paper buttons) go to the core's one button handler and whose
    raw reaction events go to the bot (``on_reaction(payload, +1 or -1)``)."""

    def __init__(
        self, on_setup: Callable[[], Awaitable[None]], handler: CommandHandler,
        on_reaction: Reaction, **options: Any,
    ) -> None:  # fmt: skip
        super().__init__(**options)
        self._on_setup = on_setup
        self._handler = handler
        self._on_reaction = on_reaction

    async def setup_hook(self) -> None:
        await self._on_setup()

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await on_interaction(interaction, self._handler)

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self._on_reaction(payload, 1)

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        await self._on_reaction(payload, -1)


class DiscordBot:
    """The gateway side of Discord: app commands in (answered by the core's ``handler``), digests
    out, status for ``/healthz``.

    ``client_options`` go to ``discord.Client`` (tests pass ``guild_ready_timeout=0``).
    """

    def __init__(
        self,
        settings: Settings,
        handler: CommandHandler,
        *,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        self.settings = settings
        self.handler = handler
        intents = discord.Intents.none()
        intents.guilds = True  # not privileged; keeps channels cached so posting skips a GET
        intents.guild_reactions = True  # not privileged: reactions to the bot's paper messages
        shards: dict[str, Any] = {}
        if settings.discord_shard_count is not None:
            shards["shard_count"] = settings.discord_shard_count
            if settings.discord_shard_ids:
                shards["shard_ids"] = list(settings.discord_shard_ids)
        self.client = _GatewayClient(
            self._sync_commands, handler, self._reaction, intents=intents,
            **{**client_defaults(), **shards, **(client_options or {})},
        )  # fmt: skip
        self.tree = app_commands.CommandTree(self.client)
        self.adapter = DiscordAdapter(
            self.client, timeout=settings.http_timeout + MAX_RATELIMIT_WAIT
        )
        self.tree.add_command(build_app_command(handler, self.adapter))
        self.task: asyncio.Task[None] | None = None
        self.gateway = True
        self.commands_synced = False

    async def start(self, *, gateway: bool = True) -> None:
        """Log in (REST; registers the command), then keep the gateway connected in a background
        task (``gateway=False``: HTTP interactions mode, REST only)."""
        self.gateway = gateway
        await login_rest_client(self.settings, self.client)
        if gateway:
            self.task = asyncio.create_task(
                self.client.connect(reconnect=True), name="discord-gateway"
            )

    async def close(self, drain: float = 0.0) -> None:
        """Let answers in flight finish (``drain`` seconds at most), close the gateway and the
        HTTP session, then wait for the connect task to end."""
        await self.handler.drain(drain)
        await self.client.close()
        if self.task is None:
            return
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await self.task
        except TimeoutError:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        except Exception as exc:  # the task's own failure was already reported by status()
            log.warning("discord: gateway task ended with %s", type(exc).__name__)

    def status(self) -> dict[str, Any]:
        """``{"state", "latency_ms", "shards", "commands_synced", "error"}``; ``state``:
        connected (every shard of this process), connecting, closed, or ready (REST only)."""
        error = self._task_error()
        shards = self.client.shards
        if not self.gateway:  # HTTP interactions: logged in over REST, or not (yet)
            state = "closed" if self.client.is_closed() or self.client.user is None else "ready"
        elif self.task is None or self.task.done() or self.client.is_closed():
            state = "closed"
        elif self.client.is_ready() and shards and not any(s.is_closed() for s in shards.values()):
            state = "connected"
        else:
            state = "connecting"
        latency = self.client.latency
        return {
            "state": state,
            "latency_ms": round(latency * 1000, 1) if math.isfinite(latency) else None,
            "shards": sorted(shards),
            "commands_synced": self.commands_synced,
            "error": error,
        }

    def _task_error(self) -> str | None:
        if self.task is None or not self.task.done() or self.task.cancelled():
            return None
        exc = self.task.exception()
        return f"{type(exc).__name__}: {exc}" if exc is not None else None

    async def _reaction(self, payload: discord.RawReactionActionEvent, delta: int) -> None:
        """A reaction added or removed, handed to the core (``CommandHandler.reaction``), which
        counts it only on one of this bot's paper messages; who reacted is never passed on."""
        me = self.client.user
        if me is not None and payload.user_id == me.id:
            return
        workspace = str(payload.guild_id) if payload.guild_id else ""
        await self.handler.reaction("discord", workspace, str(payload.channel_id),
                                    str(payload.message_id), delta)  # fmt: skip

    async def _sync_commands(self) -> None:
        """Register ``/hotpapers`` with Discord once per process; a refusal is logged, not fatal."""
        if self.commands_synced:
            return
        try:
            synced = await self.tree.sync()
        except discord.HTTPException as exc:
            log.warning(
                "discord: could not register /hotpapers (%s %s); invite the bot with the "
                "applications.commands scope",
                exc.status,
                exc.text,
            )
            return
        self.commands_synced = True
        log.info("discord: registered %s", ", ".join(f"/{c.name}" for c in synced))
