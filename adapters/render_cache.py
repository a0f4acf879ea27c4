"""Messages rendered once per digest and reused for every channel the digest goes to.

A fan-out posts one digest to thousands of channels; its header and paper messages are the same
in each, so each adapter keeps what it rendered (a Slack payload and what ``validate_message``
found, a Discord embed) keyed by the digest's identity and the message's part. The digest
object itself is held beside its messages, so an id is never taken for another digest's.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from bot.models import Digest

T = TypeVar("T")

#: Messages kept: a 10-paper thread is 11, so a few dozen digests posting at once all hit.
SIZE = 512


class PerDigest(Generic[T]):
    """A small LRU of rendered messages keyed by (digest identity, part)."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._items: OrderedDict[tuple[int, str], tuple[Digest, T]] = OrderedDict()
        self.renders = 0

    def get(self, digest: Digest, part: str, render: Callable[[], T]) -> T:
        """The message ``part`` of ``digest``, rendered by ``render`` the first time only."""
        key = (id(digest), part)
        hit = self._items.get(key)
        if hit is not None and hit[0] is digest:
            self._items.move_to_end(key)
            return hit[1]
        value = render()
        self.renders += 1
        self._items[key] = (digest, value)
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return value
