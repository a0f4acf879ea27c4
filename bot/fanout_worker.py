"""Every instance's share of a fan-out: take due runs from the queue and post them.

``FanoutWorker.run`` loops for the process's life: it renews the instance's heartbeat (and tells
``on_instances`` how many instances are live, so a budget shared by all of them, Discord's
global limit, Slack's per workspace, is divided), takes as many queued runs as it has room for
(``bot.fanout_queue.FanoutQueue.take``, SKIP LOCKED), and runs each in a task of its own
through ``DigestScheduler.run_queued``: the same build, posting slots, ledger and retries as a
run of the leader's own. When a run ends without going back to the queue, its row is done.

The leader's scheduler wakes the local worker when it queues (``wake``); the others find the
runs at their next poll (``POLL`` seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

from bot.clock import Clock
from bot.fanout_queue import FanoutQueue, Item
from bot.jobs import DigestScheduler

log = logging.getLogger(__name__)

#: Runs one instance has in flight at most. A run holds a channel; a channel posts about one
#: message a second, and one process posts a few hundred messages a second at most, so a few
#: hundred channels keep it busy. Fewer than the day's channels, so the other instances get theirs.
CAPACITY = 300
#: Runs taken in one look at the queue: instances that look at once share the queue's head.
TAKE = 50
#: Seconds between two looks at the queue when nothing woke the worker.
POLL = 1.0
#: Seconds between two heartbeats (well inside ``bot.fanout_queue.ALIVE``).
BEAT = 10.0


class FanoutWorker:
    def __init__(
        self, scheduler: DigestScheduler, queue: FanoutQueue, clock: Clock, *,
        capacity: int = CAPACITY, poll: float = POLL, beat: float = BEAT,
        platforms: Sequence[str] | None = None,
        on_instances: Callable[[int], None] | None = None,
    ) -> None:  # fmt: skip
        self.scheduler = scheduler
        self.queue = queue
        self.clock = clock
        self.capacity = capacity
        self.poll = poll
        self.beat = beat
        self.platforms = tuple(platforms) if platforms is not None else None
        self.on_instances = on_instances
        self.instances = 1
        self.taken = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._last_beat: float | None = None

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Forever (until cancelled); a database error is logged and the next poll tries again."""
        while True:
            self._wake.clear()
            try:
                await self.step()
            except Exception as exc:
                log.warning("fan-out worker: %s: %s", type(exc).__name__, exc)
            with contextlib.suppress(TimeoutError):  # real time: other instances' rows
                await asyncio.wait_for(self._wake.wait(), self.poll)

    async def step(self) -> int:
        """Beat when due, take what there is room for, start it; the number of runs taken."""
        store = self.queue.store
        now = self.clock.monotonic()
        if self._last_beat is None or now - self._last_beat >= self.beat:
            self._last_beat = now
            instances = await store.run(self.queue.beat)
            if instances != self.instances or self.taken == 0:
                self.instances = instances
                if self.on_instances is not None:
                    self.on_instances(instances)
        room = min(TAKE, self.capacity - len(self._tasks))
        items = await store.run(self.queue.take, room, self.platforms)
        for item in items:
            task = asyncio.create_task(self._run(item), name=f"fan-out {item.id}")
            self._tasks.add(task)
            task.add_done_callback(self._ended)
        self.taken += len(items)
        return len(items)

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._wake.set()  # room for another run: look again now

    async def _run(self, item: Item) -> None:
        try:
            await self.scheduler.run_queued(item)
        finally:
            if not item.requeued:
                await self.queue.store.run(self.queue.done, item)

    async def until_idle(self) -> None:
        """Take and post until the queue holds nothing this instance could take (tests, drills)."""
        while True:
            await self.step()
            if self._tasks:
                await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
            elif not await self.queue.store.run(self.queue.pending):
                return
            else:
                await self.clock.sleep(self.poll)

    async def stop(self, timeout: float) -> None:
        """Let runs in flight finish for ``timeout`` seconds, then cancel them (their rows go
        back to the queue once ``LEASE`` passes; the ledger resumes their threads)."""
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        try:
            await self.queue.store.run(self.queue.leave)
        except Exception as exc:
            log.warning("fan-out worker: could not leave: %s", type(exc).__name__)
