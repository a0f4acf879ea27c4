"""The Slack app: ``/hotpapers`` on slack-bolt's AsyncApp, over HTTP (aiohttp) or Socket Mode.

This module only translates. A slash command becomes a ``bot.ports.Request`` (its text un-wrapped
of Slack's own markup here, before the core sees it), the core's ``CommandHandler`` answers it,
and the ``Reply`` becomes an ephemeral message through ``response_url``. The digest thread itself
is posted in the channel by a ``SlackAdapter`` on the request's client, which carries that
workspace's token when installed through OAuth.

Reactions to the bot's paper messages (``reaction_added``/``reaction_removed``, in either mode)
are handed to the core's ``CommandHandler.reaction`` (``adapters.slack_reactions``).

The command is acknowledged before anything else (Slack gives 3 s): the ack is the whole of the
listener Bolt runs (``process_before_response``: no polling for it), and the answer is a task of
its own (``CommandHandler.spawn``), so the HTTP 200 never waits for a build or a post. A burst of
commands shares its Web API connections (``SharedSession``).
"""

from __future__ import annotations

import html
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import SlackAdapter
from adapters.slack_blocks import escape_mrkdwn
from adapters.slack_buttons import register_buttons
from adapters.slack_client import ChannelPacer, SharedSession, make_web_client
from adapters.slack_oauth import INSTALL_PATH, REDIRECT_PATH, SlackOAuth
from adapters.slack_reactions import register_reactions
from adapters.slack_verify import FrontDoor, bolt_error
from bot.clock import Clock
from bot.config import ConfigError, Settings
from bot.handler import CommandHandler
from bot.ports import Adapter, Reply, ReplyKind, Request

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
COMMAND = "/hotpapers"
MANAGERS = "workspace admins and owners"
INVITE = "invite me with `/invite @Hot Papers`"
#: What Slack replies show: the thread speaks for itself once posted.
SILENT = frozenset({ReplyKind.POSTED})

Respond = Callable[..., Awaitable[Any]]
#: Each app's front door (its signing secret, its replay memory), for ``slack_routes``.
_SLACK_ENTITY = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def command_text(text: str) -> str:
    """What the user typed after ``/hotpapers``, with Slack's auto-formatting undone.

    Slack turns ``cs.AI`` into ``<http://cs.AI|cs.AI>`` and escapes ``&<>``; the label (or the
    link without its scheme) stands for what the user typed.
    """
    return html.unescape(_SLACK_ENTITY.sub(_unwrap_slack_entity, text))


