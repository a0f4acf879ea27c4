"""Exactly once on Discord: deterministic nonces (``enforce_nonce``) and reading a thread back.

As in ``test_reconcile.py`` the ledger is made to lose one part, and the next run must leave one
header, one thread and every paper in it exactly once, at the loopback fake of Discord's REST API
driven by the real discord.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.discord import DiscordAdapter, make_discord_rest_adapter
from adapters.discord_thread import nonce
from bot.clock import FakeClock
from bot.ledger import Ledger
from bot.posting import Posted, deliver
from bot.store import Store, StoreError
from tests.factories import make_digest
from tests.fake_discord import FakeDiscord, serving
from tests.test_reconcile import LosingLedger

NOW = dt.datetime(2021, 4, 13, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with serving() as server:
        server.add_text_channel(2000)
        yield server


@pytest.fixture
async def adapter(fake: FakeDiscord) -> AsyncIterator[DiscordAdapter]:
    made = await make_discord_rest_adapter(fake.settings())
    yield made
    await made.close()


def footers(fake: FakeDiscord, channel: str) -> list[str]:
    return [m["embeds"][0]["footer"]["text"] for m in fake.history.get(channel, [])]


def sent(fake: FakeDiscord) -> list[dict[str, Any]]:
    return [r.json for r in fake.posts() if r.path.endswith("/messages")]


@pytest.mark.parametrize("lost", ["header", "1", "3"])
async def test_a_message_the_ledger_lost_is_adopted_not_posted_twice(
    fake: FakeDiscord, adapter: DiscordAdapter, tmp_path: Path, lost: str
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hp.db'}")
    clock = FakeClock(NOW)
    digest = make_digest(4)
    with pytest.raises(StoreError):
        await deliver(adapter, LosingLedger(store, "a", clock, lose=lost), "G", "2000", digest)
    outcome = await deliver(adapter, Ledger(store, "b", clock), "G", "2000", digest)
    store.close()
    assert outcome.status is Posted.RESUMED
    (header,) = fake.history["2000"]  # one header in the channel
    thread = header["thread"]["id"]
    assert footers(fake, thread) == [
        f"arXiv:{e.paper.arxiv_id} · Hot Papers 2021-04-12" for e in digest.entries
    ]
    # What the first run posted was read back, not sent again (not even to be de-duplicated by
    # its nonce): each message went out once.
    texts = [b["embeds"][0]["footer"]["text"] for b in sent(fake)]
    assert texts == [header["embeds"][0]["footer"]["text"]] + footers(fake, thread)


async def test_every_message_carries_its_parts_nonce(
    fake: FakeDiscord, adapter: DiscordAdapter, store: Store
) -> None:
    digest = make_digest(2)
    outcome = await deliver(adapter, Ledger(store, "a", FakeClock(NOW)), "G", "2000", digest)
    assert outcome.delivery is not None
    thread = outcome.delivery.thread_id
    bodies = sent(fake)
    assert [(b["nonce"], b["enforce_nonce"]) for b in bodies] == [
        (str(nonce(digest, "header", "2000")), True),
        *[(str(nonce(digest, part, thread)), True) for part in ("1", "2")],
    ]
    assert len({nonce(digest, p, "2000") for p in ("header", "1", "2")}) == 3
    other = make_digest(2, categories=("cs.LG",))
    assert nonce(digest, "1", "2000") != nonce(other, "1", "2000")


async def test_the_same_digest_in_two_channels_is_two_threads(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    """Discord checks a nonce per author: the channel is in it, so a fan-out's second channel
    gets its own header, not the first channel's back."""
    digest = make_digest(2)
    fake.add_text_channel("2001")
    first = await adapter.post_header("2000", digest)
    second = await adapter.post_header("2001", digest)
    assert first != second
    assert len(fake.history["2000"]) == 1 and len(fake.history["2001"]) == 1


async def test_a_resend_within_the_nonce_window_is_the_same_thread(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    digest = make_digest(2)
    first = await adapter.post_header("2000", digest)
    again = await adapter.post_header("2000", digest)  # a crash, then at once a second try
    assert first == again
    assert len(fake.history["2000"]) == 1
    assert [r.path for r in fake.posts()].count(f"/channels/2000/messages/{first[0]}/threads") == 2
