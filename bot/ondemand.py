"""On-demand digests for chat commands: one build per query in flight, a few builds at once.

Fifty people asking ``/hotpapers`` for the same day at once cost one build instead of fifty (each
is store work on the event loop the platform connections need too); of distinct queries at most
``limit`` are built at once, the others wait for a turn. Used by the Slack and Discord commands.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from bot.commands import Query
from bot.models import Digest

#: On-demand builds running at once; the rest of a burst waits, already acknowledged.
BUILD_CONCURRENCY = 4


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
    async def digest_for(self, query: Query) -> Digest: ...


class SharedDigests:
    """The commands' digests: identical queries in flight share one build, ``limit`` at once."""

    def __init__(self, service: DigestProvider, limit: int = BUILD_CONCURRENCY) -> None:
        self._service = service
        self._turns = asyncio.Semaphore(limit)
        self._building: dict[Query, asyncio.Task[Digest]] = {}

    def start(self, query: Query) -> asyncio.Task[Digest]:
        """The build of ``query`` in flight, or a new one; await it with ``asyncio.shield``, so
        one asker going away does not cancel the build the others wait for."""
        build = self._building.get(query)
        if build is None:
            build = asyncio.create_task(self._build(query), name=f"digest {query}")
            self._building[query] = build
            build.add_done_callback(lambda done: self._finished(query, done))
        return build

    async def get(self, query: Query) -> Digest:
        """The digest of ``query``, built once for every concurrent asker."""
        return await asyncio.shield(self.start(query))

    async def _build(self, query: Query) -> Digest:
        async with self._turns:
            return await self._service.digest_for(query)

    def _finished(self, query: Query, build: asyncio.Task[Digest]) -> None:
        if self._building.get(query) is build:
            del self._building[query]
        if not build.cancelled():
            build.exception()  # retrieved: every asker got it, or nobody was left to care
