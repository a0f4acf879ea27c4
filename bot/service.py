"""The digest service: what every entry point (CLI, slash commands, scheduler) asks for a digest.

It owns the one shared ``httpx.AsyncClient``, the sources built from the settings, and turns every
failure a user can cause or fix into a ``UserError`` with a short message.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

import httpx

from bot import __version__, calendar
from bot.clock import Clock, SystemClock
from bot.commands import Query
from bot.config import Settings
from bot.digest import DigestBuilder, DigestError, Filters
from bot.models import Digest
from bot.ranking import Weights
from bot.sources.arxiv import ArxivSource
from bot.sources.base import AttentionSource
from bot.sources.bluesky import BlueskySource
from bot.sources.hackernews import HackerNewsSource
from bot.sources.huggingface import HuggingFaceSource
from bot.sources.semantic_scholar import SemanticScholarSource
from bot.sources.x import XSource
from bot.store import Store, StoreError
from bot.summaries import Summarizer
from bot.voice import Voice

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

    def __init__(self, store: Store) -> None:
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
        store: Store,
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
        self.builder = DigestBuilder(
            store=store,
            clock=self.clock,
            papers_source=arxiv_source(self.client, settings, self.clock),
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
        )

    async def aclose(self) -> None:
        if self._own_client:
            await self.client.aclose()

    async def digest_for(
        self, query: Query, filters: Filters | None = None, voice: Voice | None = None
    ) -> Digest:
        return await self.build(query.date, query.categories, query.top, filters, voice=voice)

    async def build(
        self, date: dt.date, categories: Sequence[str], top: int, filters: Filters | None = None,
        voice: Voice | None = None,
    ) -> Digest:  # fmt: skip
        if not calendar.is_listing_day(date, self.settings.holidays):
            raise UserError(
                str(
                    calendar.NoListing(
                        date, calendar.previous_listing(date, self.settings.holidays)
                    )
                )
            )
        try:
            return await self.builder.build(date, categories, top, filters, voice=voice)
        except DigestError as exc:
            raise UserError(str(exc), cli_hint=exc.cli_hint) from None
        except StoreError as exc:
            raise UserError(f"cannot use the store: {exc}") from None
