"""Trends and "Catching fire" over several listing days (tests/trend_days.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bot.catching_fire import earlier_listings
from bot.clock import FakeClock
from bot.models import Entry, Trend
from bot.series import Series
from bot.store import Store
from bot.tables import AttentionRow
from bot.trends import Observation, trend_line, trend_of
from hotpapers.formats import digest_json, format_digest
from tests.factories import make_entry
from tests.trend_days import A1, A2, A3, B1, BUILT, C1, MON, TUE, WED, build_days, builder

UTC = dt.UTC


def trends(papers: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return [(p["arxiv_id"], p["section"], p["listing_date"], p["trend"]) for p in papers]


async def test_a_late_hot_paper_is_catching_fire_with_its_trend_in_json(store: Store) -> None:
    digests = await build_days(store)
    tuesday = digest_json(digests[TUE])
    assert trends(tuesday["papers"]) == [
        (A2, "day", "2026-11-17", {"first_seen": "2026-11-17", "days_hot": 1, "delta_24h": None}),
    ]
    # B1 and C1 got nobody on Monday and people on Tuesday; A1 was hot on Monday already.
    assert trends(tuesday["catching_fire"]) == [
        (B1, "catching_fire", "2026-11-16",
         {"first_seen": "2026-11-17", "days_hot": 1, "delta_24h": None}),
        (C1, "catching_fire", "2026-11-16",
         {"first_seen": "2026-11-17", "days_hot": 1, "delta_24h": None}),
    ]  # fmt: skip
    assert [(p["rank"], p["score"]) for p in tuesday["catching_fire"]] == [(2, 4.0), (3, 3.0)]
    assert (tuesday["hot_count"], len(tuesday["papers"])) == (1, 1)  # "papers" is never padded
    wednesday = digest_json(digests[WED])
    assert trends(wednesday["papers"]) == [
        (A3, "day", "2026-11-18", {"first_seen": "2026-11-18", "days_hot": 1, "delta_24h": None}),
    ]
    assert trends(wednesday["catching_fire"]) == [
        (B1, "catching_fire", "2026-11-16",
         {"first_seen": "2026-11-17", "days_hot": 2, "delta_24h": 11.0}),
        (C1, "catching_fire", "2026-11-16",
         {"first_seen": "2026-11-17", "days_hot": 2, "delta_24h": 0.0}),
    ]  # fmt: skip
    assert [trend_line(e) for e in digests[WED].thread_entries] == [
        "new", "listed 2026-11-16 · rising (+11 in 24 h)", "listed 2026-11-16 · hot for 2 days",
    ]  # fmt: skip


async def test_catching_fire_is_a_section_in_every_text_format(store: Store) -> None:
    wednesday = (await build_days(store))[WED]
    text = format_digest(wednesday, "text")
    assert (
        text.index(f"1. Paper {A3}")
        < text.index("\nCatching fire\n")
        < text.index(f"2. Paper {B1}")
    )
    assert "   listed 2026-11-16 · rising (+11 in 24 h)\n" in text
    markdown = format_digest(wednesday, "markdown")
    assert "\n## Catching fire\n" in markdown
    assert "- listed 2026-11-16 · rising (+11 in 24 h)\n" in markdown


async def test_catching_fire_off_leaves_only_the_day(store: Store) -> None:
    digests = await build_days(store, catching_fire_days=0)
    assert digests[WED].catching_fire == ()
    assert [e.paper.arxiv_id for e in digests[WED].entries] == [A3]


async def test_a_rebuild_is_a_later_observation_and_storing_it_twice_adds_nothing(
    store: Store,
) -> None:
    await build_days(store, (MON, TUE))
    clock = FakeClock(BUILT[TUE])
    again = await builder(store, clock).build(MON, ["cs.CL"], top=10)
    # Monday's digest rebuilt on Tuesday: A1 was seen hot on two listing days, 3 people again.
    (a1,) = again.entries
    assert (a1.paper.arxiv_id, a1.trend) == (A1, Trend(first_seen=MON, days_hot=2, delta_24h=0.0))
    with store.session() as s:
        rows = s.scalar(select(func.count()).select_from(AttentionRow))
    await builder(store, clock).build(MON, ["cs.CL"], top=10)  # the same build, stored twice
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(AttentionRow)) == rows
    history = Series(store).history([A1])[A1]
    assert [(o.date, o.observed_at, o.score, o.hot) for o in history] == [
        (MON, BUILT[MON], 3.0, True), (MON, BUILT[TUE], 3.0, True),
    ]  # fmt: skip


def test_delta_24h_uses_the_observation_closest_to_a_day_earlier_within_6_hours() -> None:
    now = dt.datetime(2026, 11, 18, 15, 0, tzinfo=UTC)

    def seen(hours_ago: float, score: float) -> Observation:
        at = now - dt.timedelta(hours=hours_ago)
        return Observation("x", dt.date(2026, 11, 17), dt.date(2026, 11, 17), at, score, True)

    assert trend_of([seen(30, 1.0), seen(20, 5.0), seen(0, 9.0)], now, 9.0).delta_24h == 4.0
    assert trend_of([seen(31, 1.0), seen(17, 5.0)], now, 9.0).delta_24h is None  # too far
    assert trend_of([], now, 9.0) == Trend()


def test_the_words_for_a_trend() -> None:
    day = dt.date(2026, 11, 18)

    def words(trend: Trend, **kw: object) -> str:
        entry: Entry = make_entry(1, trend=trend, listed=day, **kw)
        return trend_line(entry)

    assert words(Trend(first_seen=day, days_hot=1)) == "new"
    assert words(Trend(first_seen=day, days_hot=1, delta_24h=40.2)) == "rising (+40 in 24 h)"
    assert words(Trend(first_seen=day, days_hot=3, delta_24h=9.9)) == "hot for 3 days"
    assert words(Trend(), featured_on=dt.date(2026, 11, 16)) == (
        "featured here on 2026-11-16, rising (+0 in 24 h)"
    )
    assert words(Trend()) == ""  # built without the series: nothing known


def test_earlier_listings_skip_weekends() -> None:
    assert earlier_listings(MON, 2) == [dt.date(2026, 11, 13), dt.date(2026, 11, 12)]
    assert earlier_listings(WED, 0) == []


def test_the_series_on_postgresql_is_idempotent_and_read_by_paper(url: str) -> None:
    store = Store(url)
    try:
        series = Series(store)
        at = BUILT[TUE]
        build = [
            Observation(A1, MON, MON, at, 3.0, True),
            Observation(B1, TUE, MON, at, 4.0, True),
            Observation(C1, MON, MON, at, 0.5, False),
        ]
        assert series.record(build) == 3
        assert series.record(build) == 0  # the same build stored twice
        later = Observation(A1, MON, MON, BUILT[WED], 5.0, True)
        assert series.record([*build, later]) == 1
        found = series.history([A1, C1, "2611.99999"])
        assert found == {A1: [build[0], later], C1: [build[2]]}
    finally:
        store.close()
