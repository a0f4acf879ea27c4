"""``bot.reactions``: reactions on the bot's own paper messages, counted per channel and paper,
no user id stored; other messages ignored; a channel that opts out keeps nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import inspect, select

from bot.clock import FakeClock
from bot.demo import DEMO_DATE
from bot.ledger import Ledger
from bot.reactions import Reactions
from bot.store import Store
from bot.subscriptions import SubscriptionStore
from bot.tables import ReactionRow

NOW = dt.datetime(2021, 4, 12, 12, 0, tzinfo=dt.UTC)
PLUG = "2104.04039"  # Plug-and-Blend, in the bundled 2021-04-12 listing of cs.CL cs.LG


def posted(store: Store, clock: FakeClock, channel: str = "C1", thread: str = "100.1") -> None:
    """A delivered thread in ``channel``: header 100.1, replies 100.2 (PLUG) and 100.3."""
    ledger = Ledger(store, "me", clock)
    claim = ledger.claim("slack", "T1", channel, DEMO_DATE, ("cs.CL", "cs.LG"))
    assert claim is not None
    ledger.record(claim, "header", "100.1", thread)
    ledger.record(claim, "1", "100.2", thread, PLUG)
    ledger.record(claim, "2", "100.3", thread, "2104.04128")
    ledger.finish(claim, ok=True)


def rows(store: Store) -> list[tuple[object, ...]]:
    with store.session() as s:
        found = s.scalars(select(ReactionRow).order_by(ReactionRow.id))
        return [(r.platform, r.workspace, r.channel, r.arxiv_id, r.count) for r in found]


def test_reactions_count_per_channel_and_paper_floor_at_zero(store: Store) -> None:
    clock = FakeClock(NOW)
    posted(store, clock)
    reactions = Reactions(store, clock)
    assert [reactions.record("slack", "T1", "C1", "100.2", 1) for _ in range(3)] == [1, 2, 3]
    assert reactions.record("slack", "T1", "C1", "100.2", -1) == 2
    assert reactions.record("slack", "T1", "C1", "100.3", -1) == 0  # never below 0
    assert reactions.record("slack", "T1", "C1", "100.3", -1) == 0
    assert rows(store) == [("slack", "T1", "C1", PLUG, 2), ("slack", "T1", "C1", "2104.04128", 0)]
    # The paper's features come from the delivery's listing (for the ranking's boost).
    voice = reactions.voice("slack", "T1", "C1")
    assert voice is not None and voice.people == ((PLUG, 2),)
    assert ("mark riedl", 2 / 3) in voice.authors and ("cs.CL", 2 / 3) in voice.categories


def test_only_the_bots_paper_messages_count(store: Store) -> None:
    clock = FakeClock(NOW)
    posted(store, clock)
    reactions = Reactions(store, clock)
    assert reactions.record("slack", "T1", "C1", "100.1", 1) is None  # the header
    assert reactions.record("slack", "T1", "C1", "999.9", 1) is None  # someone's message
    assert reactions.record("slack", "T1", "C2", "100.2", 1) is None  # same ts, other channel
    assert reactions.record("discord", "T1", "C1", "100.2", 1) is None  # other platform
    assert rows(store) == []
    assert reactions.voice("slack", "T1", "C1") is None


def test_a_reply_in_the_digests_thread_channel_counts_for_the_channel(store: Store) -> None:
    # Discord: the replies live in a thread channel of their own, named by the ledger.
    clock = FakeClock(NOW)
    posted(store, clock, channel="2000", thread="3000")
    assert Reactions(store, clock).record("slack", "", "3000", "100.2", 1) == 1
    assert rows(store) == [("slack", "T1", "2000", PLUG, 1)]


def test_no_user_id_is_stored(store: Store) -> None:
    clock = FakeClock(NOW)
    posted(store, clock)
    Reactions(store, clock).record("slack", "T1", "C1", "100.2", 1)
    columns = {c["name"] for c in inspect(store.engine).get_columns("hp_reactions")}
    assert columns == {"id", "platform", "workspace", "channel", "arxiv_id", "count", "title",
                       "authors", "categories", "updated_at"}  # fmt: skip
    with store.session() as s:
        (row,) = s.scalars(select(ReactionRow))
        assert (row.title, row.authors.split("\n"), row.categories) == (
            "Plug-and-Blend: A Framework for Controllable Story Generation with Blended "
            "Control Codes", ["Zhiyu Lin", "Mark Riedl"], "cs.CL",
        )  # fmt: skip


def test_opting_out_deletes_the_counts_and_stops_counting(store: Store) -> None:
    clock = FakeClock(NOW)
    posted(store, clock)
    reactions, subs = Reactions(store, clock), SubscriptionStore(store, clock)
    values = dict(categories=("cs.CL", "cs.LG"), time=dt.time(9), tz="UTC", top=10)
    subs.upsert("slack", "T1", "C1", **values)  # type: ignore[arg-type]
    assert reactions.record("slack", "T1", "C1", "100.2", 1) == 1
    sub, _ = subs.upsert("slack", "T1", "C1", **values, reactions=False)  # type: ignore[arg-type]
    assert not sub.reactions and rows(store) == []
    assert reactions.record("slack", "T1", "C1", "100.2", 1) is None
    assert reactions.voice("slack", "T1", "C1") is None and rows(store) == []
    sub, _ = subs.upsert("slack", "T1", "C1", **values, reactions=True)  # type: ignore[arg-type]
    assert reactions.record("slack", "T1", "C1", "100.2", 1) == 1
