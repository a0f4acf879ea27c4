"""``/hotpapers`` as a Discord application command: options in, a digest thread out.

Options: ``category`` (autocompleted from arXiv's taxonomy; several codes may be typed, separated
by spaces, and the last one is completed), ``date`` (YYYY-MM-DD, today or yesterday), ``top``
(1..50, checked by Discord), ``action`` (digest, the default; help; subscribe, unsubscribe,
settings) and ``time`` (``HH:MM [Area/City]``, for subscribe). The options are turned back into
the text grammar of ``bot.commands`` so Slack and Discord parse the same way.

The answer is deferred at once, ephemerally (``defer(ephemeral=True, thinking=True)``): Discord
wants a reply within 3 s, and bad input, confirmations and errors are for the person who asked,
not the channel. The digest itself is the public thread posted in the channel; the ephemeral
follow-up points at it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Protocol

import discord
from discord import app_commands

from adapters.discord import DiscordAdapter, no_mentions
from adapters.discord_embeds import CONTENT_LIMIT, safe_markdown
from bot.categories import suggest
from bot.clock import Clock
from bot.commands import (
    CommandError,
    HelpRequest,
    Query,
    ShowSettings,
    Subscribe,
    Unsubscribe,
    parse_for,
)
from bot.config import MAX_TOP, Settings
from bot.delivery import post_thread
from bot.models import Digest
from bot.ondemand import SharedDigests, drain_tasks
from bot.render import clamp, render
from bot.service import UserError

log = logging.getLogger(__name__)

CHOICE_LIMIT = 25  # Discord shows at most 25 autocomplete choices
CHOICE_TEXT_LIMIT = 100
ACTIONS = ("digest", "help", "subscribe", "unsubscribe", "settings")
NO_SUBSCRIPTIONS = (
    "Daily digests are not managed from Discord on this deployment: the operator runs "
    "`hotpapers subscribe --platform discord --channel {channel} --time HH:MM`."
)
MANAGERS = "members with the Manage Channels permission"
FAILED = "Something went wrong while building that digest; the bot's log has the details."

SubscriptionRequest = Subscribe | Unsubscribe | ShowSettings


class DigestProvider(Protocol):
    """What the command needs of ``bot.service.DigestService``."""

    @property
    def settings(self) -> Settings: ...

    @property
    def clock(self) -> Clock: ...

    async def digest_for(self, query: Query) -> Digest: ...


class SubscriptionHandler(Protocol):
    """Subscriptions from chat (the scheduling module's); returns the reply to show."""

    async def handle(
        self,
        platform: str,
        guild_id: str,
        channel_id: str,
        user_id: str,
        request: SubscriptionRequest,
        *,
        allowed: bool,
        managers: str,
    ) -> str: ...


@dataclass(frozen=True)
class CommandRequest:
    """One ``/hotpapers`` use, free of discord.py types."""

    text: str
    channel_id: str
    guild_id: str
    user_id: str
    can_manage_channel: bool


def command_text(
    category: str | None = None,
    date: str | None = None,
    top: int | None = None,
    action: str | None = None,
    time: str | None = None,
) -> str:
    """The options as ``bot.commands`` text, e.g. ``cs.CL 2021-04-12 top=5``."""
    words = [category or "", date or "", f"top={top}" if top is not None else ""]
    if action == "subscribe":
        words = [
            "subscribe",
            category or "",
            f"at {time}" if time else "",
            f"top={top}" if top is not None else "",
        ]
    elif action in ("help", "unsubscribe", "settings"):
        words = [action]
    return " ".join(word.strip() for word in words if word.strip())


class HotpapersCommand:
    """The behaviour behind ``/hotpapers``: parse, build the digest, post it as a thread."""

    def __init__(
        self,
        service: DigestProvider,
        adapter: DiscordAdapter,
        subscriptions: SubscriptionHandler | None = None,
    ) -> None:
        self.service = service
        self.digests = SharedDigests(service, service.clock)
        self.adapter = adapter
        self.subscriptions = subscriptions
        self.answering: set[asyncio.Task[Any]] = set()  # discord.py's tasks running ``answer``

    async def drain(self, seconds: float) -> None:
        """Answers in flight get ``seconds`` to finish, then are cancelled (clean shutdown)."""
        await drain_tasks(self.answering, seconds)

    async def run(self, request: CommandRequest) -> str:
        """The ephemeral reply for ``request``; a digest is posted to the channel on the way."""
        try:
            command = self._parse(request.text)
            if isinstance(command, HelpRequest):
                return render("discord/help.j2", max_top=MAX_TOP)
            if isinstance(command, Query):
                return await self._post_digest(request, command)
            return await self._subscription(request, command)
        except (CommandError, UserError) as exc:
            return str(exc)
        except Exception:
            log.exception("discord: /hotpapers %r failed", request.text)
            return FAILED

    def _parse(self, text: str) -> Query | HelpRequest | SubscriptionRequest:
        return parse_for(self.service.settings, text, now=self.service.clock.now())

    async def _post_digest(self, request: CommandRequest, query: Query) -> str:
        digest = await self.digests.get(query)
        if not digest.entries:
            cats = ", ".join(digest.categories)
            return f"No paper in {safe_markdown(cats)} on {digest.date} got attention yet."
        delivery = await post_thread(self.adapter, request.channel_id, digest)
        if not delivery.ok:
            return f"I could not post here: {delivery.error}"
        return render(
            "discord/confirmation.j2",
            date=digest.date.isoformat(),
            count=len(digest.entries),
            categories=safe_markdown(", ".join(digest.categories)),
            where=f"<#{delivery.thread_id}>" if delivery.thread_id else "above",
        )

    async def _subscription(self, request: CommandRequest, command: SubscriptionRequest) -> str:
        if self.subscriptions is None:
            return NO_SUBSCRIPTIONS.format(channel=request.channel_id)
        return await self.subscriptions.handle(
            "discord",
            request.guild_id,
            request.channel_id,
            request.user_id,
            command,
            allowed=request.can_manage_channel,
            managers=MANAGERS,
        )


def category_choices(current: str) -> list[app_commands.Choice[str]]:
    """Up to 25 completions of the last code typed, keeping the codes before it."""
    words = current.split()
    typing_new = not current or current[-1].isspace()
    head, prefix = (words, "") if typing_new else (words[:-1], words[-1])
    choices = []
    for code, name in suggest(prefix, limit=CHOICE_LIMIT):
        value = " ".join([*head, code])
        if len(value) <= CHOICE_TEXT_LIMIT:
            label = clamp(f"{value} ({name})" if not head else f"{value}", CHOICE_TEXT_LIMIT)
            choices.append(app_commands.Choice(name=label, value=value))
    return choices[:CHOICE_LIMIT]


def request_of(interaction: discord.Interaction, text: str) -> CommandRequest:
    return CommandRequest(
        text=text,
        channel_id=str(interaction.channel_id),
        guild_id=str(interaction.guild_id or ""),
        user_id=str(interaction.user.id),
        can_manage_channel=interaction.permissions.manage_channels,
    )


async def answer(interaction: discord.Interaction, handler: HotpapersCommand, text: str) -> None:
    """Defer first (before any work), then run the command and follow up ephemerally."""
    task = asyncio.current_task()
    if task is not None:  # known to the handler until answered, so a shutdown can wait for it
        handler.answering.add(task)
    try:
        await interaction.response.defer(ephemeral=True, thinking=True)
        reply = await handler.run(request_of(interaction, text))
        await interaction.followup.send(
            clamp(reply, CONTENT_LIMIT), ephemeral=True, allowed_mentions=no_mentions()
        )
    finally:
        if task is not None:
            handler.answering.discard(task)


def build_app_command(
    handler: HotpapersCommand,
) -> app_commands.Command[app_commands.Group, ..., None]:
    """The ``/hotpapers`` command object, for a ``CommandTree``."""

    @app_commands.command(name="hotpapers", description="Hot arXiv papers, ranked by attention")
    @app_commands.describe(
        category="arXiv categories, e.g. cs.CL (several: separate with spaces)",
        date="YYYY-MM-DD, today or yesterday (US Eastern); default: the latest listing",
        top=f"How many papers (1-{MAX_TOP})",
        action="digest (default), help, subscribe, unsubscribe or settings",
        time="For subscribe: HH:MM and an optional time zone, e.g. 09:00 Europe/Berlin",
    )
    @app_commands.choices(action=[app_commands.Choice(name=a, value=a) for a in ACTIONS])
    @app_commands.guild_only()
    async def hotpapers(
        interaction: discord.Interaction,
        category: str | None = None,
        date: str | None = None,
        top: app_commands.Range[int, 1, MAX_TOP] | None = None,
        action: str | None = None,
        time: str | None = None,
    ) -> None:
        await answer(interaction, handler, command_text(category, date, top, action, time))

    @hotpapers.autocomplete("category")
    async def complete_category(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return category_choices(current)

    return hotpapers
