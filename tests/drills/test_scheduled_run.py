"""The scheduling issue's acceptance run, with real processes and APScheduler's real timers.

``hotpapers subscribe`` puts a channel on a minute; ``hotpapers run`` (a subprocess, Slack in HTTP
mode against the loopback fake, every source against the bench's loopback source fakes) must post
exactly one threaded digest at that minute. Then ``kill -9`` and a restart: the restart's catch-up
finds the ledger's claim and posts nothing. On PostgreSQL, two instances side by side post once
between them, and when the leader is killed the other takes over and posts nothing more.

The processes run on an injected, shifted clock (``clocked_hotpapers.py``): each believes it is
``LEAD`` seconds before the minute of a fixed Tuesday, so no test waits for the wall clock to come
round to a minute, and none depends on the weekday it runs on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from bench.fakes import SourceFakes, make_day
from bot.scheduler import next_runs, plan_run
from bot.subscriptions import Subscription
from tests.fake_slack import FakeSlack
from tests.test_runtime import free_port

pytestmark = pytest.mark.drill

ROOT = Path(__file__).resolve().parents[2]
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "America/Los_Angeles",
         "Pacific/Auckland", "Pacific/Kiritimati", "Pacific/Pago_Pago")  # fmt: skip
LEAD = dt.timedelta(seconds=20)  # the time left before the minute for the processes to start
#: The processes' time at the start of each test: a Tuesday, a few seconds before 09:00 UTC.
VIRTUAL_START = dt.datetime(2026, 11, 24, 8, 59, 50, tzinfo=dt.UTC)
CLOCKED = Path(__file__).with_name("clocked_hotpapers.py")
TOP = 3


@dataclass(frozen=True)
class Slot:
    """The next minute at which a subscription's run delivers a listing, somewhere on Earth."""

    at: dt.datetime  # UTC
    tz: str
    local: dt.time
    listing: dt.date


def next_slot(now: dt.datetime) -> Slot | None:
    start = now.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    for tz in ZONES:
        local = start.astimezone(ZoneInfo(tz))
        sub = Subscription(0, "slack", "T111", "C", ("cs.CL",), TOP, local.time(), tz)
        if next_runs(sub, now, 1)[0] != start:
            continue  # not a firing day for that zone at that minute
        plan = plan_run(sub, start, ())
        if plan.listing is not None:
            return Slot(start, tz, local.time().replace(second=0), plan.listing)
    return None


@dataclass
class Instance:
    """One ``hotpapers run`` process on the shifted clock: its port, its stderr lines, and a way
    to stop it."""

    env: dict[str, str]
    cwd: Path
    offset: float
    port: int = field(default_factory=free_port)
    lines: list[str] = field(default_factory=list)
    proc: asyncio.subprocess.Process | None = None
    _reader: asyncio.Task[None] | None = None

    async def start(self) -> Instance:
        self.lines = []
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, str(CLOCKED), str(self.offset), "run", "--host", "127.0.0.1",
            env=self.env | {"HOTPAPERS_PORT": str(self.port)}, cwd=self.cwd,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        self._reader = asyncio.create_task(self._read())
        await self.until(lambda: any("hotpapers: running" in line for line in self.lines), 30)
        return self

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        async for raw in self.proc.stderr:
            self.lines.append(raw.decode(errors="replace"))

    async def until(self, predicate: Callable[[], bool], timeout: float) -> None:
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    if self.proc is not None and self.proc.returncode is not None:
                        raise AssertionError("hotpapers run exited:\n" + "".join(self.lines))
                    await asyncio.sleep(0.1)
        except TimeoutError:
            raise AssertionError("timed out; its log:\n" + "".join(self.lines[-40:])) from None

    async def health(self) -> dict[str, Any]:
        async with aiohttp.ClientSession() as http, http.get(
            f"http://127.0.0.1:{self.port}/healthz"
        ) as response:  # fmt: skip
            return dict(await response.json())

    async def scheduler_state(self, wanted: Callable[[dict[str, Any]], bool], timeout: float):
        state: dict[str, Any] = {}

        async def check() -> None:
            nonlocal state
            while not wanted(state := (await self.health())["scheduler"]):
                await asyncio.sleep(0.2)

        try:
            await asyncio.wait_for(check(), timeout)
        except TimeoutError:
            log = "".join(self.lines[-30:])
            raise AssertionError(f"scheduler never got there: {state}; its log:\n{log}") from None
        return state

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()  # SIGKILL: no clean shutdown, no released anything
        await self.proc.wait()
        if self._reader is not None:
            await self._reader

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            await self.proc.wait()
        if self._reader is not None:
            await self._reader


@dataclass(frozen=True)
class World:
    slot: Slot
    fakes: SourceFakes
    slack: FakeSlack
    offset: float  # seconds the processes' clock runs ahead of the wall clock

    def virtual_now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.offset)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    slot = next_slot(VIRTUAL_START)
    assert slot is not None and slot.at - VIRTUAL_START <= LEAD  # a Tuesday's 09:00 delivers
    fakes = await SourceFakes(make_day(slot.listing, 60, 240), latency=0.0).start()
    offset = (slot.at - LEAD - dt.datetime.now(dt.UTC)).total_seconds()
    async with FakeSlack() as slack:
        yield World(slot, fakes, slack, offset)
    await fakes.close()


