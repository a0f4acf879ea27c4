"""``/hotpapers`` as a Discord application command: typed options in, the core's reply out.

Options: ``category`` (autocompleted from arXiv's taxonomy; several codes may be typed, separated
by spaces, and the last one is completed), ``date`` (YYYY-MM-DD, today or yesterday), ``top``
(1..50, checked by Discord), ``action`` (digest, the default; week, the weekly roundup; help;
paper and search, with ``query``: an arXiv id, or words; subscribe, unsubscribe, settings), and
for subscribe ``time`` (``HH:MM [Area/City]``), ``include``/``exclude`` (keywords separated by
commas), ``notify`` (on/off), ``catching`` (days back, on/off), ``reactions`` (on/off) and
``week_day`` (the weekly roundup's subscription; with unsubscribe, any day stops the weekly one).
They reach the core as typed ``bot.ports.Options`` (no text round trip); the core's
``CommandHandler`` checks and answers them exactly as it does Slack's text.

The answer is deferred at once, ephemerally (``defer(ephemeral=True, thinking=True)``): Discord
wants a reply within 3 s, and bad input, confirmations and errors are for the person who asked,
not the channel. The digest itself is the public thread posted in the channel; the ephemeral
follow-up points at it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import discord
from discord import app_commands

from adapters.discord import DiscordAdapter, no_mentions
from adapters.discord_embeds import CONTENT_LIMIT
from bot.categories import suggest
from bot.command_types import CommandError
from bot.config import MAX_TOP
from bot.handler import CommandHandler
from bot.ports import Adapter, Options, Reply, ReplyKind, Request
from bot.render import clamp

log = logging.getLogger(__name__)

CHOICE_LIMIT = 25  # Discord shows at most 25 autocomplete choices
CHOICE_TEXT_LIMIT = 100
ACTIONS = ("digest", "week", "help", "paper", "search", "subscribe", "unsubscribe", "settings")
WEEK_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MANAGERS = "members with the Manage Channels permission"
INVITE = (
    "give me the View Channel, Send Messages, Create Public Threads and Send Messages in Threads "
    "permissions here"
)


class DiscordConversation:
    """``bot.ports.Conversation`` for one interaction: its channel and the asker's permissions."""

    how_to_invite = INVITE
    managers = MANAGERS

    def __init__(self, adapter: DiscordAdapter, can_manage_channel: bool) -> None:
        self._adapter = adapter
        self.can_manage_channel = can_manage_channel

    @property
    def adapter(self) -> Adapter:
        return self._adapter

    async def may_manage(self) -> bool:
        return self.can_manage_channel

    async def progress(self, reply: Reply) -> None:
        """Nothing more: the deferred answer already shows "thinking" until the follow-up."""


#: The command's options by their Discord names -> the ``Options`` field each fills (``top`` is
#: Discord's INTEGER, every other option a STRING).
OPTION_FIELDS = {
    "category": "categories", "date": "date", "top": "top", "action": "action", "time": "time",
    "include": "include", "exclude": "exclude", "notify": "notify", "catching": "catching",
    "week_day": "week_day", "query": "query", "reactions": "reactions",
}  # fmt: skip


def options_of(values: Mapping[str, object]) -> Options:
    """The typed ``Options`` of the option values the user gave, by their Discord names: the
    gateway callback's arguments, or an HTTP interaction's ``data.options``. ``None`` is not
    given; an unknown name or a value of the wrong type (an outdated registration, a forged
    body) is a ``CommandError``, answered like any bad input."""
    given: dict[str, object] = {}
    for name, value in values.items():
        field = OPTION_FIELDS.get(name)
        if field is None:
            raise CommandError(f"`/hotpapers` has no option `{clamp(name, 32)}`; try `help`.")
        wanted = int if name == "top" else str
        if value is not None and (type(value) is not wanted):
            raise CommandError(
                f"The `{name}` option needs {'a number' if name == 'top' else 'text'}."
            )
        given[field] = value
    return Options(**given)  # type: ignore[arg-type]


def request_of(interaction: discord.Interaction, options: Options) -> Request:
    return Request(
        platform="discord",
        workspace=str(interaction.guild_id or ""),
        channel=str(interaction.channel_id),
        user=str(interaction.user.id),
        options=options,
    )


