"""The channel's voice end to end: a real ``Runtime`` behind the loopback Slack and Discord fakes.

Monday 2021-04-12 the channel's subscription posts the bundled cs.CL/cs.LG listing (7 papers,
#7 is "Plug-and-Blend ... Story Generation" by Zhiyu Lin and Mark Riedl). Three people react to
that reply; reactions on the header or on someone else's message are ignored. Tuesday's listing
(seeded in the store, no network) has three hot papers; by attention alone a question-answering
paper (36 Hugging Face upvotes: 12) leads a story-generation paper by Mark Riedl (25: 10). The
channel's voice (``bot.voice``: affinity 1, boost ``10 · 0.5``) puts Mark Riedl's paper first at
15, the QA paper (same category only: ``12 · (1 + 0.5 · 0.25)``) second at 13.5.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.config import Settings
from bot.models import Paper
from bot.run_outcome import RunStatus
from bot.tables import ReactionRow
from hotpapers.runtime import Runtime
from tests.fake_discord import FakeDiscord, fake_discord, point_gateway_at  # noqa: F401
from tests.fake_slack import FakeSlack, fake_slack_fixture  # noqa: F401 (the fixture)
from tests.test_runtime import started
from tests.test_slack_command import SECRET, signed
from tests.test_subscribe_e2e import slash

MONDAY_RUN = dt.datetime(2021, 4, 12, 7, 0, 30, tzinfo=dt.UTC)
TUESDAY = dt.date(2021, 4, 13)
TUESDAY_RUN = dt.datetime(2021, 4, 13, 7, 0, 30, tzinfo=dt.UTC)
PLUG = "2104.04039"
KEY = "cs.CL cs.LG"
QA, STORY, VISION = "2104.05001", "2104.05002", "2104.05003"
TUESDAY_PAPERS = [
    Paper(arxiv_id=QA, title="Scaling Retrieval for Question Answering", authors=("Ann Other",),
          primary_category="cs.CL", categories=("cs.CL",)),
    Paper(arxiv_id=STORY, title="Interactive Story Generation with Commonsense",
          authors=("Mark Riedl", "Bo Person"), primary_category="cs.CL", categories=("cs.CL",)),
    Paper(arxiv_id=VISION, title="Segmenting Everything in Video", authors=("Cy Person",),
          primary_category="cs.CV", categories=("cs.CV", "cs.LG")),
]  # fmt: skip
UPVOTES = {QA: {"hf_upvotes": 36}, STORY: {"hf_upvotes": 25}, VISION: {"hf_upvotes": 16}}
BOOSTED_WHY = (
    "25 upvotes on Hugging Face; this channel reacted to work by Mark Riedl and papers about story"
)
NOTE = (
    "Your reactions shaped this digest: #1 and #2 moved up for work by Mark Riedl, papers about "
    "story and cs.CL papers."
)


def seed_tuesday(runtime: Runtime) -> None:
    """Tuesday's listing and attention in the store, fresh: the build asks no network."""
    store, now = runtime.store, runtime.clock.now()
    papers = [p.model_dump(mode="json") for p in TUESDAY_PAPERS]
    store.put_snapshot("arxiv", TUESDAY, KEY, {"papers": papers}, now)
    for source in runtime.service.builder.attention:
        scope = KEY if source.scope == "papers" else ""
        signals = UPVOTES if source.name == "huggingface" else {}
        store.put_snapshot(source.name, TUESDAY, scope, {"posts": [], "signals": signals}, now)


def counts(runtime: Runtime) -> list[tuple[Any, ...]]:
    """Every stored reaction row, every column (no user id among them)."""
    with runtime.store.session() as s:
        rows = s.scalars(select(ReactionRow).order_by(ReactionRow.id))
        return [(r.platform, r.workspace, r.channel, r.arxiv_id, r.count) for r in rows]


async def until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


def subscribe(runtime: Runtime, platform: str, workspace: str, channel: str) -> int:
    sub, _ = runtime.subscriptions.upsert(
        platform, workspace, channel, categories=("cs.CL", "cs.LG"), time=dt.time(9),
        tz="Europe/Berlin", top=10,
    )  # fmt: skip
    return sub.id


# ----- Slack ------------------------------------------------------------------------------------


@pytest.fixture
async def slack_runtime(fake_slack: FakeSlack, tmp_path: Any) -> AsyncIterator[Runtime]:
    settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'r.sqlite3'}",
                        slack_api_url=fake_slack.api_url, SLACK_BOT_TOKEN="xoxb-test",
                        SLACK_SIGNING_SECRET=SECRET)  # fmt: skip
    runtime = await started(settings, FakeClock(MONDAY_RUN))
    yield runtime
    await runtime.stop()


