"""On-demand digests for chat commands: one build per query (in flight or just answered), a few
builds at once.

Fifty people asking ``/hotpapers`` for the same day at once cost one build instead of fifty (each
is store work on the event loop the platform connections need too); of distinct queries at most
``limit`` are built at once, the others wait for a turn. Used by the Slack and Discord commands.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol, cast

from bot.clock import Clock
from bot.commands import Query, WeekQuery
from bot.digest_cache import DigestCache
from bot.models import Digest
from bot.voice import Voice

#: On-demand builds running at once; the rest of a burst waits, already acknowledged.
BUILD_CONCURRENCY = 4
#: Seconds an answered query's digest is reused for the same question (a burst, a repeat).
ON_DEMAND_TTL = 60.0


async def drain_tasks(tasks: set[asyncio.Task[Any]], seconds: float) -> None:
    """Let ``tasks`` (answers in flight: a thread half posted) finish for ``seconds``, then cancel
    the rest; part of a clean shutdown, once no new command can arrive."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while tasks and (left := deadline - loop.time()) > 0:
        await asyncio.wait(set(tasks), timeout=left)
    late = {task for task in tasks if not task.done()}
    for task in late:
        task.cancel()
    await asyncio.gather(*late, return_exceptions=True)


class DigestProvider(Protocol):
    async def digest_for(self, query: Query | WeekQuery) -> Digest: ...


class VoicedProvider(Protocol):
    """A provider that builds for one channel's reactions (``bot.service.DigestService``)."""

    async def digest_for(self, query: Query | WeekQuery, *, voice: Voice) -> Digest: ...


class SharedDigests:
    """The commands' digests, through a short-lived ``DigestCache``: identical queries in flight
    (or answered in the last ``ttl`` seconds) share one build; ``limit`` builds run at once."""

    def __init__(
        self, service: DigestProvider, clock: Clock, *, limit: int = BUILD_CONCURRENCY,
        ttl: float = ON_DEMAND_TTL,
    ) -> None:  # fmt: skip
        self._service = service
        self._turns = asyncio.Semaphore(limit)
        self._cache = DigestCache(clock, ttl)

    def start(self, query: Query | WeekQuery, voice: Voice | None = None) -> asyncio.Task[Digest]:
        """The digest of ``query`` under way (joined when already building), as a task."""
        return asyncio.ensure_future(self.get(query, voice))

    async def get(self, query: Query | WeekQuery, voice: Voice | None = None) -> Digest:
        """The digest of ``query`` (for a channel's ``voice``: its own build); one asker going
        away does not cancel the others' build."""
        key = query if voice is None else (query, voice)
        return await self._cache.get(key, lambda: self._build(query, voice))

    async def _build(self, query: Query | WeekQuery, voice: Voice | None) -> Digest:
        async with self._turns:
            if voice is None:
                return await self._service.digest_for(query)
            voiced = cast(VoicedProvider, self._service)
            return await voiced.digest_for(query, voice=voice)
