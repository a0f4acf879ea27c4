"""kill -9 in the middle of a thread, and a read-only database: nothing lost, nothing twice.

``python -m bot post`` runs as a real subprocess against a loopback FakeSlack; the fake decides
when a request is answered, so no test sleeps: it waits for the fake to reach a given state.
Threads are the demo's top 6 (a header and 6 replies, paced about one a second as Slack asks).
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

from aiohttp import web

from bot.store import Store
from tests.fake_slack import FakeSlack

ROOT = Path(__file__).resolve().parents[2]
POST = [
    "-m", "bot", "post", "--platform", "slack", "--channel", "C0123456789", "--demo", "--top", "6"
]  # fmt: skip


class StallingSlack(FakeSlack):
    """Holds the ``stall_at``-th chat.postMessage unanswered (and unposted) until released."""

    def __init__(self, stall_at: int | None) -> None:
        super().__init__()
        self.stall_at = stall_at
        self.seen = 0
        self.stalled = asyncio.Event()
        self.release = asyncio.Event()

    async def _web_api(self, request: web.Request) -> web.Response:
        if request.match_info["method"] == "chat.postMessage":
            self.seen += 1
            if self.seen == self.stall_at:
                self.stalled.set()
                await self.release.wait()
                return web.Response(status=503)  # never posted: the client is gone by now
        return await super()._web_api(request)


def env_for(fake: FakeSlack, db_url: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": "xoxb-drill-token",
        "HOTPAPERS_SLACK_API_URL": fake.api_url,
        "HOTPAPERS_DATABASE_URL": db_url,
        # A lock is reported after half a second instead of the default 5 s: the drills hold
        # locks on purpose, and what they check does not depend on how long the store waits.
        "HOTPAPERS_SQLITE_BUSY_TIMEOUT_MS": "500",
    }


async def run_post(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, *POST, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_kill_9_mid_thread_then_restart_completes_the_thread_once(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'hp.db'}"
    async with StallingSlack(stall_at=5) as fake:  # header + 3 replies, then the 4th hangs
        first = await run_post(env_for(fake, db), tmp_path)
        await asyncio.wait_for(fake.stalled.wait(), 60)
        first.kill()  # SIGKILL: no cleanup, no finally, the claim stays open in the ledger
        await first.wait()
        assert first.returncode == -9
        assert len(fake.posts) == 4
        fake.release.set()

        second = await run_post(env_for(fake, db), tmp_path)
        out, err = await asyncio.wait_for(second.communicate(), 60)
        assert second.returncode == 0, err.decode()
        replies_said = int(re.search(rb"header and (\d+) replies", out).group(1))
        assert out.decode().startswith("resumed Hot Papers 2021-04-12 to C0123456789")

    header, replies = fake.posts[0], fake.posts[1:]
    assert header.get("thread_ts") is None
    assert len(replies) == replies_said
    assert {r["thread_ts"] for r in replies} == {fake.calls_to("chat.postMessage")[0].answer["ts"]}
    texts = [r["text"] for r in replies]
    assert len(set(texts)) == len(texts)  # every reply exactly once
    assert sum(1 for p in fake.posts if p.get("thread_ts") is None) == 1  # one header


async def test_a_read_only_database_is_a_clear_error_and_nothing_is_posted(
    tmp_path: Path,
) -> None:
    path = tmp_path / "hp.db"
    Store(f"sqlite:///{path}").close()
    before = path.read_bytes()
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"  # read-only even for root
    async with StallingSlack(stall_at=None) as fake:
        proc = await run_post(env_for(fake, read_only), tmp_path)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode != 0
        message = err.decode()
        assert "read-only" in message and "Traceback" not in message
        assert "xoxb-drill-token" not in message + out.decode()
        assert fake.posts == []  # nothing posted that the ledger could not record
        assert path.read_bytes() == before


class KillingSlack(FakeSlack):
    """Posts the ``kill_at``-th chat.postMessage, then SIGKILLs the poster before it hears so."""

    def __init__(self, kill_at: int) -> None:
        super().__init__()
        self.kill_at = kill_at
        self.seen = 0
        self.victim: asyncio.subprocess.Process | None = None

    async def _web_api(self, request: web.Request) -> web.Response:
        answer = await super()._web_api(request)  # recorded: in the channel from now on
        if request.match_info["method"] == "chat.postMessage":
            self.seen += 1
            if self.seen == self.kill_at and self.victim is not None:
                self.victim.kill()
                await self.victim.wait()
        return answer


async def test_kill_9_between_slack_accepting_a_reply_and_its_record_posts_it_once(
    tmp_path: Path,
) -> None:
    """The window a ledger alone cannot close: the platform has the message, the database never
    got its id. The restart reads the thread back (message metadata), adopts that reply and
    completes the thread: every message exactly once."""
    db = f"sqlite:///{tmp_path / 'hp.db'}"
    async with KillingSlack(kill_at=3) as fake:  # the header and one reply recorded, then this
        fake.victim = await run_post(env_for(fake, db), tmp_path)
        await asyncio.wait_for(fake.victim.wait(), 60)
        assert fake.victim.returncode == -9
        assert len(fake.posts) == 3
        second = await run_post(env_for(fake, db), tmp_path)
        out, err = await asyncio.wait_for(second.communicate(), 60)
        assert second.returncode == 0, err.decode()
        assert out.decode().startswith("resumed Hot Papers 2021-04-12 to C0123456789")
        replies_said = int(re.search(rb"header and (\d+) replies", out).group(1))

    header, replies = fake.posts[0], fake.posts[1:]
    assert header.get("thread_ts") is None
    assert sum(1 for p in fake.posts if p.get("thread_ts") is None) == 1
    assert {r["thread_ts"] for r in replies} == {fake.calls_to("chat.postMessage")[0].answer["ts"]}
    texts = [r["text"] for r in replies]
    assert len(texts) == replies_said  # the reply in flight at the kill was adopted, not resent
    assert len(set(texts)) == replies_said  # every paper there once, none missing
    assert [c.method for c in fake.calls if c.method.startswith("conversations.")] == [
        "conversations.replies"
    ]
