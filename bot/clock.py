"""Time as a dependency: the real clock in production, a fake one in tests (no sleeping)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware (UTC)."""
        ...

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...

    def wall_offset(self) -> dt.timedelta:
        """How far ``now()`` runs ahead of the wall clock that APScheduler's timers follow: zero
        for the system clock; a shifted clock (the drills') fires its jobs that much earlier."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def wall_offset(self) -> dt.timedelta:
        return dt.timedelta(0)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            await asyncio.sleep(seconds)


class FakeClock:
    """A clock that only moves when told to, or when someone sleeps on it."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._now = start or dt.datetime(2021, 4, 13, 12, 0, tzinfo=dt.UTC)
        self._mono = 1000.0
        self.sleeps: list[float] = []

    def now(self) -> dt.datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def wall_offset(self) -> dt.timedelta:
        """Zero: APScheduler's own timers are never relied on in tests that use this clock;
        they call the jobs themselves, at the fake time."""
        return dt.timedelta(0)

    def advance(self, seconds: float) -> None:
        self._now += dt.timedelta(seconds=seconds)
        self._mono += seconds

    def set(self, when: dt.datetime) -> None:
        delta = (when - self._now).total_seconds()
        self.advance(delta)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if seconds > 0:
            self.advance(seconds)
        await asyncio.sleep(0)


class ShiftedClock(SystemClock):
    """The system clock moved by a fixed ``offset``: a process that believes it is another time.

    Real time still passes (sleeps are real), so a drill can start ``hotpapers run`` a few
    seconds before a subscription's minute instead of waiting for the wall clock to get there;
    APScheduler's timers follow through ``wall_offset``.
    """

    def __init__(self, offset: dt.timedelta) -> None:
        self.offset = offset

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    def wall_offset(self) -> dt.timedelta:
        return self.offset
