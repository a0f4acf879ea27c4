"""Group commit: many small ledger writes, of many channels at once, in one transaction.

A fan-out records every message before the next message of its thread is sent. Each write on its
own is a transaction (and on SQLite an fsync), and one database thread doing them one by one is
what bounded a fan-out. ``WriteBatch.submit`` queues a write (a function of a session) and
returns once it is *committed*; the store's thread commits everything queued meanwhile in one
transaction. A caller still waits for its own write before it posts again, so the ledger's crash
semantics hold: a message is recorded before the next one of its thread is posted.

If the batch's transaction fails (one write breaking a constraint, the database refusing), each
write of it is tried again in a transaction of its own, so one write's error is its caller's only.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from bot.store import Store

log = logging.getLogger(__name__)

T = TypeVar("T")
Write = Callable[[Session], Any]
#: Writes committed together at most.
MAX_BATCH = 500


class WriteBatch:
    """Writes queued from the event loop, committed in batches on the store's thread."""

    def __init__(self, store: Store, max_batch: int = MAX_BATCH) -> None:
        self.store = store
        self.max_batch = max_batch
        self._pending: list[tuple[Write, asyncio.Future[Any]]] = []
        self._lock = threading.Lock()
        self._draining = False
        self.batches = 0  # transactions committed (for tests and the profile)

    async def submit(self, write: Callable[[Session], T]) -> T:
        """Run ``write(session)`` in the next batch; its result once the batch is committed."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        with self._lock:
            self._pending.append((write, future))
            start, self._draining = not self._draining, True
        if start:
            self.store.spawn(self._drain)
        return await asyncio.shield(future)

    def _drain(self) -> None:
        """Batch after batch until nothing is queued: a record holds up its thread's next
        message, so records go before other work waiting for the store's thread (a claim, a
        read), which only starts new threads."""
        while True:
            with self._lock:
                batch = self._pending[: self.max_batch]
                del self._pending[: self.max_batch]
                if not batch:
                    self._draining = False
                    return
            self._commit(batch)

    def _commit(self, batch: list[tuple[Write, asyncio.Future[Any]]]) -> None:
        try:
            with self.store.session() as s:
                results = [write(s) for write, _ in batch]
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0][1], error=exc)
                return
            log.debug("a batch of %d writes failed (%s); each alone", len(batch), exc)
            for item in batch:
                self._commit([item])
            return
        self.batches += 1
        for (_, future), result in zip(batch, results, strict=True):
            _settle(future, result=result)


def _settle(future: asyncio.Future[Any], *, result: Any = None,
            error: BaseException | None = None) -> None:  # fmt: skip
    """Hand a result (or an error) to the waiting coroutine, from the store's thread."""

    def settle() -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    future.get_loop().call_soon_threadsafe(settle)
