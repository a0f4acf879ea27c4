"""The front door of Slack's HTTP mode: ``POST /slack/events`` checked on its raw bytes first.

Nothing of a request is parsed before its signature holds: the body is read once, at most
``MAX_BODY`` bytes (a larger one is refused with 413 without reading it all), and
``X-Slack-Signature`` must be ``v0=`` and the HMAC-SHA256 of ``v0:{timestamp}:{raw body}`` under
the signing secret, compared in constant time, with an ``X-Slack-Request-Timestamp`` of ASCII
digits within five minutes of the wall clock (Slack's rule, and Bolt's, which checks again behind
this door). Only a verified request is decoded, parsed and handed to Bolt.

Whatever is refused gets a small JSON answer (401 unverifiable, 413 too large, 400 a signed body
that is not a Slack payload) and exactly one log line, without a traceback, a header value or
the body. Unsigned noise from the internet is logged at INFO; what suggests a misconfiguration
(a well-formed signature that does not match: the wrong ``SLACK_SIGNING_SECRET``, or a clock off
by minutes) or a signed body Bolt cannot read is a WARNING.

A verified request is taken once: ``ReplayGuard`` remembers its (timestamp, signature) until the
signature goes stale, and the hash of its body for ``RETRY_WINDOW``, so a replay byte for byte, or
a Slack retry (``X-Slack-Retry-Num``: a new timestamp and signature over the same body) of a
request already taken, is acknowledged with an empty 200 and not dispatched again. A request
whose dispatch failed (an exception or a 5xx) is forgotten, so Slack's retry of it does run.

The memory is per process. Behind a load balancer each instance remembers only what it saw, so
a replay or a retry routed to another instance than the first is taken again there. That is
acceptable here: ``X-Slack-Retry-Num`` belongs to the Events API, which the manifest does not
subscribe to (Slack does not retry a slash command; a late one shows the user an error), a replay
needs a captured signed request re-sent within five minutes, and what a second take can do is
bounded: a subscription change sets the same values again, and at worst an on-demand thread is
posted twice (scheduled threads are claimed in the shared delivery ledger). Deduplicating across
instances would need the (signature, body hash) claimed in the shared database, an insert that
fails on a duplicate and expires after ``RETRY_WINDOW``, like the ledger's claims.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Slack's payloads are a few KB; a message event with blocks, tens of KB
WINDOW = 5 * 60  # a signature is fresh for five minutes either side of the wall clock
RETRY_WINDOW = 10 * 60  # Slack retries at once, after a minute and after five minutes
REMEMBERED = 10_000  # per kind; the oldest go first beyond that
#: The answers: 401 is what Bolt itself says of a request it cannot verify.
ANSWERS = {401: "invalid request", 400: "malformed request", 413: "request too large"}
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # ASCII only: str.isdigit() also accepts "¹" and "١"
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")

Now = Callable[[], float]
Dispatch = Callable[[AsyncBoltRequest], Awaitable[BoltResponse]]


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused: its status, a reason for the log (never the request's own
    text), and how loud that line is."""

    status: int
    reason: str
    level: int = logging.INFO

    def answer(self, request: web.Request, size: int | None) -> web.Response:
        bytes_ = "unknown" if size is None else str(size)
        log.log(self.level, "slack: refused a request to %s from %s (%d, %s bytes): %s",
                request.path, request.remote, self.status, bytes_, self.reason)  # fmt: skip
        return web.json_response({"error": ANSWERS[self.status]}, status=self.status)


async def read_capped(request: web.Request, limit: int) -> bytes | None:
    """The body, or ``None`` past ``limit`` bytes (read no further than ``limit + 1``)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = await request.content.read(limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return None if size > limit else b"".join(chunks)


def check_signature(
    secret: bytes, headers: Mapping[str, str], body: bytes, now: float
) -> Refusal | None:
    """``None`` when Slack signed ``body``, else why not (shapes checked before arithmetic)."""
    stamp = headers.get("X-Slack-Request-Timestamp")
    signature = headers.get("X-Slack-Signature")
    if stamp is None or signature is None:
        return Refusal(401, "no signature headers")
    if not _TIMESTAMP.fullmatch(stamp):
        return Refusal(401, "a timestamp that is not a number")
    if not _SIGNATURE.fullmatch(signature):
        return Refusal(401, "a malformed signature")
    if abs(now - int(stamp)) > WINDOW:
        return Refusal(401, "a timestamp more than 5 minutes off (check this host's clock)",
                       logging.WARNING)  # fmt: skip
    expected = hmac.new(secret, b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    if not hmac.compare_digest(f"v0={expected.hexdigest()}", signature):
        return Refusal(401, "a signature that does not match (check SLACK_SIGNING_SECRET)",
                       logging.WARNING)  # fmt: skip
    return None


class Remembered:
    """Keys remembered until their own expiry time, at most ``limit`` of them (oldest first out)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._expiry: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._expiry)

    def seen(self, key: str, now: float) -> bool:
        expiry = self._expiry.get(key)
        return expiry is not None and expiry >= now

    def add(self, key: str, expiry: float, now: float) -> None:
        self._expiry.pop(key, None)
        self._expiry[key] = expiry
        while self._expiry:
            oldest, when = next(iter(self._expiry.items()))
            if when >= now and len(self._expiry) <= self.limit:
                break
            del self._expiry[oldest]

    def discard(self, key: str) -> None:
        self._expiry.pop(key, None)


