"""The delivery ledger under contention: a lease that expires mid-thread, claims racing on one
SQLite file, a run cancelled by a shutdown, ``--force``, and the one window it cannot close."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.ledger import ClaimLost, Ledger
from bot.posting import deliver
from bot.run_outcome import RunOutcome, RunStatus
from bot.store import Store
from tests.factories import make_digest
from tests.test_scheduler import (  # noqa: F401 (fixtures)
    HEADER,
    RecordingAdapter,
    add_sub,
    clock_fixture,
    made_fixture,
    make_scheduler,
    thread,
)

MONDAY = dt.date(2021, 4, 12)
KEY = ("console", "default", "general", MONDAY, ["cs.CL"])
LEASE_AND_A_BIT = 11 * 60


class StallingAdapter(RecordingAdapter):
    """Hangs on reply ``stall_at`` until ``go`` is set (a slow platform, a frozen process)."""

    def __init__(self, stall_at: int) -> None:
        super().__init__()
        self.stall_at = stall_at
        self.stalled = asyncio.Event()
        self.go = asyncio.Event()

    async def post_entry(self, channel, thread_id, digest, entry) -> str:
        if entry.rank == self.stall_at and not self.go.is_set():
            self.stalled.set()
            await self.go.wait()
        return await super().post_entry(channel, thread_id, digest, entry)


# -- a lease that expires while its owner is still posting --------------------------------------


def test_a_stale_owner_can_neither_record_nor_finish(store: Store, clock: FakeClock) -> None:
    a, b, c = (Ledger(store, owner, clock) for owner in ("a", "b", "c"))
    mine = a.claim(*KEY)
    assert mine is not None
    a.record(mine, "header", "m1", "t1")
    clock.advance(LEASE_AND_A_BIT)  # a is frozen past its lease
    theirs = b.claim(*KEY)
    assert theirs is not None and theirs.parts == {"header": "m1"}
    with pytest.raises(ClaimLost):
        a.record(mine, "1", "m2", "t1")  # a wakes up: its message must not count
    a.finish(mine, ok=False, error="timeout")  # ... nor may its failure free b's live claim
    assert c.claim(*KEY) is None
    assert b.status(*KEY) == ("claimed", None, 1)
    b.record(theirs, "1", "m3", "t1")
    b.finish(theirs, ok=True)
    assert a.status(*KEY) == ("done", None, 2)


async def test_the_owner_that_lost_its_lease_stops_and_says_so(
    store: Store, clock: FakeClock, made
) -> None:
    sub1 = add_sub(store, clock)
    slow = StallingAdapter(stall_at=4)
    a = make_scheduler(made, store, clock, slow, owner="a")
    a.start(paused=True)
    first = asyncio.create_task(a.run_job(sub1.id))
    await slow.stalled.wait()  # header and 3 replies are out; the 4th hangs
    clock.advance(LEASE_AND_A_BIT)
    other = RecordingAdapter()
    b = make_scheduler(made, store, clock, other, owner="b")
    assert await b.run_job(sub1.id) == RunOutcome(
        RunStatus.RESUMED, "resumed Hot Papers 2021-04-12 to general: header and 10 replies"
    )
    slow.go.set()  # a's 4th reply finally goes out, then a notices it lost the claim
    assert await first == RunOutcome(
        RunStatus.HELD_ELSEWHERE, "another instance took over Hot Papers 2021-04-12 to general"
    )
    assert a.last_error is None
    assert slow.sent == [HEADER, *thread("general", "thread-m1", range(1, 5))]
    assert other.sent == thread("general", "thread-m1", range(4, 11))  # only reply 4 twice
    assert a.ledger.status(*KEY) == ("done", None, 11)


# -- a run cut short by a shutdown ----------------------------------------------------------------


async def test_a_thread_apscheduler_is_posting_gets_the_drain(
    store: Store, clock: FakeClock, made
) -> None:
    """SIGTERM: ``shutdown()`` stops the firing, then ``drain()`` gives runs in flight their
    seconds. APScheduler's own executor cancels its job tasks on shutdown, which must not cut
    the thread before the drain."""
    sub1 = add_sub(store, clock)
    slow = StallingAdapter(stall_at=4)
    scheduler = make_scheduler(made, store, clock, slow)
    scheduler.start()  # a running APScheduler, firing on the wall clock
    scheduler.set_leader(True)
    scheduler.scheduler.modify_job(sub1.job_id, next_run_time=dt.datetime.now(dt.UTC))  # due now
    async with asyncio.timeout(10):
        await slow.stalled.wait()  # APScheduler's job posted the header and 3 replies
    scheduler.shutdown()
    slow.go.set()  # the platform answers again during the drain
    await scheduler.drain(10)
    assert slow.sent == [HEADER, *thread("general", "thread-m1", range(1, 11))]
    assert scheduler.ledger.status(*KEY) == ("done", None, 11)
    assert scheduler.last_status is RunStatus.POSTED
    assert scheduler.last_result == "posted Hot Papers 2021-04-12 to general: header and 10 replies"


async def test_a_run_cancelled_by_shutdown_is_resumed_at_once_by_a_new_process(
    store: Store, clock: FakeClock, made
) -> None:
    """SIGTERM's drain cancels a thread mid-way; the restarted process (a new pid, so a new owner)
    must not wait for the lease to run out: near the end of the grace it would never resume."""
    sub1 = add_sub(store, clock)
    slow = StallingAdapter(stall_at=4)
    old = make_scheduler(made, store, clock, slow, owner="host:100")
    run = asyncio.create_task(old.run_job(sub1.id))
    await slow.stalled.wait()
    old.shutdown()
    await old.drain(0)
    assert run.cancelled()
    state = old.ledger.status(*KEY)
    assert state is not None and state[0] == "failed" and state[2] == 4
    clock.advance(20)
    fresh = RecordingAdapter()
    new = make_scheduler(made, store, clock, fresh, owner="host:200")
    assert await new.run_job(sub1.id) == RunOutcome(
        RunStatus.RESUMED, "resumed Hot Papers 2021-04-12 to general: header and 10 replies"
    )
    assert fresh.sent == thread("general", "thread-m1", range(4, 11))


# -- claims racing on one SQLite file -------------------------------------------------------------


async def test_racing_claims_on_one_sqlite_file_give_one_owner(tmp_path: Path) -> None:
    """Four processes' ledgers on one SQLite file, first for a new delivery, then for taking over
    a failed one, many rounds; the clock does not move, so no timestamp tells the claims apart."""
    url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
    clock = FakeClock()
    stores = [Store(url) for _ in range(4)]
    try:
        ledgers = [Ledger(store, f"instance-{i}", clock) for i, store in enumerate(stores)]
        for round_ in range(12):
            key = ("slack", "T1", "C1", MONDAY + dt.timedelta(days=round_), ["cs.CL"])
            for attempt in ("new", "take over"):
                claims = await asyncio.gather(
                    *(asyncio.to_thread(ledger.claim, *key) for ledger in ledgers)
                )
                owners = [i for i, claim in enumerate(claims) if claim is not None]
                assert len(owners) == 1, (round_, attempt, owners)
                winner = claims[owners[0]]
                assert winner is not None
                ledgers[owners[0]].finish(winner, ok=False, error="failed, free to take over")
    finally:
        for store in stores:
            store.close()


# -- --force, and the window the ledger cannot close -----------------------------------------------


async def test_force_posts_a_new_whole_thread(store: Store, clock: FakeClock) -> None:
    ledger = Ledger(store, "cli", clock)
    digest = make_digest(n=3, date=MONDAY, categories=("cs.CL",))
    adapter = RecordingAdapter()
    assert (await deliver(adapter, ledger, "default", "general", digest)).ok
    again = await deliver(adapter, ledger, "default", "general", digest)
    assert again.skipped and "use --force" in again.message
    forced = await deliver(adapter, ledger, "default", "general", digest, force=True)
    assert forced.message == "posted Hot Papers 2021-04-12 to general: header and 3 replies"
    header = ("header", "general", None, MONDAY)
    assert adapter.sent == [header, *thread("general", "thread-m1", range(1, 4)),
                            header, *thread("general", "thread-m5", range(1, 4))]  # fmt: skip
    assert ledger.status("console", "default", "general", MONDAY, ["cs.CL"]) == ("done", None, 4)


class DiesBeforeTheLedgerHearsOfIt(RecordingAdapter):
    """The platform accepts the header; the process dies before its id reaches the database."""

    async def post_header(self, channel, digest):
        await super().post_header(channel, digest)
        raise KeyboardInterrupt  # kill -9 between the API's answer and the ledger's write


async def test_a_header_posted_but_not_recorded_is_posted_again(
    store: Store, clock: FakeClock
) -> None:
    """The window left where the platform cannot be read back (``RecordingAdapter`` is no
    ``ThreadReader``, like the console): a message the platform accepted but the ledger never
    recorded is posted again on resume; for the header, one orphan header above the thread.
    Slack and Discord close it by reconciliation (``tests/test_reconcile*.py``)."""
    ledger = Ledger(store, "host:1", clock)
    digest = make_digest(n=2, date=MONDAY, categories=("cs.CL",))
    dying = DiesBeforeTheLedgerHearsOfIt()
    with pytest.raises(KeyboardInterrupt):
        await deliver(dying, ledger, "default", "general", digest)
    assert dying.sent == [("header", "general", None, MONDAY)]
    fresh = RecordingAdapter()
    resumed = await deliver(fresh, Ledger(store, "host:1", clock), "default", "general", digest)
    assert resumed.message == "posted Hot Papers 2021-04-12 to general: header and 2 replies"
    assert fresh.sent == [("header", "general", None, MONDAY),
                          *thread("general", "thread-m1", range(1, 3))]  # fmt: skip
