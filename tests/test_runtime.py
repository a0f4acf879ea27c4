"""``hotpapers run`` as one process: /healthz over loopback HTTP, scheduled posts to the fake Slack
and Discord (once, surviving a restart), a refused token reported without leaking it, SIGTERM."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.clock import FakeClock
from bot.config import Settings
from bot.run_outcome import RunOutcome, RunStatus
from bot.store import Store
from bot.subscriptions import SubscriptionStore
from hotpapers.runtime import Runtime
from tests.fake_discord import FakeDiscord, point_gateway_at, serving
from tests.fake_slack import FakeSlack, fake_slack_fixture  # noqa: F401 (the fixture)

MONDAY_0900_30 = dt.datetime(2021, 4, 12, 7, 0, 30, tzinfo=dt.UTC)  # 09:00:30 in Berlin
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(name="clock")
def clock_fixture() -> FakeClock:
    return FakeClock(MONDAY_0900_30)


@pytest.fixture(name="database")
def database_fixture(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'run.sqlite3'}"


def subscribe(database: str, clock: FakeClock, platform: str, workspace: str, channel: str) -> int:
    store = Store(database)
    try:
        sub, _ = SubscriptionStore(store, clock).upsert(
            platform, workspace, channel, categories=("cs.CL",), time=dt.time(9, 0),
            tz="Europe/Berlin", top=3,
        )  # fmt: skip
        return sub.id
    finally:
        store.close()


async def get_health(runtime: Runtime) -> tuple[int, dict[str, Any]]:
    url = f"http://127.0.0.1:{runtime.port}/healthz"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.json()


async def started(settings: Settings, clock: FakeClock, **kw: Any) -> Runtime:
    runtime = Runtime(settings, clock=clock, host="127.0.0.1", port=0, owner="host-a", **kw)
    await runtime.start()
    runtime.scheduler.scheduler.pause()  # jobs are run by the test, at the fake clock's time
    return runtime


IDLE_SCHEDULER = {
    "running": True, "leader": True, "jobs": 0, "next_run": None, "last_run": None,
    "last_status": None, "last_result": None, "last_error": None, "election_error": None,
}  # fmt: skip


async def test_console_runtime_health_and_a_scheduled_post(database: str, clock: FakeClock) -> None:
    sub_id = subscribe(database, clock, "console", "default", "general")
    out = io.StringIO()
    settings = Settings(_env_file=None, database_url=database)
    runtime = await started(settings, clock, console_out=out)
    try:
        status, body = await get_health(runtime)
        assert status == 200
        assert body == {
            "status": "ok",
            "platforms": {"console": {"ok": True, "mode": "stdout", "error": None}},
            "scheduler": IDLE_SCHEDULER | {"jobs": 1, "next_run": "2021-04-12T07:00:00+00:00"},
            "database": {"ok": True, "schema": "0007", "error": None},
            "version": "0.1.0",
        }
        result = await runtime.scheduler.run_job(sub_id)
        assert result == RunOutcome(
            RunStatus.POSTED, "posted Hot Papers 2021-04-12 to general: header and 3 replies"
        )
        assert out.getvalue().startswith("[general] ")
        assert out.getvalue().count("↳ reply in thread console-1") == 3
    finally:
        await runtime.stop()


async def test_slack_socket_mode_posts_once_across_a_restart(
    fake_slack: FakeSlack, database: str, clock: FakeClock
) -> None:
    sub_id = subscribe(database, clock, "slack", "T111", "C1")
    settings = Settings(_env_file=None, database_url=database, slack_api_url=fake_slack.api_url,
                        SLACK_BOT_TOKEN="xoxb-test", SLACK_APP_TOKEN="xapp-test")  # fmt: skip
    runtime = await started(settings, clock)
    try:
        await fake_slack.wait_for(lambda f: f.socket_connected)
        status, body = await get_health(runtime)
        assert (status, body["platforms"]) == (
            200, {"slack": {"ok": True, "mode": "socket", "error": None}},
        )  # fmt: skip
        assert await runtime.scheduler.run_job(sub_id) == RunOutcome(
            RunStatus.POSTED, "posted Hot Papers 2021-04-12 to C1: header and 3 replies"
        )
        assert (await runtime.scheduler.run_job(sub_id)).status is RunStatus.ALREADY
    finally:
        await runtime.stop()
    await fake_slack.wait_for(lambda f: not f.socket_connected)
    posts = fake_slack.posts
    assert len(posts) == 4
    header_ts = fake_slack.calls_to("chat.postMessage")[0].answer["ts"]
    assert "thread_ts" not in posts[0]
    assert [p["thread_ts"] for p in posts[1:]] == [header_ts] * 3
    assert {p["channel"] for p in posts} == {"C1"}
    assert all(c.token == "xoxb-test" for c in fake_slack.calls_to("chat.postMessage"))
    restarted = await started(settings, clock)  # killed and restarted: the catch-up run
    try:
        assert (await restarted.scheduler.run_job(sub_id)).status is RunStatus.ALREADY
    finally:
        await restarted.stop()
    assert len(fake_slack.posts) == 4


async def test_a_refused_token_is_reported_degraded_without_the_secret(
    fake_slack: FakeSlack, database: str, clock: FakeClock
) -> None:
    fake_slack.fail_token("xapp-revoked-123456", "invalid_auth")
    settings = Settings(_env_file=None, database_url=database, slack_api_url=fake_slack.api_url,
                        SLACK_BOT_TOKEN="xoxb-test-123456",
                        SLACK_APP_TOKEN="xapp-revoked-123456")  # fmt: skip
    runtime = await started(settings, clock)
    try:
        status, body = await get_health(runtime)
    finally:
        await runtime.stop()
    assert status == 503
    assert body["status"] == "degraded"
    assert body["platforms"]["slack"]["ok"] is False
    assert body["platforms"]["slack"]["error"].startswith("ConfigError: Slack refused SLACK_APP")
    assert body["scheduler"] == IDLE_SCHEDULER
    assert "123456" not in str(body)


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    async with serving() as fake:
        yield fake


async def test_discord_gateway_health_and_a_scheduled_thread(
    fake_discord: FakeDiscord, database: str, clock: FakeClock
) -> None:
    fake_discord.add_text_channel(2000)
    point_gateway_at(fake_discord)
    sub_id = subscribe(database, clock, "discord", fake_discord.guild_id, "2000")
    settings = fake_discord.settings(database_url=database)
    runtime = await started(settings, clock)
    try:
        bot = runtime.platforms["discord"].bot  # type: ignore[attr-defined]
        async with asyncio.timeout(10):
            await bot.client.wait_until_ready()
        status, body = await get_health(runtime)
        assert status == 200
        assert body["platforms"]["discord"]["state"] == "connected"
        result = await runtime.scheduler.run_job(sub_id)
        assert result == RunOutcome(
            RunStatus.POSTED, "posted Hot Papers 2021-04-12 to 2000: header and 3 replies"
        )
    finally:
        await runtime.stop()
    posts = [(r.method, r.path) for r in fake_discord.requests if r.method == "POST"]
    header, thread = posts[0], posts[1]
    assert header == ("POST", "/channels/2000/messages")
    assert thread[1].startswith("/channels/2000/messages/") and thread[1].endswith("/threads")
    replies = [p for p in posts[2:] if p[1].endswith("/messages")]
    assert len(replies) == 3 and len({p[1] for p in replies}) == 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_hotpapers_run_starts_fast_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("SLACK_", "DISCORD_", "HOTPAPERS_"))}  # fmt: skip
    env |= {"HOTPAPERS_PORT": str(port), "HOTPAPERS_DATABASE_URL": f"sqlite:///{tmp_path}/a.db",
            "PYTHONPATH": str(ROOT)}  # fmt: skip
    began = time.monotonic()
    with subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "bot", "run", "--host", "127.0.0.1"], cwd=tmp_path, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    ) as proc:  # fmt: skip
        watchdog = threading.Timer(30, proc.kill)  # a hung process fails the test, not the run
        watchdog.start()
        try:
            assert proc.stderr is not None
            for line in proc.stderr:
                if "hotpapers: running" in line:
                    break
            startup = time.monotonic() - began
            with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                conn.sendall(b"GET /healthz HTTP/1.0\r\nHost: x\r\n\r\n")
                answer = conn.makefile("rb").read().decode()
            assert answer.startswith("HTTP/1.0 200 OK")
            assert '"console": {"ok": true, "mode": "stdout", "error": null}' in answer
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=20) == 0
            assert "hotpapers: stopped" in proc.stderr.read()
            assert startup < 10, f"startup took {startup:.1f} s"
        finally:
            watchdog.cancel()
            if proc.poll() is None:
                proc.kill()


class SwitchableLeader:
    """Another instance's PostgreSQL lock, as this one sees it."""

    def __init__(self) -> None:
        self.is_leader = False

    async def check(self, *, force: bool = False) -> bool:
        return self.is_leader

    async def release(self) -> None:
        return None

    def status(self) -> dict[str, Any]:
        return {"kind": "test", "leader": self.is_leader}


