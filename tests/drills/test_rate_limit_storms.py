"""429 storms from Slack and Discord: every message delivered exactly once, in one thread.

Real adapters against the loopback fakes; a FakeClock makes Retry-After waits instant.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from adapters.discord import make_discord_rest_adapter
from adapters.slack import SlackAdapter
from adapters.slack_client import make_web_client
from bot.clock import FakeClock
from bot.config import Settings
from bot.ledger import Ledger
from bot.posting import deliver
from bot.store import Store
from tests.factories import make_digest
from tests.fake_discord import FakeDiscord, serving
from tests.fake_slack import FakeSlack

DIGEST = make_digest(5)


class StormySlack(FakeSlack):
    """Answers 429 (Retry-After: 2) to chat.postMessage calls numbered in ``storm`` (1-based)."""

    def __init__(self, storm: range) -> None:
        super().__init__()
        self.storm = storm
        self.seen = 0

    async def _web_api(self, request: web.Request) -> web.Response:
        if request.match_info["method"] == "chat.postMessage":
            self.seen += 1
            if self.seen in self.storm:
                body = {"ok": False, "error": "ratelimited"}
                return web.json_response(body, status=429, headers={"Retry-After": "2"})
        return await super()._web_api(request)


@pytest.fixture
def ledger(tmp_path: Path) -> AsyncIterator[Ledger]:
    store = Store(f"sqlite:///{tmp_path / 'ledger.db'}")
    yield Ledger(store, "drill", FakeClock())
    store.close()


def _slack_adapter(fake: FakeSlack, clock: FakeClock) -> SlackAdapter:
    settings = Settings(_env_file=None, slack_api_url=fake.api_url)  # type: ignore[call-arg]
    return SlackAdapter(make_web_client(settings, "xoxb-drill", clock), clock=clock)


def _assert_one_thread(fake: FakeSlack) -> None:
    posts = fake.posts
    header, replies = posts[0], posts[1:]
    assert "thread_ts" not in header or header["thread_ts"] is None
    assert len(replies) == len(DIGEST.entries)
    assert {r["thread_ts"] for r in replies} == {"1618300000.000001"}  # the header's ts
    assert [r["text"] for r in replies] == list(dict.fromkeys(r["text"] for r in replies))


async def test_a_short_slack_storm_is_waited_out_and_posts_once(ledger: Ledger) -> None:
    clock = FakeClock()
    async with StormySlack(storm=range(2, 5)) as fake:  # the first reply meets three 429s
        outcome = await deliver(_slack_adapter(fake, clock), ledger, "T1", "C1", DIGEST)
        assert outcome.ok, outcome.message
        _assert_one_thread(fake)
        assert fake.seen == 1 + len(DIGEST.entries) + 3
    assert clock.monotonic() >= 3 * 2  # each 429's Retry-After was honoured


async def test_a_slack_storm_beyond_the_retries_fails_then_resumes_without_duplicates(
    ledger: Ledger,
) -> None:
    clock = FakeClock()
    async with StormySlack(storm=range(3, 9)) as fake:  # 6 in a row, more than 3 retries
        first = await deliver(_slack_adapter(fake, clock), ledger, "T1", "C1", DIGEST)
        assert not first.ok
        assert first.message.startswith("could not post to C1: ")
        again = await deliver(_slack_adapter(fake, clock), ledger, "T1", "C1", DIGEST)
        assert again.ok and again.message.startswith("resumed Hot Papers")
        _assert_one_thread(fake)
        third = await deliver(_slack_adapter(fake, clock), ledger, "T1", "C1", DIGEST)
        assert third.skipped
        assert len(fake.posts) == 1 + len(DIGEST.entries)


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    async with serving() as fake:
        fake.add_text_channel(2000)
        yield fake


@pytest.mark.parametrize("via", [True, False])
async def test_a_discord_429_storm_posts_each_message_once(
    discord_fake: FakeDiscord, ledger: Ledger, via: bool
) -> None:
    discord_fake.rate_limit(times=3, via=via, retry_after=0.0)
    adapter = await make_discord_rest_adapter(discord_fake.settings())
    try:
        first = await deliver(adapter, ledger, "G1", "2000", DIGEST)
        if via:  # Discord's own 429: discord.py waits and retries
            assert first.ok, first.message
        else:  # no Via: a Cloudflare ban; each attempt fails clearly, and the next resumes
            outcomes = [first]
            while not outcomes[-1].ok and len(outcomes) < 5:
                outcomes.append(await deliver(adapter, ledger, "G1", "2000", DIGEST))
            assert [o.ok for o in outcomes] == [False, False, False, True]
            assert all("rate_limited" in o.message for o in outcomes[:3])
    finally:
        await adapter.close()
    # The fake records every request, the three refused ones too: what got through is the rest.
    bodies = [repr(b.get("embeds")) for b in discord_fake.message_bodies()]
    assert len(bodies) - 3 == 1 + len(DIGEST.entries)
    assert len(set(bodies)) == 1 + len(DIGEST.entries)  # the refused ones were the same message
