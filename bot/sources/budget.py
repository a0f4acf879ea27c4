"""One source's collection run within its deadline (``bot.sources.deadline``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from bot.clock import Clock
from bot.sources.deadline import Deadline, running
from bot.sources.http import SourceError

T = TypeVar("T")


async def bounded(clock: Clock, seconds: float, work: Awaitable[T]) -> T:
    """``await work`` within ``seconds``: on ``clock`` for the waits ``Http`` and ``RateLimiter``
    choose, on real time (``asyncio.timeout``) for I/O, so a trickling answer is cut too.

    Past the deadline the work is cancelled and ``SourceError`` raised: a source's answer is used
    whole or not at all, so what it had read so far is dropped with it.
    """
    timeout = asyncio.timeout(seconds)
    try:
        with running(Deadline(clock, seconds, clock.monotonic() + seconds)):
            async with timeout:
                return await work
    except TimeoutError:
        if not timeout.expired():
            raise
        raise SourceError(f"no complete answer within its {seconds:g} s deadline") from None
