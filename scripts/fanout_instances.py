"""Drill: one day's fan-out by 1 and by 3 instances on one PostgreSQL (outside the test run).

    python scripts/fanout_instances.py --channels 600 --workspaces 30 --top 2 [--instances 1 3]

For each instance count: a fresh schema on the local PostgreSQL (``tests/postgres.py``'s server,
or ``--database``), the loopback fake Slack in a subprocess enforcing 1 message / s per channel
(0.9 s: arrival jitter) and ``--workspace-limit`` messages / min per workspace, the leader's jobs
queueing every channel's due run, then N worker processes (each a ``FanoutWorker`` with its own
store, ledger and Slack adapters) posting until the queue is empty. Prints, per N: wall time,
messages per second, runs each instance took, and what the fake counted (posts, 429s, channels
holding anything but one thread).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # tests.fake_slack; bot and adapters as installed

START = dt.datetime(2021, 4, 12, 7, 0, 30, tzinfo=dt.UTC)  # 09:00 Berlin, 30 s after
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _clock() -> Any:
    """Real time, read as if the drill had started at ``START`` (every process alike)."""
    from bot.clock import SystemClock

    epoch = dt.datetime.fromtimestamp(float(os.environ["HP_EPOCH"]), dt.UTC)

    class Clock(SystemClock):
        def now(self) -> dt.datetime:
            return dt.datetime.now(dt.UTC) + (START - epoch)

    return Clock()


async def _serve(args: argparse.Namespace) -> None:
    from bot.clock import SystemClock
    from tests.fake_slack import FakeSlack

    fake = FakeSlack()
    fake.limit_channels(SystemClock(), 0.9)
    fake.limit_workspaces(SystemClock(), args.workspace_limit)
    await fake.start()
    print(fake.api_url, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    threads_ok = sum(
        1 for msgs in fake.messages.values()
        if sum("thread_ts" not in m for m in msgs) == 1 and len(msgs) == args.top + 1
    )  # fmt: skip
    posts = sum(len(msgs) for msgs in fake.messages.values())
    print(json.dumps({"posts": posts, "429": fake.limited, "whole_threads": threads_ok}))


class _Service:
    async def build(self, date: dt.date, categories: Any, top: int, filters: Any = None) -> Any:
        from tests.factories import make_digest

        return make_digest(n=top, date=date, categories=tuple(categories))


class _NotLeader:
    async def check(self, *, force: bool = False) -> bool:
        return False


def _scheduler(url: str, api_url: str, owner: str, leader: Any) -> tuple[Any, Any, Any]:
    from adapters.slack_pool import SlackAdapters
    from bot.config import Settings
    from bot.fanout_queue import FanoutQueue
    from bot.jobs import DigestScheduler
    from bot.ledger import Ledger
    from bot.store import Store
    from bot.subscriptions import SubscriptionStore

    clock = _clock()
    store = Store(url)
    pool = SlackAdapters(Settings(_env_file=None, slack_api_url=api_url), clock,
                         token_of=lambda ws: "xoxb-" + ws)  # fmt: skip
    queue = FanoutQueue(store, owner, clock)
    scheduler = DigestScheduler(
        subscriptions=SubscriptionStore(store, clock), service=_Service(), adapters=pool,
        ledger=Ledger(store, owner, clock), leader=leader, clock=clock, queue=queue,
    )  # fmt: skip
    return scheduler, pool, queue


async def _queue_all(args: argparse.Namespace, url: str, api_url: str) -> None:
    from bot.leader import AlwaysLeader
    from bot.subscriptions import SubscriptionStore

    scheduler, pool, _ = _scheduler(url, api_url, "leader", AlwaysLeader())
    subs = SubscriptionStore(scheduler.ledger.store, scheduler.clock)
    for n in range(args.channels):
        subs.upsert("slack", f"T{n % args.workspaces:04d}", f"C{n:06d}", categories=("cs.CL",),
                    time=dt.time(9, 0), tz="Europe/Berlin", top=args.top)  # fmt: skip
    await asyncio.gather(*(scheduler.run_job(sub.id) for sub in subs.list_all()))
    await pool.close()
    scheduler.ledger.store.close()


async def _work(url: str, api_url: str, owner: str) -> None:
    from bot.fanout_worker import FanoutWorker

    scheduler, pool, queue = _scheduler(url, api_url, owner, _NotLeader())
    worker = FanoutWorker(scheduler, queue, scheduler.clock)
    await worker.until_idle()
    await pool.close()
    print(json.dumps({"owner": owner, "taken": worker.taken, "instances": worker.instances}))


def _schema(database: str) -> str:
    from sqlalchemy import create_engine, text

    schema = f"hp_drill_{secrets.token_hex(4)}"
    engine = create_engine(database)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    return f"{database}?options={quote(f'-csearch_path={schema}')}"


def _one(args: argparse.Namespace, instances: int) -> dict[str, Any]:
    env = {**os.environ, "HP_EPOCH": str(time.time())}
    os.environ["HP_EPOCH"] = env["HP_EPOCH"]
    me = [sys.executable, __file__]
    serve = [*me, "--serve", "--workspace-limit", str(args.workspace_limit), "--top", str(args.top)]
    server = subprocess.Popen(serve, stdin=subprocess.PIPE, stdout=subprocess.PIPE,  # noqa: S603
                              text=True, env=env)  # fmt: skip
    assert server.stdin is not None and server.stdout is not None
    api_url = server.stdout.readline().strip()
    url = _schema(args.database)
    asyncio.run(_queue_all(args, url, api_url))
    started = time.perf_counter()
    workers = [subprocess.Popen([*me, "--work", url, api_url, f"host-{i}"],  # noqa: S603
                                stdout=subprocess.PIPE, text=True, env=env)  # fmt: skip
               for i in range(instances)]  # fmt: skip
    results = [json.loads((w.communicate()[0] or "{}").strip().splitlines()[-1]) for w in workers]
    wall = time.perf_counter() - started
    server.stdin.close()
    fake = json.loads(server.stdout.read().strip() or "{}")
    server.wait(timeout=30)
    messages = args.channels * (args.top + 1)
    return {"instances": instances, "channels": args.channels, "workspaces": args.workspaces,
            "wall_s": round(wall, 2), "msgs_per_s": round(messages / wall, 1),
            "taken": [r.get("taken") for r in results], "fake": fake}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=600)
    parser.add_argument("--workspaces", type=int, default=30)
    parser.add_argument("--top", type=int, default=2)
    parser.add_argument("--workspace-limit", type=int, default=300)
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--database", default=SERVER)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--work", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(args))
    elif args.work:
        asyncio.run(_work(*args.work))
    else:
        for n in args.instances:
            print(json.dumps(_one(args, n)), flush=True)


if __name__ == "__main__":
    main()
