"""What ``/hotpapers`` can ask for, as data: the commands ``bot.commands`` parses into, and the
``CommandError`` whose text is the reply to a mistake."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MAX_CATEGORIES = 40
SUBSCRIBE_EXAMPLE = "`/hotpapers subscribe cs.CL at 09:00 Europe/Berlin`"


@dataclass(frozen=True)
class Query:
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
    reactions: bool | None = None  # count reactions here and let them shape the digest


@dataclass(frozen=True)
class Unsubscribe:
    pass


@dataclass(frozen=True)
class ShowSettings:
    pass


Command = Query | HelpRequest | Subscribe | Unsubscribe | ShowSettings


class CommandError(ValueError):
    """Bad input: ``str(exc)`` is the reply for the user; ``nearest`` is set for a weekend."""

    def __init__(self, message: str, *, nearest: dt.date | None = None) -> None:
        super().__init__(message)
        self.nearest = nearest
