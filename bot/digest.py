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
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from bot import calendar, demo
from bot.catching_fire import late_hot
from bot.categories import categories_key
from bot.clock import Clock
from bot.digest_notes import notes
from bot.digest_snapshots import (
    Day,
    collected_of,
    merge_collected,
    papers_of,
    payload_of,
    request_count,
    used_status,
)
from bot.latex import paper_text, post_text, signals_text
from bot.models import Digest, Entry, Paper, Snapshot, SourceStatus
from bot.ranking import Weights, rank_hot
from bot.snapshots import SnapshotStore, attention_series
from bot.sources.base import AttentionSource, Collected, PaperSource, Window
from bot.sources.budget import bounded
from bot.sources.http import SourceError, SourceSkipped
from bot.trend_keeper import TrendKeeper
from bot.trends import AttentionSeries
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
    store: SnapshotStore
    clock: Clock
    papers_source: PaperSource | None
    attention: Sequence[AttentionSource] = ()
    weights: Weights = field(default_factory=Weights)
    summarize: Summarize = _no_summaries
    holidays: Collection[dt.date] = ()
    offline: bool = False
    source_deadline: float = 60.0
    arxiv_deadline: float = 180.0
    #: "Catching fire" reach in listing days (0: off); ``build``'s argument overrides it.
    catching_fire_days: int = 0
    _series: AttentionSeries | None = field(default=None, init=False, repr=False)

    def series(self) -> AttentionSeries:
        """The attention series beside the store (``bot.snapshots.attention_series``)."""
        if self._series is None:
            self._series = attention_series(self.store)
        return self._series

    async def build(
        self, date: dt.date, categories: Sequence[str], top: int, filters: Filters | None = None,
        *, catching_fire_days: int | None = None, voice: Voice | None = None,
    ) -> Digest:  # fmt: skip
        """The digest; ``voice``: the channel's reactions it is built for (``bot.voice``)."""
        day = await self.gather(date, categories)
        papers = day.papers if filters is None else [p for p in day.papers if filters.keep(p)]
        ranking = rank_hot(papers, day.posts, day.signals, self.weights, top=top, voice=voice,
                           use_citations=day.use_citations, window_papers=day.papers)  # fmt: skip
        days = self.catching_fire_days if catching_fire_days is None else catching_fire_days
        series = self.series()
        late = late_hot(self.store, series, date, categories, days=days, top=top,
                        window_papers=day.papers, posts=day.posts, signals=day.signals,
                        weights=self.weights, keep=filters.keep if filters else None,
                        holidays=self.holidays, use_citations=day.use_citations)  # fmt: skip
        entries, late = TrendKeeper(series, self.weights.min_score, self.holidays).observe(
            date, self.clock.now(), ranking.scores, ranking.entries, late
        )
        shown = await self.summarize([*entries, *late])
        entries, late = shown[: len(entries)], shown[len(entries) :]
        shaped = shaped_note(voice, entries) if voice is not None else None
        return Digest(
            date=date, categories=tuple(categories), generated_at=self.clock.now(),
            entries=tuple(entries), catching_fire=tuple(late), sources=day.sources,
            total_papers=len(papers), hot_count=ranking.hot_count,
            notes=notes(date, entries, day.sources) + ((shaped,) if shaped else ()),
        )  # fmt: skip

    async def gather(self, date: dt.date, categories: Sequence[str]) -> Day:
        """One listing day's papers and the attention they got (stored, else fetched and
        stored), before ranking: what ``build`` ranks, and what ``bot.weekly`` pools."""
        offline = self.offline or demo.is_bundled(date)
        sources: dict[str, SourceStatus] = {}
        window = self._window(date)
        # Window-scoped sources need no listing: their requests start now, alongside arXiv's;
        # what they got is judged (logged, stored) only once the listing is there.
        early = {
            s.name: asyncio.ensure_future(self._fetch(s, window))
            for s in self.attention
            if s.scope != "papers" and not offline and s.skip_reason() is None
            and not self._fresh(s, window)
        }  # fmt: skip
        try:
            # Snapshots keep arXiv's text as served; readers get it without LaTeX markup.
            listed = await self._papers(date, categories, offline, sources)
        except BaseException:
            for task in early.values():
                task.cancel()
            await asyncio.gather(*early.values(), return_exceptions=True)
            raise
        papers = [paper_text(p) for p in listed]
        # Attention is collected for every paper of the selection, filters or not: what is
        # stored as the selection's snapshot must not depend on one channel's keywords.
        collected = await self._attention(window, papers, categories, offline, sources, early)
        posts, signals = merge_collected(collected)
        use_citations = not demo.is_bundled(date) and self.clock.now() - window.start > SOCIAL_REACH
        return Day(
            date=date,
            papers=papers,
            posts=[post_text(p) for p in posts],
            signals={arxiv_id: signals_text(s) for arxiv_id, s in signals.items()},
            sources=sources,
            use_citations=use_citations,
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
            return papers_of(snap, categories)
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
        payload = {"papers": [p.model_dump(mode="json") for p in papers]}
        await asyncio.to_thread(self.store.put_snapshot, "arxiv", date, key, payload,
                                self.clock.now())  # fmt: skip
        sources["arxiv"] = SourceStatus(ok=True)
        return papers

    async def _attention(
        self,
        window: Window,
        papers: Sequence[Paper],
        categories: Sequence[str],
        offline: bool,
        sources: dict[str, SourceStatus],
        early: Mapping[str, Awaitable[Collected]],
    ) -> list[Collected]:
        """Every source's answer: those already started (``early``, window-scoped), the rest
        (scoped to the selection's ``papers``) now."""
        names = {s.name for s in self.attention}
        jobs = [
            self._one(s, window, papers, categories, offline, early.get(s.name))
            for s in self.attention
        ]
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
                out.append(collected_of(snap))
                sources[name] = used_status(out[-1], from_snapshot=True)
        return out

    async def _one(
        self,
        source: AttentionSource,
        window: Window,
        papers: Sequence[Paper],
        categories: Sequence[str],
        offline: bool,
        fetching: Awaitable[Collected] | None = None,
    ) -> tuple[SourceStatus | None, Collected | None]:
        """One source's answer (``fetching``: its requests, already started)."""
        scope = categories_key(categories) if source.scope == "papers" else ""
        snap = self.store.get_snapshot(source.name, window.date, scope)
        if fetching is None and snap is not None and (offline or self._settled(snap, window)):
            collected = collected_of(snap)
            return used_status(collected, from_snapshot=True), collected
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
            collected = await (fetching or bounded(
                self.clock, self.source_deadline, source.collect(window, asked)
            ))  # fmt: skip
        except SourceSkipped as exc:
            log.info("%s skipped: %s", source.name, exc)
            return SourceStatus(ok=False, skipped=True, error=str(exc)), None
        except SourceError as exc:
            log.warning("%s failed: %s", source.name, exc, extra={"source": source.name})
            return SourceStatus(ok=False, error=str(exc), requests=request_count(source)), None
        except Exception as exc:  # a bug in one source must not sink the digest
            log.exception("%s crashed", source.name)
            return SourceStatus(ok=False, error=f"internal error ({type(exc).__name__})"), None
        # Off the event loop: the other sources' answers keep arriving while SQLite commits.
        await asyncio.to_thread(self.store.put_snapshot, source.name, window.date, scope,
                                payload_of(collected), self.clock.now())  # fmt: skip
        if collected.problems:
            log.warning("%s degraded: %s", source.name, "; ".join(collected.problems))
        return used_status(collected, requests=request_count(source)), collected

    async def _fetch(self, source: AttentionSource, window: Window) -> Collected:
        return await bounded(self.clock, self.source_deadline, source.collect(window, ()))

    def _fresh(self, source: AttentionSource, window: Window) -> bool:
        """A window-scoped snapshot that will be used as it is (no request needed)."""
        snap = self.store.get_snapshot(source.name, window.date, "")
        return snap is not None and self._settled(snap, window)

    def _settled(self, snap: Snapshot, window: Window) -> bool:
        if snap.bundled or snap.fetched_at >= window.start + SETTLED_AFTER:
            return True
        return self.clock.now() - snap.fetched_at < FRESH_FOR
