"""Hacker News through Algolia's search: every story linking arxiv.org in the window, in bulk.

One search (``query=arxiv.org`` restricted to the story URL) over the window's time range finds
every arXiv story at once; the stories are then joined to papers by the arXiv id in their URL.
Algolia serves at most about 1,000 hits of one query, so a range with more is split in time and
the older part asked again: the cost follows the number of stories, never the number of papers.

Decided for Hacker News: an answer without a ``hits`` list fails the source; a hit that is not an
object or has no ``objectID`` is skipped, and ``points``/``num_comments`` that are not numbers are
taken as unknown; either is counted in a problem that leaves the source degraded, never ok. So
is paging metadata (``nbHits``...) that is not a number, a time filter the server ignored, and a
window cut at ``MAX_RANGE_QUERIES``.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Sequence
from typing import Any

import httpx

from bot.clock import Clock
from bot.config import Settings
from bot.models import Paper, Post, Signals
from bot.sources.arxiv_ids import extract_arxiv_ids
from bot.sources.base import Collected, Window, host_of
from bot.sources.http import Http, SourceError
from bot.sources.values import count, epoch_time, mistyped_count, plural

# Community-documented limit of hn.algolia.com: about 10,000 requests per hour per IP.
HN_RATE_CALLS = 10_000
HN_RATE_PERIOD = 3600.0
HITS_PER_PAGE = 1000  # Algolia's maximum
ALGOLIA_HIT_CAP = 1000  # hits reachable by paging one query
DISCUSSION_URL = "https://news.ycombinator.com/item?id="
# 50 full answers are 50,000 arXiv stories in one window, far beyond HN's few hundred a day.
MAX_RANGE_QUERIES = 50

log = logging.getLogger(__name__)


def unix_seconds(moment: dt.datetime, *, round_up: bool = False) -> int:
    """Whole Unix seconds of an instant (naive times are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    stamp = moment.timestamp()
    return math.ceil(stamp) if round_up else math.floor(stamp)


def window_unix_range(window: Window) -> tuple[int, int]:
    """The window as a half-open ``[start, end)`` range of Unix seconds covering all of it."""
    return unix_seconds(window.start), unix_seconds(window.end, round_up=True)


def post_of(hit: dict[str, Any]) -> Post | None:
    """The story of one hit as a Post, or ``None`` when its URL links no arXiv paper."""
    object_id = hit.get("objectID")
    url = hit.get("url")
    if not object_id or not isinstance(url, str):
        return None
    arxiv_ids = extract_arxiv_ids(url)
    if not arxiv_ids:
        return None
    return Post(
        platform="hackernews",
        post_id=str(object_id),
        author=str(hit.get("author") or ""),
        text=str(hit.get("title") or ""),
        url=DISCUSSION_URL + str(object_id),
        arxiv_ids=arxiv_ids,
        likes=count(hit.get("points")),
        replies=count(hit.get("num_comments")),
        created_at=epoch_time(hit.get("created_at_i")),
    )


def hit_problems(hits: Sequence[Any]) -> list[str]:
    """What was wrong with the hits of an answer (the malformed ones are skipped by ``post_of``)."""
    skipped = sum(
        not isinstance(hit, dict) or not isinstance(hit.get("objectID"), str | int) for hit in hits
    )
    mistyped = sum(
        isinstance(hit, dict)
        and (mistyped_count(hit.get("points")) or mistyped_count(hit.get("num_comments")))
        for hit in hits
    )
    problems = []
    if skipped:
        problems.append(f"{plural(skipped, 'hit')} without an objectID skipped")
    if mistyped:
        problems.append(f"{plural(mistyped, 'story')} with counts that are not numbers (unknown)")
    return problems


def signals_of(posts: Sequence[Post]) -> dict[str, Signals]:
    """Per paper: the top story's points and URL, and the comments of all its stories.

    Points are the *maximum* over a paper's stories, not the sum: a second story of the same
    paper is a resubmission (often the PDF link after the abs link) read by the same audience, and
    summing would reward resubmitting. Comments are summed: each thread is separate discussion.
    """
    by_paper: dict[str, list[Post]] = {}
    for post in posts:
        for arxiv_id in post.arxiv_ids:
            by_paper.setdefault(arxiv_id, []).append(post)
    signals = {}
    for arxiv_id, stories in by_paper.items():
        top = max(stories, key=lambda p: (p.likes or 0, p.replies or 0))
        signals[arxiv_id] = Signals(
            hn_points=top.likes,
            hn_comments=sum(p.replies or 0 for p in stories),
            hn_url=top.url,
        )
    return signals


class HackerNewsSource:
    """Every arXiv story of the window from HN Algolia, joined to papers by arXiv id."""

    name = "hackernews"
    scope = "window"

    def __init__(self, client: httpx.AsyncClient, settings: Settings, clock: Clock) -> None:
        self.base_url = settings.url("hn_api_url")
        self.http = Http.for_service(
            client, self.name, settings, clock, calls=HN_RATE_CALLS, period=HN_RATE_PERIOD
        )

    @property
    def requests(self) -> int:
        return self.http.requests

    def skip_reason(self) -> str | None:
        return None  # no authentication

    async def check(self) -> str:
        params = {"query": "arxiv", "hitsPerPage": "1"}
        body = await self.http.get_json(f"{self.base_url}/search", params=params)
        if not isinstance(body, dict) or "hits" not in body:
            raise SourceError("unexpected answer from search (no hits)")
        return f"reachable ({host_of(self.base_url)})"

    async def collect(self, window: Window, papers: Sequence[Paper]) -> Collected:
        """All arXiv stories of the window; ``papers`` is not needed (the search is by window)."""
        start, end = window_unix_range(window)
        posts: dict[str, Post] = {}
        problems: list[str] = []
        hits = await self.range_hits(start, end, problems)
        for hit in hits:
            post = post_of(hit) if isinstance(hit, dict) else None
            if post is not None:
                posts.setdefault(post.post_id, post)
        found = sorted(posts.values(), key=lambda p: (-(p.likes or 0), p.post_id))
        problems = list(dict.fromkeys(problems + hit_problems(hits)))
        return Collected(posts=found, signals=signals_of(found), problems=problems)

    async def range_hits(self, start: int, end: int, problems: list[str]) -> list[Any]:
        """Every hit created in ``[start, end)``, however many more than one query can reach.

        ``search_by_date`` returns the newest hits first, so a truncated answer holds every hit
        from its oldest one's second up to ``end``: the range is split there (not in halves), and
        only the older part is asked again. No request is wasted, so 2,500 stories cost 3
        requests. Hits of that boundary second come twice and are deduplicated by the caller.
        Why the hits may be incomplete is added to ``problems``.
        """
        hits: list[Any] = []
        upper = end
        for _ in range(MAX_RANGE_QUERIES):
            if upper <= start:
                break
            batch, total = await self.query_hits(start, upper, problems)
            hits.extend(batch)
            stamps = [count(hit.get("created_at_i")) for hit in batch if isinstance(hit, dict)]
            known = [stamp for stamp in stamps if stamp is not None]
            if total <= len(batch) or not known:
                break
            oldest = min(known)
            if oldest >= upper:
                log.warning("%s: the server ignored the time filter, stopped", self.name)
                problems.append(f"time filter ignored; truncated after {plural(len(hits), 'hit')}")
                break
            # More than a full answer within one second cannot be split further: skip past it.
            upper = oldest + 1 if oldest + 1 < upper else oldest
        else:
            log.warning("%s: stopped after %d queries of one window", self.name, MAX_RANGE_QUERIES)
            problems.append(f"truncated after {plural(len(hits), 'hit')}")
        return hits

    async def query_hits(self, start: int, end: int, problems: list[str]) -> tuple[list[Any], int]:
        """The reachable hits of one query over ``[start, end)`` (paging), and its ``nbHits``."""
        first = await self.search(start, end, page=0, problems=problems)
        hits = list(first["hits"])
        per_page = max(first["hitsPerPage"], 1)
        pages = min(first["nbPages"], math.ceil(ALGOLIA_HIT_CAP / per_page))
        for page in range(1, pages):
            hits.extend((await self.search(start, end, page=page, problems=problems))["hits"])
        return hits, first["nbHits"]

    async def search(
        self, start: int, end: int, page: int, problems: list[str] | None = None
    ) -> dict[str, Any]:
        """One page of arXiv stories created in ``[start, end)``; its hits as answered."""
        params = {
            "query": "arxiv.org",
            "restrictSearchableAttributes": "url",
            "tags": "story",
            "numericFilters": f"created_at_i>={start},created_at_i<{end}",
            "hitsPerPage": HITS_PER_PAGE,
            "page": page,
        }
        body = await self.http.get_json(f"{self.base_url}/search_by_date", params=params)
        if not isinstance(body, dict) or not isinstance(body.get("hits"), list):
            raise SourceError("unexpected response (no hits list)")
        hits = body["hits"]
        for name in ("nbHits", "nbPages", "hitsPerPage"):
            if problems is not None and mistyped_count(body.get(name)):
                problems.append(f"Hacker News answered {name} that is not a number")
        return {
            "hits": hits,
            "nbHits": count(body.get("nbHits")) or len(hits),
            "nbPages": count(body.get("nbPages")) or 1,
            "hitsPerPage": count(body.get("hitsPerPage")) or HITS_PER_PAGE,
        }
