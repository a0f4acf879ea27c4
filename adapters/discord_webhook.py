"""The follow-up of an HTTP interaction: the deferred "thinking" message replaced by the answer.

``PATCH {DISCORD_API_URL}/webhooks/{application_id}/{token}/messages/@original``: no bot token
(the interaction token is the credential, valid 15 minutes), and outside Discord's global rate
limit (interaction endpoints are exempt), so it does not wait on ``adapters.discord_limit``.
Bounded retries on 429 (after Retry-After), 5xx and network errors; a 404 "Unknown Webhook" is
retried too, as a fast answer can reach Discord just before the deferral it edits. The token is a
secret: it is never logged, and no URL is.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp

from bot.clock import Clock
from bot.config import Settings

#: Message flag: no link previews (embeds) for the links in the content.
SUPPRESS_EMBEDS = 1 << 2
log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({404, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 60.0


class InteractionWebhook:
    """Sends interaction follow-ups on one shared session (made on first use; ``close`` it)."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.base = settings.url("discord_api_url")
        self.timeout = settings.http_timeout
        self.retries = settings.http_retries
        self.clock = clock
        self._session: aiohttp.ClientSession | None = None

    async def edit_original(
        self, application_id: str, token: str, text: str, *, link_list: bool = False
    ) -> bool:
        """Replace the interaction's deferred message with ``text`` (pinging no one);
        ``link_list``: a list of papers' links, shown without a preview per link."""
        url = f"{self.base}/webhooks/{application_id}/{token}/messages/@original"
        body: dict[str, Any] = {"content": text, "allowed_mentions": {"parse": []}}
        if link_list:
            body["flags"] = SUPPRESS_EMBEDS
        return await self._send("PATCH", url, body)

    async def _send(self, method: str, url: str, body: dict[str, Any]) -> bool:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(self.timeout))
        problem = ""
        for attempt in range(self.retries + 1):
            wait = min(2.0**attempt * 0.5, MAX_RETRY_AFTER)
            try:
                async with self._session.request(method, url, json=body) as response:
                    if response.status < 300:
                        return True
                    problem = f"HTTP {response.status}"
                    if response.status not in RETRY_STATUSES:
                        break
                    wait = await _retry_after(response, wait)
            except (aiohttp.ClientError, TimeoutError) as exc:
                problem = type(exc).__name__
            if attempt < self.retries:
                await self.clock.sleep(wait)
        log.warning("discord: could not send an interaction follow-up: %s", problem)
        return False

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


async def _retry_after(response: aiohttp.ClientResponse, default: float) -> float:
    """Discord's wait for a 429 (the body's ``retry_after``, else the header), capped."""
    if response.status != 429:
        return default
    seconds: Any = response.headers.get("Retry-After")
    try:
        data = await response.json(content_type=None)
        if isinstance(data, dict) and data.get("retry_after") is not None:
            seconds = data["retry_after"]
        return min(max(float(seconds), 0.0), MAX_RETRY_AFTER)
    except (ValueError, TypeError, aiohttp.ClientError):
        return default
