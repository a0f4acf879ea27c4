"""Slack: posting a digest as a thread through the Web API, paced and within Slack's limits.

The slash command, HTTP routes and Socket Mode live in ``adapters.slack_app``; Block Kit payloads in
``adapters.slack_blocks``; the multi-workspace OAuth stores in ``adapters.slack_oauth``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack_blocks import (
    MAX_SECTION_TEXT,
    Payload,
    entry_message,
    header_message,
    text_message,
    validate_message,
)
from bot.clock import Clock, SystemClock
from bot.config import ConfigError, Settings
from bot.models import Digest, Entry
from bot.ports import DeliveryError

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 3
MAX_RETRY_AFTER = 300.0
INVITE = "invite it with /invite @Hot Papers"

_SLACK_ERRORS: dict[str, str] = {
    "not_in_channel": "the bot is not in channel {channel}: " + INVITE,
    "channel_not_found": (
        "channel {channel} was not found, or it is private and the bot is not in it: "
        "check the channel ID and " + INVITE
    ),
    "is_archived": "channel {channel} is archived: unarchive it or choose another channel",
    "msg_too_long": "Slack refused a message as too long ({code}): please report this bug",
    "msg_blocks_too_long": "Slack refused a message as too long ({code}): please report this bug",
    "invalid_blocks": "Slack refused a message's blocks ({code}): please report this bug",
    "invalid_auth": (
        "Slack rejected the bot token ({code}): check SLACK_BOT_TOKEN or reinstall the app"
    ),
    "not_authed": "no Slack bot token was sent ({code}): set SLACK_BOT_TOKEN",
    "account_inactive": "the Slack app was uninstalled or its token revoked ({code}): reinstall it",
    "token_revoked": "the Slack app was uninstalled or its token revoked ({code}): reinstall it",
    "missing_scope": "the bot token lacks a scope ({code}): add chat:write and reinstall the app",
    "ratelimited": (
        "Slack kept rate limiting channel {channel} after "
        f"{RATE_LIMIT_RETRIES} retries: try again in a minute"
    ),
    "restricted_action": "posting in channel {channel} is restricted by a workspace admin",
}


_ERROR_CODE = re.compile(r"[a-z0-9_.]{1,64}")  # Slack's error codes: invalid_auth, not_in_channel


def slack_error(exc: SlackApiError, channel: str) -> DeliveryError:
    """A ``DeliveryError`` with Slack's code and one line saying how to fix it (no token, ever)."""
    status = getattr(exc.response, "status_code", 200)
    data = getattr(exc.response, "data", None)  # not a dict when a proxy answers HTML
    error = data.get("error") if isinstance(data, dict) else None
    if error is not None and not _ERROR_CODE.fullmatch(str(error)):
        error = "unexpected_answer"  # not a Slack code: a proxy's text, maybe echoing the token
    code = str(error or ("ratelimited" if status == 429 else f"http_{status}"))
    if code == "rate_limited":
        code = "ratelimited"
    template = _SLACK_ERRORS.get(code, "Slack refused the message to {channel} ({code})")
    return DeliveryError(code, template.format(channel=channel, code=code))


class ClockRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler, sleeping ``Retry-After`` (+ jitter) on the injected clock.

    The stock handler calls ``asyncio.sleep`` itself; going through ``Clock`` keeps the behaviour
    and lets tests check the wait without waiting.
    """

    def __init__(
        self, clock: Clock, max_retry_count: int = RATE_LIMIT_RETRIES,
        jitter: Callable[[], float] = random.random,
    ) -> None:  # fmt: skip
        super().__init__(max_retry_count=max_retry_count)
        self._clock = clock
        self._jitter = jitter

    async def prepare_for_next_attempt_async(
        self, *, state: RetryState, request: HttpRequest,
        response: HttpResponse | None = None, error: Exception | None = None,
    ) -> None:  # fmt: skip
        if response is None:
            raise error or RuntimeError("rate-limit retry without a response")
        state.next_attempt_requested = True
        await self._clock.sleep(retry_after(response) + self._jitter())
        state.increment_current_attempt()


def retry_after(response: HttpResponse) -> float:
    """Seconds the 429 asked us to wait (1 when absent or unreadable, at most 5 minutes)."""
    for name, values in response.headers.items():
        if name.lower() == "retry-after":
            value = values[0] if isinstance(values, list) else values
            try:
                return min(max(float(value), 0.0), MAX_RETRY_AFTER)
            except ValueError:
                break
    return 1.0


class ClockConnectionErrorRetryHandler(AsyncConnectionErrorRetryHandler):
    """slack_sdk's retry on a dropped connection, backing off on the injected clock."""

    def __init__(self, clock: Clock, max_retry_count: int = 2) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._clock = clock

    async def prepare_for_next_attempt_async(
        self, *, state: RetryState, request: HttpRequest,
        response: HttpResponse | None = None, error: Exception | None = None,
    ) -> None:  # fmt: skip
        state.next_attempt_requested = True
        await self._clock.sleep(
            self.interval_calculator.calculate_sleep_duration(state.current_attempt)
        )
        state.increment_current_attempt()


def retry_handlers(clock: Clock) -> list[AsyncRetryHandler]:
    """Connection drops and 429s are retried (the client's defaults retry neither 429 nor waits)."""
    return [ClockConnectionErrorRetryHandler(clock), ClockRateLimitRetryHandler(clock)]


def make_web_client(settings: Settings, token: str | None, clock: Clock) -> AsyncWebClient:
    """The Web API client: ``HOTPAPERS_SLACK_API_URL``, the HTTP timeout, 429/connection retries."""
    return AsyncWebClient(
        token=token,
        base_url=settings.url("slack_api_url") + "/",
        timeout=max(1, round(settings.http_timeout)),
        retry_handlers=retry_handlers(clock),
    )


class SharedSession:
    """One aiohttp session for the Web API calls of work in flight, so the calls reuse connections.

    Without a session slack_sdk opens (and closes) one per call: a new TCP (and TLS) connection for
    every message of every thread. A session held for the process's life would have to be closed at
    shutdown; this one opens with its first user and closes when the last one leaves, so a burst of
    slash commands shares a few connections and nothing stays open between bursts.
    """

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._users = 0

    @asynccontextmanager
    async def use(self, client: AsyncWebClient) -> AsyncIterator[AsyncWebClient]:
        """``client`` (the caller's own, e.g. Bolt's per-request one) on the shared session."""
        if self._session is None:
            timeout = aiohttp.ClientTimeout(total=client.timeout)
            self._session = aiohttp.ClientSession(timeout=timeout)
        session = self._session
        self._users += 1
        client.session = session
        try:
            yield client
        finally:
            client.session = None
            self._users -= 1
            if self._users == 0 and self._session is session:
                self._session = None
                await session.close()


class ChannelPacer:
    """About one message a second per channel (chat.postMessage's rate), in order.

    Shared by every adapter of a process, so a slash command and a scheduled digest posting into the
    same channel take turns instead of tripping Slack's limit together.
    """

    def __init__(self, clock: Clock, interval: float = 1.0) -> None:
        self._clock = clock
        self._interval = interval
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}

    @asynccontextmanager
    async def turn(self, channel: str) -> AsyncIterator[None]:
        async with self._locks.setdefault(channel, asyncio.Lock()):
            last = self._last.get(channel)
            if last is not None:
                wait = self._interval - (self._clock.monotonic() - last)
                if wait > 0:
                    await self._clock.sleep(wait)
            try:
                yield
            finally:
                self._last[channel] = self._clock.monotonic()


