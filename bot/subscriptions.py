"""Subscriptions: which channel gets which digest, when; in the store, managed from CLI or chat.

A subscription is keyed by (platform, workspace, channel): subscribing again updates it, and
unsubscribing deactivates it (the row stays, so ``hotpapers subscriptions --all`` can show it).
The chat commands that change them are ``bot.subscription_commands``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.config import check_timezone
from bot.store import Store
from bot.tables import ReactionRow, SubscriptionRow

log = logging.getLogger(__name__)

PLATFORMS = ("slack", "discord", "console")


class UnreadableSubscription(ValueError):
    """A stored row no ``Subscription`` can be made of (edited by hand, or by a newer version)."""

    def __init__(self, row_id: int, reason: str) -> None:
        self.row_id = row_id
        self.reason = reason
        super().__init__(f"subscription {row_id} cannot be read ({reason})")


@dataclass(frozen=True)
class Subscription:
    """One channel's daily digest: what (categories, top, filters) and when (local time, zone)."""

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
    reactions: bool = True  # count reactions here and let them shape the digest (bot.reactions)

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


def _to_subscription(row: SubscriptionRow) -> Subscription:
    try:
        return _convert(row)
    except (ValueError, KeyError) as exc:
        raise UnreadableSubscription(row.id, str(exc)) from None


def _convert(row: SubscriptionRow) -> Subscription:
    return Subscription(
        id=row.id, platform=row.platform, workspace=row.workspace, channel=row.channel,
        categories=tuple(row.categories.split()), top=row.top, time=parse_time(row.time),
        tz=row.tz, include=_words(row.include), exclude=_words(row.exclude),
        active=row.active, notify_no_listing=row.notify_no_listing,
        reactions=row.reactions is not False,
    )  # fmt: skip


class SubscriptionStore:
    """Subscriptions in the ``hp_subscriptions`` table (filters stored one word per line)."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def upsert(
        self, platform: str, workspace: str, channel: str, *, categories: Sequence[str],
        time: dt.time, tz: str, top: int, include: Sequence[str] = (),
        exclude: Sequence[str] = (), notify_no_listing: bool = False, reactions: bool = True,
    ) -> tuple[Subscription, bool]:  # fmt: skip
        """Create or update (and reactivate) the channel's subscription; ``True`` when the
        channel had no active one (new, or reactivated after an unsubscribe). ``reactions``
        off deletes the channel's reaction counts (``bot.reactions``)."""
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}; choose {', '.join(PLATFORMS)}")
        check_timezone(tz)
        values = dict(
            categories=" ".join(dict.fromkeys(categories)), top=top, time=f"{time:%H:%M}", tz=tz,
            include="\n".join(w for w in include if w), exclude="\n".join(w for w in exclude if w),
            active=True, notify_no_listing=notify_no_listing, reactions=reactions,
        )  # fmt: skip
        with self.store.session() as s:
            row = _channel_row(s, platform, workspace, channel)
            created = row is None or not row.active
            if row is None:
                row = SubscriptionRow(platform=platform, workspace=workspace, channel=channel,
                                      created_at=self.clock.now(), **values)  # fmt: skip
                s.add(row)
            else:
                for key, value in values.items():
                    setattr(row, key, value)
            if not reactions:  # opted out: nothing of the channel's reactions is kept
                s.execute(delete(ReactionRow).filter_by(platform=platform, workspace=workspace,
                                                        channel=channel))  # fmt: skip
            s.flush()
            return _to_subscription(row), created

    def deactivate(self, platform: str, workspace: str, channel: str) -> Subscription | None:
        """Stop the channel's subscription; ``None`` when it had no active one. An unreadable
        row is stopped too, then ``UnreadableSubscription`` says so."""
        with self.store.session() as s:
            row = _channel_row(s, platform, workspace, channel, active=True)
            if row is None:
                return None
            row.active = False
            s.flush()
            try:
                return _to_subscription(row)
            except UnreadableSubscription as exc:
                unreadable = exc  # raised once the session has committed the change
        raise unreadable

    def get(self, platform: str, workspace: str, channel: str) -> Subscription | None:
        """The channel's active subscription, if any."""
        with self.store.session() as s:
            row = _channel_row(s, platform, workspace, channel, active=True)
            return _to_subscription(row) if row is not None else None

    def by_id(self, subscription_id: int) -> Subscription | None:
        with self.store.session() as s:
            row = s.get(SubscriptionRow, subscription_id)
            return _to_subscription(row) if row is not None else None

    def list_all(self, *, include_inactive: bool = False) -> list[Subscription]:
        """Subscriptions ordered by platform, workspace, channel."""
        query = select(SubscriptionRow).order_by(
            SubscriptionRow.platform, SubscriptionRow.workspace, SubscriptionRow.channel
        )
        if not include_inactive:
            query = query.where(SubscriptionRow.active.is_(True))
        with self.store.session() as s:
            rows = list(s.scalars(query))
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


def describe(sub: Subscription) -> str:
    """``cs.CL, cs.LG at 09:00 Europe/Berlin, top 10`` (+ the filters), for replies and listings."""
    text = f"{', '.join(sub.categories)} at {sub.time:%H:%M} {sub.tz}, top {sub.top}"
    if sub.include:
        text += f", only papers mentioning {' or '.join(sub.include)}"
    if sub.exclude:
        text += f", without {' or '.join(sub.exclude)}"
    if sub.notify_no_listing:
        text += ", with a line on arXiv holidays"
    if not sub.reactions:
        text += ", reactions off"
    return text
