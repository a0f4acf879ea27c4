"""Slack: posting a digest as a thread through the Web API, paced and within Slack's limits.

The slash command, HTTP routes and Socket Mode live in ``adapters.slack_app``; Block Kit payloads in
``adapters.slack_blocks``; the Web API client, its retries and pacing in ``adapters.slack_client``;
the multi-workspace OAuth stores in ``adapters.slack_oauth``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack_blocks import (
    MAX_SECTION_TEXT,
    Payload,
    entry_message,
    header_message,
    text_message,
    validate_message,
)
from adapters.slack_client import RATE_LIMIT_RETRIES, ChannelPacer, make_web_client
from bot.clock import Clock, SystemClock
from bot.config import ConfigError, Settings
from bot.models import Digest, Entry
from bot.ports import DeliveryError, Refusal

log = logging.getLogger(__name__)

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


_REFUSALS = {
    "not_in_channel": Refusal.NOT_IN_CHANNEL,
    "channel_not_found": Refusal.NOT_IN_CHANNEL,
    "is_archived": Refusal.NO_PERMISSION,
    "restricted_action": Refusal.NO_PERMISSION,
    "invalid_auth": Refusal.AUTH,
    "not_authed": Refusal.AUTH,
    "account_inactive": Refusal.AUTH,
    "token_revoked": Refusal.AUTH,
    "missing_scope": Refusal.AUTH,
    "ratelimited": Refusal.UNAVAILABLE,
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
    refusal = _REFUSALS.get(code, Refusal.OTHER)
    return DeliveryError(code, template.format(channel=channel, code=code), refusal)


class SlackAdapter:
    """The ``Adapter`` for Slack: a header message, then one ``thread_ts`` reply per paper."""

    name = "slack"
    max_message_chars = MAX_SECTION_TEXT
    # chat.postMessage allows about 1 message a second per channel, with short bursts
    # (ChannelPacer keeps it), so 100 channels post about 100 messages a second: 500 channels of
    # 11 messages take about 5 x 10 s. Slack's workspace-wide limit is not quantified; its 429s
    # carry Retry-After, which the client waits out.
    post_concurrency = 100

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
            raise DeliveryError("invalid_message", "message over Slack's limits: " + problems[0],
                                Refusal.INVALID)  # fmt: skip
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
                    Refusal.UNAVAILABLE,
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
            Refusal.UNAVAILABLE,
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
