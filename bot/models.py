"""Platform-free data of a digest: papers, social posts, signals, ranked entries.

Every model is frozen: once built, a digest is shared by every adapter and never changes under them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ABS_BASE = "https://arxiv.org/abs/"
PDF_BASE = "https://arxiv.org/pdf/"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Paper(_Frozen):
    """One arXiv paper, identified by its id without version."""

    arxiv_id: str
    version: int | None = None
    title: str
    authors: tuple[str, ...] = ()
    abstract: str = ""
    primary_category: str
    categories: tuple[str, ...] = ()
    published: dt.datetime | None = None
    updated: dt.datetime | None = None
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None

    @property
    def abs_url(self) -> str:
        return ABS_BASE + self.arxiv_id

    @property
    def pdf_url(self) -> str:
        suffix = f"v{self.version}" if self.version else ""
        return PDF_BASE + self.arxiv_id + suffix


Platform = Literal["x", "bluesky", "hackernews", "huggingface", "mastodon", "reddit"]


class Post(_Frozen):
    """A social post (or story) that links to one or more arXiv papers.

    Counts are ``None`` where the source did not report them (the demo snapshot's quoted
    tweets, for instance); a ``None`` count is unknown, not zero.
    """

    platform: str
    post_id: str
    author: str
    author_name: str = ""
    text: str
    url: str
    arxiv_ids: tuple[str, ...] = ()
    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    quotes: int | None = None
    author_followers: int | None = None
    created_at: dt.datetime | None = None
    is_repost: bool = False
    repost_of: str | None = None


class Signals(_Frozen):
    """Per-paper attention signals merged from every source (absent = the source had nothing)."""

    hf_upvotes: int | None = None
    hf_comments: int | None = None
    hf_ai_summary: str | None = None
    hf_thumbnail: str | None = None
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    hn_points: int | None = None
    hn_comments: int | None = None
    hn_url: str | None = None
    citations: int | None = None
    influential_citations: int | None = None
    tldr: str | None = None
    # Aggregate counts as reported by a source that only gives totals (the seed's Twitter sums).
    reported_reposts: int | None = None
    reported_likes: int | None = None

    def merged(self, other: Signals) -> Signals:
        """Fields set in ``other`` win over this one's."""
        return self.model_copy(update=other.model_dump(exclude_none=True))


SourceState = Literal["ok", "degraded", "failed", "skipped"]


class SourceStatus(_Frozen):
    """How one source fared for a digest: ``ok`` (its answer was used), or why not (skipped or
    failed, with ``error``); ``note`` says why an answer that was used is incomplete or partly
    malformed ("truncated after 10000 posts"): then its ``state`` is ``degraded``, never ``ok``.
    """

    ok: bool
    error: str | None = None
    skipped: bool = False
    requests: int = 0
    from_snapshot: bool = False
    note: str | None = None

    @property
    def state(self) -> SourceState:
        if self.skipped:
            return "skipped"
        if not self.ok:
            return "failed"
        return "degraded" if self.note else "ok"


class Trend(_Frozen):
    """A paper's attention over days (``bot.trends``): the date of its first digest appearance
    (``None``: never seen hot), on how many listing days it was seen hot, and how its score
    changed over the last 24 h (``None``: no observation about 24 h earlier)."""

    first_seen: dt.date | None = None
    days_hot: int = 0
    delta_24h: float | None = None


Section = Literal["day", "catching_fire"]


class Entry(_Frozen):
    """One ranked paper of a digest, with why it ranks there."""

    rank: int
    paper: Paper
    score: float
    breakdown: dict[str, float] = Field(default_factory=dict)
    signals: Signals = Signals()
    posts: tuple[Post, ...] = ()
    post_count: int = 0
    summary: str = ""
    #: One plain-words line on why the paper is hot ("discussed by 26 people on Bluesky, ...").
    why: str = ""
    trend: Trend = Trend()
    #: "day": the digest's own listing; "catching_fire": an earlier listing's paper hot since.
    section: Section = "day"
    #: The paper's own listing date (the digest's date for the day's papers).
    listed: dt.date | None = None
    #: Set when posting to a channel that featured the paper before (``bot.memory``).
    featured_on: dt.date | None = None
    #: How many people of the channel it is shown to reacted to it before (``bot.reactions``).
    reactions: int = 0

    @property
    def hf_url(self) -> str | None:
        if self.signals.hf_upvotes is None:
            return None
        return "https://huggingface.co/papers/" + self.paper.arxiv_id


class Week(_Frozen):
    """The listing days a weekly roundup covers (``bot.weekly``): the arXiv week from ``start``
    (its Monday) to ``end`` (the digest's date); ``days`` had data, ``missing`` had none."""

    start: dt.date
    end: dt.date
    days: tuple[dt.date, ...]
    missing: tuple[dt.date, ...] = ()


#: The word a weekly roundup adds to its ledger key: no arXiv category is spelled so.
WEEK_KEY = "week"


class Digest(_Frozen):
    """The Hot Papers of one arXiv listing date for some categories (or, with ``week``, of the
    listing days of one arXiv week up to ``date``)."""

    date: dt.date
    categories: tuple[str, ...]
    generated_at: dt.datetime
    entries: tuple[Entry, ...]
    sources: dict[str, SourceStatus] = Field(default_factory=dict)
    total_papers: int = 0
    #: How many papers were hot; ``entries`` holds at most ``top`` of them and never pads.
    hot_count: int = 0
    notes: tuple[str, ...] = ()
    #: Earlier listings' papers that became hot since ("Catching fire"), ranked after ``entries``.
    catching_fire: tuple[Entry, ...] = ()

    @property
    def thread_entries(self) -> tuple[Entry, ...]:
        """Every reply of the digest's thread: the day's papers, then "Catching fire"."""
        return self.entries + self.catching_fire

    week: Week | None = None

    @property
    def title(self) -> str:
        """``Hot Papers 2021-04-12``, or ``Hot Papers, week of 2021-04-12 to 2021-04-16`` (its
        Monday to its last listing day)."""
        if self.week is None:
            return f"Hot Papers {self.date.isoformat()}"
        start, end = self.week.start.isoformat(), self.date.isoformat()
        return f"Hot Papers, week of {start}" + (f" to {end}" if end != start else "")

    @property
    def ledger_categories(self) -> tuple[str, ...]:
        """The categories part of the digest's ledger key and tag: a weekly roundup adds
        ``WEEK_KEY``, so it never collides with the daily digest of the same date."""
        return self.categories if self.week is None else (*self.categories, WEEK_KEY)

    @property
    def degraded(self) -> bool:
        """A source failed or was used only in part (skipped ones are setup, not degradation)."""
        return any(s.state in ("failed", "degraded") for s in self.sources.values())

    @property
    def sources_used(self) -> list[str]:
        return [name for name, s in self.sources.items() if s.ok]

    @property
    def sources_missing(self) -> dict[str, str]:
        return {n: (s.error or "unavailable") for n, s in self.sources.items() if not s.ok}


@dataclass(frozen=True)
class Snapshot:
    """One source's stored answer for a listing date and scope (see ``bot.store``)."""

    source: str
    date: dt.date
    scope: str
    payload: dict[str, Any]
    fetched_at: dt.datetime
    bundled: bool = False
