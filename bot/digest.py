"""Building a digest: papers -> attention -> snapshot -> rank -> summarize -> Digest.

Every source's answer for a date is stored as a snapshot, so a past date is answered from the
store without network, reproducibly. A source that fails leaves the digest degraded (the header
says which source is missing and why), never absent; only the paper list itself is required.
Each source has a total deadline per digest (``bot.sources.deadline``): optional sources
``source_deadline`` each (collected at once), the arXiv listing ``arxiv_deadline``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot import calendar, demo
from bot.clock import Clock
from bot.digest_notes import notes
from bot.latex import paper_text, post_text, signals_text
from bot.ledger import categories_key
from bot.models import Digest, Entry, Paper, Post, Signals, SourceStatus
from bot.ranking import Weights, rank_hot
from bot.sources.base import AttentionSource, Collected, PaperSource, Window
from bot.sources.budget import bounded
from bot.sources.http import SourceError, SourceSkipped
from bot.store import Snapshot, Store
from bot.voice import Voice, shaped_note

log = logging.getLogger(__name__)

#: Social posts keep coming for days; a snapshot this old after the announcement is final.
SETTLED_AFTER = dt.timedelta(days=3)
#: Until then, a stored attention snapshot younger than this is reused.
FRESH_FOR = dt.timedelta(hours=1)
#: Past this age, social search no longer reaches the date: citations stand in.
SOCIAL_REACH = dt.timedelta(days=30)
#: Posts about a listing are counted from its announcement for this long.
ATTENTION_SPAN = dt.timedelta(days=7)


class DigestError(Exception):
    """The digest cannot be built (no papers); one line for the user, with what to try.

    ``cli_hint`` is what only the command line can do about it (``--demo``), kept out of the
    message that chat replies, the scheduler's log and ``/healthz`` show."""

    def __init__(self, message: str, *, cli_hint: str = "") -> None:
        super().__init__(message)
        self.cli_hint = cli_hint


