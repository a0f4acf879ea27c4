"""The paper buttons on Slack: Block Kit ``block_actions`` in, the core's one button answer out.

Each paper message carries an ``actions`` block (``adapters.slack_blocks.buttons_block``) whose
buttons hold the core's value (``bot.buttons``). A press reaches Bolt the way a slash command
does, in Socket Mode or through ``POST /slack/events`` (verified first by the front door,
``adapters.slack_verify``; the manifest's ``interactivity.request_url`` is that same URL). The
listener only acks (Slack gives 3 s); the answer is a task of its own known to the handler's
drain, and goes back to the person who pressed as an ephemeral message through the payload's
``response_url`` (``replace_original: false``: the paper message stays as it is), or, where the
payload has none, ``chat.postEphemeral``. Nothing is ever posted in the channel for a press.

Every block action of the app is taken, not only today's action ids: a button of a message
posted by another version of the bot gets the core's short "older version" reply.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack_blocks import BUTTON_ACTION, escape_mrkdwn
from bot.handler import CommandHandler
from bot.ports import Reply

log = logging.getLogger(__name__)

Respond = Callable[..., Awaitable[Any]]
#: Every action id: old versions' buttons are answered too (with the "older version" reply).
ANY_ACTION = re.compile(r".+", re.DOTALL)


def pressed_value(body: Mapping[str, Any]) -> str:
    """The core's value of the button pressed ("" for anything that is not one of ours)."""
    actions = body.get("actions") or [{}]
    action = actions[0] if isinstance(actions[0], Mapping) else {}
    if not str(action.get("action_id", "")).startswith(BUTTON_ACTION):
        return ""
    return str(action.get("value") or "")


class ButtonPress:
    """A press after the ack: the core answers, the answer goes to the presser alone."""

    def __init__(self, handler: CommandHandler) -> None:
        self.handler = handler

    def start(self, body: Mapping[str, Any], respond: Respond, client: AsyncWebClient) -> None:
        self.handler.spawn(self(body, respond, client), name="slack button")

    async def __call__(
        self, body: Mapping[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        reply = await self.handler.press("slack", pressed_value(body))
        await self.send(body, reply, respond, client)

    @staticmethod
    async def send(
        body: Mapping[str, Any], reply: Reply, respond: Respond, client: AsyncWebClient
    ) -> None:
        """The reply as an ephemeral message (``&<>`` escaped: nothing in it can ping)."""
        text = escape_mrkdwn(reply.text)
        try:
            if body.get("response_url"):
                await respond(text=text, response_type="ephemeral", replace_original=False)
                return
            channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
                "channel_id"
            )
            user = (body.get("user") or {}).get("id")
            await client.chat_postEphemeral(channel=str(channel or ""), user=str(user or ""),
                                            text=text)  # fmt: skip
        except Exception as exc:  # response_url gone, channel unreachable: the log is all we have
            log.warning("slack: could not answer a button press: %s", type(exc).__name__)


def register_buttons(app: AsyncApp, handler: CommandHandler) -> None:
    """Answer every button press of the app's messages (both Socket Mode and HTTP mode)."""
    press = ButtonPress(handler)

    @app.action(ANY_ACTION)
    async def button(ack, body, respond, client) -> None:  # Bolt injects by name
        await ack()
        press.start(body, respond, client)
