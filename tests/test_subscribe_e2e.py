"""``/hotpapers subscribe|settings|unsubscribe`` end to end: a real ``Runtime`` (SQLite store,
``SubscriptionHandler``, APScheduler jobs) behind the loopback Slack and Discord fakes, on a
FakeClock; no stand-in for any of the subscription machinery.

On Saturday 2021-04-10 a channel manager subscribes to cs.CL cs.LG at 09:00 Europe/Berlin: the
weekend has no listing, so the job's next run is Monday 2021-04-12 09:00 in Berlin (07:00 UTC).
With the clock moved there, that run posts the bundled 2021-04-12 listing as one thread.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.config import Settings
from bot.run_outcome import RunOutcome, RunStatus
from bot.tables import SubscriptionRow
from hotpapers.runtime import Runtime
from tests.chat_drivers import TRIGGERS
from tests.fake_discord import FakeDiscord, fake_discord, point_gateway_at  # noqa: F401 (fixture)
from tests.fake_slack import FakeSlack, fake_slack_fixture  # noqa: F401 (the fixture)
from tests.test_discord_command import _followup, _invoke
from tests.test_runtime import get_health, started
from tests.test_slack_command import SECRET, signed

SATURDAY = dt.datetime(2021, 4, 10, 12, 0, tzinfo=dt.UTC)
MONDAY_RUN = dt.datetime(2021, 4, 12, 7, 0, tzinfo=dt.UTC)  # 09:00 in Berlin (CEST)
SUBSCRIBED = (
    "Subscribed: this channel gets Hot Papers for cs.CL, cs.LG at 09:00 Europe/Berlin, top 10, "
    "on every arXiv listing day. Next: Monday 2021-04-12 09:00 Europe/Berlin "
    "(the listing of Monday 2021-04-12)."
)
SETTINGS = (
    "This channel gets Hot Papers for cs.CL, cs.LG at 09:00 Europe/Berlin, top 10. "
    "Next: Monday 2021-04-12 09:00 Europe/Berlin (the listing of Monday 2021-04-12). "
    "Change it with `/hotpapers subscribe ...`, stop it with `/hotpapers unsubscribe`."
)
UNSUBSCRIBED = (
    "Unsubscribed: this channel no longer gets Hot Papers "
    "(cs.CL, cs.LG at 09:00 Europe/Berlin, top 10)."
)
NONE_YET = (
    "This channel has no Hot Papers subscription. Start one with "
    "`/hotpapers subscribe cs.CL at 09:00 Europe/Berlin`."
)
REFUSED = (
    "Only {} can change this channel's Hot Papers subscription. Please ask one of them; "
    "`/hotpapers settings` shows the current one."
)
NOT_UNDERSTOOD = (
    "I don't understand `{}`. Usage: `/hotpapers [category ...] [YYYY-MM-DD|today|yesterday] "
    "[top=N]`. Try `/hotpapers help`."
)
ROW = ("cs.CL cs.LG", "09:00", "Europe/Berlin", 10, "", "", True, False)
NEXT_RUN = "2021-04-12T07:00:00+00:00"
POSTED = "posted Hot Papers 2021-04-12 to {}: header and 7 replies"  # the snapshot's 7 cs.CL/LG


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(SATURDAY)


@pytest.fixture
def database(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'e2e.sqlite3'}"


def rows(runtime: Runtime) -> list[tuple[Any, ...]]:
    """Every subscription row, as stored: (id, where, what and when, active, notify)."""
    with runtime.store.session() as s:
        found = s.scalars(select(SubscriptionRow).order_by(SubscriptionRow.id))
        return [(r.id, r.platform, r.workspace, r.channel, r.categories, r.time, r.tz, r.top,
                 r.include, r.exclude, r.active, r.notify_no_listing) for r in found]  # fmt: skip


def jobs(runtime: Runtime) -> dict[str, dt.datetime | None]:
    """The scheduler's jobs and their next run (aware; compared as instants)."""
    return {job.id: job.next_run_time for job in runtime.scheduler.scheduler.get_jobs()}


async def scheduler_health(runtime: Runtime) -> tuple[int, str | None]:
    """What /healthz says of the schedule: how many jobs, and the next run (UTC)."""
    status, body = await get_health(runtime)
    assert status == 200
    return body["scheduler"]["jobs"], body["scheduler"]["next_run"]


# ----- Slack: signed slash commands to the runtime's POST /slack/events (HTTP mode) -----------


@pytest.fixture
async def slack_runtime(
    fake_slack: FakeSlack, database: str, clock: FakeClock
) -> AsyncIterator[Runtime]:
    settings = Settings(_env_file=None, database_url=database, slack_api_url=fake_slack.api_url,
                        SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET)  # fmt: skip
    runtime = await started(settings, clock)
    yield runtime
    await runtime.stop()


