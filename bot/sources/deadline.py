"""Each source's total time for one digest: connect, every read, retries and Retry-After waits.

Two clocks keep one deadline. Waits the code chooses (a retry's backoff, a Retry-After, the rate
limiter's spacing) sleep on the injected ``Clock``, so they are checked against the budget left on
that clock *before* sleeping: a wait that would outlast the deadline ends the source at once (a
Retry-After says "rate-limited until HH:MM UTC"). I/O cannot be checked that way (an answer
trickling one byte every 2 s never trips a per-read timeout), so the whole collection also runs
under ``asyncio.timeout`` on real time, which cuts a trickling answer at the deadline.

The deadline reaches ``Http`` and ``RateLimiter`` through a context variable set around one
source's collection (``bot.sources.budget.bounded``): no source needs to pass it along, and code
outside a digest (``hotpapers check``, the summaries) has none. These helpers return the refusal's
text; the caller raises it as a ``SourceError``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from bot.clock import Clock


@dataclass(frozen=True)
class Deadline:
    """``seconds`` of budget ending at ``ends`` on ``clock.monotonic()``."""

    clock: Clock
    seconds: float
    ends: float

    def remaining(self) -> float:
        return self.ends - self.clock.monotonic()


#: The furthest "until" said: a hint further off (``Retry-After: inf``) is a week away.
LONGEST_HINT = 7 * 86400.0

_CURRENT: ContextVar[Deadline | None] = ContextVar("source_deadline", default=None)


def current() -> Deadline | None:
    """The deadline of the source collection this code runs in, if any."""
    return _CURRENT.get()


def until_text(clock: Clock, seconds: float) -> str:
    """``14:05 UTC``: the time ``seconds`` from now on ``clock``, to the minute (rounded up, so
    it is never before the service's time); a day or more away, with its date."""
    now = clock.now().astimezone(dt.UTC)
    when = now + dt.timedelta(seconds=min(seconds, LONGEST_HINT))  # never an overflow
    if when.second or when.microsecond:
        when = when.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    if when - now >= dt.timedelta(days=1):
        return f"{when:%Y-%m-%d %H:%M} UTC"
    return f"{when:%H:%M} UTC"


@contextmanager
def running(deadline: Deadline) -> Iterator[Deadline]:
    """Make ``deadline`` the current one for the code run inside (this task and its children)."""
    token = _CURRENT.set(deadline)
    try:
        yield deadline
    finally:
        _CURRENT.reset(token)


def rate_limit_refusal(clock: Clock, seconds: float) -> str | None:
    """The refusal "rate-limited until HH:MM UTC" when a wait the service asked for (its
    Retry-After, or the limiter's turn) would end after the current deadline; ``None`` when it
    fits or no deadline runs."""
    deadline = current()
    if deadline is not None and seconds > deadline.remaining():
        return f"rate-limited until {until_text(clock, seconds)}"
    return None


def backoff_refusal(seconds: float, last: str, attempts: int) -> str | None:
    """The last failure, said as final, when a retry's backoff would end after the deadline."""
    deadline = current()
    if deadline is not None and seconds > deadline.remaining():
        plural = "s" if attempts > 1 else ""
        return (
            f"{last} after {attempts} attempt{plural}; no time left for another within its "
            f"{deadline.seconds:g} s deadline"
        )
    return None
