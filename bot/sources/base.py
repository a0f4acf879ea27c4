"""The Source protocols: what the digest builder asks of every data source."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from bot.models import Paper, Post, Signals

#: A paper every source knows (the seed's first): what ``check()`` asks about.
CHECK_ARXIV_ID = "2104.04015"


def host_of(url: str) -> str:
    """The host of a base URL, for lines that must name a service but never a secret."""
    return httpx.URL(url).host


@dataclass(frozen=True)
class Window:
    """The listing date being ranked and the UTC time range whose posts count for it."""

    date: dt.date
    start: dt.datetime
    end: dt.datetime


@dataclass
class Collected:
    """What an attention source found: posts (joined to papers by arXiv id), per-paper signals,
    and ``problems``: why the answer is incomplete though usable ("truncated after 10000 posts",
    "3 posts without a valid uri skipped"); any makes the source's status degraded, never ok."""

    posts: list[Post] = field(default_factory=list)
    signals: dict[str, Signals] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def joined_posts(posts: Iterable[Post], papers: Sequence[Paper]) -> Collected:
    """Each post once (by id), keeping only the arXiv ids of ``papers`` (all ids when none are
    given); a post left with no id is dropped."""
    wanted = frozenset(paper.arxiv_id for paper in papers)
    kept: dict[str, Post] = {}
    for post in posts:
        ids = tuple(i for i in post.arxiv_ids if not wanted or i in wanted)
        if ids and post.post_id not in kept:
            same = ids == post.arxiv_ids  # most posts: no copy
            kept[post.post_id] = post if same else post.model_copy(update={"arxiv_ids": ids})
    return Collected(posts=list(kept.values()))


class PaperSource(Protocol):
    """Lists the papers of a listing date (the arXiv API)."""

    name: str

    async def papers(self, date: dt.date, categories: Sequence[str]) -> list[Paper]: ...

    def skip_reason(self) -> str | None: ...

    async def check(self) -> str: ...


class AttentionSource(Protocol):
    """Finds the attention papers got: posts, upvotes, points, citations.

    ``skip_reason`` is ``None`` when the source can be asked, else why not (no credentials).
    ``collect`` raises ``SourceError`` when the source fails; the digest then goes on without it.
    ``scope`` is ``"window"`` when what it returns depends only on the window (a bulk search of
    every arXiv link), ``"papers"`` when it depends on the papers asked about (a batch by id).
    """

    name: str
    scope: str

    def skip_reason(self) -> str | None: ...

    async def collect(self, window: Window, papers: Sequence[Paper]) -> Collected: ...

    async def check(self) -> str:
        """One cheap request for ``hotpapers check``: what was found, or ``SourceError``."""
        ...