def reaction_event(kind: str, channel: str, ts: str, user: str, n: int) -> dict[str, Any]:
    return {
        "token": "t", "team_id": "T111", "api_app_id": "A111", "type": "event_callback",
        "event_id": f"Ev{n}", "event_time": 1618210830 + n,
        "event": {"type": kind, "user": user, "reaction": "thumbsup", "item_user": "UBOT",
                  "item": {"type": "message", "channel": channel, "ts": ts},
                  "event_ts": f"1618210830.{n:06d}"},
    }  # fmt: skip


async def post_event(runtime: Runtime, payload: dict[str, Any]) -> None:
    """A signed Events API request to the runtime's POST /slack/events (HTTP mode)."""
    body = json.dumps(payload)
    headers = {**signed(body), "Content-Type": "application/json"}
    url = f"http://127.0.0.1:{runtime.port}/slack/events"
    async with aiohttp.ClientSession() as http, http.post(url, data=body, headers=headers) as r:
        assert r.status == 200


def slack_replies(fake: FakeSlack, since: int = 0) -> list[tuple[str, str]]:
    """(ts, whole message as JSON) of each chat.postMessage since call ``since``."""
    return [(c.answer["ts"], json.dumps(c.body)) for c in fake.calls_to("chat.postMessage")[since:]]


async def slack_monday(runtime: Runtime, fake: FakeSlack) -> tuple[str, str, str]:
    """Monday's thread in #C1: (header ts, first reply ts, Plug-and-Blend reply ts)."""
    outcome = await runtime.scheduler.run_job(subscribe(runtime, "slack", "T111", "C1"))
    assert outcome.status is RunStatus.POSTED
    posted = slack_replies(fake)
    plug = next(ts for ts, body in posted if "Plug-and-Blend" in body)
    return posted[0][0], posted[1][0], plug


async def slack_tuesday(runtime: Runtime, fake: FakeSlack) -> list[str]:
    """Tuesday's run: the bodies of its replies (header first)."""
    runtime.clock.set(TUESDAY_RUN)  # type: ignore[attr-defined]
    seed_tuesday(runtime)
    before = len(fake.calls_to("chat.postMessage"))
    outcome = await runtime.scheduler.run_job(1)
    assert outcome.status is RunStatus.POSTED, outcome.text
    return [body for _, body in slack_replies(fake, before)]


async def test_slack_reactions_shape_the_channels_next_digest(
    slack_runtime: Runtime, fake_slack: FakeSlack
) -> None:
    runtime, fake = slack_runtime, fake_slack
    header, first, plug = await slack_monday(runtime, fake)
    events = [("reaction_added", plug, f"U{n}") for n in (1, 2, 3)] + [
        ("reaction_added", first, "U4"), ("reaction_removed", first, "U4"),
        ("reaction_added", header, "U5"),  # the header: not a paper
        ("reaction_added", "1618210000.000100", "U6"),  # someone else's message
    ]  # fmt: skip
    for n, (kind, ts, user) in enumerate(events):
        await post_event(runtime, reaction_event(kind, "C1", ts, user, n))
    stored = [("slack", "T111", "C1", PLUG, 3), ("slack", "T111", "C1", "2104.04473", 0)]
    assert counts(runtime) == stored
    assert not any(f"U{n}" in repr(row) for row in counts(runtime) for n in range(1, 7))

    header_body, *replies = await slack_tuesday(runtime, fake)
    order = [next(i for i in (QA, STORY, VISION) if i in body) for body in replies]
    assert order == [STORY, QA, VISION]
    assert BOOSTED_WHY + "." in replies[0] and "score 15.0" in replies[0]
    assert NOTE in header_body

    # The Monday listing asked for again in #C1: Plug-and-Blend says who here reacted.
    before = len(fake.calls_to("chat.postMessage"))
    await slash(runtime, fake, "cs.CL cs.LG 2021-04-12", "U9")
    await fake.wait_for(lambda f: len(f.calls_to("chat.postMessage")) == before + 8)
    plug_again = next(b for _, b in slack_replies(fake, before) if "Plug-and-Blend" in b)
    assert "3 people here reacted." in plug_again


async def test_slack_opt_out_deletes_the_counts_and_the_digest_is_everyones(
    slack_runtime: Runtime, fake_slack: FakeSlack
) -> None:
    runtime, fake = slack_runtime, fake_slack
    fake.admins = {"U42"}
    _, _, plug = await slack_monday(runtime, fake)
    await post_event(runtime, reaction_event("reaction_added", "C1", plug, "U1", 1))
    assert counts(runtime) == [("slack", "T111", "C1", PLUG, 1)]
    reply = await slash(runtime, fake, "subscribe reactions=off", "U42")
    assert reply.startswith("Updated the subscription: this channel gets Hot Papers for cs.CL, "
                            "cs.LG at 09:00 Europe/Berlin, top 10, reactions off,")  # fmt: skip
    assert counts(runtime) == []
    await post_event(runtime, reaction_event("reaction_added", "C1", plug, "U2", 2))
    assert counts(runtime) == []
    header_body, *replies = await slack_tuesday(runtime, fake)
    assert [next(i for i in (QA, STORY, VISION) if i in b) for b in replies] == [QA, STORY, VISION]
    assert "reacted" not in header_body + "".join(replies)


