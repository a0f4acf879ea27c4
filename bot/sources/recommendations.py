"""Semantic Scholar's Recommendations API: papers like one arXiv paper ("More like this").

``GET {base}/papers/forpaper/arXiv:{id}?fields=...&limit=N`` answers
``{"recommendedPapers": [{"paperId", "title", "url", "year", "externalIds", "authors"}, ...]}``;
an id it does not know is a 404 (brand-new arXiv papers take days to appear there). Requests go
through ``Http.for_service`` like every source: the configured timeout, bounded retries honouring
Retry-After, and Semantic Scholar's published rate (1 request a second with an API key, shared
with the Graph API source when the caller passes its limiter; one every 3 s without a key). The
caller bounds the whole lookup with the source deadline (``bot.sources.budget.bounded``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from bot.clock import Clock
from bot.config import Settings
from bot.sources.arxiv_ids import normalise_arxiv_id
from bot.sources.http import MB, Http, RateLimiter, SourceError
from bot.sources.semantic_scholar import ANONYMOUS_INTERVAL, KEYED_INTERVAL
from bot.sources.values import as_text, as_web_url

NAME = "semantic_scholar_recommendations"
FIELDS = "title,url,year,externalIds,authors"
DEFAULT_LIMIT = 5
MAX_LIMIT = 100  # the endpoint's maximum (500 for the multi-paper POST form)
#: A page of 100 recommendations with these fields is well under 100 kB.
ANSWER_CAP = 1 * MB


class NotKnown(SourceError):
    """Semantic Scholar has no record of the paper (HTTP 404)."""


@dataclass(frozen=True)
class Recommendation:
    """One recommended paper: its title, the arXiv id when it has one, and a link."""

    title: str
    url: str
    arxiv_id: str | None = None
    year: int | None = None
    authors: tuple[str, ...] = ()


def recommendation_of(record: Any) -> Recommendation | None:
    """One entry of ``recommendedPapers``, or ``None`` when it has no usable title or link."""
    if not isinstance(record, dict):
        return None
    title = as_text(record.get("title"))
    external = record.get("externalIds")
    raw_arxiv = external.get("ArXiv") if isinstance(external, dict) else None
    arxiv_id = normalise_arxiv_id(str(raw_arxiv)) if raw_arxiv else None
    url = f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else as_web_url(record.get("url"))
    if not title or not url:
        return None
    year = record.get("year")
    authors = record.get("authors")
    names = tuple(
        name
        for author in (authors if isinstance(authors, list) else [])
        if isinstance(author, dict) and (name := as_text(author.get("name")))
    )
    return Recommendation(
        title=title,
        url=url,
        arxiv_id=arxiv_id,
        year=year if isinstance(year, int) and not isinstance(year, bool) else None,
        authors=names,
    )


class RecommendationsSource:
    """Papers like an arXiv paper, from Semantic Scholar's Recommendations API."""

    name = NAME

    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        clock: Clock,
        *,
        limiter: RateLimiter | None = None,
    ) -> None:
        """``limiter``: the Graph API source's, so both stay within the key's one rate."""
        self.base_url = settings.url("s2_recommendations_url")
        self._api_key = settings.secret("s2_api_key")
        interval = KEYED_INTERVAL if self._api_key else ANONYMOUS_INTERVAL
        self.http = Http.for_service(client, NAME, settings, clock, calls=1, period=interval)
        if limiter is not None:
            self.http.limiter = limiter
        self.http.max_bytes = ANSWER_CAP

    async def for_paper(self, arxiv_id: str, limit: int = DEFAULT_LIMIT) -> list[Recommendation]:
        """Up to ``limit`` papers like ``arxiv_id`` (without the paper itself), best first.

        Raises ``NotKnown`` for a paper Semantic Scholar does not have, ``SourceError`` when it
        does not answer (after the retries) or answers something unexpected."""
        headers = {"x-api-key": self._api_key} if self._api_key else {}
        response = await self.http.request(
            "GET",
            f"{self.base_url}/papers/forpaper/arXiv:{arxiv_id}",
            params={"fields": FIELDS, "limit": str(max(1, min(limit, MAX_LIMIT)))},
            headers=headers,
        )
        if response.status_code == 404:
            raise NotKnown("HTTP 404")
        body = self.http.decode(response)
        papers = body.get("recommendedPapers") if isinstance(body, dict) else None
        if not isinstance(papers, list):
            raise SourceError("unexpected response (no recommendedPapers list)")
        found = [r for r in map(recommendation_of, papers) if r is not None]
        return [r for r in found if r.arxiv_id != arxiv_id][:limit]
