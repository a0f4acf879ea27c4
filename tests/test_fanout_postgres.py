"""Three instances on one PostgreSQL share a day's fan-out: the leader queues the due runs,
every instance's worker takes runs with ``SELECT ... FOR UPDATE SKIP LOCKED`` and posts them
through its own ledger, Slack adapters and posting slots, to the loopback fake Slack.

Each channel's thread is posted exactly once, every queued run ends ``done``, and the work is
spread over the instances. Needs PostgreSQL (``tests/postgres.py``): skipped with the reason when
unreachable, a failure in CI. The same queue on SQLite (one instance) is tested below it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from adapters.slack_pool import SlackAdapters
from bot.clock import FakeClock
from bot.config import Settings
from bot.fanout_queue import FanoutQueue
from bot.fanout_worker import FanoutWorker
from bot.jobs import DigestScheduler
from bot.leader import AlwaysLeader
from bot.ledger import Ledger
from bot.models import Digest
from bot.run_outcome import RunStatus
from bot.store import Store
from bot.subscriptions import SubscriptionStore
from bot.tables import FanoutRow
from tests.factories import make_digest
from tests.fake_slack import FakeSlack, fake_slack_fixture  # noqa: F401 (the fixture)

MONDAY_0900 = dt.datetime(2021, 4, 12, 7, 0, 30, tzinfo=dt.UTC)  # 09:00 Berlin, 30 s after
CHANNELS = [f"C{n:05d}" for n in range(45)]
TOP = 2


class Service:
    def __init__(self) -> None:
        self.builds = 0

    async def build(
        self, date: dt.date, categories: Any, top: int, filters: Any = None, **options: Any
    ) -> Digest:
        self.builds += 1
        return make_digest(n=top, date=date, categories=tuple(categories))


class NotLeader:
    async def check(self, *, force: bool = False) -> bool:
        return False


def workspace(channel: str) -> str:
    return f"T{int(channel[1:]) % 3}"


async def fan_out(url: str, fake: FakeSlack, instances: int) -> list[FanoutWorker]:
    clock = FakeClock(MONDAY_0900)
    stores = [Store(url) for _ in range(instances)]
    subs = SubscriptionStore(stores[0], clock)
    ids = [subs.upsert("slack", workspace(c), c, categories=("cs.CL",), time=dt.time(9, 0),
                       tz="Europe/Berlin", top=TOP)[0].id for c in CHANNELS]  # fmt: skip
    settings = Settings(_env_file=None, slack_api_url=fake.api_url)
    pools = [SlackAdapters(settings, clock, token_of=lambda ws: "xoxb-" + ws) for _ in stores]
    schedulers, workers = [], []
    for i, (store, pool) in enumerate(zip(stores, pools, strict=True)):
        queue = FanoutQueue(store, f"host-{i}", clock)
        scheduler = DigestScheduler(
            subscriptions=SubscriptionStore(store, clock), service=Service(), adapters=pool,
            ledger=Ledger(store, f"host-{i}", clock), clock=clock, queue=queue,
            leader=AlwaysLeader() if i == 0 else NotLeader(),
        )  # fmt: skip
        schedulers.append(scheduler)
        workers.append(FanoutWorker(scheduler, queue, clock, capacity=5))
    try:
        # The leader alone decides *when*: its jobs queue the due runs, nothing is posted yet.
        outcomes = await asyncio.gather(*(schedulers[0].run_job(i) for i in ids))
        assert {o.status for o in outcomes} == {RunStatus.QUEUED}
        assert fake.calls_to("chat.postMessage") == []
        again = await schedulers[0].run_job(ids[0])  # a second firing queues nothing new
        assert again.status is RunStatus.QUEUED
        with stores[0].session() as s:
            assert len(s.scalars(select(FanoutRow)).all()) == len(CHANNELS)
        # Every instance posts.
        await asyncio.gather(*(w.until_idle() for w in workers))
        with stores[0].session() as s:
            assert {row.status for row in s.scalars(select(FanoutRow))} == {"done"}
    finally:
        for pool in pools:
            await pool.close()
        for scheduler in schedulers:
            scheduler.shutdown()
        for store in stores:
            store.close()
    return workers


def assert_each_thread_once(fake: FakeSlack) -> None:
    posts = [c for c in fake.calls_to("chat.postMessage") if c.ok]
    assert len(posts) == len(CHANNELS) * (TOP + 1)
    assert Counter(p.body["channel"] for p in posts) == {c: TOP + 1 for c in CHANNELS}
    for channel in CHANNELS:
        header, *replies = [p for p in posts if p.body["channel"] == channel]
        assert "thread_ts" not in header.body
        assert [r.body["thread_ts"] for r in replies] == [header.answer["ts"]] * TOP
        assert {p.token for p in (header, *replies)} == {"xoxb-" + workspace(channel)}


@pytest.mark.postgres
async def test_three_instances_post_every_thread_exactly_once(
    url: str, fake_slack: FakeSlack
) -> None:
    workers = await fan_out(url, fake_slack, instances=3)
    assert_each_thread_once(fake_slack)
    assert sum(w.taken for w in workers) == len(CHANNELS)
    assert all(w.taken > 0 for w in workers)  # SKIP LOCKED spread the runs
    assert {w.instances for w in workers} == {3}  # each counted the others' heartbeats


async def test_one_instance_on_sqlite_takes_the_same_path(
    tmp_path: Any, fake_slack: FakeSlack
) -> None:
    (worker,) = await fan_out(f"sqlite:///{tmp_path / 'hp.db'}", fake_slack, instances=1)
    assert_each_thread_once(fake_slack)
    assert (worker.taken, worker.instances) == (len(CHANNELS), 1)