def _unwrap_slack_entity(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    if label:
        return f" {label} "
    for scheme in ("http://", "https://", "mailto:"):
        if target.lower().startswith(scheme):
            return f" {target[len(scheme) :]} "
    return f" {target} "


def request_of(command: Mapping[str, Any]) -> Request:
    """A slash command's payload as the core's ``Request``."""
    return Request(
        platform="slack",
        workspace=str(command.get("team_id", "")),
        channel=str(command.get("channel_id", "")),
        user=str(command.get("user_id", "")),
        text=command_text(str(command.get("text") or "")),
    )


async def workspace_admin(client: AsyncWebClient, user_id: str) -> bool:
    """Whether the user may change the channel's subscription: a workspace admin or owner.

    Any failure (missing ``users:read`` scope, unknown user) answers no: refusing is safe.
    """
    try:
        response = await client.api_call("users.info", http_verb="POST", data={"user": user_id})
    except Exception as exc:  # SlackApiError, a transport error: refuse, never crash
        log.info("users.info failed (%s); treating %s as not an admin", type(exc).__name__, user_id)
        return False
    user = response.get("user") or {}
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


class SlackConversation:
    """``bot.ports.Conversation`` for one slash command: its channel, its asker, its replies."""

    how_to_invite = INVITE
    managers = MANAGERS

    def __init__(self, client: AsyncWebClient, respond: Respond, user_id: str, *,
                 clock: Clock, pacer: ChannelPacer,
                 adapter: SlackAdapter | None = None) -> None:  # fmt: skip
        self.client = client
        self.respond = respond
        self.user_id = user_id
        self._adapter = adapter or SlackAdapter(client, clock=clock, pacer=pacer)

    @property
    def adapter(self) -> Adapter:
        return self._adapter

    async def may_manage(self) -> bool:
        return await workspace_admin(self.client, self.user_id)

    async def progress(self, reply: Reply) -> None:
        await self.send(reply)

    async def send(self, reply: Reply) -> None:
        """The reply as an ephemeral message (``&<>`` escaped: nothing in it can ping)."""
        if reply.kind in SILENT:
            return
        try:
            await self.respond(text=escape_mrkdwn(reply.text), response_type="ephemeral")
        except Exception as exc:  # response_url gone or unreachable: the log is all we have
            log.warning("slack: could not reply to %s: %s", COMMAND, type(exc).__name__)


class SlashCommand:
    """``/hotpapers`` after the ack: the core answers, the reply goes back ephemerally."""

    def __init__(
        self, handler: CommandHandler, clock: Clock, pacer: ChannelPacer,
        adapter_of: Callable[[str], Awaitable[SlackAdapter]] | None = None,
    ) -> None:  # fmt: skip
        self.handler = handler
        self.clock = clock
        self.pacer = pacer
        self.adapter_of = adapter_of
        self._connections = SharedSession()

    def start(self, command: Mapping[str, Any], respond: Respond, client: AsyncWebClient) -> None:
        """Answer in a task of its own, known to the handler's drain: the ack returns at once."""
        self.handler.spawn(self(command, respond, client), name=f"slack {COMMAND}")

    async def __call__(
        self, command: Mapping[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        request = request_of(command)
        async with self._connections.use(client):
            conversation = SlackConversation(client, respond, request.user, clock=self.clock,
                                             pacer=self.pacer,
                                             adapter=await self._adapter(request))  # fmt: skip
            reply = await self.handler.answer(request, conversation)
            await conversation.send(reply)

    async def _adapter(self, request: Request) -> SlackAdapter | None:
        """The workspace's posting adapter (``adapters.slack_pool``): the thread a command posts
        shares the workspace's budget, session and 429 learning with its scheduled posts."""
        if self.adapter_of is None:
            return None
        try:
            return await self.adapter_of(request.workspace)
        except LookupError:  # no token known for the workspace: Bolt's own client posts
            return None


def build_slack_app(
    settings: Settings,
    handler: CommandHandler,
    *,
    clock: Clock,
    client: AsyncWebClient | None = None,
    oauth: SlackOAuth | None = None,
    pacer: ChannelPacer | None = None,
    adapter_of: Callable[[str], Awaitable[SlackAdapter]] | None = None,
) -> AsyncApp:
    """The Bolt app answering ``/hotpapers``: single-workspace (bot token) unless ``oauth`` is set.

    ``pacer``: the process's per-channel pacer (shared with the scheduler's posting), or a new one;
    ``adapter_of``: a workspace's posting adapter (``adapters.slack_pool``), shared likewise.

    Without ``SLACK_SIGNING_SECRET`` (Socket Mode) the verifier gets an unguessable secret, so an
    HTTP endpoint mounted by mistake rejects everything instead of trusting it.
    """
    token = None if oauth else settings.secret("slack_bot_token")
    signing_secret = signing_secret_of(settings)
    app = AsyncApp(
        client=client or make_web_client(settings, token, clock),
        signing_secret=signing_secret,
        oauth_settings=oauth.settings if oauth else None,
        # The listener below only acks, so Bolt may run it before responding: the 200 leaves as
        # soon as ack() returns, instead of after Bolt's 10 ms polls for a listener task's ack.
        process_before_response=True,
        logger=logging.getLogger("slack_bolt"),
    )
    answer = SlashCommand(handler, clock, pacer or ChannelPacer(clock), adapter_of)

    @app.command(COMMAND)
    async def hotpapers(ack, command, respond, client) -> None:  # Bolt injects by name
        await ack()
        answer.start(command, respond, client)

    register_buttons(app, handler)  # the paper buttons: acked at once, answered ephemerally
    register_reactions(app, handler)  # reactions to the paper messages: acked, then counted
    return app


def signing_secret_of(settings: Settings) -> str:
    """``SLACK_SIGNING_SECRET``, or (Socket Mode) an unguessable one: an HTTP endpoint mounted by
    mistake then rejects everything instead of trusting it."""
    return settings.secret("slack_signing_secret") or secrets.token_hex(32)


def slack_routes(app: AsyncApp, settings: Settings, *, oauth: bool = False) -> list[web.RouteDef]:
    """aiohttp routes for HTTP mode: ``POST /slack/events`` (+ the OAuth install and redirect).

    Events pass the app's ``FrontDoor`` (``adapters.slack_verify``) first: size, signature on the
    raw bytes, replays and retries; only then does Bolt parse and dispatch them, and what Bolt
    raises on is a 400 and one log line (``bolt_error``), not a 500 and a traceback.
    """
    door = FrontDoor(signing_secret_of(settings))
    app.error(bolt_error)

    async def events(request: web.Request) -> web.StreamResponse:
        return await door(request, app.async_dispatch)

    routes = [web.post(EVENTS_PATH, events)]
    if not oauth:
        return routes
    flow = app.oauth_flow
    if flow is None:
        raise ValueError("slack_routes(oauth=True) needs an app built with SlackOAuth")

    async def install(request: web.Request) -> web.StreamResponse:
        return await to_aiohttp_response(
            await flow.handle_installation(await to_bolt_request(request))
        )

    async def redirect(request: web.Request) -> web.StreamResponse:
        return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

    return routes + [web.get(INSTALL_PATH, install), web.get(REDIRECT_PATH, redirect)]


async def start_socket_mode(app: AsyncApp, app_token: str) -> AsyncSocketModeHandler:
    """Connect to Slack over Socket Mode (``SLACK_APP_TOKEN``) and return once connected.

    The WebSocket URL is fetched here first: slack_sdk's own connect loop retries every error
    forever, so a wrong token would hang the start instead of saying so.
    """
    try:
        opened = await app.client.apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        code = exc.response.get("error") or "error"
        raise ConfigError(
            f"Slack refused SLACK_APP_TOKEN ({code}): use an app-level token (xapp-...) "
            "with the connections:write scope and Socket Mode enabled"
        ) from None
    handler = AsyncSocketModeHandler(app, app_token)
    handler.client.wss_uri = str(opened["url"])
    await handler.connect_async()
    log.info("slack: connected in Socket Mode")
    return handler


async def stop_socket_mode(handler: AsyncSocketModeHandler) -> None:
    """Close the WebSocket and its aiohttp session (part of the orderly shutdown)."""
    await handler.close_async()
