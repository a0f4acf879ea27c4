"""The channel's voice where it meets trends, the weekly roundup and a channel's two
subscriptions: the trends record attention without the channel's boost, a weekly roundup is
ranked with the channel's voice, a reaction to a paper of an earlier listing (Catching fire, a
week's earlier day) keeps the paper's features, and ``reactions`` is one setting per channel."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.clock import FakeClock
from bot.commands import WeekQuery
from bot.config import Settings
from bot.demo import DEMO_DATE
from bot.ledger import Ledger
from bot.ranking import Weights, rank_hot
from bot.reactions import Reactions
from bot.service import DigestService
from bot.store import Store
from bot.subscriptions import SubscriptionStore
from bot.tables import AttentionRow, ReactionRow
from bot.trend_keeper import TrendKeeper
from bot.trends import MemorySeries, Observation
from bot.voice import Reacted, Voice
from tests.test_voice import PAPERS, SIGNALS, STORY, voice
from tests.week_data import NOW, WEDNESDAY, C, seed

PLUG = "2104.04039"  # Plug-and-Blend, in the bundled 2021-04-12 listing of cs.CL cs.LG


def test_trends_record_and_compare_the_score_without_the_channels_boost() -> None:
    now = dt.datetime(2021, 4, 13, 12, 0, tzinfo=dt.UTC)
    day = dt.date(2021, 4, 13)
    series = MemorySeries()
    series.record([Observation(STORY.arxiv_id, day, day, now - dt.timedelta(hours=24), 10.0, True)])
    ranking = rank_hot(PAPERS, [], SIGNALS, Weights(), top=10, voice=voice())
    story = next(e for e in ranking.entries if e.paper.arxiv_id == STORY.arxiv_id)
    assert (story.score, story.breakdown["channel"]) == (15.0, 5.0)  # shown boosted here
    entries, _ = TrendKeeper(series).observe(day, now, ranking.scores, ranking.entries)
    recorded = series.history([STORY.arxiv_id])[STORY.arxiv_id]
    assert [o.score for o in recorded] == [10.0, 10.0]  # the series is everyone's
    story = next(e for e in entries if e.paper.arxiv_id == STORY.arxiv_id)
    assert story.trend.delta_24h == 0.0  # not +5: the channel's taste is not attention


async def test_a_weekly_roundup_is_ranked_with_the_channels_voice(store: Store) -> None:
    seed(store)
    service = DigestService(Settings(_env_file=None), store, clock=FakeClock(NOW), offline=True)
    liked = Voice.of([Reacted("2611.09999", 3, "Tiny dialogue models", (), "")], 1.0)
    query = WeekQuery(categories=("cs.CL",), date=WEDNESDAY, top=10)
    try:
        plain = await service.digest_for(query)
        voiced = await service.digest_for(query, voice=liked)
    finally:
        await service.aclose()
    tiny = next(e for e in voiced.entries if e.paper.arxiv_id == C)
    assert "channel" not in next(e for e in plain.entries if e.paper.arxiv_id == C).breakdown
    assert tiny.breakdown["channel"] > 0 and "this channel reacted to papers about" in tiny.why
    assert voiced.week == plain.week and any("Your reactions shaped" in n for n in voiced.notes)


def test_a_reaction_to_a_paper_of_an_earlier_listing_keeps_its_features(store: Store) -> None:
    # A weekly roundup on Friday shows Monday's paper: the delivery's own date and key ("week")
    # hold no snapshot of it; the trends know its listing.
    clock = FakeClock(dt.datetime(2021, 4, 16, 16, 0, tzinfo=dt.UTC))
    friday = dt.date(2021, 4, 16)
    with store.session() as s:
        s.add(AttentionRow(arxiv_id=PLUG, date=DEMO_DATE, listed=DEMO_DATE, observed_at=clock.now(),
                           score=4.4, hot=True))  # fmt: skip
    ledger = Ledger(store, "me", clock)
    claim = ledger.claim("slack", "T1", "C1", friday, ("cs.CL", "cs.LG", "week"))
    assert claim is not None
    ledger.record(claim, "header", "200.1", "200.1")
    ledger.record(claim, "1", "200.2", "200.1", PLUG)
    ledger.finish(claim, ok=True)
    assert Reactions(store, clock).record("slack", "T1", "C1", "200.2", 1) == 1
    with store.session() as s:
        row = s.scalars(select(ReactionRow)).one()
        assert (row.arxiv_id, row.authors.split("\n"), row.categories) == (
            PLUG, ["Zhiyu Lin", "Mark Riedl"], "cs.CL",
        )  # fmt: skip


def test_reactions_is_one_setting_for_the_channels_daily_and_weekly(store: Store) -> None:
    clock = FakeClock(dt.datetime(2021, 4, 12, 12, 0, tzinfo=dt.UTC))
    subs = SubscriptionStore(store, clock)
    values = dict(categories=("cs.CL",), time=dt.time(9), tz="UTC", top=10)
    subs.upsert("slack", "T1", "C1", **values, reactions=False)  # type: ignore[arg-type]
    weekly, _ = subs.upsert("slack", "T1", "C1", **values, week_day=4)  # type: ignore[arg-type]
    assert not weekly.reactions  # a new weekly subscription keeps the channel's "off"
    weekly, _ = subs.upsert("slack", "T1", "C1", **values, week_day=4,  # type: ignore[arg-type]
                            reactions=True)  # fmt: skip
    daily = subs.get("slack", "T1", "C1")
    assert weekly.reactions and daily is not None and daily.reactions
    fresh, _ = subs.upsert("slack", "T1", "C2", **values)  # type: ignore[arg-type]
    assert fresh.reactions  # on unless the channel turns it off
