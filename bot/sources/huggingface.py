"""Hugging Face Daily Papers: upvotes, comments, AI summary, GitHub repo and stars per paper.

The listing is asked per *Daily Papers* day, not per paper: ``date`` filters on the day a paper
was added to Daily Papers, which is usually the arXiv listing day but can be a few days later.
So one listing date costs (days looked at) x (pages per day) requests, however many papers the
listing has, and the papers are joined to the listing by arXiv id.

Decided for Hugging Face: an answer that is not a list fails the source; an item that is not an
object, has no ``paper`` object or no text ``paper.id`` is skipped, and a count (``upvotes``,
``numComments``, ``githubStars``) that is not a number is taken as unknown; either is counted in
a problem that leaves the source degraded, never ok. So is a day cut at ``MAX_PAGES_PER_DAY``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

import httpx

from bot.clock import Clock
from bot.config import Settings
from bot.models import Paper, Signals
from bot.sources.arxiv_ids import normalise_arxiv_id
from bot.sources.base import Collected, Window, host_of
from bot.sources.http import Http, SourceError
from bot.sources.values import as_text, as_web_url, count, mistyped_count, plural

log = logging.getLogger(__name__)

# Anonymous "API" bucket: 500 requests per 5-minute window (hub-docs rate-limits.md).
HF_RATE_CALLS = 500
HF_RATE_PERIOD = 300.0
PAGE_SIZE = 100
# A paper listed on day D usually reaches Daily Papers on D, sometimes up to a few days later.
DAYS_AFTER_LISTING = 3
# Daily Papers has had at most a few hundred papers a day; this bounds a misbehaving server.
MAX_PAGES_PER_DAY = 10


def listing_days(window: Window, today: dt.date) -> list[dt.date]:
    """The Daily Papers days that may hold the listing's papers, never one after ``today``."""
    last = min(window.date + dt.timedelta(days=DAYS_AFTER_LISTING), today)
    span = (last - window.date).days + 1
    return [window.date + dt.timedelta(days=n) for n in range(max(span, 0))]


def well_formed(item: Any) -> bool:
    """An object with a ``paper`` object whose ``id`` is text (an arXiv id or not)."""
    paper = item.get("paper") if isinstance(item, dict) else None
    return isinstance(paper, dict) and isinstance(paper.get("id"), str)


def mistyped_counts(item: dict[str, Any]) -> bool:
    paper = item["paper"]
    values = (paper.get("upvotes"), item.get("numComments"), paper.get("githubStars"))
    return any(mistyped_count(value) for value in values)


def signals_of(item: dict[str, Any]) -> tuple[str, Signals] | None:
    """The arXiv id and signals of one listing item, or ``None`` when it names no arXiv paper."""
    paper = item.get("paper")
    if not isinstance(paper, dict):
        return None
    arxiv_id = normalise_arxiv_id(str(paper.get("id") or ""))
    if arxiv_id is None:
        return None
    signals = Signals(
        hf_upvotes=count(paper.get("upvotes")),
        hf_comments=count(item.get("numComments")),
        hf_ai_summary=as_text(paper.get("ai_summary")),
        hf_thumbnail=as_web_url(item.get("thumbnail")),
        github_repo=as_web_url(paper.get("githubRepo")),
        github_stars=count(paper.get("githubStars")),
        project_page=as_web_url(paper.get("projectPage")),
    )
    return arxiv_id, signals


class HuggingFaceSource:
    """Daily Papers listings around the listing date, joined to the papers by arXiv id."""

    name = "huggingface"
    scope = "window"

    def __init__(self, client: httpx.AsyncClient, settings: Settings, clock: Clock) -> None:
        self.base_url = settings.url("hf_api_url")
        self.clock = clock
        self.http = Http.for_service(
            client, self.name, settings, clock, calls=HF_RATE_CALLS, period=HF_RATE_PERIOD
        )

    @property
    def requests(self) -> int:
        return self.http.requests

    def skip_reason(self) -> str | None:
        return None  # public reads need no token

    async def check(self) -> str:
        body = await self.http.get_json(f"{self.base_url}/daily_papers", params={"limit": 1})
        if not isinstance(body, list):
            raise SourceError("unexpected answer from daily_papers (not a list)")
        return f"reachable ({host_of(self.base_url)})"

    async def collect(self, window: Window, papers: Sequence[Paper]) -> Collected:
        wanted = {paper.arxiv_id for paper in papers}
        found: dict[str, Signals] = {}
        problems: list[str] = []
        skipped = mistyped = 0
        for day in listing_days(window, self.clock.now().astimezone(dt.UTC).date()):
            items, complete = await self.day_items(day)
            if not complete:
                problems.append(f"truncated after {plural(len(items), 'paper')} of {day}")
            for item in items:
                if not well_formed(item):
                    skipped += 1
                    continue
                mistyped += mistyped_counts(item)
                pair = signals_of(item)
                if pair is None or (wanted and pair[0] not in wanted):
                    continue
                arxiv_id, signals = pair
                known = found.get(arxiv_id)
                # Listed on two days: keep the entry with more upvotes (the fresher count).
                if known is None or (signals.hf_upvotes or 0) > (known.hf_upvotes or 0):
                    found[arxiv_id] = signals
        if skipped:
            problems.append(f"{plural(skipped, 'item')} without a paper id skipped")
        if mistyped:
            problems.append(
                f"{plural(mistyped, 'item')} with counts that are not numbers (unknown)"
            )
        return Collected(signals=found, problems=problems)

    async def day_items(self, day: dt.date) -> tuple[list[Any], bool]:
        """Every listing item of one Daily Papers day, paging while a page comes back full, and
        whether that was all of them (``False``: stopped at ``MAX_PAGES_PER_DAY``)."""
        items: list[Any] = []
        for page in range(MAX_PAGES_PER_DAY):
            params = {"date": day.isoformat(), "limit": PAGE_SIZE, "p": page}
            body = await self.http.get_json(f"{self.base_url}/daily_papers", params=params)
            if not isinstance(body, list):
                raise SourceError("unexpected response (not a list of papers)")
            items.extend(body)
            if len(body) < PAGE_SIZE:
                return items, True
        log.warning("%s: %s has more than %d pages, stopped", self.name, day, MAX_PAGES_PER_DAY)
        return items, False
