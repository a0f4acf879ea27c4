"""Slack's Web API client as this project uses it: retries on the injected clock, one shared
aiohttp session for work in flight, and per-channel pacing (``adapters.slack`` posts through it).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.config import Settings

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 3
MAX_RETRY_AFTER = 300.0


class ClockRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler, sleeping ``Retry-After`` (+ jitter) on the injected clock.

    The stock handler calls ``asyncio.sleep`` itself; going through ``Clock`` keeps the behaviour
    and lets tests check the wait without waiting.
    """

    def __init__(
        self, clock: Clock, max_retry_count: int = RATE_LIMIT_RETRIES,
        jitter: Callable[[], float] = random.random,
        on_limited: Callable[[float], None] | None = None,
    ) -> None:  # fmt: skip
        super().__init__(max_retry_count=max_retry_count)
        self._clock = clock
        self._jitter = jitter
        self._on_limited = on_limited  # the workspace's budget hears of every 429

    async def prepare_for_next_attempt_async(
        self, *, state: RetryState, request: HttpRequest,
        response: HttpResponse | None = None, error: Exception | None = None,
    ) -> None:  # fmt: skip
        if response is None:
            raise error or RuntimeError("rate-limit retry without a response")
        state.next_attempt_requested = True
        wait = retry_after(response)
        if self._on_limited is not None:
            self._on_limited(wait)
        await self._clock.sleep(wait + self._jitter())
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


def retry_handlers(
    clock: Clock, on_limited: Callable[[float], None] | None = None
) -> list[AsyncRetryHandler]:
    """Connection drops and 429s are retried (the client's defaults retry neither 429 nor waits)."""
    return [ClockConnectionErrorRetryHandler(clock),
            ClockRateLimitRetryHandler(clock, on_limited=on_limited)]  # fmt: skip


def make_web_client(
    settings: Settings, token: str | None, clock: Clock,
    on_limited: Callable[[float], None] | None = None,
) -> AsyncWebClient:  # fmt: skip
    """The Web API client: ``HOTPAPERS_SLACK_API_URL``, the HTTP timeout, 429/connection retries
    (``on_limited`` hears each 429's wait: the workspace's ``WorkspaceBudget``)."""
    return AsyncWebClient(
        token=token,
        base_url=settings.url("slack_api_url") + "/",
        timeout=max(1, round(settings.http_timeout)),
        retry_handlers=retry_handlers(clock, on_limited),
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
