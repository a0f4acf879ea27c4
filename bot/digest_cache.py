"""``DigestCache``: built digests kept by key for a few minutes, so channels that fire together
share one build (concurrent callers of one key await the same build; failures are not cached)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from bot.clock import Clock
from bot.models import Digest

DIGEST_TTL = 600.0


class DigestCache:
    """Digests by key for ``ttl`` seconds; concurrent callers of one key share one build."""

    def __init__(self, clock: Clock, ttl: float = DIGEST_TTL) -> None:
        self.clock = clock
        self.ttl = ttl
        self._entries: dict[Any, tuple[float, asyncio.Future[Digest]]] = {}
        self.builds = 0

    async def get(self, key: Any, build: Callable[[], Awaitable[Digest]]) -> Digest:
        now = self.clock.monotonic()
        for old in [k for k, (expires, _) in self._entries.items() if expires <= now]:
            del self._entries[old]
        if key not in self._entries:
            self.builds += 1
            started: asyncio.Future[Digest] = asyncio.ensure_future(build())
            started.add_done_callback(lambda f: f.cancelled() or f.exception())
            self._entries[key] = (now + self.ttl, started)
        future = self._entries[key][1]
        try:
            return await asyncio.shield(future)
        except Exception:
            if self._entries.get(key, (0, None))[1] is future:
                del self._entries[key]  # failures are not cached
            raise
