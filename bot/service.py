"""The digest service: what every entry point (CLI, slash commands, scheduler) asks for a digest.

It owns the one shared ``httpx.AsyncClient``, the sources built from the settings, and turns every
failure a user can cause or fix into a ``UserError`` with a short message.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, cast

import httpx

from bot import __version__, calendar
from bot.clock import Clock, SystemClock
from bot.commands import Query, WeekQuery
from bot.config import Settings
from bot.digest import DigestBuilder, DigestError, Filters
from bot.models import Digest
from bot.ranking import Weights
from bot.snapshots import SnapshotStore
from bot.sources.arxiv import ArxivSource
from bot.sources.base import AttentionSource
from bot.sources.bluesky import BlueskySource
from bot.sources.hackernews import HackerNewsSource
from bot.sources.huggingface import HuggingFaceSource
from bot.sources.recommendations import RecommendationsSource
from bot.sources.semantic_scholar import SemanticScholarSource
from bot.sources.x import XSource
from bot.store_error import StoreError
from bot.summaries import Summarizer
from bot.voice import Voice
from bot.weekly import build_week

if TYPE_CHECKING:  # SQLAlchemy: imported by what needs the database, not by digest --demo
    from bot.store import Store
    from bot.talk import Talk

log = logging.getLogger(__name__)

USER_AGENT = f"hotpapers/{__version__} (+https://github.com/hotpapers/hotpapers)"


class UserError(Exception):
    """Something the user can fix; ``str(exc)`` is the short message to show them, and
    ``cli_hint`` what the command line adds to it (an option only the CLI has)."""

    def __init__(self, message: str, *, cli_hint: str = "") -> None:
        super().__init__(message)
        self.cli_hint = cli_hint

    def for_cli(self) -> str:
        return f"{self}, {self.cli_hint}" if self.cli_hint else str(self)


class StoreSummaryCache:
    """LLM summaries cached per (paper, model) in the store."""

    def __init__(self, store: SnapshotStore) -> None:
        self.store = store

    def get(self, arxiv_id: str, model: str) -> str | None:
        return self.store.get_summary(arxiv_id, model)

    def put(self, arxiv_id: str, model: str, text: str) -> None:
        self.store.put_summary(arxiv_id, model, text)


def arxiv_source(client: httpx.AsyncClient, settings: Settings, clock: Clock) -> ArxivSource:
    return ArxivSource(
        client,
        base_url=settings.url("arxiv_api_url"),
        clock=clock,
        delay=settings.arxiv_delay,
        retries=settings.http_retries,
        timeout=settings.http_timeout,
        holidays=tuple(settings.holidays),
    )


def attention_sources(
    client: httpx.AsyncClient, settings: Settings, clock: Clock
) -> list[AttentionSource]:
    return [
        HuggingFaceSource(client, settings, clock),
        BlueskySource(client, settings, clock),
        XSource(client, settings, clock),
        HackerNewsSource(client, settings, clock),
        SemanticScholarSource(client, settings, clock),
    ]


class DigestService:
    def __init__(
        self,
        settings: Settings,
        store: SnapshotStore,
        *,
        clock: Clock | None = None,
        client: httpx.AsyncClient | None = None,
        offline: bool = False,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock or SystemClock()
        self._own_client = client is None
        self.client = client or httpx.AsyncClient(
            headers={"User-Agent": USER_AGENT}, follow_redirects=True
        )
        self.arxiv = arxiv_source(self.client, settings, self.clock)
        self.builder = DigestBuilder(
            store=store,
            clock=self.clock,
            papers_source=self.arxiv,
            attention=attention_sources(self.client, settings, self.clock),
            weights=Weights.from_settings(settings),
            summarize=Summarizer(
                settings,
                None if offline else self.client,
                self.clock,
                cache=StoreSummaryCache(store),
            ).summarize,
            holidays=tuple(settings.holidays),
            offline=offline,
            source_deadline=settings.source_deadline,
            arxiv_deadline=settings.arxiv_deadline,
            catching_fire_days=settings.catching_fire_days,
        )

    def talk(self) -> Talk:
        """``/hotpapers paper``, ``search`` and the paper buttons over this service's store, with
        its arXiv source (one arXiv pace for the process) and its Semantic Scholar rate limit
        shared with "More like this"; offline, only what the store holds is answered."""
        from bot.talk import Talk

        store = cast("Store", self.store)  # the database: only ``digest --demo`` has none
        if self.builder.offline:
            return Talk(self.settings, store, self.clock)
        s2 = next((s for s in self.builder.attention if isinstance(s, SemanticScholarSource)), None)
        recommendations = RecommendationsSource(
            self.client, self.settings, self.clock, limiter=s2.http.limiter if s2 else None
        )
        return Talk(self.settings, store, self.clock, arxiv=self.arxiv,
                    recommendations=recommendations)  # fmt: skip

    async def aclose(self) -> None:
        if self._own_client:
            await self.client.aclose()

    async def digest_for(
        self, query: Query | WeekQuery, filters: Filters | None = None, *,
        voice: Voice | None = None,
    ) -> Digest:  # fmt: skip
        """``voice``: the reactions of the channel the digest is for (``bot.voice``)."""
        what = (query.date, query.categories, query.top, filters)
        if isinstance(query, WeekQuery):
            return await self.build_week(*what, voice=voice)
        return await self.build(*what, voice=voice)

    async def build(
        self, date: dt.date, categories: Sequence[str], top: int, filters: Filters | None = None,
        *, catching_fire_days: int | None = None, voice: Voice | None = None,
    ) -> Digest:  # fmt: skip
        """``catching_fire_days``: ``None`` for the deployment's setting, 0 for off."""
        self._check_listing(date)
        return await self._guarded(self.builder.build(
            date, categories, top, filters, catching_fire_days=catching_fire_days,
            voice=voice))  # fmt: skip

    async def build_week(
        self, date: dt.date, categories: Sequence[str], top: int, filters: Filters | None = None,
        *, voice: Voice | None = None,
    ) -> Digest:  # fmt: skip
        """The weekly roundup of the arXiv week ending at the listing ``date`` (``bot.weekly``)."""
        self._check_listing(date)
        return await self._guarded(build_week(self.builder, date, categories, top, filters,
                                              voice=voice))  # fmt: skip

    def _check_listing(self, date: dt.date) -> None:
        holidays = self.settings.holidays
        if not calendar.is_listing_day(date, holidays):
            nearest = calendar.previous_listing(date, holidays)
            raise UserError(str(calendar.NoListing(date, nearest)))

    async def _guarded(self, building: Awaitable[Digest]) -> Digest:
        try:
            return await building
        except DigestError as exc:
            raise UserError(str(exc), cli_hint=exc.cli_hint) from None
        except StoreError as exc:
            raise UserError(f"cannot use the store: {exc}") from None
