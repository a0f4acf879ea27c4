"""Failure drill: the SQLite database locked by another process, before or during a thread.

``python -m bot post`` runs as a real subprocess against the loopback FakeSlack while this test
holds an exclusive lock on the database file (``BEGIN EXCLUSIVE`` from another connection, as a
backup tool or a second writer would). The store waits ``busy_timeout`` (set to 0.5 s for the
drill; 5 s by default), then gives up.

What must hold: one clear line naming the lock, no traceback, no token; nothing posted that the
ledger could not record first; and once the lock is gone, the next run completes the thread with
every paper in it exactly once. A lock that starts while a reply is in flight hits the window a
ledger alone cannot close (Slack has the reply, the database never got its id): the next run
reads the thread back and adopts that reply instead of posting it again.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from aiohttp import web

from bot.store import Store
from tests.drills.test_crash_and_storage import env_for, run_post
from tests.fake_slack import FakeSlack

pytestmark = pytest.mark.drill


def lock(path: Path) -> sqlite3.Connection:
    """An exclusive lock on the database file, held until the connection is closed."""
    holder = sqlite3.connect(path, timeout=0, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    return holder


class LockingSlack(FakeSlack):
    """Takes the database lock while it answers the ``lock_at``-th chat.postMessage."""

    def __init__(self, path: Path, lock_at: int) -> None:
        super().__init__()
        self.path = path
        self.lock_at = lock_at
        self.seen = 0
        self.holder: sqlite3.Connection | None = None

    async def _web_api(self, request: web.Request) -> web.Response:
        if request.match_info["method"] == "chat.postMessage":
            self.seen += 1
            if self.seen == self.lock_at:
                self.holder = lock(self.path)  # the previous record is committed by now
        return await super()._web_api(request)


async def finish(proc: asyncio.subprocess.Process) -> tuple[int, str, str]:
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def assert_clear(code: int, out: str, err: str) -> None:
    assert code == 1, out + err
    last = err.strip().splitlines()[-1]
    assert last == (
        "error: the database is locked by another process (database is locked); try again shortly"
    ), err
    assert "Traceback" not in err and "xoxb-drill-token" not in out + err


async def test_a_database_locked_at_start_posts_nothing_until_it_is_free(tmp_path: Path) -> None:
    path = tmp_path / "hp.db"
    Store(f"sqlite:///{path}").close()
    async with FakeSlack() as fake:
        env = env_for(fake, f"sqlite:///{path}")
        holder = lock(path)
        try:
            assert_clear(*await finish(await run_post(env, tmp_path)))
            assert fake.calls_to("chat.postMessage") == []
        finally:
            holder.close()
        code, out, err = await finish(await run_post(env, tmp_path))
    assert code == 0, err
    assert out.startswith("posted Hot Papers 2021-04-12 to C0123456789")
    assert sum(1 for p in fake.posts if p.get("thread_ts") is None) == 1


async def test_a_lock_mid_thread_is_a_clear_error_and_the_next_run_completes_the_thread(
    tmp_path: Path,
) -> None:
    path = tmp_path / "hp.db"
    Store(f"sqlite:///{path}").close()
    async with LockingSlack(path, lock_at=3) as fake:  # while the 2nd reply is being posted
        env = env_for(fake, f"sqlite:///{path}")
        try:
            assert_clear(*await finish(await run_post(env, tmp_path)))
        finally:
            assert fake.holder is not None
            fake.holder.close()
        assert len(fake.posts) == 3  # header, 1st reply, and the 2nd, whose record was refused
        code, out, err = await finish(await run_post(env, tmp_path))
        assert code == 0, err
        assert out.startswith("resumed Hot Papers 2021-04-12 to C0123456789"), out

    header, replies = fake.posts[0], fake.posts[1:]
    assert header.get("thread_ts") is None
    assert sum(1 for p in fake.posts if p.get("thread_ts") is None) == 1  # one header
    assert {r["thread_ts"] for r in replies} == {fake.calls_to("chat.postMessage")[0].answer["ts"]}
    texts = [r["text"] for r in replies]
    # Every paper is in the thread once; the reply in flight when the lock came was adopted.
    assert len(set(texts)) == len(texts) == 6
