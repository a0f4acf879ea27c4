"""The paper buttons on Discord: message components out, component interactions in.

Out: each paper message carries one action row (``adapters.discord_embeds.entry_components``,
the data; ``adapters.discord.entry_view``, the same as the ``discord.ui.View`` discord.py sends).
The view is stopped before it is sent, so discord.py never keeps it in the client's view store
(no memory per posted paper, and a REST-only client can post it too): presses are not routed to
it but reach ``on_interaction``.

In: ``answer_press`` is what any Discord transport calls for a component interaction (the
gateway's ``on_interaction`` here; an HTTP interactions endpoint likewise). It defers at once,
ephemerally (Discord wants an answer within 3 s; "thinking" opens a new message only the presser
sees, and leaves the paper message untouched), lets the core's ONE button handler
(``CommandHandler.press``) answer, and follows up with that reply, pinging no one.
"""

from __future__ import annotations

import logging

import discord

from adapters.discord_commands import send_reply
from bot.handler import CommandHandler

log = logging.getLogger(__name__)


def custom_id_of(interaction: discord.Interaction) -> str:
    data = interaction.data
    custom_id = data.get("custom_id") if isinstance(data, dict) else None
    return str(custom_id or "")


async def answer_press(interaction: discord.Interaction, handler: CommandHandler) -> None:
    """A component interaction: defer (ephemeral), the core's answer, the follow-up."""
    async with handler.in_flight():  # a shutdown waits for it
        await interaction.response.defer(ephemeral=True, thinking=True)
        reply = await handler.press("discord", custom_id_of(interaction))
        await send_reply(interaction, reply)


async def on_interaction(interaction: discord.Interaction, handler: CommandHandler) -> None:
    """The gateway's every interaction: components are the paper buttons; commands and their
    autocompletion are the command tree's."""
    if interaction.type is not discord.InteractionType.component:
        return
    try:
        await answer_press(interaction, handler)
    except discord.HTTPException as exc:  # the interaction expired or Discord refused the answer
        log.warning("discord: could not answer a button press (%s %s)", exc.status, exc.code)
