"""Discord's HTTP interactions: ``POST /discord/interactions``, the gateway's stateless twin.

With an Interactions Endpoint URL set in the Developer Portal, Discord POSTs every interaction
here instead of sending it over the gateway (the two are mutually exclusive), so any instance
behind a load balancer can answer and no gateway connection is needed. Each request is checked
first: an Ed25519 signature (``X-Signature-Ed25519``) over ``X-Signature-Timestamp`` + the raw
body, with the application's public key (``DISCORD_PUBLIC_KEY``), and a timestamp within
``MAX_SKEW`` seconds of now; anything else is 401 before the body is even parsed.

Then by interaction type (``kinds``; ``on(kind, answer)`` adds one, e.g. message components):
PING is answered PONG; AUTOCOMPLETE gets the categories' choices; APPLICATION_COMMAND
``/hotpapers`` becomes the same typed ``Options`` as the gateway's (``options_of``) and is
answered by the one core handler: deferred at once, ephemerally (type 5, as the gateway path),
then the core's reply replaces the "thinking" message (``adapters.discord_webhook``) while the
digest thread is posted by the bot's REST client. Bad input is answered at once, ephemerally; a
body that is no interaction is 400, never a traceback.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from nacl.exceptions import BadSignatureError, CryptoError
from nacl.signing import VerifyKey

from adapters.discord import DiscordAdapter
from adapters.discord_commands import LINK_LISTS, DiscordConversation, options_of, reply_text
from adapters.discord_webhook import InteractionWebhook
from bot.clock import Clock
from bot.command_types import CommandError
from bot.handler import CommandHandler
from bot.ports import Reply, ReplyKind, Request

log = logging.getLogger(__name__)

INTERACTIONS_PATH = "/discord/interactions"
MAX_SKEW = 300.0  # seconds a signed request may be old (or early): replays are refused

PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE = 1, 2, 3, 4
PONG, CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, AUTOCOMPLETE_RESULT = 1, 4, 5, 8
EPHEMERAL = 1 << 6
MANAGE_CHANNELS = 1 << 4
COMMAND = "hotpapers"
NOT_READY = "Discord could not be reached to post the digest; please try again in a minute."
GUILD_ONLY = "`/hotpapers` works in a server's channels, not in direct messages."

#: An answer to one kind of interaction: the verified payload in, the HTTP response's JSON out.
Answer = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class BadInteraction(ValueError):
    """The body is signed but not an interaction this endpoint understands (400)."""


class Signature:
    """Discord's request signature, checked with the application's public key (hex)."""

    def __init__(self, public_key: str, clock: Clock) -> None:
        self._key = VerifyKey(bytes.fromhex(public_key))
        self._clock = clock

    def valid(self, timestamp: str | None, signature: str | None, body: bytes) -> bool:
        if not timestamp or not signature or not timestamp.isdigit():
            return False
        if abs(self._clock.now().timestamp() - int(timestamp)) > MAX_SKEW:
            return False
        try:
            self._key.verify(timestamp.encode() + body, bytes.fromhex(signature))
        except (BadSignatureError, CryptoError, ValueError, TypeError):
            return False
        return True


def _text(payload: dict[str, Any], *path: str) -> str:
    value: Any = payload
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value):
        raise BadInteraction(f"no {'.'.join(path)}")
    return str(value)


def _option_values(data: dict[str, Any]) -> dict[str, object]:
    options = data.get("options") or []
    if not isinstance(options, list) or not all(
        isinstance(o, dict) and isinstance(o.get("name"), str) for o in options
    ):
        raise BadInteraction("options is not a list of named options")
    return {o["name"]: o.get("value") for o in options}


def ephemeral(text: str) -> dict[str, Any]:
    """An immediate answer only the asker sees, pinging no one."""
    data = {"content": text, "flags": EPHEMERAL, "allowed_mentions": {"parse": []}}
    return {"type": CHANNEL_MESSAGE, "data": data}


class InteractionEndpoint:
    """``POST /discord/interactions`` in front of the core's ``CommandHandler``.

    ``adapter`` returns the bot's REST adapter (logging it in on first use), which posts the
    digest threads; ``webhook`` sends the follow-ups (its own session, see ``close``).
    """

    def __init__(
        self, public_key: str, handler: CommandHandler,
        adapter: Callable[[], Awaitable[DiscordAdapter]], webhook: InteractionWebhook, clock: Clock,
    ) -> None:  # fmt: skip
        self.signature = Signature(public_key, clock)
        self.handler = handler
        self.adapter = adapter
        self.webhook = webhook
        self.kinds: dict[int, Answer] = {
            PING: self._pong,
            APPLICATION_COMMAND: self._command,
            AUTOCOMPLETE: self._autocomplete,
            MESSAGE_COMPONENT: self._press,
        }

    def on(self, kind: int, answer: Answer) -> None:
        """Answer interactions of ``kind`` (e.g. ``MESSAGE_COMPONENT``) with ``answer``."""
        self.kinds[kind] = answer

    def routes(self) -> list[web.RouteDef]:
        return [web.post(INTERACTIONS_PATH, self.receive)]

    async def receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = request.headers
        if not self.signature.valid(
            headers.get("X-Signature-Timestamp"), headers.get("X-Signature-Ed25519"), body
        ):
            return web.json_response({"error": "invalid request signature"}, status=401)
        try:
            payload = json.loads(body)
            if not isinstance(payload, dict):
                raise BadInteraction("not a JSON object")
            kind = payload.get("type")
            answer = self.kinds.get(kind) if isinstance(kind, int) else None
            if answer is None:
                raise BadInteraction(f"unsupported interaction type {str(kind)[:20]!r}")
            return web.json_response(await answer(payload))
        except (BadInteraction, ValueError) as exc:  # json.JSONDecodeError is a ValueError
            log.warning("discord: refused an interaction: %s", str(exc)[:200])
            return web.json_response({"error": "not an interaction"}, status=400)

    async def _pong(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {"type": PONG}

    async def _autocomplete(self, payload: dict[str, Any]) -> dict[str, Any]:
        from adapters.discord_commands import category_choices

        data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
        focused = [o for o in (data or {}).get("options") or [] if isinstance(o, dict)
                   and o.get("focused") and o.get("name") == "category"]  # fmt: skip
        value = focused[0].get("value") if focused else ""
        choices = category_choices(value if isinstance(value, str) else "")
        result = [{"name": c.name, "value": c.value} for c in choices]
        return {"type": AUTOCOMPLETE_RESULT, "data": {"choices": result}}

    async def _command(self, payload: dict[str, Any]) -> dict[str, Any]:
        data = payload.get("data")
        if not isinstance(data, dict) or data.get("name") != COMMAND:
            raise BadInteraction("not the /hotpapers command")
        application, token = _text(payload, "application_id"), _text(payload, "token")
        channel = _text(payload, "channel_id")
        if not isinstance(payload.get("guild_id"), str):
            return ephemeral(GUILD_ONLY)
        member = payload.get("member")
        user = _text(payload, "member", "user", "id")
        permissions = str((member or {}).get("permissions") or "0")
        manage = permissions.isdigit() and bool(int(permissions) & MANAGE_CHANNELS)
        try:
            options = options_of(_option_values(data))
        except CommandError as exc:
            return ephemeral(str(exc))
        request = Request(platform="discord", workspace=payload["guild_id"], channel=channel,
                          user=user, options=options)  # fmt: skip
        self.handler.spawn(
            self._answer(request, manage, application, token), name="discord-interaction"
        )
        return {"type": DEFERRED_CHANNEL_MESSAGE, "data": {"flags": EPHEMERAL}}

    async def _press(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A paper button (``bot.buttons``): deferred at once, only the presser sees the
        answer; the core's ONE button handler (``CommandHandler.press``) answers it."""
        data = payload.get("data")
        custom_id = data.get("custom_id") if isinstance(data, dict) else None
        if not isinstance(custom_id, str):
            raise BadInteraction("a component without a custom_id")
        application, token = _text(payload, "application_id"), _text(payload, "token")

        async def answer() -> None:
            reply = await self.handler.press("discord", custom_id)
            await self.webhook.edit_original(application, token, reply_text(reply),
                                             link_list=reply.kind in LINK_LISTS)  # fmt: skip

        self.handler.spawn(answer(), name="discord-press")
        return {"type": DEFERRED_CHANNEL_MESSAGE, "data": {"flags": EPHEMERAL}}

    async def _answer(self, request: Request, manage: bool, application: str, token: str) -> None:
        """After the deferral: the core answers (posting the thread), the follow-up says so."""
        try:
            adapter = await self.adapter()
        except Exception as exc:  # login refused or Discord down: say so, never a traceback
            log.error("discord: no REST client for an interaction: %s", type(exc).__name__)
            reply = Reply(ReplyKind.UNAVAILABLE, NOT_READY)
        else:
            conversation = DiscordConversation(adapter, manage)
            reply = await self.handler.answer(request, conversation)
        await self.webhook.edit_original(application, token, reply_text(reply),
                                         link_list=reply.kind in LINK_LISTS)  # fmt: skip
