"""Subscriptions: which channel gets which digest, when; in the store, managed from CLI or chat.

A subscription is keyed by (platform, workspace, channel, cadence): a channel may have a daily
one and a weekly one (the weekly roundup, ``bot.weekly``, on one weekday). Subscribing again
updates it, and
unsubscribing deactivates it (the row stays, so ``hotpapers subscriptions --all`` can show it).
The chat commands that change them are ``bot.subscription_commands``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.config import check_timezone
from bot.store import Store
from bot.tables import ReactionRow, SubscriptionRow

log = logging.getLogger(__name__)

PLATFORMS = ("slack", "discord", "console")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class UnreadableSubscription(ValueError):
    """A stored row no ``Subscription`` can be made of (edited by hand, or by a newer version)."""

    def __init__(self, row_id: int, reason: str) -> None:
        self.row_id = row_id
        self.reason = reason
        super().__init__(f"subscription {row_id} cannot be read ({reason})")


@dataclass(frozen=True)
class Subscription:
    """One channel's daily digest, or (``week_day`` set: 0 = Monday) its weekly roundup: what
    (categories, top, filters) and when (local time, zone, and the weekday of a weekly one)."""

    id: int
    platform: str
    workspace: str
    channel: str
    categories: tuple[str, ...]
    top: int
    time: dt.time
    tz: str
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    active: bool = True
    notify_no_listing: bool = False
    #: "Catching fire" reach in listing days; ``None``: the deployment's setting, 0: off.
    catching_fire_days: int | None = None
    week_day: int | None = None
    #: Count reactions in the channel and let them shape its digests (``bot.reactions``); one
    #: setting per channel, shared by its daily and weekly subscriptions.
    reactions: bool = True

    @property
    def weekly(self) -> bool:
        return self.week_day is not None

    @property
    def job_id(self) -> str:
        return f"sub:{self.id}"

    @property
    def where(self) -> str:
        return f"{self.platform}:{self.workspace}:{self.channel}"


def parse_time(text: str) -> dt.time:
    """``HH:MM`` on a 24-hour clock, else a ``ValueError`` saying so."""
    hour, sep, minute = text.strip().partition(":")
    well_formed = hour.isdigit() and minute.isdigit() and len(minute) == 2 and len(hour) <= 2
    if sep and well_formed and int(hour) <= 23 and int(minute) <= 59:
        return dt.time(int(hour), int(minute))
    raise ValueError(f"{text!r} is not a time: use HH:MM on a 24-hour clock, e.g. 09:00")


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split("\n")) if text else ()


def _to_subscription(row: SubscriptionRow | Row[Any]) -> Subscription:
    try:
        return _convert(row)
    except (ValueError, KeyError) as exc:
        raise UnreadableSubscription(row.id, str(exc)) from None


def _convert(row: SubscriptionRow | Row[Any]) -> Subscription:
    return Subscription(
        id=row.id, platform=row.platform, workspace=row.workspace, channel=row.channel,
        categories=tuple(row.categories.split()), top=row.top, time=parse_time(row.time),
        tz=row.tz, include=_words(row.include), exclude=_words(row.exclude),
        active=row.active, notify_no_listing=row.notify_no_listing, week_day=_week_day(row),
        catching_fire_days=row.catching_fire_days, reactions=row.reactions is not False,
    )  # fmt: skip


def _week_day(row: SubscriptionRow | Row[Any]) -> int | None:
    if row.cadence == "daily":
        return None
    if row.cadence != "weekly" or row.week_day is None or not 0 <= row.week_day <= 6:
        raise ValueError(f"cadence {row.cadence!r} with week_day {row.week_day!r}")
    return row.week_day


class SubscriptionStore:
    """Subscriptions in the ``hp_subscriptions`` table (filters stored one word per line)."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def upsert(
        self, platform: str, workspace: str, channel: str, *, categories: Sequence[str],
        time: dt.time, tz: str, top: int, include: Sequence[str] = (),
        exclude: Sequence[str] = (), notify_no_listing: bool = False,
        catching_fire_days: int | None = None, week_day: int | None = None,
        reactions: bool | None = None,
    ) -> tuple[Subscription, bool]:  # fmt: skip
        """Create or update (and reactivate) the channel's subscription (its weekly one when
        ``week_day`` is given); ``True`` when the channel had no active one of that cadence
        (new, or reactivated after an unsubscribe). ``reactions`` is the channel's (both
        cadences'; ``None`` keeps it); off deletes its reaction counts (``bot.reactions``)."""
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}; choose {', '.join(PLATFORMS)}")
        check_timezone(tz)
        values = dict(
            categories=" ".join(dict.fromkeys(categories)), top=top, time=f"{time:%H:%M}", tz=tz,
            include="\n".join(w for w in include if w), exclude="\n".join(w for w in exclude if w),
            active=True, notify_no_listing=notify_no_listing, week_day=week_day,
            catching_fire_days=catching_fire_days,
        )  # fmt: skip
        cadence = _cadence(week_day is not None)
        with self.store.session() as s:
            row = _channel_row(s, platform, workspace, channel, cadence=cadence)
            created = row is None or not row.active
            if row is None:
                row = SubscriptionRow(platform=platform, workspace=workspace, channel=channel,
                                      cadence=cadence, created_at=self.clock.now(),
                                      **values)  # fmt: skip
                s.add(row)
            else:
                for key, value in values.items():
                    setattr(row, key, value)
            s.flush()
            _channel_reactions(s, row, reactions)
            return _to_subscription(row), created

    def deactivate(
        self, platform: str, workspace: str, channel: str, *, weekly: bool = False
    ) -> Subscription | None:
        """Stop the channel's (daily, or ``weekly``) subscription; ``None`` when it had no active
        one. An unreadable row is stopped too, then ``UnreadableSubscription`` says so."""
        with self.store.session() as s:
            row = _channel_row(s, platform, workspace, channel, active=True,
                               cadence=_cadence(weekly))  # fmt: skip
            if row is None:
                return None
            row.active = False
            s.flush()
            try:
                return _to_subscription(row)
            except UnreadableSubscription as exc:
                unreadable = exc  # raised once the session has committed the change
        raise unreadable

    def get(
        self, platform: str, workspace: str, channel: str, *, weekly: bool = False
    ) -> Subscription | None:
        """The channel's active (daily, or ``weekly``) subscription, if any."""
        with self.store.session() as s:
            row = _channel_row(s, platform, workspace, channel, active=True,
                               cadence=_cadence(weekly))  # fmt: skip
            return _to_subscription(row) if row is not None else None

    def by_id(self, subscription_id: int) -> Subscription | None:
        with self.store.session() as s:
            row = s.get(SubscriptionRow, subscription_id)
            return _to_subscription(row) if row is not None else None

    @property
    def thread_safe(self) -> bool:
        """Whether another thread reads the same database (not so an in-memory SQLite one:
        SQLAlchemy gives each thread its own, empty, connection)."""
        url = self.store.engine.url
        return url.get_backend_name() != "sqlite" or url.database not in (None, "", ":memory:")

    def list_all(self, *, include_inactive: bool = False) -> list[Subscription]:
        """Subscriptions ordered by platform, workspace, channel (daily before weekly).

        Read as plain rows, not ORM objects: the leader reads every subscription each election
        round, and with 10,000 of them ORM objects cost several times the time and memory."""
        table = SubscriptionRow.__table__
        query = select(table).order_by(
            table.c.platform, table.c.workspace, table.c.channel, table.c.cadence
        )
        if not include_inactive:
            query = query.where(table.c.active.is_(True))
        with self.store.session() as s:
            rows = s.execute(query).all()
        found = []
        for row in rows:
            try:
                found.append(_to_subscription(row))
            except UnreadableSubscription as exc:  # one bad row must not stop every channel
                log.error(
                    "skipping malformed subscription %s (%s %s): %s",
                    row.id,
                    row.platform,
                    row.channel,
                    exc,
                )
        return found


