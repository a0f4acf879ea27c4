"""Stopping ``hotpapers run``: a slash command's thread in flight is finished, not cut; /healthz
turns 503 when the scheduler stops or leader election cannot reach the database, and shows no
secret while it says why."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from bot.clock import FakeClock
from bot.config import Settings
from bot.logs import register_secret
from tests.fake_slack import FakeSlack
from tests.test_runtime import (  # noqa: F401 (fixtures)
    SwitchableLeader,
    clock_fixture,
    database_fixture,
    get_health,
    started,
)


class HeldSlack(FakeSlack):
    """A fake Slack that holds every chat.postMessage until ``release`` is set."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.release = asyncio.Event()
        self.held = 0

    async def _web_api(self, request: web.Request) -> web.Response:
        if request.match_info["method"] == "chat.postMessage" and not self.release.is_set():
            async with self._changed:
                self.held += 1
                self._changed.notify_all()
            await self.release.wait()
        return await super()._web_api(request)


async def test_stopping_lets_a_slash_command_finish_its_thread(
    database: str, clock: FakeClock
) -> None:
    async with HeldSlack() as fake:
        settings = Settings(_env_file=None, database_url=database, slack_api_url=fake.api_url,
                            SLACK_BOT_TOKEN="xoxb-test", SLACK_APP_TOKEN="xapp-test")  # fmt: skip
        runtime = await started(settings, clock)
        await fake.wait_for(lambda f: f.socket_connected)
        payload = {"command": "/hotpapers", "text": "cs.CL 2021-04-12 top=3", "team_id": "T111",
                   "channel_id": "C1", "user_id": "U42", "api_app_id": "A111",
                   "response_url": fake.response_url("s"), "trigger_id": "t"}  # fmt: skip
        await fake.push_envelope("slash_commands", payload, envelope_id="env-1")
        await fake.wait_for(lambda f: f.held == 1)  # the thread's header is on its way
        slack = runtime.platforms["slack"]
        stopping = asyncio.create_task(runtime.stop())  # SIGTERM
        try:
            async with asyncio.timeout(10):
                while slack.socket is not None:  # type: ignore[attr-defined]
                    await asyncio.sleep(0.01)  # Slack is stopping: it takes no new command
        finally:
            fake.release.set()
        await stopping
        posts = fake.calls_to("chat.postMessage")
    assert [p.ok for p in posts] == [True] * 4
    header_ts = posts[0].answer["ts"]
    assert "thread_ts" not in posts[0].body
    assert [p.body["thread_ts"] for p in posts[1:]] == [header_ts] * 3
    assert [r["text"] for r in fake.responses] == [
        "Looking up Hot Papers for cs.CL on 2021-04-12 (top 3); the thread follows here."
    ]


async def test_health_is_503_once_the_scheduler_stopped(database: str, clock: FakeClock) -> None:
    runtime = await started(Settings(_env_file=None, database_url=database), clock)
    try:
        assert (await get_health(runtime))[0] == 200
        runtime.scheduler.scheduler.shutdown(wait=False)  # crashed, or stopping
        status, body = await get_health(runtime)
        assert (status, body["status"], body["scheduler"]["running"]) == (503, "degraded", False)
    finally:
        await runtime.stop()


class UnreachableLeader(SwitchableLeader):
    """PostgreSQL as a leader sees it when the database is gone."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error

    def status(self) -> dict[str, Any]:
        return {"kind": "postgresql", "leader": False, "error": self.error}


async def test_health_is_503_when_leader_election_cannot_reach_the_database(
    database: str, clock: FakeClock
) -> None:
    """Every instance is then a follower; all answering 200 would hide that nobody posts."""
    register_secret("pg-secret-pw-42")
    error = ('database error: connection to server at "db" failed: password authentication '
             'failed for user "bot" (password pg-secret-pw-42)')  # fmt: skip
    leader = UnreachableLeader(error)
    runtime = await started(Settings(_env_file=None, database_url=database), clock, leader=leader)
    try:
        status, body = await get_health(runtime)
    finally:
        await runtime.stop()
    assert status == 503
    assert body["scheduler"]["leader"] is False
    assert body["scheduler"]["election_error"] == (
        'database error: connection to server at "db" failed: password authentication failed '
        'for user "bot" (password [redacted])'
    )
    assert "pg-secret-pw-42" not in str(body)
