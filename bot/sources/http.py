"""HTTP plumbing shared by every source: rate limits, timeouts, bounded retries with Retry-After."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import math
from collections import deque
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any, cast

import httpx

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.sources import deadline

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 120.0

MB = 1_000_000
# The largest answer body read into memory (decoded, so a gzip bomb stops here too); a bigger one
# is refused, not retried. 20 MB is 4x a full arXiv page: 2000 entries (the API's maximum per
# call) at ~2.5 kB each (observed) is ~5 MB, and a few thousand-author papers fit in the rest.
MAX_ANSWER_BYTES = 20 * MB
# Services whose largest page is known to be small get a tighter cap (sizes observed in each
# service's recorded answers, as noted per line):
ANSWER_CAPS = {
    # 1000 hits a page (Algolia's maximum) at ~5 kB each with highlights and story_text: ~5 MB.
    "hackernews": 10 * MB,
    # 100 items a page (the limit we ask) at ~6 kB each (observed, authors included): ~0.6 MB.
    "huggingface": 4 * MB,
    # 500 ids a batch at < 2 kB each (observed with every field; we ask four): < 1 MB.
    "semantic_scholar": 4 * MB,
    # 100 posts a page at ~1.8 kB each (observed, embeds included): ~0.2 MB.
    "bluesky": 4 * MB,
    # 100 tweets plus their authors a page, each well under 2 kB: ~0.3 MB.
    "x": 4 * MB,
    # One completion of at most 160 tokens: a few kB.
    "llm": 1 * MB,
}


class SourceError(Exception):
    """A source failed for a reason worth one line in the digest header."""


class SourceSkipped(Exception):
    """A source is not configured (no credentials) and was not asked."""


class RateLimiter:
    """At most ``calls`` requests in any ``period`` seconds, shared by all callers, first come
    first served.

    A sliding-window log: the start times of the last ``calls`` requests; the next one starts
    once the oldest of them is ``period`` seconds old. A burst of up to ``calls`` goes out at once,
    and no window of ``period`` seconds ever holds more than ``calls`` starts, which is what a
    sliding-window server (Bluesky's 3000 / 5 min) counts and stays within a fixed-window one (HF's
    500 / 5 min); a token bucket refilled at ``calls / period`` could start twice ``calls`` in one
    window. With ``calls=1`` it is even spacing, one request every ``period`` seconds (arXiv,
    Semantic Scholar). ``defer`` holds every request back until a 429's wait is over.
    """

    def __init__(self, calls: int, period: float, clock: Clock | None = None) -> None:
        if calls < 1 or period < 0:
            raise ValueError(f"a rate limit needs calls >= 1 and period >= 0, not {calls}/{period}")
        self.calls = calls
        self.period = period
        self.clock = clock or SystemClock()
        self._starts: deque[float] = deque(maxlen=calls)
        self._not_before = -math.inf
        self._lock = asyncio.Lock()

    def next_start(self) -> float:
        """The earliest ``clock.monotonic()`` at which the next request may start."""
        earliest = self._not_before
        if len(self._starts) == self.calls:
            earliest = max(earliest, self._starts[0] + self.period)
        return earliest

    async def wait(self) -> None:
        """Return when a request may start, and count it as started then."""
        async with self._lock:
            # Checked again after every sleep: a defer() meanwhile moves the start further.
            while (delay := self.next_start() - self.clock.monotonic()) > 0:
                if refusal := deadline.rate_limit_refusal(self.clock, delay):
                    raise SourceError(refusal)
                await self.clock.sleep(delay)
            self._starts.append(self.clock.monotonic())

    def defer(self, seconds: float) -> None:
        """Start nothing before ``seconds`` from now (after a 429's Retry-After)."""
        self._not_before = max(self._not_before, self.clock.monotonic() + seconds)


def retry_after_seconds(
    response: httpx.Response, clock: Clock, *, cap: float = MAX_RETRY_AFTER
) -> float | None:
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
    return max(0.0, min(seconds, cap))


def reset_header_seconds(
    response: httpx.Response, clock: Clock, headers: tuple[str, ...], cap: float = MAX_RETRY_AFTER
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
        return max(0.0, min(seconds, cap))
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
    # The largest answer body read; ``None``: the service's entry in ANSWER_CAPS, or the default.
    max_bytes: int | None = None

    @property
    def answer_cap(self) -> int:
        if self.max_bytes is not None:
            return self.max_bytes
        return ANSWER_CAPS.get(self.name, MAX_ANSWER_BYTES)

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

        A non-retryable 4xx is returned to the caller, who knows what it means for that API. The
        body is read only up to ``answer_cap`` bytes: a bigger answer is refused (``SourceError``,
        not retried, since a retry would get the same). Waits past the deadline: ``deadline``.
        """
        last = ""
        for attempt in range(self.retries + 1):
            await self.limiter.wait()
            self.requests += 1
            try:
                response = await self._send(method, url, **kwargs)
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
                hinted = self._hinted_wait(response)
                wait = hinted if hinted is not None else self.backoff * 2**attempt
            if attempt < self.retries:
                if refusal := deadline.backoff_refusal(wait, last, attempt + 1):
                    raise SourceError(refusal)
                log.info("%s: %s, retry %d in %.1f s", self.name, last, attempt + 1, wait,
                         extra={"source": self.name, "attempt": attempt + 1})  # fmt: skip
                await self.clock.sleep(wait)
        raise SourceError(f"{last} after {self.retries + 1} attempt{'s' if self.retries else ''}")

    def _hinted_wait(self, response: httpx.Response) -> float | None:
        """The wait asked (Retry-After, else a 429's reset), capped; refused past the deadline."""
        hinted = retry_after_seconds(response, self.clock, cap=math.inf)
        if hinted is None and response.status_code == 429:
            hinted = reset_header_seconds(response, self.clock, self.reset_headers, math.inf)
        if hinted is not None:
            self.limiter.defer(min(hinted, MAX_RETRY_AFTER))
            if refusal := deadline.rate_limit_refusal(self.clock, hinted):
                raise SourceError(refusal)
        return None if hinted is None else min(hinted, MAX_RETRY_AFTER)

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request, its body read (bounded) unless the status means a retry; closed either way.

        The answer is a new ``httpx.Response`` holding the body read (``.json()``, ``.text`` work
        as usual), built through httpx's public constructor, never by setting its private
        ``_content``. Transport errors and timeouts while reading propagate, and are retried.
        """
        request = self.client.build_request(method, url, timeout=self.timeout, **kwargs)
        response = await self.client.send(request, stream=True)  # streamed: read with the cap
        try:
            if response.status_code in RETRY_STATUSES:
                return response
            body = await read_bounded(response, self.answer_cap)
        finally:
            await response.aclose()
        return with_body(response, body)

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


def size_text(size: int) -> str:
    """``20 MB``, ``512 kB`` or ``10 bytes``: a cap as a person would say it."""
    if size >= MB and size % MB == 0:
        return f"{size // MB} MB"
    if size >= 1000 and size % 1000 == 0:
        return f"{size // 1000} kB"
    return f"{size} bytes"


async def read_bounded(response: httpx.Response, cap: int) -> bytes:
    """Read a streamed ``response``'s decoded body, refusing one longer than ``cap`` bytes.

    A ``Content-Length`` above the cap is refused before any of the body is read; otherwise
    reading stops at the first chunk past the cap. The caller closes the response.
    """
    refused = SourceError(f"answer larger than {size_text(cap)}; refused")
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > cap:
        raise refused
    chunks: list[bytes] = []
    size = 0
    # An async generator under httpx's AsyncIterator annotation; closed at once when refused.
    stream = cast(AsyncGenerator[bytes, None], response.aiter_bytes())
    async with contextlib.aclosing(stream) as body:
        async for chunk in body:
            size += len(chunk)
            if size > cap:
                raise refused
            chunks.append(chunk)
    return b"".join(chunks)


#: Headers that described the body as sent (compressed, chunked), not the decoded one kept.
_WIRE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def with_body(response: httpx.Response, body: bytes) -> httpx.Response:
    """A closed response like ``response`` whose content is ``body`` (already decoded)."""
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _WIRE_HEADERS]
    return httpx.Response(
        response.status_code, headers=headers, content=body, request=response.request,
        extensions=response.extensions,
    )  # fmt: skip