class SlackAdapter:
    """The ``Adapter`` for Slack: a header message, then one ``thread_ts`` reply per paper."""

    name = "slack"
    max_message_chars = MAX_SECTION_TEXT

    def __init__(
        self, client: AsyncWebClient, *, clock: Clock | None = None,
        pacer: ChannelPacer | None = None,
    ) -> None:  # fmt: skip
        self.client = client
        self.pacer = pacer or ChannelPacer(clock or SystemClock())

    async def post_header(self, channel: str, digest: Digest) -> tuple[str, str]:
        ts = await self._post(channel, header_message(digest))
        return ts, ts

    async def post_entry(self, channel: str, thread_id: str, digest: Digest, entry: Entry) -> str:
        return await self._post(channel, entry_message(digest, entry), thread_ts=thread_id)

    async def post_text(self, channel: str, text: str) -> str:
        return await self._post(channel, text_message(text))

    async def _post(self, channel: str, payload: Payload, thread_ts: str | None = None) -> str:
        problems = validate_message(payload)
        if problems:  # fit_message should make this impossible; never send what Slack refuses
            raise DeliveryError("invalid_message", "message over Slack's limits: " + problems[0])
        async with self.pacer.turn(channel):
            try:
                response = await self.client.chat_postMessage(
                    channel=channel, text=payload["text"], blocks=payload["blocks"],
                    thread_ts=thread_ts, unfurl_links=False, unfurl_media=False,
                )  # fmt: skip
            except SlackApiError as exc:
                raise slack_error(exc, channel) from exc
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise DeliveryError(
                    "connection_error",
                    f"could not reach the Slack API ({type(exc).__name__}): "
                    "check the network or HOTPAPERS_SLACK_API_URL",
                ) from exc
        return str(response["ts"])


def make_slack_adapter(
    settings: Settings, clock: Clock | None = None, *, token: str | None = None
) -> SlackAdapter:
    """The adapter for ``hotpapers post --platform slack`` (and the scheduler).

    ``token`` overrides ``SLACK_BOT_TOKEN`` (a workspace's token from the OAuth installation store).
    """
    token = token or settings.secret("slack_bot_token")
    if not token:
        raise ConfigError(
            "SLACK_BOT_TOKEN is not set: install the Slack app to your workspace and set its "
            "Bot User OAuth Token (xoxb-...)"
        )
    clock = clock or SystemClock()
    return SlackAdapter(make_web_client(settings, token, clock), clock=clock)


_REFUSED_TOKEN = {"invalid_auth", "not_authed", "account_inactive", "token_revoked",
                  "token_expired", "not_allowed_token_type"}  # fmt: skip


async def _auth_test(adapter: SlackAdapter, settings: Settings) -> dict[str, Any]:
    """``auth.test`` with the adapter's token: a refused token or no Slack is one line."""
    try:
        answer = await adapter.client.auth_test()
    except SlackApiError as exc:
        error = slack_error(exc, "-")
        if error.code in _REFUSED_TOKEN:  # a setup mistake, not a delivery that may work later
            raise ConfigError(str(error)) from None
        raise error from None
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise DeliveryError(
            "slack_unavailable",
            f"cannot reach Slack at {settings.url('slack_api_url')} ({type(exc).__name__})",
        ) from None
    return dict(answer.data) if isinstance(answer.data, dict) else {}


async def verified_slack_adapter(settings: Settings, clock: Clock | None = None) -> SlackAdapter:
    """``make_slack_adapter``, its token checked with ``auth.test`` before any work is done."""
    adapter = make_slack_adapter(settings, clock)
    await _auth_test(adapter, settings)
    return adapter


async def check_slack(settings: Settings, clock: Clock | None = None) -> str:
    """``hotpapers check``: ``auth.test`` with ``SLACK_BOT_TOKEN`` (who the bot is, where) and,
    when set, ``apps.connections.open`` with ``SLACK_APP_TOKEN`` (Socket Mode would connect)."""
    answer = await _auth_test(make_slack_adapter(settings, clock), settings)
    found = f"authenticated as {answer.get('user', '?')} in {answer.get('team', '?')}"
    app_token = settings.secret("slack_app_token")
    if app_token:
        client = make_web_client(settings, app_token, clock or SystemClock())
        try:
            await client.apps_connections_open(app_token=app_token)
        except SlackApiError as exc:
            code = slack_error(exc, "-").code
            raise ConfigError(
                f"SLACK_APP_TOKEN was refused by Slack ({code}): make an app-level token with "
                "the connections:write scope (Basic Information, App-Level Tokens)"
            ) from None
    return found