async def test_slack_socket_mode_reactions_are_counted(
    fake_slack: FakeSlack, tmp_path: Any
) -> None:
    settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 's.sqlite3'}",
                        slack_api_url=fake_slack.api_url, SLACK_BOT_TOKEN="xoxb-test",
                        SLACK_APP_TOKEN="xapp-test")  # fmt: skip
    runtime = await started(settings, FakeClock(MONDAY_RUN))
    try:
        await fake_slack.wait_for(lambda f: f.socket_connected)
        _, _, plug = await slack_monday(runtime, fake_slack)
        payload = reaction_event("reaction_added", "C1", plug, "U1", 1)
        await fake_slack.push_envelope("events_api", payload, envelope_id="env-r1")
        await until(lambda: counts(runtime) == [("slack", "T111", "C1", PLUG, 1)])
        await fake_slack.wait_for(lambda f: len(f.socket_acks) == 1)
        assert fake_slack.socket_acks[0]["envelope_id"] == "env-r1"
    finally:
        await runtime.stop()


# ----- Discord ----------------------------------------------------------------------------------

REACTIONS_INTENT = 1 << 10  # GUILD_MESSAGE_REACTIONS


@pytest.fixture
async def discord_runtime(
    fake_discord: FakeDiscord,  # noqa: F811 (the imported fixture)
    tmp_path: Any,
) -> AsyncIterator[Runtime]:
    fake_discord.add_text_channel(2000)
    point_gateway_at(fake_discord)
    settings = fake_discord.settings(database_url=f"sqlite:///{tmp_path / 'd.sqlite3'}")
    runtime = await started(settings, FakeClock(MONDAY_RUN))
    try:
        bot = runtime.platforms["discord"].bot  # type: ignore[attr-defined]
        async with asyncio.timeout(10):
            await bot.client.wait_until_ready()
        yield runtime
    finally:
        await runtime.stop()


async def test_discord_reactions_shape_the_channels_next_digest(
    discord_runtime: Runtime,
    fake_discord: FakeDiscord,  # noqa: F811 (the imported fixture)
) -> None:
    runtime, fake = discord_runtime, fake_discord
    assert fake.identifies[-1]["intents"] & REACTIONS_INTENT
    outcome = await runtime.scheduler.run_job(subscribe(runtime, "discord", fake.guild_id, "2000"))
    assert outcome.status is RunStatus.POSTED
    header = fake.history["2000"][0]["id"]
    thread = header  # a thread started from the header has the header's id
    plug = next(m["id"] for m in fake.history[thread] if "Plug-and-Blend" in json.dumps(m))
    for user in ("41", "42", "43"):
        await fake.send_event("MESSAGE_REACTION_ADD", fake.reaction(thread, plug, user))
    await fake.send_event("MESSAGE_REACTION_ADD", fake.reaction(thread, plug, fake.app_id))
    await fake.send_event("MESSAGE_REACTION_ADD", fake.reaction("2000", header, "44"))
    await fake.send_event("MESSAGE_REACTION_ADD", fake.reaction(thread, plug, "45"))
    await fake.send_event("MESSAGE_REACTION_REMOVE", fake.reaction(thread, plug, "45"))
    # Events are handled in order: once this last one is counted, every one before it is.
    first = fake.history[thread][0]["id"]
    await fake.send_event("MESSAGE_REACTION_ADD", fake.reaction(thread, first, "46"))
    await until(lambda: len(counts(runtime)) == 2)
    assert counts(runtime) == [
        ("discord", fake.guild_id, "2000", PLUG, 3),
        ("discord", fake.guild_id, "2000", "2104.04473", 1),
    ]

    runtime.clock.set(TUESDAY_RUN)  # type: ignore[attr-defined]
    seed_tuesday(runtime)
    posted = len(fake.requests)
    assert (await runtime.scheduler.run_job(1)).status is RunStatus.POSTED
    sent = [r.json for r in fake.requests[posted:] if r.method == "POST" and r.json]
    header_embed, *embeds = [m["embeds"][0] for m in sent if m.get("embeds")]
    assert [next(i for i in (QA, STORY, VISION) if i in json.dumps(e)) for e in embeds] == [
        STORY, QA, VISION,
    ]  # fmt: skip
    assert BOOSTED_WHY + "." in json.dumps(embeds[0], ensure_ascii=False)
    assert NOTE in json.dumps(header_embed, ensure_ascii=False)