async def slash(runtime: Runtime, fake: FakeSlack, text: str, user: str) -> str:
    """``/hotpapers text`` from ``user`` in #C1 of T111: the ephemeral reply the user sees."""
    body = urlencode({
        "command": "/hotpapers", "text": text, "team_id": "T111", "channel_id": "C1",
        "user_id": user, "response_url": fake.response_url(user), "trigger_id": next(TRIGGERS),
        "api_app_id": "A111",
    })  # fmt: skip
    before = len(fake.responses)
    url = f"http://127.0.0.1:{runtime.port}/slack/events"
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, data=body, headers=signed(body)) as response,
    ):
        assert (response.status, await response.text()) == (200, "")  # the ack
    await fake.wait_for(lambda f: len(f.responses) > before)
    (reply,) = fake.responses[before:]
    assert reply["response_type"] == "ephemeral"
    return str(reply["text"])


async def test_slack_admin_subscribes_others_may_only_look_and_the_owner_unsubscribes(
    slack_runtime: Runtime, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    runtime, fake = slack_runtime, fake_slack
    fake.admins, fake.owners = {"U42"}, {"U1"}
    assert await slash(runtime, fake, "settings", "U99") == NONE_YET
    reply = await slash(runtime, fake, "subscribe cs.CL cs.LG at 09:00 Europe/Berlin", "U42")
    assert reply == SUBSCRIBED
    subscribed = [(1, "slack", "T111", "C1", *ROW)]
    assert rows(runtime) == subscribed
    assert jobs(runtime) == {"sub:1": MONDAY_RUN}
    assert await scheduler_health(runtime) == (1, NEXT_RUN)

    # Anyone may look; someone who is neither admin nor owner may change nothing.
    assert await slash(runtime, fake, "settings", "U99") == SETTINGS
    refused = REFUSED.format("workspace admins and owners")
    assert await slash(runtime, fake, "subscribe cs.AI at 07:00", "U99") == refused
    assert await slash(runtime, fake, "unsubscribe", "U99") == refused
    assert rows(runtime) == subscribed
    assert jobs(runtime) == {"sub:1": MONDAY_RUN}
    # users.info is asked for each change only, never to show the settings.
    assert [c.body["user"] for c in fake.calls_to("users.info")] == ["U42", "U99", "U99"]

    # Monday 09:00:30 in Berlin: the job posts the listing as one thread in #C1.
    clock.set(MONDAY_RUN + dt.timedelta(seconds=30))
    assert await runtime.scheduler.run_job(1) == RunOutcome(RunStatus.POSTED, POSTED.format("C1"))
    header, *replies = fake.posts
    assert header["channel"] == "C1" and "thread_ts" not in header
    assert header["text"].startswith("Hot Papers 2021-04-12")
    header_ts = fake.calls_to("chat.postMessage")[0].answer["ts"]
    assert [(r["channel"], r["thread_ts"]) for r in replies] == [("C1", header_ts)] * 7

    # A workspace owner (users.info: is_owner) stops it: the row stays, inactive; no job.
    assert await slash(runtime, fake, "unsubscribe", "U1") == UNSUBSCRIBED
    assert rows(runtime) == [(1, "slack", "T111", "C1", *ROW[:-2], False, False)]
    assert jobs(runtime) == {}
    assert await scheduler_health(runtime) == (0, None)
    assert await slash(runtime, fake, "settings", "U1") == NONE_YET

    # Subscribing again reactivates the row (a new subscription for the channel) and its job.
    reply = await slash(runtime, fake, "subscribe cs.CL cs.LG at 09:00 Europe/Berlin", "U42")
    assert reply == SUBSCRIBED.replace(
        "Monday 2021-04-12 09:00 Europe/Berlin (the listing of Monday 2021-04-12)",
        "Tuesday 2021-04-13 09:00 Europe/Berlin (the listing of Tuesday 2021-04-13)",
    )
    assert rows(runtime) == subscribed
    assert jobs(runtime) == {"sub:1": MONDAY_RUN + dt.timedelta(days=1)}


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("subscribe cs.CL at 09:00 <!channel>", NOT_UNDERSTOOD.format("!channel")),
        ("subscribe <!here> cs.CL at 09:00", NOT_UNDERSTOOD.format("!here")),
        ("subscribe cs.CL at <@U1>", "`U1` is not a time: use HH:MM on a 24-hour clock, "
         "e.g. `at 09:00`."),
    ],
)  # fmt: skip
async def test_slack_mentions_typed_into_subscribe_get_a_short_error_and_nothing_is_stored(
    slack_runtime: Runtime, fake_slack: FakeSlack, text: str, reply: str
) -> None:
    fake_slack.admins = {"U42"}
    answer = await slash(slack_runtime, fake_slack, text, "U42")
    assert answer == reply
    assert "<" not in answer and ">" not in answer
    assert rows(slack_runtime) == [] and jobs(slack_runtime) == {}
    assert fake_slack.posts == []


# ----- Discord: /hotpapers interactions over the fake gateway ---------------------------------