def _channel_row(
    s: Session, platform: str, workspace: str, channel: str, **extra: object
) -> SubscriptionRow | None:
    """The channel's subscription row (``active=True`` for only an active one)."""
    query = select(SubscriptionRow).filter_by(
        platform=platform, workspace=workspace, channel=channel, **extra
    )
    return s.scalars(query).first()


def _cadence(weekly: bool) -> str:
    return "weekly" if weekly else "daily"


def describe(sub: Subscription) -> str:
    """``cs.CL, cs.LG at 09:00 Europe/Berlin, top 10`` (a weekly one: ``cs.CL every Friday at
    16:00 Europe/Berlin, top 10``) and the filters, for replies and listings."""
    when = f"every {WEEKDAYS[sub.week_day]} at" if sub.week_day is not None else "at"
    text = f"{', '.join(sub.categories)} {when} {sub.time:%H:%M} {sub.tz}, top {sub.top}"
    if sub.include:
        text += f", only papers mentioning {' or '.join(sub.include)}"
    if sub.exclude:
        text += f", without {' or '.join(sub.exclude)}"
    if sub.notify_no_listing:
        text += ", with a line on arXiv holidays"
    if sub.catching_fire_days == 0:
        text += ", no Catching fire"
    elif sub.catching_fire_days is not None:
        days = sub.catching_fire_days
        text += f", Catching fire from the last {days} listing day{'s' if days != 1 else ''}"
    if not sub.reactions:
        text += ", reactions off"
    return text


def _channel_reactions(s: Session, row: SubscriptionRow, reactions: bool | None) -> None:
    """The channel's reactions setting on ``row`` and its other cadence's: ``None`` takes the
    channel's (on when it has none); off deletes the channel's counts (nothing of them is kept)."""
    where = dict(platform=row.platform, workspace=row.workspace, channel=row.channel)
    if reactions is None:
        others = select(SubscriptionRow.reactions).filter_by(**where).where(
            SubscriptionRow.id != row.id)  # fmt: skip
        reactions = s.scalars(others).first() is not False
    s.execute(update(SubscriptionRow).filter_by(**where).values(reactions=reactions))
    s.refresh(row)
    if not reactions:
        s.execute(delete(ReactionRow).filter_by(**where))
