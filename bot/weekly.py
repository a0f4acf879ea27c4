"""The weekly roundup: the listing days of one arXiv week up to a date, ranked on the attention
accumulated over the week.

**Which days.** The week ending at the listing dated ``D`` is every listing day (Monday to
Friday, not an arXiv holiday: ``bot.calendar``) from the Monday of ``D``'s week up to ``D``:
the roundup of Friday 2021-04-16 covers Monday 12 to Friday 16, the one of Wednesday 14 covers
Monday 12 to Wednesday 14.

**Each day's data** is what the daily digest of that day uses (``DigestBuilder.gather``): its
stored snapshots (papers and every source's attention in that day's window), else fetched and
stored. Offline (``--offline``, ``--demo``) a day with nothing stored is left out and named in
the notes and in ``week.missing``; a week with no stored day at all is an error. Online a day
that cannot be fetched fails the whole roundup (it is retried like a daily digest), so a posted
roundup never silently lacks a day.

**The week score** is the daily ranking (``bot.ranking.rank_hot``, unchanged) applied to the
week's pooled data:

- papers: every paper of every day's listing, each (version-less) id once;
- posts: every post collected in any day's window, each ``(platform, post_id)`` once: the
  windows overlap, and a post found by two days' searches is one reader's act, counted once.
  A post made on Thursday about Monday's paper counts for Monday's paper;
- signals (Hugging Face upvotes, Hacker News points, citations, reported totals) are running
  totals, so each takes the highest value any day's snapshot saw, never their sum; text fields
  (summaries, links) take the latest day's;
- broad accounts (feeds) are measured over the week's posts and papers, as a day's are over the
  day's; citations stand in only when every day of the week is older than social search reaches.

So a paper listed on Monday and discussed all week ranks on all of that discussion; a paper
listed on Friday has had one day. ``total_papers`` is the week's papers, ``hot_count`` how many
of them were hot; ``papers`` holds at most ``top`` and never pads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

from bot import calendar, demo
from bot.breadth import base_id
from bot.categories import categories_key
from bot.digest import DigestBuilder, DigestError, Filters
from bot.digest_notes import notes
from bot.digest_snapshots import Day
from bot.models import Digest, Paper, Post, Signals, SourceStatus, Week
from bot.ranking import rank_hot
from bot.trend_keeper import TrendKeeper

_COUNTS = ("hf_upvotes", "hf_comments", "github_stars", "hn_points", "hn_comments", "citations",
           "influential_citations", "reported_reposts", "reported_likes")  # fmt: skip


def week_days(end: dt.date, holidays: Collection[dt.date] = ()) -> tuple[dt.date, ...]:
    """The listing days from the Monday of ``end``'s week up to ``end`` (itself a listing day)."""
    monday = end - dt.timedelta(days=end.weekday())
    days = (monday + dt.timedelta(days=n) for n in range(end.weekday() + 1))
    return tuple(day for day in days if calendar.is_listing_day(day, holidays))


async def build_week(
    builder: DigestBuilder,
    end: dt.date,
    categories: Sequence[str],
    top: int,
    filters: Filters | None = None,
) -> Digest:
    """The roundup of the week ending at the listing ``end`` (see the module docstring)."""
    days = week_days(end, builder.holidays)
    found: list[Day] = []
    missing: list[dt.date] = []
    for date in days:
        try:
            found.append(await builder.gather(date, categories))
        except DigestError:
            if not (builder.offline or demo.is_bundled(date)):
                raise
            missing.append(date)
    start = end - dt.timedelta(days=end.weekday())
    if not found:
        raise DigestError(
            f"nothing stored for the week of {start.isoformat()} to {end.isoformat()} "
            f"({categories_key(categories)}) and --offline forbids fetching; run the daily "
            f"digests of that week once without --offline",
            cli_hint="or try --demo",
        )
    window_papers = _papers(found)
    papers = window_papers if filters is None else [p for p in window_papers if filters.keep(p)]
    ranking = rank_hot(
        papers, _posts(found), _signals(found), builder.weights, top=top,
        use_citations=all(day.use_citations for day in found), window_papers=window_papers,
    )  # fmt: skip
    keeper = TrendKeeper(builder.series(), builder.weights.min_score, builder.holidays)
    entries = await builder.summarize(keeper.past(builder.clock.now(), ranking.entries))
    sources = _sources(found)
    gaps = tuple(
        f"Nothing stored for {calendar.describe(day)}: the week is ranked without it."
        for day in missing
    )
    return Digest(
        date=end, categories=tuple(categories), generated_at=builder.clock.now(),
        entries=tuple(entries), sources=sources, total_papers=len(papers),
        hot_count=ranking.hot_count, notes=gaps + notes(end, entries, sources),
        week=Week(start=start, end=end, days=tuple(d.date for d in found), missing=tuple(missing)),
    )  # fmt: skip


def _papers(days: Sequence[Day]) -> list[Paper]:
    """Every day's papers, each version-less id once (its first listing)."""
    seen: dict[str, Paper] = {}
    for day in days:
        for paper in day.papers:
            seen.setdefault(base_id(paper.arxiv_id), paper)
    return list(seen.values())


def _posts(days: Sequence[Day]) -> list[Post]:
    """Every day's posts, each ``(platform, post_id)`` once (the latest day's counts)."""
    seen: dict[tuple[str, str], Post] = {}
    for day in days:
        for post in day.posts:
            seen[(post.platform, post.post_id)] = post
    return list(seen.values())


def _signals(days: Sequence[Day]) -> dict[str, Signals]:
    """Per paper: each running total at the highest value any day saw; text fields the latest."""
    out: dict[str, Signals] = {}
    for day in days:
        for arxiv_id, sig in day.signals.items():
            key = base_id(arxiv_id)
            old = out.get(key)
            if old is None:
                out[key] = sig
                continue
            highest = {
                name: max(v for v in (getattr(old, name), getattr(sig, name)) if v is not None)
                for name in _COUNTS
                if getattr(old, name) is not None or getattr(sig, name) is not None
            }
            out[key] = old.merged(sig).model_copy(update=highest)
    return out


def _sources(days: Sequence[Day]) -> dict[str, SourceStatus]:
    """One status per source for the week: the first day it was not ``ok`` (failed, skipped or
    degraded), else ok, with the requests of every day added up."""
    out: dict[str, SourceStatus] = {}
    for day in days:
        for name, status in day.sources.items():
            old = out.get(name)
            if old is None:
                out[name] = status
            elif old.state == "ok":
                requests = old.requests + status.requests
                snapshot = old.from_snapshot and status.from_snapshot
                out[name] = status.model_copy(
                    update={"requests": requests, "from_snapshot": snapshot}
                )
    return out
