""" "Catching fire": papers of the previous few listings that became hot since.

A paper listed on one of the ``days`` listing days before the digest's date qualifies when it
was not hot in the first build of its own listing's digest (the series, ``bot.series``, has no
hot observation of it there) and is hot now, by the ranking's own threshold, either

- in the digest's collected window: today's posts and signals can link older papers (they are
  ranked with ``bot.ranking.rank_hot`` beside the day's listing, so feeds stay feeds), or
- in the latest observation of its own listing (that listing's digest rebuilt later).

Only listings stored here (their arXiv snapshot) are looked at: nothing is fetched for them. The
section holds at most ``top`` papers, highest score first, each marked ``section="catching_fire"``
with its own listing date; the day's ``entries`` are never padded with them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from bot import calendar
from bot.categories import categories_key
from bot.latex import paper_text
from bot.models import Entry, Paper, Post, Signals
from bot.ranking import base_id, rank_hot
from bot.snapshots import SnapshotStore
from bot.trends import CATCHING_FIRE as HEADER
from bot.trends import AttentionSeries, Observation
from bot.weights import Weights

__all__ = ["HEADER", "earlier_listings", "late_hot", "stored_papers", "was_hot_at_listing"]


def earlier_listings(date: dt.date, days: int, holidays: Collection[dt.date] = ()) -> list[dt.date]:
    """The ``days`` listing dates before ``date``, newest first."""
    found: list[dt.date] = []
    current = date
    for _ in range(max(0, days)):
        current = calendar.previous_listing(current, holidays)
        found.append(current)
    return found


def stored_papers(store: SnapshotStore, date: dt.date, categories: Sequence[str]) -> list[Paper]:
    """The papers of a stored listing (the selection's own snapshot), or none."""
    snap = store.get_snapshot("arxiv", date, categories_key(categories))
    if snap is None:
        return []
    wanted = set(categories)
    return [
        paper_text(p)
        for p in (Paper.model_validate(raw) for raw in snap.payload.get("papers", []))
        if snap.scope != "*" or wanted & set(p.categories or (p.primary_category,))
    ]


def was_hot_at_listing(history: Sequence[Observation], listed: dt.date) -> bool:
    """Was the paper hot in the first build of its own listing's digest?"""
    own = [o for o in history if o.date == listed]
    return bool(own) and own[0].hot


def late_hot(
    store: SnapshotStore,
    series: AttentionSeries,
    date: dt.date,
    categories: Sequence[str],
    *,
    days: int,
    top: int,
    window_papers: Sequence[Paper],
    posts: Sequence[Post],
    signals: Mapping[str, Signals],
    weights: Weights,
    keep: Callable[[Paper], bool] | None = None,
    holidays: Collection[dt.date] = (),
    **rank_options: Any,
) -> list[Entry]:
    """The "Catching fire" entries of a digest (see the module docstring), ranks unset (0)."""
    today = {base_id(p.arxiv_id) for p in window_papers}
    older: dict[str, tuple[Paper, dt.date]] = {}
    for listed in earlier_listings(date, days, holidays):
        for paper in stored_papers(store, listed, categories):
            key = base_id(paper.arxiv_id)
            if key in today or key in older or (keep is not None and not keep(paper)):
                continue
            older[key] = (paper, listed)
    if not older:
        return []
    papers = [paper for paper, _ in older.values()]
    ranking = rank_hot(papers, posts, signals, weights, top=len(papers),
                       window_papers=[*window_papers, *papers], **rank_options)  # fmt: skip
    now = {base_id(e.paper.arxiv_id): e for e in ranking.entries}
    history = series.history(older)
    chosen: list[Entry] = []
    for key, (paper, listed) in older.items():
        seen = history.get(key, [])
        if was_hot_at_listing(seen, listed):
            continue
        entry = now.get(key)
        own = [o for o in seen if o.date == listed]  # its own listing, rebuilt later
        latest = own[-1] if own else None
        if latest is not None and latest.hot and latest.score > (entry.score if entry else 0.0):
            entry = Entry(rank=0, paper=paper, score=latest.score,
                          why=entry.why if entry else "")  # fmt: skip
        if entry is not None:
            chosen.append(entry.model_copy(update={"section": "catching_fire", "listed": listed}))
    chosen.sort(key=lambda e: (-e.score, e.paper.arxiv_id))
    return chosen[:top]
