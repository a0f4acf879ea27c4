"""Reactions on Slack: ``reaction_added``/``reaction_removed`` in, the core's one count out.

The events arrive in Socket Mode or through ``POST /slack/events`` (verified first by the front
door, like the command; the manifest subscribes to both, scope ``reactions:read``). The listener
acks, then counts: one short write on the store's threads (``CommandHandler.reaction``,
``bot.reactions``), off the event loop, in the order the events came (an add and its removal
are not raced against each other). Only the message's channel and ts reach the core; who
reacted never does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.handler import CommandHandler

#: The events the app subscribes to (the manifest's ``bot_events``).
REACTION_ADDED, REACTION_REMOVED = "reaction_added", "reaction_removed"


def register_reactions(app: AsyncApp, handler: CommandHandler) -> None:
    """Count every reaction added to or removed from a message (both Socket Mode and HTTP)."""

    @app.event("reaction_added")
    async def reaction_added(ack, body, event, context) -> None:  # Bolt injects by name
        await ack()
        await count_reaction(handler, body, event, context.get("bot_user_id"))

    @app.event("reaction_removed")
    async def reaction_removed(ack, body, event, context) -> None:
        await ack()
        await count_reaction(handler, body, event, context.get("bot_user_id"))


async def count_reaction(
    handler: CommandHandler, body: Mapping[str, Any], event: Mapping[str, Any],
    bot_user: str | None = None,
) -> int | None:  # fmt: skip
    """A ``reaction_added``/``reaction_removed`` event handed to the core, which counts it only
    on one of this bot's paper messages (the paper's new count, else ``None``). Only the
    message's channel and ts go in; who reacted (``event["user"]``) is never passed on; the
    bot's own reactions are not counted."""
    item = event.get("item") or {}
    if item.get("type") != "message" or (bot_user and event.get("user") == bot_user):
        return None
    delta = 1 if event.get("type") == REACTION_ADDED else -1
    return await handler.reaction("slack", str(body.get("team_id") or ""),
                                  str(item.get("channel")), str(item.get("ts")), delta)  # fmt: skip
