"""Test data written for the tests (never copied from ../shared/fixtures)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.models import Digest, Entry, Paper, Post, Signals, SourceStatus

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FIXTURES = SHARED / "fixtures"
UTC = dt.UTC


def fixture_path(*parts: str) -> Path:
    """A file of ../shared/fixtures, or skip where that folder is absent (a user's clone)."""
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"recorded fixture {'/'.join(parts)} not available (../shared/fixtures absent)")
    return path


def make_paper(n: int = 1, **kw: object) -> Paper:
    data: dict[str, object] = {
        "arxiv_id": f"2104.{4000 + n:05d}",
        "version": 1,
        "title": f"Paper number {n}: a study",
        "authors": ("Ada Lovelace", "Alan Turing"),
        "abstract": f"We study problem {n}. Our method works well. It beats baselines by {n}.",
        "primary_category": "cs.CL",
        "categories": ("cs.CL", "cs.LG"),
        "published": dt.datetime(2021, 4, 9, 15, 0, tzinfo=UTC),
    }
    data.update(kw)
    return Paper.model_validate(data)


def make_post(n: int = 1, arxiv_id: str = "2104.04001", **kw: object) -> Post:
    data: dict[str, object] = {
        "platform": "bluesky",
        "post_id": f"post{n}",
        "author": f"user{n}.bsky.social",
        "author_name": f"User {n}",
        "text": f"Great paper https://arxiv.org/abs/{arxiv_id} number {n}",
        "url": f"https://bsky.app/profile/user{n}.bsky.social/post/{n}",
        "arxiv_ids": (arxiv_id,),
        "likes": 10 * n,
        "reposts": n,
        "replies": 0,
        "quotes": 0,
        "created_at": dt.datetime(2021, 4, 12, 12, n % 60, tzinfo=UTC),
    }
    data.update(kw)
    return Post.model_validate(data)


def make_entry(rank: int = 1, **kw: object) -> Entry:
    paper = kw.pop("paper", None) or make_paper(rank)
    assert isinstance(paper, Paper)
    data: dict[str, object] = {
        "rank": rank,
        "paper": paper,
        "score": 10.0 - rank,
        "breakdown": {"posts": 8.0 - rank, "huggingface": 2.0},
        "signals": Signals(
            hf_upvotes=12, github_repo="https://github.com/example/repo", github_stars=42
        ),
        "posts": (make_post(rank, paper.arxiv_id),),
        "post_count": 3,
        "summary": f"Summary of paper {rank}.",
    }
    data.update(kw)
    return Entry.model_validate(data)


def make_digest(n: int = 3, **kw: object) -> Digest:
    data: dict[str, object] = {
        "date": dt.date(2021, 4, 12),
        "categories": ("cs.CL",),
        "generated_at": dt.datetime(2021, 4, 13, 12, 0, tzinfo=UTC),
        "entries": tuple(make_entry(i) for i in range(1, n + 1)),
        "sources": {
            "arxiv": SourceStatus(ok=True),
            "bluesky": SourceStatus(ok=True),
            "x": SourceStatus(ok=False, skipped=True, error="no credentials (X_BEARER_TOKEN)"),
        },
        "total_papers": 120,
    }
    data.update(kw)
    return Digest.model_validate(data)


MENTIONS = "<!channel> <!here> <@U123ABC> @everyone @here <@123456789012345678> <#C1> <https://evil.example|arxiv.org>"


def adversarial_digest(n: int = 10) -> Digest:
    """Everything a renderer must survive: huge fields, mention strings, markup and link tricks."""
    entries = []
    for i in range(1, n + 1):
        paper = make_paper(
            i,
            title=("A " * 400) + MENTIONS + " & <b>bold</b> [link](https://evil.example) *x*",
            authors=tuple(f"Author {k} {MENTIONS[:20]}" for k in range(200)),
            abstract=("Long abstract sentence with " + MENTIONS + ". ") * 120,
        )
        posts = tuple(
            make_post(
                10 * i + k,
                paper.arxiv_id,
                text=(MENTIONS + " ") * 40,
                author="evil<@U1>",
                author_name="@everyone " * 30,
            )
            for k in range(3)
        )
        entries.append(
            make_entry(i, paper=paper, posts=posts, summary=("Summary " + MENTIONS + " ") * 200)
        )
    return make_digest(n, entries=tuple(entries), categories=("cs.CL", "cs.LG") * 40)
