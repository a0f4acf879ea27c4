"""Two instances on one PostgreSQL: one leader, takeover when its connection dies, one post.

Needs PostgreSQL (``tests/postgres.py``: ``HOTPAPERS_TEST_POSTGRES_URL``, else a database the
session creates on the local server); skipped with the reason when unreachable outside CI.
Each test works in its own schema and advisory-lock key, so reruns and a live deployment on the
same server are untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import secrets
from collections.abc import AsyncIterator, Iterator, Sequence
from urllib.parse import unquote

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.clock import FakeClock
from bot.jobs import DigestScheduler
from bot.leader import INTERVAL, AlwaysLeader, Leader, LeadershipLoop, PostgresLeader, lock_key
from bot.ledger import Ledger
from bot.run_outcome import RunOutcome, RunStatus
from bot.store import Store
from bot.subscriptions import Subscription, SubscriptionStore
from tests.postgres import schema_url
from tests.test_scheduler import MONDAY_0900, Adapters, FakeService, RecordingAdapter

pytestmark = pytest.mark.postgres


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_0900.astimezone(dt.UTC) + dt.timedelta(seconds=30))


@pytest.fixture
async def leaders(url: str, clock: FakeClock) -> AsyncIterator[tuple[PostgresLeader, ...]]:
    key = secrets.randbits(62)
    made = (PostgresLeader(url, clock, key=key), PostgresLeader(url, clock, key=key))
    yield made
    for leader in made:
        await leader.release()


@contextlib.contextmanager
def instances(
    url: str, clock: FakeClock, leaders: Sequence[Leader], adapters: Sequence[RecordingAdapter],
    name: str,
) -> Iterator[tuple[Subscription, list[DigestScheduler]]]:  # fmt: skip
    """Instances side by side on one database (one scheduler each), one Berlin 09:00 channel."""
    stores = [Store(url) for _ in leaders]
    sub = SubscriptionStore(stores[0], clock).upsert(
        "console", "default", "general", categories=("cs.CL",), time=dt.time(9), tz="Europe/Berlin",
        top=10,
    )[0]  # fmt: skip
    schedulers = [
        DigestScheduler(
            subscriptions=SubscriptionStore(store, clock),
            service=FakeService(),
            adapters=Adapters(adapter),
            ledger=Ledger(store, f"host-{i}", clock),
            leader=leader,
            clock=clock,
        )  # fmt: skip
        for i, (store, leader, adapter) in enumerate(zip(stores, leaders, adapters, strict=True))
    ]
    try:
        yield sub, schedulers
    finally:
        for s in schedulers:
            s.shutdown()
        for store in stores:
            store.close()


def terminate(admin: Engine, pid: int | None) -> None:
    """Kill a backend as a crash or network cut would, and wait until it is gone."""
    assert pid is not None
    with admin.begin() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar()


async def test_one_leader_and_takeover_when_its_connection_dies(
    admin: Engine, leaders: tuple[PostgresLeader, PostgresLeader]
) -> None:
    a, b = leaders
    assert await a.check() is True
    assert await b.check() is False
    assert (await a.check(force=True), await b.check(force=True)) == (True, False)
    terminate(admin, a.backend_pid)
    assert await b.check(force=True) is True  # the follower's next round
    assert await a.check(force=True) is False  # the old leader notices its loss
    assert a.last_error is not None and "terminat" in a.last_error
    assert await a.check(force=True) is False  # reconnected, but b holds the lock
    await b.release()
    assert await a.check(force=True) is True
    assert INTERVAL <= 30  # a follower retries often enough to take over within a minute


async def test_the_lock_belongs_to_the_deployment_s_schema(
    admin: Engine, url: str, clock: FakeClock
) -> None:
    other = f"hp_test_{secrets.token_hex(6)}"
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {other}"))
    elsewhere = schema_url(admin, other)
    made = [
        PostgresLeader(url, clock),
        PostgresLeader(url, clock),
        PostgresLeader(elsewhere, clock),
    ]
    try:
        # one leader per deployment: the second instance of the first waits, the other leads
        assert [await leader.check() for leader in made] == [True, False, True]
        assert made[0].key == made[1].key == lock_key(unquote(url).split("search_path=")[1])
        assert made[2].key == lock_key(other) != made[0].key
    finally:
        for leader in made:
            await leader.release()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {other} CASCADE"))


async def test_only_the_leader_schedules_and_the_other_takes_over(
    admin: Engine, url: str, clock: FakeClock, leaders: tuple[PostgresLeader, PostgresLeader]
) -> None:
    adapters = [RecordingAdapter(), RecordingAdapter()]
    with instances(url, clock, leaders, adapters, "pg") as (sub, schedulers):
        loops = [LeadershipLoop(leader, s) for leader, s in zip(leaders, schedulers, strict=True)]
        for s in schedulers:
            s.start(paused=True)
        assert [await loop.tick() for loop in loops] == [True, False]
        assert [len(s.scheduler.get_jobs()) for s in schedulers] == [1, 0]
        terminate(admin, leaders[0].backend_pid)
        assert [await loops[1].tick(), await loops[0].tick()] == [True, False]
        assert [len(s.scheduler.get_jobs()) for s in schedulers] == [0, 1]
        # a job that still fires on the old leader posts nothing
        assert await schedulers[0].run_job(sub.id) == RunOutcome(
            RunStatus.NOT_LEADER, "console:default:general: not the leader, nothing posted"
        )


async def test_concurrent_claims_of_one_delivery_give_exactly_one(
    url: str, clock: FakeClock
) -> None:
    stores = [Store(url) for _ in range(4)]
    try:
        ledgers = [Ledger(store, f"instance-{i}", clock) for i, store in enumerate(stores)]
        claims = await asyncio.gather(*(
            asyncio.to_thread(ledger.claim, "slack", "T1", "C1", dt.date(2021, 4, 12), ["cs.CL"])
            for ledger in ledgers
        ))  # fmt: skip
        assert sum(claim is not None for claim in claims) == 1
    finally:
        for store in stores:
            store.close()


async def test_two_instances_that_both_think_they_lead_post_once(
    url: str, clock: FakeClock
) -> None:
    adapters = [RecordingAdapter(), RecordingAdapter()]
    with instances(url, clock, [AlwaysLeader()] * 2, adapters, "split") as (sub, schedulers):
        await asyncio.gather(*(s.run_job(sub.id) for s in schedulers))
    sent = adapters[0].sent + adapters[1].sent
    assert [kind for kind, *_ in sent] == ["header"] + ["reply"] * 10


async def test_the_leader_losing_its_connection_mid_thread_still_posts_one_thread(
    admin: Engine, url: str, clock: FakeClock, leaders: tuple[PostgresLeader, PostgresLeader]
) -> None:
    """The leader's lock connection is killed while it posts; the follower takes over and its
    catch-up of the same run finds the thread claimed; the old leader finishes it; the follower's
    retry finds it done. One thread, no reply twice."""
    from tests.test_ledger_claims import StallingAdapter

    slow, other = StallingAdapter(stall_at=4), RecordingAdapter()
    with instances(url, clock, leaders, (slow, other), "pg-mid") as (sub, schedulers):
        loops = [LeadershipLoop(leader, s) for leader, s in zip(leaders, schedulers, strict=True)]
        for s in schedulers:
            s.start(paused=True)
        assert [await loop.tick() for loop in loops] == [True, False]
        first = asyncio.create_task(schedulers[0].run_job(sub.id))  # the leader's 09:00 run
        await slow.stalled.wait()
        terminate(admin, leaders[0].backend_pid)  # the leader is not told
        assert await loops[1].tick() is True
        assert schedulers[1].scheduler.get_job(sub.job_id).next_run_time == MONDAY_0900
        assert await schedulers[1].run_job(
            sub.id
        ) == RunOutcome(  # the catch-up, fired by APScheduler
            RunStatus.HELD_ELSEWHERE,
            "console:default:general: another instance holds the delivery of 2021-04-12",
        )
        retry = schedulers[1].scheduler.get_job("retry:1")
        assert retry is not None
        slow.go.set()
        assert await first == RunOutcome(
            RunStatus.POSTED, "posted Hot Papers 2021-04-12 to general: header and 10 replies"
        )
        assert await loops[0].tick() is False  # the old leader notices, and drops its jobs
        assert schedulers[0].scheduler.get_jobs() == []
        clock.set(retry.next_run_time)
        schedulers[1].scheduler.remove_job("retry:1")  # as APScheduler does when it fires
        await retry.func(*retry.args)  # the job APScheduler runs
        assert schedulers[1].last_status is RunStatus.ALREADY
        assert schedulers[1].scheduler.get_job("retry:1") is None
        assert [kind for kind, *_ in slow.sent] == ["header"] + ["reply"] * 10
        assert other.sent == []