class ReplayGuard:
    """Verified requests already taken: their (timestamp, signature), and their body's hash.

    Bounded: each memory holds at most ``limit`` keys. Past that many verified requests within
    the window (a flood only a holder of the signing secret can make) the oldest go first.
    """

    def __init__(self, *, limit: int = REMEMBERED, retry_window: float = RETRY_WINDOW) -> None:
        self.signatures = Remembered(limit)
        self.bodies = Remembered(limit)
        self.retry_window = retry_window

    @staticmethod
    def keys(stamp: str, signature: str, body: bytes) -> tuple[str, str]:
        return f"{stamp}:{signature}", hashlib.sha256(body).hexdigest()

    def take(self, stamp: str, signature: str, body: bytes, *, retry: bool, now: float) -> str:
        """``""`` when the request is new (and is remembered from now on), else what it repeats.

        The signature is remembered until it goes stale (the check refuses it after that); the
        body for ``retry_window``, and only a retry (``X-Slack-Retry-Num``) is matched by body:
        two different requests never share a body (a slash command has its own ``trigger_id``,
        an event its own ``event_id``), but a retry is the same body under a new signature.
        """
        by_signature, by_body = self.keys(stamp, signature, body)
        if self.signatures.seen(by_signature, now):
            return "a replay of a request already taken"
        if retry and self.bodies.seen(by_body, now):
            return "a Slack retry of a request already taken"
        self.signatures.add(by_signature, int(stamp) + WINDOW, now)
        self.bodies.add(by_body, now + self.retry_window, now)
        return ""

    def forget(self, stamp: str, signature: str, body: bytes) -> None:
        """The request failed here: let Slack's retry of it (or a resend) run."""
        by_signature, by_body = self.keys(stamp, signature, body)
        self.signatures.discard(by_signature)
        self.bodies.discard(by_body)


def bolt_request(request: web.Request, body: bytes) -> AsyncBoltRequest:
    """The verified request as Bolt's: its body must be UTF-8 and a JSON object or a form."""
    parsed = AsyncBoltRequest(
        body=body.decode("utf-8"),
        query=request.query_string,
        headers=dict(request.headers),
    )
    if not isinstance(parsed.body, dict):
        raise ValueError(f"a JSON {type(parsed.body).__name__}, not an object")
    return parsed


class FrontDoor:
    """``POST /slack/events``: size, signature and replays checked, then Bolt (``dispatch``)."""

    def __init__(self, signing_secret: str, *, now: Now = time.time, max_body: int = MAX_BODY,
                 guard: ReplayGuard | None = None) -> None:  # fmt: skip
        self._secret = signing_secret.encode()
        self.now = now
        self.max_body = max_body
        self.guard = guard or ReplayGuard()

    async def __call__(self, request: web.Request, dispatch: Dispatch) -> web.StreamResponse:
        body = await read_capped(request, self.max_body)
        if body is None:
            too_large = Refusal(413, f"body over {self.max_body} bytes")
            return too_large.answer(request, request.content_length)
        now = self.now()
        refusal = check_signature(self._secret, request.headers, body, now)
        if refusal is not None:
            return refusal.answer(request, len(body))
        stamp = request.headers["X-Slack-Request-Timestamp"]
        signature = request.headers["X-Slack-Signature"]
        retry = "X-Slack-Retry-Num" in request.headers
        repeated = self.guard.take(stamp, signature, body, retry=retry, now=now)
        if repeated:
            log.info("slack: acknowledged and ignored %s", repeated)
            return web.Response(status=200, text="")
        try:
            parsed = bolt_request(request, body)
        except Exception as exc:  # signed, yet not a Slack payload: say so once, no traceback
            reason = f"a signed body that is not a Slack payload ({describe(exc)})"
            return Refusal(400, reason, logging.WARNING).answer(request, len(body))
        try:
            response = await dispatch(parsed)
        except Exception as exc:  # Bolt raised (it answers most of its own errors)
            self.guard.forget(stamp, signature, body)
            reason = f"a signed request Bolt could not handle ({describe(exc)})"
            return Refusal(400, reason, logging.WARNING).answer(request, len(body))
        if response.status >= 500:
            self.guard.forget(stamp, signature, body)
        return await to_aiohttp_response(response)


async def bolt_error(error: Exception, request: AsyncBoltRequest) -> BoltResponse:
    """Bolt's error handler in HTTP mode (``app.error``): a verified request that Bolt (or the
    listener, which only acks) raised on is a 400 and one line, instead of Bolt's 500 and its
    traceback. Bolt chokes on signed bodies of the wrong shape, e.g. ``{"event": []}``."""
    log.warning("slack: refused a signed request Bolt could not handle (400, %d bytes): %s",
                len(request.raw_body), describe(error))  # fmt: skip
    return BoltResponse(status=400, body={"error": ANSWERS[400]})


def describe(exc: BaseException) -> str:
    """An exception in a few words: its type, and the start of its message."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:120]}" if text else type(exc).__name__
