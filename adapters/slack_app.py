"""The Slack app: ``/hotpapers`` on slack-bolt's AsyncApp, over HTTP (aiohttp) or Socket Mode.

The command is acknowledged before anything else (Slack gives 3 s), then answered: help and errors
as ephemeral replies through ``response_url``, a query as a digest thread in the channel, posted
with the request's client, which carries that workspace's token when installed through OAuth.

The ack is the whole of the listener Bolt runs (``process_before_response``: no polling for it); the
answer is a task of its own, so the HTTP 200 never waits for a digest build or a post. A burst of
commands shares its builds (``SharedDigests``) and its Web API connections (``SharedSession``)
rather than crowding the event loop that has to send the next ack.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import weakref
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import ChannelPacer, SharedSession, SlackAdapter, make_web_client
from adapters.slack_blocks import escape_mrkdwn
from adapters.slack_oauth import INSTALL_PATH, REDIRECT_PATH, SlackOAuth
from bot.clock import Clock
from bot.commands import HELP_TEXT, CommandError, HelpRequest, Query, ShowSettings, parse_for
from bot.config import ConfigError, Settings
from bot.delivery import post_thread
from bot.models import Digest
from bot.ondemand import SharedDigests, drain_tasks
from bot.service import UserError

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
COMMAND = "/hotpapers"
NOT_IN_CHANNEL = (
    "I can't post in this channel because I'm not in it: invite me with `/invite @Hot Papers`, "
    "then run the command again."
)
NO_SUBSCRIPTIONS = (
    "Subscriptions are managed with the `hotpapers subscribe` command line on the bot's server "
    "(see `hotpapers subscribe --help`)."
)
SOMETHING_WRONG = "Something went wrong while answering `/hotpapers`; the error was logged. Please try again later."  # noqa: E501

Respond = Callable[..., Awaitable[Any]]
_ANSWERS: weakref.WeakKeyDictionary[AsyncApp, SlashCommand] = weakref.WeakKeyDictionary()


class DigestProvider(Protocol):
    async def digest_for(self, query: Query) -> Digest: ...


class SubscriptionHandler(Protocol):
    async def handle(
        self,
        platform: str,
        team_id: str,
        channel_id: str,
        user_id: str,
        request: Any,
        *,
        allowed: bool,
        managers: str,
    ) -> str: ...


MANAGERS = "workspace admins and owners"


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


class SlashCommand:
    """``/hotpapers`` after the ack: parse, then reply or post the digest thread. Never raises."""

    def __init__(
        self, settings: Settings, service: DigestProvider, clock: Clock,
        subscriptions: SubscriptionHandler | None, pacer: ChannelPacer,
    ) -> None:  # fmt: skip
        self.settings = settings
        self.digests = SharedDigests(service, clock)
        self.clock = clock
        self.subscriptions = subscriptions
        self.pacer = pacer
        self._answering: set[asyncio.Task[None]] = set()
        self._connections = SharedSession()

    async def drain(self, seconds: float) -> None:
        """Answers in flight get ``seconds`` to finish, then are cancelled (clean shutdown)."""
        await drain_tasks(self._answering, seconds)

    def start(self, command: Mapping[str, Any], respond: Respond, client: AsyncWebClient) -> None:
        """Answer in a task of its own (kept referenced until done): the ack returns at once."""
        task = asyncio.create_task(self(command, respond, client), name=f"slack {COMMAND}")
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)

    async def __call__(
        self, command: Mapping[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        try:
            async with self._connections.use(client):
                await self._answer(command, respond, client)
        except Exception:
            log.exception("slack: %s %r failed", COMMAND, command.get("text", ""))
            await self._reply(respond, SOMETHING_WRONG)

    async def _reply(self, respond: Respond, text: str) -> None:
        try:
            await respond(text=escape_mrkdwn(text), response_type="ephemeral")
        except Exception as exc:  # response_url gone or unreachable: the log is all we have
            log.warning("slack: could not reply to %s: %s", COMMAND, type(exc).__name__)

    async def _answer(
        self, command: Mapping[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        try:
            request = parse_for(self.settings, str(command.get("text") or ""), now=self.clock.now())
        except CommandError as exc:
            return await self._reply(respond, str(exc))
        if isinstance(request, HelpRequest):
            return await self._reply(respond, HELP_TEXT)
        if isinstance(request, Query):
            return await self._post_digest(request, command, respond, client)
        if self.subscriptions is None:
            return await self._reply(respond, NO_SUBSCRIPTIONS)
        user_id = str(command.get("user_id", ""))
        # Anyone may read the settings: users.info is asked only for a change.
        allowed = isinstance(request, ShowSettings) or await workspace_admin(client, user_id)
        answer = await self.subscriptions.handle(
            "slack", str(command.get("team_id", "")), str(command.get("channel_id", "")),
            user_id, request, allowed=allowed, managers=MANAGERS,
        )  # fmt: skip
        await self._reply(respond, answer)

    async def _post_digest(
        self, query: Query, command: Mapping[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        what = f"{', '.join(query.categories)} on {query.date.isoformat()} (top {query.top})"
        build = self.digests.start(query)  # under way (or joined) while the reply goes out
        await self._reply(respond, f"Looking up Hot Papers for {what}; the thread follows here.")
        try:
            digest = await asyncio.shield(build)  # this answer cancelled: the build goes on
        except UserError as exc:
            return await self._reply(respond, str(exc))
        if not digest.entries:
            return await self._reply(respond, f"No paper in {what} got any attention yet.")
        channel = str(command.get("channel_id", ""))
        adapter = SlackAdapter(client, clock=self.clock, pacer=self.pacer)
        delivery = await post_thread(adapter, channel, digest)
        if delivery.ok:
            return
        code, _, message = (delivery.error or "").partition(": ")
        if code in ("not_in_channel", "channel_not_found"):
            return await self._reply(respond, NOT_IN_CHANNEL)
        await self._reply(respond, f"I couldn't post the digest: {message or code}")


def build_slack_app(
    settings: Settings,
    service: DigestProvider,
    *,
    clock: Clock,
    subscriptions: SubscriptionHandler | None = None,
    client: AsyncWebClient | None = None,
    oauth: SlackOAuth | None = None,
    pacer: ChannelPacer | None = None,
) -> AsyncApp:
    """The Bolt app answering ``/hotpapers``: single-workspace (bot token) unless ``oauth`` is set.

    ``pacer``: the process's per-channel pacer (shared with the scheduler's posting), or a new one.

    Without ``SLACK_SIGNING_SECRET`` (Socket Mode) the verifier gets an unguessable secret, so an
    HTTP endpoint mounted by mistake rejects everything instead of trusting it.
    """
    token = None if oauth else settings.secret("slack_bot_token")
    app = AsyncApp(
        client=client or make_web_client(settings, token, clock),
        signing_secret=settings.secret("slack_signing_secret") or secrets.token_hex(32),
        oauth_settings=oauth.settings if oauth else None,
        # The listener below only acks, so Bolt may run it before responding: the 200 leaves as
        # soon as ack() returns, instead of after Bolt's 10 ms polls for a listener task's ack.
        process_before_response=True,
        logger=logging.getLogger("slack_bolt"),
    )
    answer = SlashCommand(settings, service, clock, subscriptions, pacer or ChannelPacer(clock))
    _ANSWERS[app] = answer

    @app.command(COMMAND)
    async def hotpapers(ack, command, respond, client) -> None:  # Bolt injects by name
        await ack()
        answer.start(command, respond, client)

    return app


async def drain(app: AsyncApp, seconds: float) -> None:
    """``SlashCommand.drain`` of the app's ``/hotpapers`` (``SlackPlatform.stop`` calls it)."""
    answer = _ANSWERS.get(app)
    if answer is not None:
        await answer.drain(seconds)


def slack_routes(app: AsyncApp, oauth: bool) -> list[web.RouteDef]:
    """aiohttp routes for HTTP mode: ``POST /slack/events`` (+ the OAuth install and redirect)."""

    async def events(request: web.Request) -> web.StreamResponse:
        # slack_sdk's verifier raises on a timestamp that is not a number (a 500 and a traceback
        # for an unauthenticated request): refuse it as Bolt refuses any unverifiable request.
        if not request.headers.get("X-Slack-Request-Timestamp", "0").isdigit():
            return web.json_response({"error": "invalid request"}, status=401)
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

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
