"""What the store already holds about papers, for ``/hotpapers paper`` and ``search``.

Every digest stores its sources' answers as snapshots (``bot.store``): the arXiv listing of a date
and scope (``{"papers": [...]}``), and each attention source's posts and signals for that date.
These reads go over them (the bundled demo listing included, as every store knows it) without
building a digest: the papers of the stored listings, newest first, and the attention held for a
date or for one paper. Payloads are filtered as JSON before anything is validated into models, so
a search over weeks of listings validates only what it returns.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bot import demo
from bot.models import Paper, Post, Signals
from bot.sources.arxiv_ids import normalise_arxiv_id
from bot.store import Store
from bot.tables import SnapshotRow

ARXIV = "arxiv"
#: How many stored listings (date and scope) a search reads, newest first.
LISTINGS_READ = 120


@dataclass(frozen=True)
class Listed:
    """A paper as a stored listing holds it (raw JSON), with the listing's date."""

    date: dt.date
    record: dict[str, Any]

    @property
    def arxiv_id(self) -> str:
        return str(self.record.get("arxiv_id", ""))

    def paper(self) -> Paper:
        return Paper.model_validate(self.record)


@dataclass(frozen=True)
class Held:
    """The attention held for some papers: posts linking them and their signals."""

    posts: tuple[Post, ...] = ()
    signals: dict[str, Signals] | None = None

    def signals_of(self, arxiv_id: str) -> Signals:
        return (self.signals or {}).get(arxiv_id) or Signals()


class StoredPapers:
    """Read-only views of the stored snapshots (``store``'s engine, one session per read)."""

    def __init__(self, store: Store, *, listings: int = LISTINGS_READ) -> None:
        self.store = store
        self.listings = listings

    # -- listings ------------------------------------------------------------------------------
    def _listing_payloads(
        self, *, date: dt.date | None = None, arxiv_id: str | None = None
    ) -> Iterator[tuple[dt.date, dict[str, Any]]]:
        """The stored arXiv listings, newest first, then the bundled demo listing: only those of
        ``date``, or (filtered in SQL before any JSON is parsed) those naming ``arxiv_id``."""
        query = select(SnapshotRow.date, SnapshotRow.payload).where(SnapshotRow.source == ARXIV)
        if date is not None:
            query = query.where(SnapshotRow.date == date)
        if arxiv_id is not None:  # payloads are stored as json.dumps writes them
            query = query.where(
                SnapshotRow.payload.contains(
                    json.dumps({"arxiv_id": arxiv_id})[1:-1], autoescape=True
                )
            )
        query = query.order_by(SnapshotRow.date.desc(), SnapshotRow.id.desc()).limit(self.listings)
        with self.store.session() as s:
            rows = s.execute(query).all()
        stored_dates = set()
        for day, payload in rows:
            stored_dates.add(day)
            yield day, json.loads(payload)
        if demo.DEMO_DATE in stored_dates or date not in (None, demo.DEMO_DATE):
            return
        bundled = demo.bundled_snapshot(ARXIV, demo.DEMO_DATE, "*")
        if bundled is not None:
            yield demo.DEMO_DATE, bundled.payload

    def listed(self, *, date: dt.date | None = None, arxiv_id: str | None = None) -> list[Listed]:
        """Every paper of the stored listings (of ``date``; only ``arxiv_id``), once (its newest
        listing), newest first."""
        seen: set[str] = set()
        out: list[Listed] = []
        for day, payload in self._listing_payloads(date=date, arxiv_id=arxiv_id):
            for record in payload.get("papers") or ():
                found = record.get("arxiv_id") if isinstance(record, dict) else None
                if not isinstance(found, str) or found in seen:
                    continue
                if arxiv_id is None or found == arxiv_id:
                    seen.add(found)
                    out.append(Listed(day, record))
        return out

    def find(self, arxiv_id: str) -> Listed | None:
        """The paper's newest stored listing, or ``None``."""
        found = self.listed(arxiv_id=arxiv_id)
        return found[0] if found else None

    def listing_papers(self, date: dt.date) -> list[Paper]:
        """Every paper listed on ``date`` in any stored scope (what breadth is measured on)."""
        return [item.paper() for item in self.listed(date=date)]

    # -- attention -----------------------------------------------------------------------------
    def _attention_payloads(self, date: dt.date | None) -> Iterator[dict[str, Any]]:
        """Every attention snapshot of ``date`` (``None``: of every date), bundled ones too."""
        query = select(SnapshotRow.payload).where(SnapshotRow.source != ARXIV)
        if date is not None:
            query = query.where(SnapshotRow.date == date)
        with self.store.session() as s:
            payloads = list(s.scalars(query))
        for payload in payloads:
            yield json.loads(payload)
        if date is None or date == demo.DEMO_DATE:
            # Stored over as well: harmless, posts are taken once and signals merge alike.
            for name in demo.bundled_sources(demo.DEMO_DATE):
                snap = demo.bundled_snapshot(name, demo.DEMO_DATE, "")
                if name != ARXIV and snap is not None:
                    yield snap.payload

    def held(self, date: dt.date | None, arxiv_ids: set[str] | None = None) -> Held:
        """Posts and signals held for ``date`` (``None``: any date), only of ``arxiv_ids`` when
        given; each post once, signals of several sources merged."""
        posts: dict[tuple[str, str], Post] = {}
        signals: dict[str, Signals] = {}
        for payload in self._attention_payloads(date):
            for raw in payload.get("posts") or ():
                ids = {normalise_arxiv_id(str(i)) for i in raw.get("arxiv_ids") or ()}
                if arxiv_ids is not None and not ids & arxiv_ids:
                    continue
                post = Post.model_validate(raw)
                posts.setdefault((post.platform, post.post_id), post)
            for arxiv_id, raw in (payload.get("signals") or {}).items():
                if arxiv_ids is not None and arxiv_id not in arxiv_ids:
                    continue
                found = Signals.model_validate(raw)
                known = signals.get(arxiv_id)
                signals[arxiv_id] = known.merged(found) if known is not None else found
        return Held(tuple(posts.values()), signals)
