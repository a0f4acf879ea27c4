"""Failure drills, repeated: ``python -m bench.drills [--kills N] [--outages N] [--json PATH]``.

Outside the default test run (each drill is two real ``hotpapers post`` processes and a paced
thread); it prints counts, and ``bench/README.md`` records a run.

- **in-flight kill -9**: the loopback Slack accepts the k-th message of a thread (k drawn at
  random: the header or any reply), then SIGKILLs the poster before it hears the answer, so the
  message is in the channel and its id never reaches the ledger. ``hotpapers post`` is run again.
- **database outage**: the k-th message is accepted while another process takes an exclusive
  lock on the SQLite database, so the poster cannot record it (nor anything after) and exits with
  "the database is locked"; the lock is released and ``hotpapers post`` is run again.

After each drill the channel is read from the fake: a paper posted twice is a duplicate, one
missing is lost, a second header is a duplicate too; the seconds from the second start to a
complete thread are kept. Drills run a few at a time, each in its own channel and database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.fake_slack import FakeSlack

ROOT = Path(__file__).resolve().parents[1]
TOP = 6  # the demo's top 6: a header and 6 replies, paced about one a second
POST = ["-m", "bot", "post", "--platform", "slack", "--demo", "--top", str(TOP)]


@dataclass
class Trap:
    """What happens at the ``at``-th message of a channel: kill the poster, or lock the db."""

    at: int
    kind: str  # "kill" | "lock"
    victim: asyncio.subprocess.Process | None = None
    database: Path | None = None
    holder: sqlite3.Connection | None = None
    seen: int = 0


class TrappingSlack(FakeSlack):
    """The loopback Slack, springing each channel's trap once its message is accepted."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.traps: dict[str, Trap] = {}

    async def _web_api(self, request: web.Request) -> web.Response:
        if request.match_info["method"] != "chat.postMessage":
            return await super()._web_api(request)
        body = await request.json() if request.content_type == "application/json" else {}
        trap = self.traps.get(str(body.get("channel", "")))
        answer = await super()._web_api(request)  # in the channel from now on
        if trap is not None:
            trap.seen += 1
            if trap.seen == trap.at and trap.kind == "kill" and trap.victim is not None:
                trap.victim.kill()
                await trap.victim.wait()
            elif trap.seen == trap.at and trap.kind == "lock" and trap.database is not None:
                trap.holder = sqlite3.connect(trap.database, timeout=0, isolation_level=None)
                trap.holder.execute("BEGIN EXCLUSIVE")
        return answer


@dataclass
class Result:
    kind: str
    channel: str
    at: int
    duplicates: int
    lost: int
    resume_s: float
    first_exit: int | None
    second_exit: int | None
    errors: list[str] = field(default_factory=list)


def env_for(fake: FakeSlack, database: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": "xoxb-drill-token", "HOTPAPERS_SLACK_API_URL": fake.api_url,
        "HOTPAPERS_DATABASE_URL": f"sqlite:///{database}",
        "HOTPAPERS_SQLITE_BUSY_TIMEOUT_MS": "200",
    }  # fmt: skip


async def post(env: dict[str, str], channel: str, cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, *POST, "--channel", channel, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


def count(fake: FakeSlack, channel: str) -> tuple[int, int]:
    """(duplicates, lost) in the channel: headers beyond one, papers posted twice or missing."""
    messages = fake.messages.get(channel, [])
    headers = [m for m in messages if "thread_ts" not in m]
    papers = [m["text"] for m in messages if "thread_ts" in m]  # one text per paper
    duplicates = max(0, len(headers) - 1) + len(papers) - len(set(papers))
    return duplicates, max(0, TOP - len(set(papers)))


async def drill(fake: TrappingSlack, kind: str, n: int, rng: random.Random, tmp: Path) -> Result:
    channel, folder = f"C{kind[0].upper()}{n:08d}", tmp / f"{kind}-{n}"  # a Slack id: C + 9
    folder.mkdir()
    database = folder / "hp.sqlite3"
    trap = Trap(at=rng.randint(1, TOP + 1), kind=kind, database=database)
    fake.traps[channel] = trap
    env = env_for(fake, database)
    first = trap.victim = await post(env, channel, folder)
    _, err = await first.communicate()
    if trap.holder is not None:
        trap.holder.close()  # the database is back
    started = time.perf_counter()
    second = await post(env, channel, folder)
    _, err2 = await second.communicate()
    resume = time.perf_counter() - started
    duplicates, lost = count(fake, channel)
    errors = [line for line in (err + err2).decode(errors="replace").splitlines() if line][-2:]
    return Result(kind, channel, trap.at, duplicates, lost, round(resume, 2), first.returncode,
                  second.returncode, errors if lost or duplicates else [])  # fmt: skip


async def run(kills: int, outages: int, concurrency: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    turns = asyncio.Semaphore(concurrency)
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="hotpapers-drills-") as tmp:
        async with TrappingSlack() as fake:

            async def one(kind: str, n: int) -> None:
                async with turns:
                    results.append(await drill(fake, kind, n, rng, Path(tmp)))

            jobs = [one("kill", n) for n in range(kills)] + [one("lock", n) for n in range(outages)]
            await asyncio.gather(*jobs)
    return summary(results, seed)


def summary(results: list[Result], seed: int) -> dict[str, Any]:
    out: dict[str, Any] = {"seed": seed}
    for kind, label in (("kill", "kill9_in_flight"), ("lock", "database_outage")):
        mine = [r for r in results if r.kind == kind]
        if not mine:
            continue
        resumes = [r.resume_s for r in mine]
        out[label] = {
            "drills": len(mine),
            "duplicates": sum(r.duplicates for r in mine),
            "lost": sum(r.lost for r in mine),
            "first_run_exits": sorted({str(r.first_exit) for r in mine}),
            "second_run_failed": sum(1 for r in mine if r.second_exit != 0),
            "resume_s_median": round(statistics.median(resumes), 2),
            "resume_s_max": max(resumes),
            "failures": [asdict(r) for r in mine if r.duplicates or r.lost or r.second_exit],
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100, help="in-flight kill -9 drills")
    parser.add_argument("--outages", type=int, default=20, help="database outage drills")
    parser.add_argument("--concurrency", type=int, default=8, help="drills at once")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    figures = asyncio.run(run(args.kills, args.outages, args.concurrency, args.seed))
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    bad = any(v.get("duplicates") or v.get("lost") for v in figures.values() if isinstance(v, dict))
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
