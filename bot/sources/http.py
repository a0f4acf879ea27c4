"""HTTP plumbing shared by every source: rate limits, timeouts, bounded retries with Retry-After."""

from __future__ import annotations

import asyncio
import email.utils
import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.clock import Clock, SystemClock
from bot.config import Settings

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 120.0


class SourceError(Exception):
    """A source failed for a reason worth one line in the digest header."""


class SourceSkipped(Exception):
    """A source is not configured (no credentials) and was not asked."""


class RateLimiter:
    """At most ``calls`` requests per ``period`` seconds, spaced evenly, shared by all callers."""

    def __init__(self, calls: int, period: float, clock: Clock | None = None) -> None:
        self.interval = period / calls if calls else 0.0
        self.clock = clock or SystemClock()
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = self.clock.monotonic()
            delay = self._next - now
            if delay > 0:
                await self.clock.sleep(delay)
                now = self.clock.monotonic()
            self._next = max(now, self._next) + self.interval

    def defer(self, seconds: float) -> None:
        """Push the next permitted call back (after a 429's Retry-After)."""
        self._next = max(self._next, self.clock.monotonic() + seconds)


def retry_after_seconds(response: httpx.Response, clock: Clock) -> float | None:
    """Seconds from a ``Retry-After`` header (delta or HTTP date), capped; ``None`` if absent."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - clock.now()).total_seconds()
    return max(0.0, min(seconds, MAX_RETRY_AFTER))


def reset_header_seconds(
    response: httpx.Response, clock: Clock, headers: tuple[str, ...]
) -> float | None:
    """Seconds until the epoch time in the first of ``headers`` present (``x-rate-limit-reset``,
    ``ratelimit-reset``), capped like Retry-After; ``None`` if none is there or parses."""
    for name in headers:
        value = response.headers.get(name)
        if not value:
            continue
        try:
            seconds = float(value) - clock.now().timestamp()
        except ValueError:
            continue
        return max(0.0, min(seconds, MAX_RETRY_AFTER))
    return None


@dataclass
class Http:
    """One source's view of the shared client: its limiter, retries, timeout and request count."""

    client: httpx.AsyncClient
    name: str
    limiter: RateLimiter
    clock: Clock = field(default_factory=SystemClock)
    retries: int = 3
    timeout: float = 20.0
    backoff: float = 1.0
    requests: int = 0
    # Headers holding the epoch second a 429's window resets, used when Retry-After is absent.
    reset_headers: tuple[str, ...] = ()

    @classmethod
    def for_service(
        cls,
        client: httpx.AsyncClient,
        name: str,
        settings: Settings,
        clock: Clock,
        *,
        calls: int,
        period: float,
        reset_headers: tuple[str, ...] = (),
    ) -> Http:
        """The usual wiring: the service's published rate limit, the configured timeout/retries."""
        return cls(
            client,
            name,
            RateLimiter(calls, period, clock),
            clock,
            retries=settings.http_retries,
            timeout=settings.http_timeout,
            reset_headers=reset_headers,
        )

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send rate-limited; retry 429/5xx/transport errors; raise ``SourceError`` at the end.

        A non-retryable 4xx is returned to the caller, who knows what it means for that API.
        """
        last = ""
        for attempt in range(self.retries + 1):
            await self.limiter.wait()
            self.requests += 1
            try:
                response = await self.client.request(method, url, timeout=self.timeout, **kwargs)
            except httpx.TimeoutException:
                last = f"timed out after {self.timeout:g} s"
                wait = self.backoff * 2**attempt
            except httpx.TransportError as exc:
                last = f"connection failed ({type(exc).__name__})"
                wait = self.backoff * 2**attempt
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
                last = f"HTTP {response.status_code}"
                hinted = retry_after_seconds(response, self.clock)
                if hinted is None and response.status_code == 429:
                    hinted = reset_header_seconds(response, self.clock, self.reset_headers)
                wait = hinted if hinted is not None else self.backoff * 2**attempt
                if hinted is not None:
                    self.limiter.defer(hinted)
            if attempt < self.retries:
                log.info("%s: %s, retry %d in %.1f s", self.name, last, attempt + 1, wait)
                await self.clock.sleep(wait)
        raise SourceError(f"{last} after {self.retries + 1} attempts")

    async def get_json(self, url: str, **kwargs: Any) -> Any:
        response = await self.request("GET", url, **kwargs)
        return self.decode(response)

    def decode(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            raise SourceError(f"HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError:
            raise SourceError("malformed JSON in response") from None
