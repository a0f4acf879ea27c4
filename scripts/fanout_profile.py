"""Profile a scheduled Slack fan-out through the production path (outside the default test run).

    python scripts/fanout_profile.py --channels 2000 --workspaces 40 --top 2 [--profile out.pstats]

One ``DigestScheduler`` run per subscription (every channel due at once), a SQLite ledger in a
temporary directory, the Slack adapters ``hotpapers run`` uses (``adapters.slack_pool``), and the
loopback fake Slack (``tests/fake_slack.py``) served from a subprocess so the CPU measured is the
bot's alone. Prints wall time, messages per second, CPU ms per message and peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # tests.fake_slack; bot and adapters as installed

START = dt.datetime(2021, 4, 12, 7, 0, 30, tzinfo=dt.UTC)  # 09:00 Berlin, 30 s after


async def _serve(args: argparse.Namespace) -> None:
    from tests.fake_slack import FakeSlack

    fake = FakeSlack()
    fake.calls_kept = False  # type: ignore[attr-defined]
    if args.workspace_limit:
        fake.limit_workspaces(per_minute=args.workspace_limit)  # type: ignore[attr-defined]
    await fake.start()
    print(fake.api_url, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    posts = len(fake.calls_to("chat.postMessage"))
    limited = sum(1 for c in fake.calls_to("chat.postMessage") if c.status == 429)
    print(json.dumps({"posts": posts, "429": limited}), flush=True)


class _Service:
    def __init__(self, top: int) -> None:
        from tests.factories import make_digest

        self.digest = make_digest
        self.top = top

    async def build(self, date: dt.date, categories: Any, top: int, filters: Any = None) -> Any:
        return self.digest(n=self.top, date=date, categories=tuple(categories))


async def _run(args: argparse.Namespace, api_url: str) -> dict[str, Any]:
    from bot.clock import SystemClock
    from bot.config import Settings
    from bot.jobs import DigestScheduler
    from bot.leader import AlwaysLeader
    from bot.ledger import Ledger
    from bot.store import Store
    from bot.subscriptions import SubscriptionStore

    class Clock(SystemClock):  # real time, starting just after the digests are due
        offset = START - dt.datetime.now(dt.UTC)

        def now(self) -> dt.datetime:
            return dt.datetime.now(dt.UTC) + self.offset

    clock = Clock()
    folder = tempfile.mkdtemp(prefix="hp-fanout-", dir=args.db_dir or None)
    store = Store(f"sqlite:///{folder}/hp.db")
    subs = SubscriptionStore(store, clock)
    for n in range(args.channels):
        subs.upsert("slack", f"T{n % args.workspaces:04d}", f"C{n:06d}", categories=("cs.CL",),
                    time=dt.time(9, 0), tz="Europe/Berlin", top=args.top)  # fmt: skip
    settings = Settings(slack_api_url=api_url, slack_bot_token="xoxb-profile")  # noqa: S106
    adapters = _adapters(settings, clock)
    scheduler = DigestScheduler(
        subscriptions=subs, service=_Service(args.top), adapters=adapters,
        ledger=Ledger(store, "profile", clock), leader=AlwaysLeader(), clock=clock,
    )  # fmt: skip
    ids = [sub.id for sub in subs.list_all()]
    cpu, wall = time.process_time(), time.perf_counter()
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    results = await asyncio.gather(*(scheduler.run_job(i) for i in ids))
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    batches = scheduler.ledger.writes.batches
    await adapters.close()
    scheduler.shutdown()
    messages = args.channels * (args.top + 1)
    failed = [r.text for r in results if r.status.value not in ("posted", "resumed")]
    return {"channels": args.channels, "workspaces": args.workspaces, "messages": messages,
            "wall_s": round(wall, 2), "msgs_per_s": round(messages / wall, 1),
            "cpu_ms_per_msg": round(1000 * cpu / messages, 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "ledger_batches": batches, "failed": len(failed),
            "first_failure": failed[:1]}  # fmt: skip


def _adapters(settings: Any, clock: Any) -> Any:
    try:
        from adapters.slack_pool import SlackAdapters
    except ImportError:  # main before this branch: SlackPlatform.adapter's way
        return _Before(settings, clock)

    return SlackAdapters(settings, clock, token_of=lambda workspace: "xoxb-" + workspace)


class _Before:
    def __init__(self, settings: Any, clock: Any) -> None:
        import aiohttp

        from adapters.slack_client import ChannelPacer

        self.settings, self.clock, self.pacer = settings, clock, ChannelPacer(clock)
        self.session = aiohttp.ClientSession()

    async def adapter(self, platform: str, workspace: str) -> Any:
        from adapters.slack import SlackAdapter
        from adapters.slack_client import make_web_client

        client = make_web_client(self.settings, "xoxb-" + workspace, self.clock)
        client.session = self.session
        return SlackAdapter(client, clock=self.clock, pacer=self.pacer)

    async def close(self) -> None:
        await self.session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=2000)
    parser.add_argument("--workspaces", type=int, default=40)
    parser.add_argument("--top", type=int, default=2)
    parser.add_argument("--workspace-limit", type=int, default=0, help="fake's messages/min")
    parser.add_argument("--profile", default="")
    parser.add_argument("--db-dir", default="", help="folder of the SQLite file (default: /tmp)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(args))
        return
    command = [sys.executable, __file__, "--serve", "--workspace-limit", str(args.workspace_limit)]
    server = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,  # noqa: S603
                              cwd=ROOT, env=os.environ)  # fmt: skip
    assert server.stdout is not None and server.stdin is not None
    api_url = server.stdout.readline().strip()
    try:
        result = asyncio.run(_run(args, api_url))
    finally:
        server.stdin.close()
        result_fake = server.stdout.read().strip()
        server.wait(timeout=30)
    result["fake"] = json.loads(result_fake or "{}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
