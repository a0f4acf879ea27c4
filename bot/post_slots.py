"""How many channels of one platform post at once: ``PostingSlots``, a semaphore per platform
sized by its adapter's ``post_concurrency``, shared by every job of one
``bot.jobs.DigestScheduler``.

A channel sends one message at a time, so a platform's figure only needs to be large enough that
the platform's own limits, kept by its adapter, are what bounds a fan-out (each adapter says why
its figure is what it is). An adapter whose limits are per workspace (Slack) names its scope in
``slot_scope``: each workspace then has slots of its own.
"""

from __future__ import annotations

import asyncio

from bot.ports import Adapter


class PostingSlots:
    """One semaphore per platform, made on first use with its adapter's figure."""

    def __init__(self) -> None:
        self._posting: dict[str, asyncio.Semaphore] = {}

    def of(self, adapter: Adapter) -> asyncio.Semaphore:
        """The platform's (or workspace's) posting slots, shared by every job of this
        scheduler."""
        scope = str(getattr(adapter, "slot_scope", adapter.name))
        if scope not in self._posting:
            self._posting[scope] = asyncio.Semaphore(max(1, adapter.post_concurrency))
        return self._posting[scope]
