"""A stored arXiv week for the weekly roundup's tests, written for them (no recorded data).

cs.CL, the week of Monday 2026-11-16. Stored: Monday (papers A and B) and Wednesday (paper C);
nothing for Tuesday. Bluesky: on Monday alice (10 likes) and bob (3 likes) post A; Wednesday's
search finds alice's post again (the same post, now 12 likes), carol's post about A (5 likes:
Monday's paper discussed on Wednesday) and dave's about C (1 like). Hugging Face: A has 9 upvotes
on Monday and 16 on Wednesday (a running total), C 4. B got nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.models import Paper, Post, Signals
from bot.store import Store

MONDAY, TUESDAY, WEDNESDAY = dt.date(2026, 11, 16), dt.date(2026, 11, 17), dt.date(2026, 11, 18)
NOW = dt.datetime(2026, 11, 19, 12, 0, tzinfo=dt.UTC)
A, B, C = "2611.00001", "2611.00002", "2611.00003"


def paper(arxiv_id: str, title: str) -> Paper:
    return Paper(
        arxiv_id=arxiv_id, version=1, title=title, authors=("Ada Lovelace",),
        abstract=f"We study {title.lower()}. It works.", primary_category="cs.CL",
        categories=("cs.CL",), published=dt.datetime(2026, 11, 13, 15, 0, tzinfo=dt.UTC),
    )  # fmt: skip


def post(key: str, author: str, arxiv_id: str, likes: int, day: dt.date) -> Post:
    return Post(
        platform="bluesky", post_id=key, author=f"{author}.bsky.social",
        author_name=author.title(), text=f"Read this: https://arxiv.org/abs/{arxiv_id}",
        url=f"https://bsky.app/profile/{author}.bsky.social/post/{key}", arxiv_ids=(arxiv_id,),
        likes=likes, reposts=0, replies=0, quotes=0,
        created_at=dt.datetime.combine(day, dt.time(12, 0), tzinfo=dt.UTC),
    )  # fmt: skip


def _posts(*posts: Post) -> dict[str, Any]:
    return {"posts": [p.model_dump(mode="json") for p in posts], "signals": {}}


def _upvotes(**by_id: int) -> dict[str, Any]:
    signals = {k: Signals(hf_upvotes=v).model_dump(mode="json", exclude_none=True)
               for k, v in by_id.items()}  # fmt: skip
    return {"posts": [], "signals": signals}


def seed(store: Store) -> None:
    """Store Monday's and Wednesday's snapshots (final: fetched days after each listing)."""
    fetched = NOW
    days = {
        MONDAY: (
            [paper(A, "Sparse routers"), paper(B, "Quiet results")],
            _posts(post("p1", "alice", A, 10, MONDAY), post("p2", "bob", A, 3, MONDAY)),
            _upvotes(**{A: 9}),
        ),
        WEDNESDAY: (
            [paper(C, "Tiny dialogue models")],
            _posts(
                post("p1", "alice", A, 12, MONDAY),
                post("p3", "carol", A, 5, WEDNESDAY),
                post("p4", "dave", C, 1, WEDNESDAY),
            ),  # fmt: skip
            _upvotes(**{A: 16, C: 4}),
        ),
    }
    for date, (papers, bluesky, huggingface) in days.items():
        listing = {"papers": [p.model_dump(mode="json") for p in papers]}
        store.put_snapshot("arxiv", date, "cs.CL", listing, fetched)
        store.put_snapshot("bluesky", date, "", bluesky, fetched)
        store.put_snapshot("huggingface", date, "", huggingface, fetched)