def reply_text(reply: Reply) -> str:
    """The follow-up's text: the core's words, plus a link to the thread once it is posted."""
    thread = reply.delivery.thread_id if reply.delivery else None
    if reply.kind is ReplyKind.POSTED and thread:
        return clamp(f"{reply.text} <#{thread}>", CONTENT_LIMIT)
    return clamp(reply.text, CONTENT_LIMIT)


#: Replies that list papers with their links: shown without link previews (one per link).
LINK_LISTS = frozenset({ReplyKind.PAPER, ReplyKind.RESULTS})


async def send_reply(interaction: discord.Interaction, reply: Reply) -> None:
    """The follow-up of a deferred interaction: ephemeral, pinging no one."""
    await interaction.followup.send(
        reply_text(reply), ephemeral=True, allowed_mentions=no_mentions(),
        suppress_embeds=reply.kind in LINK_LISTS,
    )  # fmt: skip


async def answer(
    interaction: discord.Interaction, handler: CommandHandler, adapter: DiscordAdapter,
    options: Options,
) -> None:  # fmt: skip
    """Defer first (before any work), then let the core answer and follow up ephemerally."""
    async with handler.in_flight():  # a shutdown waits for it
        await interaction.response.defer(ephemeral=True, thinking=True)
        conversation = DiscordConversation(adapter, interaction.permissions.manage_channels)
        reply = await handler.answer(request_of(interaction, options), conversation)
        await send_reply(interaction, reply)


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


#: ``catching``'s choices: the core checks the value like the text form's ``catching=``.
CATCHING_CHOICES = ("on", "off", "1", "2", "3", "5", "7", "10")


def build_app_command(
    handler: CommandHandler, adapter: DiscordAdapter
) -> app_commands.Command[app_commands.Group, ..., None]:
    """The ``/hotpapers`` command object, for a ``CommandTree``."""

    @app_commands.command(name="hotpapers", description="Hot arXiv papers, ranked by attention")
    @app_commands.describe(
        category="arXiv categories, e.g. cs.CL (several: separate with spaces)",
        date="YYYY-MM-DD, today or yesterday (US Eastern); default: the latest listing",
        top=f"How many papers (1-{MAX_TOP})",
        action="digest (default), week, help, paper, search, subscribe, unsubscribe or settings",
        query="For paper: an arXiv id (2104.04015); for search: the words to look for",
        time="For subscribe: HH:MM and an optional time zone, e.g. 09:00 Europe/Berlin",
        include="For subscribe: only papers mentioning these words (comma-separated; none: all)",
        exclude="For subscribe: leave out papers mentioning these words (none: clear)",
        notify="For subscribe: a line in this channel on arXiv holidays",
        catching="For subscribe: Catching fire, papers of earlier listing days hot since "
        "(days back, on or off)",
        week_day="For subscribe/unsubscribe: the weekly roundup's day, not the daily digest",
        reactions="For subscribe: count reactions to my papers here and let them shape the digest",
    )
    @app_commands.choices(
        action=[app_commands.Choice(name=a, value=a) for a in ACTIONS],
        notify=[app_commands.Choice(name=v, value=v) for v in ("on", "off")],
        catching=[app_commands.Choice(name=v, value=v) for v in CATCHING_CHOICES],
        week_day=[app_commands.Choice(name=d, value=d) for d in WEEK_DAYS],
        reactions=[app_commands.Choice(name=v, value=v) for v in ("on", "off")],
    )
    @app_commands.guild_only()
    async def hotpapers(
        interaction: discord.Interaction,
        category: str | None = None,
        date: str | None = None,
        top: app_commands.Range[int, 1, MAX_TOP] | None = None,
        action: str | None = None,
        time: str | None = None,
        include: str | None = None,
        exclude: str | None = None,
        notify: str | None = None,
        catching: str | None = None,
        week_day: str | None = None,
        query: str | None = None,
        reactions: str | None = None,
    ) -> None:
        options = options_of({
            "category": category, "date": date, "top": top, "action": action, "time": time,
            "include": include, "exclude": exclude, "notify": notify, "catching": catching,
            "week_day": week_day, "query": query, "reactions": reactions,
        })  # fmt: skip
        await answer(interaction, handler, adapter, options)

    @hotpapers.autocomplete("category")
    async def complete_category(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return category_choices(current)

    return hotpapers
