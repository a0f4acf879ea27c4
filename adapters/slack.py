"""Slack: posting a digest as a thread through the Web API, paced and within Slack's limits.

The slash command, HTTP routes and Socket Mode live in ``adapters.slack_app``; Block Kit payloads in
``adapters.slack_blocks``; the Web API client, its retries and pacing in ``adapters.slack_client``;
the multi-workspace OAuth stores in ``adapters.slack_oauth``.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.render_cache import PerDigest
from adapters.slack_blocks import (
    MAX_SECTION_TEXT,
    Payload,
    entry_message,
    header_message,
    text_message,
    validate_message,
)
from adapters.slack_client import ChannelPacer, make_web_client
from adapters.slack_errors import slack_error, slack_errors
from adapters.slack_rate import PER_MINUTE, WorkspaceBudget, channels_in_flight
from adapters.slack_thread import find_posted, metadata
from bot.clock import Clock, SystemClock
from bot.config import ConfigError, Settings
from bot.models import Digest, Entry
from bot.ports import DeliveryError, Found, Refusal

log = logging.getLogger(__name__)


class SlackAdapter:
    """The ``Adapter`` for Slack: a header message, then one ``thread_ts`` reply per paper."""

    name = "slack"
    max_message_chars = MAX_SECTION_TEXT
    # chat.postMessage allows about 1 message a second per channel, with short bursts
    # (ChannelPacer keeps it), and a workspace-wide budget (WorkspaceBudget, several hundred a
    # minute): channels of one workspace post at once up to what that budget can feed
    # (adapters.slack_rate.channels_in_flight), counted per workspace (slot_scope).
    post_concurrency = channels_in_flight(PER_MINUTE)

    def __init__(
        self, client: AsyncWebClient, *, clock: Clock | None = None,
        pacer: ChannelPacer | None = None, budget: WorkspaceBudget | None = None,
        workspace: str = "",
    ) -> None:  # fmt: skip
        self.client = client
        self.pacer = pacer or ChannelPacer(clock or SystemClock())
        self.budget = budget
        self.slot_scope = f"slack:{workspace}"
        if budget is not None:
            self.post_concurrency = channels_in_flight(budget.calls)

    async def post_header(self, channel: str, digest: Digest) -> tuple[str, str]:
        rendered = RENDERED.get(
            digest, "header", lambda: _rendered(header_message(digest), metadata(digest, "header"))
        )
        ts = await self._post(channel, *rendered)
        return ts, ts

    async def post_entry(self, channel: str, thread_id: str, digest: Digest, entry: Entry) -> str:
        part = str(entry.rank)
        rendered = RENDERED.get(
            digest,
            part,
            lambda: _rendered(entry_message(digest, entry), metadata(digest, part, entry)),
        )
        return await self._post(channel, *rendered, thread_ts=thread_id)

    async def find_posted(self, channel: str, digest: Digest, thread_id: str | None) -> Found:
        """What Slack holds of the digest's thread (``adapters.slack_thread``)."""
        return await find_posted(self.client, channel, digest, thread_id)

    async def post_text(self, channel: str, text: str) -> str:
        return await self._post(channel, *_rendered(text_message(text), None))

    async def _post(
        self, channel: str, payload: Payload, meta: dict[str, Any] | None, problems: list[str],
        thread_ts: str | None = None,
    ) -> str:  # fmt: skip
        if problems:  # fit_message should make this impossible; never send what Slack refuses
            raise DeliveryError("invalid_message", "message over Slack's limits: " + problems[0],
                                Refusal.INVALID)  # fmt: skip
        async with self.pacer.turn(channel):
            if self.budget is not None:
                await self.budget.wait()
            with slack_errors(channel, "reach the Slack API"):
                response = await self.client.chat_postMessage(
                    channel=channel, text=payload["text"], blocks=payload["blocks"],
                    thread_ts=thread_ts, unfurl_links=False, unfurl_media=False, metadata=meta,
                )  # fmt: skip
        return str(response["ts"])


def _rendered(
    payload: Payload, meta: dict[str, Any] | None
) -> tuple[Payload, dict[str, Any] | None, list[str]]:
    """A message, its metadata and what Slack would refuse in it (checked once per digest)."""
    return payload, meta, validate_message(payload)


#: Each digest's messages rendered once, for every channel and workspace it is posted to.
RENDERED: PerDigest[tuple[Payload, dict[str, Any] | None, list[str]]] = PerDigest()


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