def env_for(slack: FakeSlack, fakes: SourceFakes, database: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": "xoxb-drill", "SLACK_SIGNING_SECRET": "drill-signing-secret",
        "HOTPAPERS_SLACK_API_URL": slack.api_url, "HOTPAPERS_DATABASE_URL": database,
    } | fakes.env()  # fmt: skip


async def subscribe(env: dict[str, str], cwd: Path, world: World, channel: str) -> None:
    slot = world.slot
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(CLOCKED), str(world.offset), "subscribe", "--platform", "slack",
        "--workspace", "T111",
        "--channel", channel, "--time", slot.local.strftime("%H:%M"), "--tz", slot.tz,
        "--category", "cs.CL", "--top", str(TOP), env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert out.decode().startswith(f"Subscribed slack:T111:{channel}: "), out.decode()


def assert_one_thread(slack: FakeSlack, channel: str, listing: dt.date) -> None:
    calls = [c for c in slack.calls_to("chat.postMessage") if c.body["channel"] == channel]
    assert len(calls) == 1 + TOP, [c.body.get("text") for c in calls]
    header, *replies = calls
    assert "thread_ts" not in header.body
    assert f"{listing:%Y-%m-%d}" in header.body["text"]
    assert [r.body["thread_ts"] for r in replies] == [header.answer["ts"]] * TOP


async def until_posted(world: World, channel: str) -> None:
    """Nothing before the minute (checked a second before it), then the whole thread."""
    slack, slot = world.slack, world.slot
    before = (slot.at - world.virtual_now()).total_seconds() - 1
    await asyncio.sleep(max(0.0, before))
    assert not any(p["channel"] == channel for p in slack.posts), "posted before its minute"
    await slack.wait_for(lambda f: sum(p["channel"] == channel for p in f.posts) >= 1 + TOP, 60)


async def until_runs_done(url: str, timeout: float) -> None:
    """Every queued run of the fan-out queue (``hp_fanout``) marked done."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    query = text("SELECT count(*) FROM hp_fanout WHERE status <> 'done'")
    try:
        for _ in range(int(timeout * 10)):
            with engine.connect() as conn:
                if await asyncio.to_thread(lambda: conn.execute(query).scalar()) == 0:
                    return
            await asyncio.sleep(0.1)
        raise AssertionError(f"queued runs not done within {timeout} s")
    finally:
        engine.dispose()


async def test_subscribe_then_run_posts_once_at_that_minute_and_not_after_a_kill(
    world: World, tmp_path: Path
) -> None:
    slot, slack = world.slot, world.slack
    env = env_for(slack, world.fakes, f"sqlite:///{tmp_path / 'hotpapers.sqlite3'}")
    await subscribe(env, tmp_path, world, "C0000000001")
    instance = await Instance(env, tmp_path, world.offset).start()
    try:
        state = await instance.scheduler_state(lambda s: s.get("jobs") == 1, 10)
        assert dt.datetime.fromisoformat(state["next_run"]) == slot.at
        await until_posted(world, "C0000000001")
        done = await instance.scheduler_state(lambda s: s.get("last_result") is not None, 30)
        assert done["last_status"] == "posted"
        assert done["last_result"] == (
            f"posted Hot Papers {slot.listing:%Y-%m-%d} to C0000000001: header and {TOP} replies"
        )
        await instance.kill()
        await instance.start()  # restarted within the grace: the missed-run catch-up runs once
        again = await instance.scheduler_state(lambda s: s.get("last_result") is not None, 30)
        assert again["last_status"] == "already", again
    finally:
        await instance.stop()
    assert_one_thread(slack, "C0000000001", slot.listing)
    assert len(slack.posts) == 1 + TOP


@pytest.mark.postgres
async def test_two_instances_on_postgresql_post_once_and_the_survivor_takes_over(
    world: World,
    tmp_path: Path,
    url: str,  # noqa: F811
) -> None:
    slot, slack = world.slot, world.slack
    env = env_for(slack, world.fakes, url)
    await subscribe(env, tmp_path, world, "C0000000002")
    pair = [Instance(env, tmp_path, world.offset), Instance(env, tmp_path, world.offset)]
    try:
        for instance in pair:
            await instance.start()
        leaders = [(await i.health())["scheduler"]["leader"] for i in pair]
        assert sorted(leaders) == [False, True]
        leader, follower = pair if leaders[0] else pair[::-1]
        await until_posted(world, "C0000000002")
        await leader.scheduler_state(lambda s: s.get("last_result") is not None, 30)
        # The thread is at Slack; the run is over once its worker has recorded the last message
        # and marked the queued run done (a moment later, longer on a loaded machine).
        await until_runs_done(url, 60)
        await leader.kill()  # its connection dies with it, and the advisory lock with that
        # Either instance's worker may have posted the queued run; the new leader's catch-up
        # finds it done.
        took_over = await follower.scheduler_state(
            lambda s: s.get("leader") is True and s.get("last_status") == "already", 60
        )
        assert took_over["last_status"] == "already", took_over
    finally:
        for instance in pair:
            await instance.stop()
    assert_one_thread(slack, "C0000000002", slot.listing)
    assert len(slack.posts) == 1 + TOP
