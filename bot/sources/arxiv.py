"""The arXiv API source: the papers of a listing date by category, and metadata by id.

arXiv's terms allow one request every 3 seconds, one connection at a time, so every request
goes through one :class:`RateLimiter` (pass the same one to every ``ArxivSource`` of a process).
The API sometimes answers a valid query with a transiently empty page; that page is asked again,
with backoff, a bounded number of times.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Collection, Sequence

import httpx

from bot.clock import Clock
from bot.models import Paper
from bot.sources import deadline
from bot.sources.arxiv_parse import ArxivRejected, Feed, parse_feed, split_arxiv_id
from bot.sources.base import CHECK_ARXIV_ID, host_of
from bot.sources.http import Http, RateLimiter, SourceError

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://export.arxiv.org/api/query"
MAX_PAGE_SIZE = 2000  # arXiv's limit per call
MAX_TOTAL_RESULTS = 30000  # arXiv's limit per query
ID_CHUNK = 200  # ids per id_list request: keeps the URL short
_CATEGORY = re.compile(r"[a-z][a-z-]*(?:\.[A-Za-z-]+)?")
_SUBMITTED_FORMAT = "%Y%m%d%H%M"


def listing_query(categories: Sequence[str], start: dt.datetime, end: dt.datetime) -> str:
    """``(cat:cs.CL OR cat:cs.LG) AND submittedDate:[202104091800 TO 202104121800]`` (GMT).

    Categories are checked so that user input can never widen the query (``cs.CL OR all:x``).
    """
    if not categories:
        raise ValueError("at least one arXiv category is needed")
    for category in categories:
        if not _CATEGORY.fullmatch(category):
            raise ValueError(f"not an arXiv category: {category!r}")
    cats = " OR ".join(f"cat:{c}" for c in dict.fromkeys(categories))
    return f"({cats}) AND submittedDate:[{_gmt_minute(start)} TO {_gmt_minute(end)}]"


def _gmt_minute(when: dt.datetime) -> str:
    if when.tzinfo is None:
        raise ValueError(f"window bound {when.isoformat()} has no time zone")
    return when.astimezone(dt.UTC).strftime(_SUBMITTED_FORMAT)


class ArxivSource:
    """Lists the papers submitted in a listing's window (cross-lists included) and looks up ids."""

    name = "arxiv"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        base_url: str = DEFAULT_BASE_URL,
        clock: Clock,
        delay: float = 3.0,
        page_size: int = MAX_PAGE_SIZE,
        retries: int = 3,
        timeout: float = 20.0,
        max_results: int = MAX_TOTAL_RESULTS,
        limiter: RateLimiter | None = None,
        holidays: Collection[dt.date] = (),
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        self.base_url = base_url
        self.clock = clock
        self.delay = delay
        self.page_size = page_size
        self.retries = retries
        self.max_results = max(0, min(max_results, MAX_TOTAL_RESULTS))
        self.holidays = tuple(holidays)
        self.http = Http(
            client=client,
            name=self.name,
            limiter=limiter or RateLimiter(1, delay, clock),
            clock=clock,
            retries=retries,
            timeout=timeout,
        )

    @property
    def requests(self) -> int:
        """HTTP requests sent so far (retries included), for the digest's source report."""
        return self.http.requests

    async def papers(
        self,
        date: dt.date,
        categories: Sequence[str],
        *,
        window: tuple[dt.datetime, dt.datetime] | None = None,
    ) -> list[Paper]:
        """Papers whose v1 was submitted in ``window`` (default: the listing window of ``date``).

        The window is half-open, ``[start, end)``: arXiv's ``submittedDate`` range is inclusive to
        the minute, so a paper submitted at the closing minute belongs to the next listing.
        """
        if window is None:
            from bot.calendar import submission_window  # written alongside; imported when needed

            window = submission_window(date, self.holidays)
        start, end = window
        query = listing_query(categories, start, end)
        found = await self._search_all(query)
        return [p for p in found if p.published is None or start <= p.published < end]

    def skip_reason(self) -> str | None:
        return None  # arXiv needs no credentials

    async def check(self) -> str:
        """One cheap request (one known paper): the API answers with an Atom feed."""
        await self._get_feed({"id_list": CHECK_ARXIV_ID, "max_results": "1"})
        return f"reachable ({host_of(self.base_url)})"

    async def by_ids(self, ids: Sequence[str]) -> list[Paper]:
        """Metadata for ``ids`` (with or without ``vN``), in request order; unknown ids are absent.

        Ids that are not arXiv ids are dropped before asking: arXiv answers HTTP 400 for a whole
        batch when one of its ids is malformed.
        """
        wanted = list(dict.fromkeys(_bare_ids(ids)))
        found: dict[str, Paper] = {}
        for offset in range(0, len(wanted), ID_CHUNK):
            chunk = wanted[offset : offset + ID_CHUNK]
            params = {"id_list": ",".join(chunk), "start": "0", "max_results": str(len(chunk))}
            feed = await self._get_feed(params)
            for paper in feed.papers:
                found.setdefault(paper.arxiv_id, paper)
        return [found[i] for i in wanted if i in found]

    async def _search_all(self, query: str) -> list[Paper]:
        """Every result of ``query``, paging with ``start`` until arXiv's total (or our cap)."""
        papers: dict[str, Paper] = {}
        start = 0
        total: int | None = None
        while start < self.max_results and (total is None or start < total):
            feed = await self._page(query, start, min(self.page_size, self.max_results - start))
            total = feed.total_results
            if not feed.papers:
                break  # total reached (0 results); an early empty page was retried in _page
            for paper in feed.papers:
                papers.setdefault(paper.arxiv_id, paper)
            start += len(feed.papers)
        if total is not None and total > self.max_results:
            log.warning("arxiv: %d results, only the first %d fetched", total, self.max_results)
        return list(papers.values())

    async def _page(self, query: str, start: int, size: int) -> Feed:
        """One page; an empty page short of the total is a glitch, asked again with backoff."""
        params = {
            "search_query": query,
            "sortBy": "submittedDate",
            "sortOrder": "ascending",
            "start": str(start),
            "max_results": str(size),
        }
        for attempt in range(self.retries + 1):
            feed = await self._get_feed(params)
            short = feed.total_results > start and not feed.papers
            if not short:
                return feed
            if attempt < self.retries:
                wait = self.delay * 2**attempt
                last = (
                    f"arXiv returned an empty page at start={start} of {feed.total_results} results"
                )
                if refusal := deadline.backoff_refusal(wait, last, attempt + 1):
                    raise SourceError(refusal)
                log.info("arxiv: empty page at start=%d, retry in %.0f s", start, wait)
                await self.clock.sleep(wait)
        raise SourceError(
            f"arXiv returned an empty page at start={start} of {feed.total_results} results "
            f"after {self.retries + 1} attempts"
        )

    async def _get_feed(self, params: dict[str, str]) -> Feed:
        response = await self.http.request("GET", self.base_url, params=params)
        if response.status_code == 200:
            return parse_feed(response.content)
        if response.status_code == 400:
            try:
                parse_feed(response.content)
            except ArxivRejected:
                raise  # "arXiv rejected the query: <arXiv's reason>"
            except SourceError:
                pass  # a 400 without arXiv's error feed: the status says it all
        raise SourceError(f"HTTP {response.status_code}")


def _bare_ids(ids: Sequence[str]) -> list[str]:
    bare = []
    for raw in ids:
        try:
            bare.append(split_arxiv_id(raw)[0])
        except ValueError:
            log.warning("arxiv: dropping %r, not an arXiv id", raw[:60])
    return bare