MEMBER = 0x400 | 0x800 | 1 << 31  # View Channel, Send Messages, Use Application Commands
MANAGER = MEMBER | 0x10  # ... and Manage Channels
SUBSCRIBE = [
    {"name": "action", "type": 3, "value": "subscribe"},
    {"name": "category", "type": 3, "value": "cs.CL cs.LG"},
    {"name": "time", "type": 3, "value": "09:00 Europe/Berlin"},
]


def action(name: str) -> list[dict[str, Any]]:
    return [{"name": "action", "type": 3, "value": name}]


async def ask(fake: FakeDiscord, options: list[dict[str, Any]], permissions: int) -> str:
    """The ephemeral follow-up to ``/hotpapers`` from a member with these permissions."""
    return str(_followup(await _invoke(fake, options, permissions=str(permissions)))["content"])


@pytest.fixture
async def discord_runtime(
    fake_discord: FakeDiscord,  # noqa: F811 (the imported fixture)
    database: str,
    clock: FakeClock,
) -> AsyncIterator[Runtime]:
    fake_discord.add_text_channel(2000)
    point_gateway_at(fake_discord)
    runtime = await started(fake_discord.settings(database_url=database), clock)
    try:
        bot = runtime.platforms["discord"].bot  # type: ignore[attr-defined]
        async with asyncio.timeout(10):
            await bot.client.wait_until_ready()
        yield runtime
    finally:
        await runtime.stop()


async def test_discord_manage_channels_decides_who_may_subscribe_and_unsubscribe(
    discord_runtime: Runtime,
    fake_discord: FakeDiscord,  # noqa: F811 (the imported fixture)
    clock: FakeClock,
) -> None:
    runtime, fake = discord_runtime, fake_discord
    refused = REFUSED.format("members with the Manage Channels permission")
    assert await ask(fake, SUBSCRIBE, MEMBER) == refused
    assert rows(runtime) == [] and jobs(runtime) == {}

    assert await ask(fake, SUBSCRIBE, MANAGER) == SUBSCRIBED
    subscribed = [(1, "discord", fake.guild_id, "2000", *ROW)]
    assert rows(runtime) == subscribed
    assert jobs(runtime) == {"sub:1": MONDAY_RUN}
    assert await scheduler_health(runtime) == (1, NEXT_RUN)
    assert await ask(fake, action("settings"), MEMBER) == SETTINGS
    assert await ask(fake, action("unsubscribe"), MEMBER) == refused

    # A mention typed into an option is a short error (and could not ping: no allowed mentions).
    bad = [*SUBSCRIBE[:2], {"name": "time", "type": 3, "value": "09:00 @everyone"}]
    assert await ask(fake, bad, MANAGER) == NOT_UNDERSTOOD.format("everyone")
    assert rows(runtime) == subscribed
    assert jobs(runtime) == {"sub:1": MONDAY_RUN}

    clock.set(MONDAY_RUN + dt.timedelta(seconds=30))
    posted = len(fake.requests)
    assert await runtime.scheduler.run_job(1) == RunOutcome(RunStatus.POSTED, POSTED.format("2000"))
    sent = [r for r in fake.requests[posted:] if r.method == "POST"]
    thread = sent[1].path.split("/")[4]  # the thread's id is the header message's
    assert [r.path for r in sent] == [
        "/channels/2000/messages",
        f"/channels/2000/messages/{thread}/threads",
        *[f"/channels/{thread}/messages"] * 7,
    ]
    assert sent[0].json["embeds"][0]["title"] == "Hot Papers 2021-04-12"
    messages = [sent[0], *sent[2:]]  # the header and the replies
    assert all(r.json["allowed_mentions"] == {"parse": []} for r in messages)

    # A manager changes it: the same row, the job moved to the new time.
    changed = [*SUBSCRIBE[:2], {"name": "time", "type": 3, "value": "07:30 Europe/Berlin"},
               {"name": "top", "type": 4, "value": 3}]  # fmt: skip
    assert await ask(fake, changed, MANAGER) == (
        "Updated the subscription: this channel gets Hot Papers for cs.CL, cs.LG at 07:30 "
        "Europe/Berlin, top 3, on every arXiv listing day. Next: Tuesday 2021-04-13 07:30 "
        "Europe/Berlin (the listing of Tuesday 2021-04-13)."
    )
    new_row = ("cs.CL cs.LG", "07:30", "Europe/Berlin", 3, "", "")
    assert rows(runtime) == [(1, "discord", fake.guild_id, "2000", *new_row, True, False)]
    assert jobs(runtime) == {"sub:1": dt.datetime(2021, 4, 13, 5, 30, tzinfo=dt.UTC)}

    assert await ask(fake, action("unsubscribe"), MANAGER) == UNSUBSCRIBED.replace(
        "09:00 Europe/Berlin, top 10", "07:30 Europe/Berlin, top 3"
    )
    assert rows(runtime) == [(1, "discord", fake.guild_id, "2000", *new_row, False, False)]
    assert jobs(runtime) == {}
    assert await scheduler_health(runtime) == (0, None)
