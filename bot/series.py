"""The attention series: what every digest build saw of each paper, kept over days.

Every build (a fresh fetch, or a rebuild from stored snapshots at a later time) records one
``Observation`` per scored paper: the digest's listing date, the paper's own listing date
(earlier for a "Catching fire" paper), the injected clock's time, the score and whether the
paper was hot. ``record`` writes a build in one transaction and is idempotent: a build stored
twice (same papers, dates and ``observed_at``) adds nothing. ``history`` reads the rows of some
papers at once through the index on ``arxiv_id``. ``bot.trends`` turns them into a ``Trend``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.store import Store
from bot.tables import AttentionRow
from bot.trends import Observation


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


#: Papers asked about per query: well under every database's bound on parameters.
_CHUNK = 500


class Series:
    """The ``hp_attention`` table."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def record(self, observations: Sequence[Observation]) -> int:
        """Store one build's observations in one transaction; returns how many were new. Two
        instances storing the same build at once: the loser's transaction is retried once and
        then finds every row there."""
        try:
            return self._record(observations)
        except IntegrityError:
            return self._record(observations)

    def _record(self, observations: Sequence[Observation]) -> int:
        if not observations:
            return 0
        unique = {(o.arxiv_id, o.date, _aware(o.observed_at)): o for o in observations}
        with self.store.session() as s:
            ids = sorted({key[0] for key in unique})
            seen: set[tuple[str, dt.date, dt.datetime]] = set()
            for chunk in _chunks(ids):
                rows = s.execute(
                    select(AttentionRow.arxiv_id, AttentionRow.date, AttentionRow.observed_at)
                    .where(AttentionRow.arxiv_id.in_(chunk))
                    .where(AttentionRow.date.in_(_dates(unique)))
                )
                seen.update((a, d, _aware(t)) for a, d, t in rows)
            new = [o for key, o in unique.items() if key not in seen]
            s.add_all(
                AttentionRow(arxiv_id=o.arxiv_id, date=o.date, listed=o.listed,
                             observed_at=o.observed_at, score=o.score, hot=o.hot)
                for o in new
            )  # fmt: skip
        return len(new)

    def history(self, arxiv_ids: Iterable[str]) -> dict[str, list[Observation]]:
        """Every observation of these papers, oldest first, by arxiv_id."""
        found: dict[str, list[Observation]] = {}
        with self.store.session() as s:
            for chunk in _chunks(sorted(set(arxiv_ids))):
                rows = s.scalars(
                    select(AttentionRow)
                    .where(AttentionRow.arxiv_id.in_(chunk))
                    .order_by(AttentionRow.observed_at, AttentionRow.id)
                )
                for row in rows:
                    found.setdefault(row.arxiv_id, []).append(
                        Observation(
                            row.arxiv_id,
                            row.date,
                            row.listed,
                            _aware(row.observed_at),
                            row.score,
                            row.hot,
                        )  # fmt: skip
                    )
        return found


def _dates(keys: Iterable[tuple[str, dt.date, dt.datetime]]) -> list[dt.date]:
    return sorted({key[1] for key in keys})


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
