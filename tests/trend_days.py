"""Three listing days of one cs.CL selection, written for the trend tests (no recorded data).

Every post is one reader's, with no likes or reposts: worth exactly 1, so a paper's score is the
number of people posting about it.

- Monday 2026-11-16 (built Monday 15:00 UTC): A1 is discussed by 3 people (hot); B1 and C1 by
  nobody (not hot).
- Tuesday 2026-11-17 (built Tuesday 15:00): A2 by 2 people. Tuesday's posts also link Monday's
  papers: B1 by 4 people and C1 by 3 (both hot since: "Catching fire"), A1 by 5 (hot at its own
  listing already: never "Catching fire").
- Wednesday 2026-11-18 (built Wednesday 15:00): A3 by 2 people; B1 by 15 (+11 in 24 h: rising),
  C1 by 3 (+0), A1 by 1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.clock import FakeClock
from bot.digest import DigestBuilder
from bot.models import Digest, Paper, Post
from bot.ranking import Weights
from bot.sources.base import Collected, Window
from bot.store import Store

MON, TUE, WED = dt.date(2026, 11, 16), dt.date(2026, 11, 17), dt.date(2026, 11, 18)
BUILT = {day: dt.datetime.combine(day, dt.time(15, 0), tzinfo=dt.UTC) for day in (MON, TUE, WED)}
A1, B1, C1 = "2611.20001", "2611.20002", "2611.20003"
A2, A3 = "2611.21001", "2611.22001"
PAPERS = {
    MON: (A1, B1, C1, "2611.20004"),
    TUE: (A2, "2611.21002", "2611.21003"),
    WED: (A3, "2611.22002", "2611.22003"),
}
#: Who posts about what in each listing's window: {listing: {arxiv_id: people}}.
PEOPLE = {
    MON: {A1: 3},
    TUE: {A2: 2, B1: 4, C1: 3, A1: 5},
    WED: {A3: 2, B1: 15, C1: 3, A1: 1},
}


def paper(arxiv_id: str) -> Paper:
    return Paper(
        arxiv_id=arxiv_id,
        version=1,
        title=f"Paper {arxiv_id}",
        authors=("Ada Lovelace",),
        abstract=f"We study {arxiv_id}. It works.",
        primary_category="cs.CL",
        categories=("cs.CL",),
    )


def posts(day: dt.date) -> list[Post]:
    return [
        Post(
            platform="bluesky",
            post_id=f"{day:%d}-{arxiv_id}-{k}",
            author=f"reader{k}.bsky.social",
            text=f"Reading https://arxiv.org/abs/{arxiv_id}",
            url=f"https://bsky.app/profile/reader{k}.bsky.social/post/{day:%d}{arxiv_id}{k}",
            arxiv_ids=(arxiv_id,),
            likes=0,
            reposts=0,
            replies=0,
            quotes=0,
        )
        for arxiv_id, people in PEOPLE[day].items()
        for k in range(people)
    ]


class DayArxiv:
    name = "arxiv"

    async def papers(self, date: dt.date, categories: Sequence[str]) -> list[Paper]:
        return [paper(arxiv_id) for arxiv_id in PAPERS[date]]


class DayBluesky:
    """A window source answering each listing's window with that day's posts."""

    name = "bluesky"
    scope = "window"

    def skip_reason(self) -> str | None:
        return None

    async def collect(self, window: Window, papers: Sequence[Paper]) -> Collected:
        return Collected(posts=posts(window.date))


def builder(store: Store, clock: FakeClock, catching_fire_days: int = 3) -> DigestBuilder:
    return DigestBuilder(
        store=store,
        clock=clock,
        papers_source=DayArxiv(),
        attention=[DayBluesky()],  # type: ignore[list-item]
        weights=Weights(),
        catching_fire_days=catching_fire_days,
    )


async def build_days(
    store: Store, days: Sequence[dt.date] = (MON, TUE, WED), **options: int
) -> dict[dt.date, Digest]:
    """Each listing's digest, built on its own day at 15:00 UTC (the clock moved each time)."""
    clock = FakeClock(BUILT[days[0]])
    built = {}
    for day in days:
        clock.set(BUILT[day])
        built[day] = await builder(store, clock, **options).build(day, ["cs.CL"], top=10)
    return built
