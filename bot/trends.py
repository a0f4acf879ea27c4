"""Trends: a paper's attention over days, from the series every digest build records.

Pure (the series is read and written by ``bot.series``; ``bot.trend_keeper`` does both for a
build). For one paper, given every observation of it (this build's included):

- ``first_seen``: the listing date of the first digest that saw it hot (``Observation.date``),
  ``None`` when no digest has seen it hot.
- ``days_hot``: on how many listing days it was seen hot; an observation belongs to the listing
  current when it was made (``bot.calendar.latest_listing(observed_at)``), so the Monday listing's
  digest rebuilt on Tuesday counts Tuesday too.
- ``delta_24h``: this build's score minus the score of the earlier observation closest to
  24 h before it, within ``TOLERANCE`` (6 h) either side; ``None`` when there is none (the first
  build, or a gap such as a weekend).

Messages say it in plain words (``trend_words``): "featured here on D, rising (+N in 24 h)" for a
paper a channel has seen before (``bot.memory``), else "rising (+N in 24 h)" when ``delta_24h``
is at least ``RISING_DELTA``, else "hot for N days" from two days on, else "new" on the day of
its first appearance (nothing when no digest has seen it: an entry built without the series).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot import calendar
from bot.models import Digest, Entry, Trend

#: The header line of the "Catching fire" section (``bot.catching_fire``), in every format.
CATCHING_FIRE = "Catching fire"


@dataclass(frozen=True)
class Observation:
    """One paper as one digest build saw it (a row of ``bot.series``)."""

    arxiv_id: str
    date: dt.date  # the digest's listing date
    listed: dt.date  # the paper's own listing date
    observed_at: dt.datetime
    score: float
    hot: bool


class AttentionSeries(Protocol):
    """Where builds' observations are kept: ``bot.series.Series`` (the database), or
    ``MemorySeries`` (the demo's process, no database)."""

    def record(self, observations: Sequence[Observation]) -> int: ...

    def history(self, arxiv_ids: Iterable[str]) -> dict[str, list[Observation]]: ...


class MemorySeries:
    """The series in this process's memory (``hotpapers digest --demo`` opens no database)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, dt.date, dt.datetime], Observation] = {}

    def record(self, observations: Sequence[Observation]) -> int:
        new = {(o.arxiv_id, o.date, o.observed_at): o for o in observations}
        added = [key for key in new if key not in self._seen]
        self._seen.update(new)
        return len(added)

    def history(self, arxiv_ids: Iterable[str]) -> dict[str, list[Observation]]:
        wanted = set(arxiv_ids)
        found: dict[str, list[Observation]] = {}
        for o in sorted(self._seen.values(), key=lambda o: o.observed_at):
            if o.arxiv_id in wanted:
                found.setdefault(o.arxiv_id, []).append(o)
        return found


#: How far from exactly 24 h earlier an observation may be to count for ``delta_24h``.
TOLERANCE = dt.timedelta(hours=6)
DAY = dt.timedelta(hours=24)
#: A score gain over 24 h from which a paper is "rising" (and repeated in a channel that featured
#: it before): about three more people discussing it, or 25 more Hugging Face upvotes.
RISING_DELTA = 10.0


def trend_of(
    observations: Sequence[Observation],
    now: dt.datetime,
    score: float,
    holidays: Collection[dt.date] = (),
) -> Trend:
    """The trend of one paper scored ``score`` at ``now`` (``observations``: all of its own)."""
    hot = [o for o in observations if o.hot]
    first_seen = min((o.date for o in hot), default=None)
    days = {calendar.latest_listing(o.observed_at, holidays) for o in hot}
    target = now - DAY
    earlier = [
        o for o in observations if o.observed_at < now and abs(o.observed_at - target) <= TOLERANCE
    ]
    delta = None
    if earlier:
        closest = min(earlier, key=lambda o: (abs(o.observed_at - target), o.observed_at))
        delta = round(score - closest.score, 2)
    return Trend(first_seen=first_seen, days_hot=len(days), delta_24h=delta)


def is_rising(trend: Trend) -> bool:
    return trend.delta_24h is not None and trend.delta_24h >= RISING_DELTA


def rising_text(trend: Trend) -> str:
    """``rising (+40 in 24 h)``."""
    return f"rising ({trend.delta_24h or 0:+.0f} in 24 h)"


def trend_words(entry: Entry) -> str:
    """The trend in plain words for a message ("new" on the paper's first digest)."""
    trend = entry.trend
    if entry.featured_on is not None:
        return f"featured here on {entry.featured_on.isoformat()}, {rising_text(trend)}"
    if is_rising(trend):
        return rising_text(trend)
    if trend.days_hot >= 2:
        return f"hot for {trend.days_hot} days"
    if trend.first_seen is None:  # no digest saw it: nothing known to say
        return ""
    if entry.listed is None or trend.first_seen >= entry.listed:
        return "new"
    return ""


def trend_line(entry: Entry) -> str:
    """The words with, for a "Catching fire" paper, its own listing date: ``listed 2026-11-18 ·
    rising (+12 in 24 h)``."""
    words = trend_words(entry)
    if entry.section == "catching_fire" and entry.listed is not None:
        listed = f"listed {entry.listed.isoformat()}"
        return f"{listed} · {words}" if words else listed
    return words


def opens_catching_fire(digest: Digest, entry: Entry) -> bool:
    """Is ``entry`` the first reply of the digest's "Catching fire" section (its header line)?"""
    first = digest.catching_fire[0] if digest.catching_fire else None
    return first is not None and entry.section == "catching_fire" and entry.rank == first.rank
