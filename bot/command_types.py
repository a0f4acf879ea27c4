"""What ``/hotpapers`` can ask for, as data: the commands ``bot.commands`` parses into, and the
``CommandError`` whose text is the reply to a mistake."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MAX_CATEGORIES = 40
SUBSCRIBE_EXAMPLE = "`/hotpapers subscribe cs.CL at 09:00 Europe/Berlin`"
WEEKLY_EXAMPLE = "`/hotpapers subscribe week friday 16:00 Europe/Berlin cs.CL`"
#: Weekday words of a weekly subscription, by their number (0 = Monday).
WEEKDAY_WORDS = (
    {
        word: n
        for n, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )  # fmt: skip
        for word in (name, name[:3])
    }
    | {"tues": 1, "thur": 3, "thurs": 3}
)


@dataclass(frozen=True)
class Query:
    categories: tuple[str, ...]
    date: dt.date
    top: int


@dataclass(frozen=True)
class WeekQuery:
    """The weekly roundup of the arXiv week ending at the listing ``date`` (``bot.weekly``)."""

    categories: tuple[str, ...]
    date: dt.date
    top: int


@dataclass(frozen=True)
class HelpRequest:
    pass


@dataclass(frozen=True)
class Subscribe:
    """Subscribe the channel, or change its subscription: only what the command names.

    ``None`` keeps the channel's current value (or, for a new subscription, the deployment's
    default; a new one needs a ``time``). An empty ``include``/``exclude`` clears that filter.
    """

    categories: tuple[str, ...] | None = None
    time: dt.time | None = None
    tz: str | None = None
    top: int | None = None
    include: tuple[str, ...] | None = None
    exclude: tuple[str, ...] | None = None
    notify: bool | None = None  # a line in the channel on arXiv holidays
    #: "Catching fire" reach in listing days (0: off); ``catching=3``, ``catching=off``.
    catching_fire_days: int | None = None
    weekly: bool = False  # the channel's weekly roundup (``subscribe week ...``), not its daily
    week_day: int | None = None  # 0 = Monday; a new weekly subscription needs one
    reactions: bool | None = None  # count reactions here and let them shape the digest


@dataclass(frozen=True)
class Unsubscribe:
    weekly: bool = False  # ``unsubscribe week``: stop the weekly roundup, keep the daily


@dataclass(frozen=True)
class ShowSettings:
    pass


@dataclass(frozen=True)
class PaperQuery:
    """``/hotpapers paper <arXiv id>``: one paper's card (``arxiv_id`` normalised, no version)."""

    arxiv_id: str


@dataclass(frozen=True)
class SearchQuery:
    """``/hotpapers search <words>``: the stored digests' papers matching ``words``."""

    words: tuple[str, ...]


Command = (
    Query
    | WeekQuery
    | HelpRequest
    | Subscribe
    | Unsubscribe
    | ShowSettings
    | PaperQuery
    | SearchQuery
)


class CommandError(ValueError):
    """Bad input: ``str(exc)`` is the reply for the user; ``nearest`` is set for a weekend."""

    def __init__(self, message: str, *, nearest: dt.date | None = None) -> None:
        super().__init__(message)
        self.nearest = nearest
