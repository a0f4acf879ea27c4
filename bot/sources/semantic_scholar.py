"""Semantic Scholar: citation counts and TLDRs of the papers asked about, 500 per request.

Citations stand in for social attention on dates older than the social sources reach. The batch
endpoint answers an array in the order of the ids sent, with ``null`` for ids it does not know
(brand-new arXiv papers take days to appear), so answers are joined by position.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import httpx

from bot.clock import Clock
from bot.config import Settings
from bot.models import Paper, Signals
from bot.sources.arxiv_ids import normalise_arxiv_id
from bot.sources.base import CHECK_ARXIV_ID, Collected, Window, host_of
from bot.sources.http import Http, SourceError
from bot.sources.values import as_text, count, mistyped_count, plural

log = logging.getLogger(__name__)

BATCH_SIZE = 500  # the batch endpoint's maximum number of ids
FIELDS = "externalIds,citationCount,influentialCitationCount,tldr"
# With a key: 1 request per second. Without one, requests share a global anonymous pool that
# answers 429 often; one request every 3 seconds keeps us a polite member of it.
#: 1 request / s with a key, plus 5 %: a request sent exactly 1 s after the previous one can
#: arrive sooner than 1 s after it (the bench's strict fake answered those 429, costing 1 s each).
KEYED_INTERVAL = 1.05
ANONYMOUS_INTERVAL = 3.0


def chunks(items: Sequence[str], size: int) -> list[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def signals_of(requested: str, record: Any) -> Signals | None:
    """Signals of one batch answer, or ``None`` for an unknown id (``null``) or a mismatched one."""
    if not isinstance(record, dict):
        return None
    external = record.get("externalIds")
    if isinstance(external, dict) and external.get("ArXiv"):
        answered = normalise_arxiv_id(str(external["ArXiv"]))
        if answered is not None and answered != requested:
            log.warning("semantic_scholar: asked %s, answered %s; ignored", requested, answered)
            return None
    tldr = record.get("tldr")
    return Signals(
        citations=count(record.get("citationCount")),
        influential_citations=count(record.get("influentialCitationCount")),
        tldr=as_text(tldr.get("text")) if isinstance(tldr, dict) else None,
    )


def record_problems(records: Sequence[Any]) -> list[str]:
    """Decided for Semantic Scholar: ``null`` is an unknown id (not a problem); an entry that is
    not an object is skipped and a count that is not a number taken as unknown, each counted in a
    problem that leaves the source degraded, never ok. A batch not one entry per id fails it."""
    skipped = sum(record is not None and not isinstance(record, dict) for record in records)
    mistyped = sum(
        isinstance(record, dict)
        and any(
            mistyped_count(record.get(k)) for k in ("citationCount", "influentialCitationCount")
        )
        for record in records
    )
    problems = []
    if skipped:
        problems.append(f"{plural(skipped, 'non-object entry', 'non-object entries')} skipped")
    if mistyped:
        problems.append(f"{plural(mistyped, 'paper')} with counts that are not numbers (unknown)")
    return problems


class SemanticScholarSource:
    """Citations and TLDRs by arXiv id through the Graph API's paper batch endpoint."""

    name = "semantic_scholar"
    scope = "papers"

    def __init__(self, client: httpx.AsyncClient, settings: Settings, clock: Clock) -> None:
        self.base_url = settings.url("s2_api_url")
        self._api_key = settings.secret("s2_api_key")
        interval = KEYED_INTERVAL if self._api_key else ANONYMOUS_INTERVAL
        self.http = Http.for_service(client, self.name, settings, clock, calls=1, period=interval)

    @property
    def requests(self) -> int:
        return self.http.requests

    @property
    def authenticated(self) -> bool:
        """Whether requests carry an API key (without one they are slower and often 429)."""
        return self._api_key is not None

    def skip_reason(self) -> str | None:
        return None  # works without a key, only slower

    async def check(self) -> str:
        try:
            await self.batch([CHECK_ARXIV_ID])
        except SourceError as exc:
            if self._api_key and str(exc) == "HTTP 403":
                raise SourceError(
                    "API key refused (HTTP 403): check HOTPAPERS_S2_API_KEY"
                ) from None
            raise
        mode = "with API key" if self._api_key else "without API key (slower)"
        return f"reachable ({host_of(self.base_url)}, {mode})"

    async def collect(self, window: Window, papers: Sequence[Paper]) -> Collected:
        arxiv_ids = list(dict.fromkeys(paper.arxiv_id for paper in papers))
        if arxiv_ids and not self.authenticated:
            log.info("%s: no S2_API_KEY, one request every %g s", self.name, ANONYMOUS_INTERVAL)
        found: dict[str, Signals] = {}
        records: list[Any] = []
        for chunk in chunks(arxiv_ids, BATCH_SIZE):
            answered = await self.batch(chunk)
            records.extend(answered)
            for arxiv_id, record in zip(chunk, answered, strict=True):
                signals = signals_of(arxiv_id, record)
                if signals is not None:
                    found[arxiv_id] = signals
        return Collected(signals=found, problems=record_problems(records))

    async def batch(self, arxiv_ids: Sequence[str]) -> list[Any]:
        """The batch answer for up to 500 ids, one entry (or ``None``) per id, in order."""
        headers = {"x-api-key": self._api_key} if self._api_key else {}
        response = await self.http.request(
            "POST",
            f"{self.base_url}/paper/batch",
            params={"fields": FIELDS},
            json={"ids": [f"ARXIV:{arxiv_id}" for arxiv_id in arxiv_ids]},
            headers=headers,
        )
        body = self.http.decode(response)
        if not isinstance(body, list) or len(body) != len(arxiv_ids):
            raise SourceError("unexpected response (not one entry per id)")
        return body