async def test_with_several_instances_only_the_leader_connects_to_discord(
    fake_discord: FakeDiscord, database: str, clock: FakeClock
) -> None:
    point_gateway_at(fake_discord)
    leader = SwitchableLeader()
    runtime = await started(fake_discord.settings(database_url=database), clock, leader=leader)
    try:
        status, body = await get_health(runtime)
        assert (status, body["platforms"]["discord"], body["scheduler"]["leader"]) == (
            200, {"ok": True, "mode": "gateway", "state": "standby", "error": None}, False,
        )  # fmt: skip
        assert fake_discord.identifies == []
        leader.is_leader = True  # the leader died: this instance takes over
        assert runtime.election is not None and await runtime.election.tick() is True
        bot = runtime.platforms["discord"].bot  # type: ignore[attr-defined]
        async with asyncio.timeout(10):
            await bot.client.wait_until_ready()
        assert (await get_health(runtime))[1]["platforms"]["discord"]["state"] == "connected"
        assert len(fake_discord.identifies) == 1
        leader.is_leader = False
        await runtime.election.tick()
        assert (await get_health(runtime))[1]["platforms"]["discord"]["state"] == "standby"
        assert bot.status()["state"] == "closed"
    finally:
        await runtime.stop()


def test_the_runtime_answers_paper_search_and_buttons(database: str, clock: FakeClock) -> None:
    """``run`` wires the one Talk: the service's arXiv source (one arXiv pace for the process) and
    "More like this" on Semantic Scholar's limiter; ``run --demo`` fetches nothing."""
    from bot.sources.semantic_scholar import SemanticScholarSource
    from bot.talk import Talk

    settings = Settings(_env_file=None, database_url=database)
    runtime = Runtime(settings, clock=clock, host="127.0.0.1", port=0, owner="host-a")
    try:
        talk = runtime.handler.talk
        assert isinstance(talk, Talk) and talk.arxiv is runtime.service.arxiv
        s2 = next(s for s in runtime.service.builder.attention
                  if isinstance(s, SemanticScholarSource))  # fmt: skip
        assert talk.recommendations is not None
        assert talk.recommendations.http.limiter is s2.http.limiter  # type: ignore[attr-defined]
        demo = Runtime(settings, clock=clock, host="127.0.0.1", port=0, owner="b", demo=True)
        offline = demo.handler.talk
        assert isinstance(offline, Talk) and offline.arxiv is None
        assert offline.recommendations is None
        demo.store.close()
    finally:
        runtime.store.close()