@dataclass
class Filters:
    """Keyword filters of a subscription, matched case-insensitively on title and abstract."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def keep(self, paper: Paper) -> bool:
        text = f"{paper.title} {paper.abstract}".lower()
        if self.include and not any(word.lower() in text for word in self.include):
            return False
        return not any(word.lower() in text for word in self.exclude)


Summarize = Callable[[Sequence[Entry]], Awaitable[list[Entry]]]


async def _no_summaries(entries: Sequence[Entry]) -> list[Entry]:
    return list(entries)


@dataclass
class DigestBuilder:
    store: Store
    clock: Clock
    papers_source: PaperSource | None
    attention: Sequence[AttentionSource] = ()
    weights: Weights = field(default_factory=Weights)
    summarize: Summarize = _no_summaries
    holidays: Collection[dt.date] = ()
    offline: bool = False
    source_deadline: float = 60.0
    arxiv_deadline: float = 180.0

    async def build(
        self, date: dt.date, categories: Sequence[str], top: int, filters: Filters | None = None,
        voice: Voice | None = None,
    ) -> Digest:  # fmt: skip
        """The digest; ``voice``: the channel's reactions it is built for (``bot.voice``)."""
        offline = self.offline or demo.is_bundled(date)
        sources: dict[str, SourceStatus] = {}
        # Snapshots keep arXiv's text as served; readers get it without LaTeX markup.
        papers = [paper_text(p) for p in await self._papers(date, categories, offline, sources)]
        window = self._window(date)
        # Attention is collected for every paper of the selection, filters or not: what is
        # stored as the selection's snapshot must not depend on one channel's keywords.
        collected = await self._attention(window, papers, categories, offline, sources)
        window_papers = papers
        if filters is not None:
            papers = [p for p in papers if filters.keep(p)]
        posts, signals = _merge(collected)
        posts = [post_text(p) for p in posts]
        signals = {arxiv_id: signals_text(s) for arxiv_id, s in signals.items()}
        use_citations = not demo.is_bundled(date) and self.clock.now() - window.start > SOCIAL_REACH
        ranking = rank_hot(
            papers,
            posts,
            signals,
            self.weights,
            top=top,
            use_citations=use_citations,
            window_papers=window_papers,
            voice=voice,
        )
        entries = await self.summarize(ranking.entries)
        shaped = shaped_note(voice, entries) if voice is not None else None
        return Digest(
            date=date,
            categories=tuple(categories),
            generated_at=self.clock.now(),
            entries=tuple(entries),
            sources=sources,
            total_papers=len(papers),
            hot_count=ranking.hot_count,
            notes=notes(date, entries, sources) + ((shaped,) if shaped else ()),
        )

    def _window(self, date: dt.date) -> Window:
        start = calendar.announcement_time(date)
        end = min(self.clock.now(), start + ATTENTION_SPAN)
        return Window(date=date, start=start, end=max(end, start))

    async def _papers(
        self,
        date: dt.date,
        categories: Sequence[str],
        offline: bool,
        sources: dict[str, SourceStatus],
    ) -> list[Paper]:
        key = categories_key(categories)
        snap = self.store.get_snapshot("arxiv", date, key)
        if snap is not None:
            sources["arxiv"] = SourceStatus(ok=True, from_snapshot=True)
            return _papers_of(snap, categories)
        if offline or self.papers_source is None:
            raise DigestError(
                f"nothing stored for {date.isoformat()} ({key}) and --offline forbids fetching; "
                f"run once without --offline, or try --demo"
            )
        try:
            papers = await bounded(
                self.clock, self.arxiv_deadline, self.papers_source.papers(date, categories)
            )
        except SourceError as exc:
            raise DigestError(
                f"arXiv is unreachable ({exc}); try again later",
                cli_hint="or use --demo or --offline",
            ) from None
        self.store.put_snapshot(
            "arxiv",
            date,
            key,
            {"papers": [p.model_dump(mode="json") for p in papers]},
            self.clock.now(),
        )
        sources["arxiv"] = SourceStatus(ok=True)
        return papers

    async def _attention(
        self,
        window: Window,
        papers: Sequence[Paper],
        categories: Sequence[str],
        offline: bool,
        sources: dict[str, SourceStatus],
    ) -> list[Collected]:
        names = {s.name for s in self.attention}
        jobs = [self._one(s, window, papers, categories, offline) for s in self.attention]
        # Stored snapshots of sources not configured here (the demo's seed data) count too.
        extra = [n for n in self.store.snapshot_sources(window.date) if n not in names | {"arxiv"}]
        results = await asyncio.gather(*jobs)
        out: list[Collected] = []
        for source, (status, collected) in zip(self.attention, results, strict=True):
            if status is not None:
                sources[source.name] = status
            if collected is not None:
                out.append(collected)
        for name in extra:
            snap = self.store.get_snapshot(name, window.date, "")
            if snap is not None:
                out.append(_collected_of(snap))
                sources[name] = _used(out[-1], from_snapshot=True)
        return out

    async def _one(
        self,
        source: AttentionSource,
        window: Window,
        papers: Sequence[Paper],
        categories: Sequence[str],
        offline: bool,
    ) -> tuple[SourceStatus | None, Collected | None]:
        scope = categories_key(categories) if source.scope == "papers" else ""
        snap = self.store.get_snapshot(source.name, window.date, scope)
        if snap is not None and (offline or self._settled(snap, window)):
            collected = _collected_of(snap)
            return _used(collected, from_snapshot=True), collected
        if offline:
            return None, None
        reason = source.skip_reason()
        if reason is not None:
            # Setup advice is for the operator (logs, `hotpapers check`, /healthz), never a reader.
            log.info("%s skipped: %s", source.name, reason)
            return SourceStatus(ok=False, skipped=True, error=reason), None
        # A window-scoped answer is stored for every selection of that date, so it is asked
        # for everything in the window; the join to this selection's papers is the ranking's.
        asked = papers if source.scope == "papers" else ()
        try:
            collected = await bounded(
                self.clock, self.source_deadline, source.collect(window, asked)
            )
        except SourceSkipped as exc:
            log.info("%s skipped: %s", source.name, exc)
            return SourceStatus(ok=False, skipped=True, error=str(exc)), None
        except SourceError as exc:
            log.warning("%s failed: %s", source.name, exc, extra={"source": source.name})
            return SourceStatus(ok=False, error=str(exc), requests=_requests(source)), None
        except Exception as exc:  # a bug in one source must not sink the digest
            log.exception("%s crashed", source.name)
            return SourceStatus(ok=False, error=f"internal error ({type(exc).__name__})"), None
        self.store.put_snapshot(
            source.name, window.date, scope, _payload(collected), self.clock.now()
        )
        if collected.problems:
            log.warning("%s degraded: %s", source.name, "; ".join(collected.problems))
        return _used(collected, requests=_requests(source)), collected

    def _settled(self, snap: Snapshot, window: Window) -> bool:
        if snap.bundled or snap.fetched_at >= window.start + SETTLED_AFTER:
            return True
        return self.clock.now() - snap.fetched_at < FRESH_FOR


def _used(collected: Collected, *, requests: int = 0, from_snapshot: bool = False) -> SourceStatus:
    """An answer that was used: ok, or degraded with why when it came with problems."""
    note = "; ".join(collected.problems) or None
    return SourceStatus(ok=True, requests=requests, from_snapshot=from_snapshot, note=note)


def _requests(source: AttentionSource) -> int:
    http = getattr(source, "http", None)
    return int(getattr(http, "requests", 0))


def _papers_of(snap: Snapshot, categories: Sequence[str]) -> list[Paper]:
    papers = [Paper.model_validate(p) for p in snap.payload["papers"]]
    if snap.scope == "*":
        wanted = set(categories)
        papers = [p for p in papers if wanted & set(p.categories or (p.primary_category,))]
    return papers


def _payload(collected: Collected) -> dict[str, Any]:
    extra = {"problems": collected.problems} if collected.problems else {}
    return extra | {
        "posts": [p.model_dump(mode="json") for p in collected.posts],
        "signals": {
            k: v.model_dump(mode="json", exclude_none=True) for k, v in collected.signals.items()
        },
    }


def _collected_of(snap: Snapshot) -> Collected:
    return Collected(
        posts=[Post.model_validate(p) for p in snap.payload.get("posts", [])],
        signals={k: Signals.model_validate(v) for k, v in snap.payload.get("signals", {}).items()},
        problems=[str(p) for p in snap.payload.get("problems", [])],
    )


def _merge(collected: Sequence[Collected]) -> tuple[list[Post], dict[str, Signals]]:
    posts: list[Post] = []
    signals: dict[str, Signals] = {}
    for c in collected:
        posts.extend(c.posts)
        for arxiv_id, sig in c.signals.items():
            signals[arxiv_id] = signals[arxiv_id].merged(sig) if arxiv_id in signals else sig
    return posts, signals
