"""Loopback fakes served from a thread of their own, for tests of synchronous entry points.

The CLI runs its own event loop (``asyncio.run``), so a fake it talks to cannot live on the
test's loop: here it gets a loop in a background thread, and is closed with it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


@contextmanager
def served(start: Callable[[], Awaitable[T]]) -> Iterator[T]:
    """``start()`` (e.g. ``FakeSlack().start``) run on a background loop; the fake it returns."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def call(make: Callable[[], Awaitable[Any]]) -> Any:
        async def wrapped() -> Any:
            return await make()

        return asyncio.run_coroutine_threadsafe(wrapped(), loop).result(timeout=10)

    fake = call(start)
    try:
        yield fake
    finally:
        call(fake.close)  # type: ignore[attr-defined]
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
