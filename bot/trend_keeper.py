"""A build's part in the trends: record what it saw, then give every entry its ``Trend``.

One call per digest build (``DigestBuilder.build``): the observations of every scored paper of
the day's listing (hot or not) and of every "Catching fire" paper go to the series in one
transaction, then the history of the shown papers (this build included) is read back and each
entry gets ``trend_of`` it. Ranks run on from the day's papers into "Catching fire".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from bot.models import Entry
from bot.ranking import base_id
from bot.trends import AttentionSeries, Observation, trend_of


@dataclass
class TrendKeeper:
    series: AttentionSeries
    min_score: float = 1.0
    holidays: Collection[dt.date] = ()

    def observe(
        self,
        date: dt.date,
        now: dt.datetime,
        scores: Mapping[str, float],
        entries: Sequence[Entry],
        late: Sequence[Entry] = (),
    ) -> tuple[list[Entry], list[Entry]]:
        """Record the build (``scores``: every paper of the day with attention) and return the
        day's entries and the "Catching fire" ones with their trends and ranks."""
        seen = [
            Observation(key, date, date, now, score, score > 0 and score >= self.min_score)
            for key, score in scores.items()
        ]
        seen += [
            Observation(base_id(e.paper.arxiv_id), date, e.listed or date, now, e.score, True)
            for e in late
        ]
        self.series.record(seen)
        history = self.series.history(base_id(e.paper.arxiv_id) for e in [*entries, *late])

        def annotated(entry: Entry, rank: int) -> Entry:
            past = history.get(base_id(entry.paper.arxiv_id), [])
            own = round(entry.score - entry.breakdown.get("channel", 0.0), 2)  # no channel boost
            trend = trend_of(past, now, own, self.holidays)
            return entry.model_copy(
                update={"trend": trend, "rank": rank, "listed": entry.listed or date}
            )

        day = [annotated(e, e.rank) for e in entries]
        return day, [annotated(e, len(day) + n) for n, e in enumerate(late, start=1)]

    def past(self, now: dt.datetime, entries: Sequence[Entry]) -> list[Entry]:
        """``entries`` with the trend their papers' daily digests recorded, recording nothing:
        a weekly roundup's papers (``first_seen``, ``days_hot``; a week's score is not a day's,
        so ``delta_24h`` stays unknown)."""
        history = self.series.history(base_id(e.paper.arxiv_id) for e in entries)
        out = []
        for entry in entries:
            trend = trend_of(history.get(base_id(entry.paper.arxiv_id), []), now, entry.score,
                             self.holidays)  # fmt: skip
            out.append(entry.model_copy(update={"trend": trend.model_copy(
                update={"delta_24h": None})}))  # fmt: skip
        return out
