"""Subscriptions: which channel gets which digest, when; in the store, managed from CLI or chat.

A subscription is keyed by (platform, workspace, channel): subscribing again updates it, and
unsubscribing deactivates it (the row stays, so ``hotpapers subscriptions --all`` can show it).
Every change is handed to ``on_change`` so a running scheduler adds, replaces or removes the job
without a restart.

From chat, only people who may manage the channel can change its subscription (anyone may see
it with ``settings``): the adapter knows the platform's rule (Slack: workspace admins and owners;
Discord: Manage Channels) and passes its verdict as ``allowed``, and who may as ``managers``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import calendar
from bot.clock import Clock
from bot.commands import SUBSCRIBE_EXAMPLE, ShowSettings, Subscribe, Unsubscribe
from bot.config import check_timezone
from bot.store import Store, SubscriptionRow

log = logging.getLogger(__name__)

PLATFORMS = ("slack", "discord", "console")
NO_SUBSCRIPTION = (
    "This channel has no Hot Papers subscription. Start one with " + SUBSCRIBE_EXAMPLE + "."
)
REFUSAL = (
    "Only {managers} can change this channel's Hot Papers subscription. Please ask one of them; "
    "`/hotpapers settings` shows the current one."
)


class UnreadableSubscription(ValueError):
    """A stored row no ``Subscription`` can be made of (edited by hand, or by a newer version)."""

    def __init__(self, row_id: int, reason: str) -> None:
        self.row_id = row_id
        self.reason = reason
        super().__init__(f"subscription {row_id} cannot be read ({reason})")


UNREADABLE = (
    "This channel's subscription is stored in a form I cannot read ({reason}). "
    "`/hotpapers subscribe ...` replaces it; `/hotpapers unsubscribe` stops it."
)


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
    )  # fmt: skip


class SubscriptionStore:
    """Subscriptions in the ``hp_subscriptions`` table (filters stored one word per line)."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def upsert(
        self, platform: str, workspace: str, channel: str, *, categories: Sequence[str],
        time: dt.time, tz: str, top: int, include: Sequence[str] = (),
        exclude: Sequence[str] = (), notify_no_listing: bool = False,
    ) -> tuple[Subscription, bool]:  # fmt: skip
        """Create or update (and reactivate) the channel's subscription; ``True`` when the
        channel had no active one (new, or reactivated after an unsubscribe)."""
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}; choose {', '.join(PLATFORMS)}")
        check_timezone(tz)
        values = dict(
            categories=" ".join(dict.fromkeys(categories)), top=top, time=f"{time:%H:%M}", tz=tz,
            include="\n".join(w for w in include if w), exclude="\n".join(w for w in exclude if w),
            active=True, notify_no_listing=notify_no_listing,
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
    return text


def next_delivery_text(sub: Subscription, now: dt.datetime, holidays: Collection[dt.date]) -> str:
    """``Tuesday 2021-04-13 09:00 Europe/Berlin (the listing of Tuesday 2021-04-13)``."""
    from bot.scheduler import next_deliveries

    found = next_deliveries(sub, now, 1, holidays)
    if not found:
        return "not within the next weeks"
    when, listing = found[0]
    local = when.astimezone(check_timezone(sub.tz))
    return f"{local:%A %Y-%m-%d %H:%M} {sub.tz} (the listing of {calendar.describe(listing)})"


OnChange = Callable[[Subscription], None]


class SubscriptionHandler:
    """``/hotpapers subscribe|unsubscribe|settings`` from any chat platform: store, then reply."""

    def __init__(
        self, subscriptions: SubscriptionStore, clock: Clock, *,
        holidays: Collection[dt.date] = (), on_change: OnChange | None = None,
    ) -> None:  # fmt: skip
        self.subscriptions = subscriptions
        self.clock = clock
        self.holidays = tuple(holidays)
        self.on_change = on_change

    async def handle(
        self, platform: str, workspace_id: str, channel_id: str, user_id: str,
        request: Subscribe | Unsubscribe | ShowSettings, *, allowed: bool,
        managers: str = "the channel's managers",
    ) -> str:  # fmt: skip
        """The reply for the user; ``allowed``: may this user manage the channel (the adapter's
        verdict by its platform's rule). Reading the settings needs no permission."""
        if not allowed and not isinstance(request, ShowSettings):
            log.info("%s: user %s may not manage the subscription of %s", platform, user_id,
                     channel_id)  # fmt: skip
            return REFUSAL.format(managers=managers)
        if isinstance(request, Subscribe):
            return self._subscribe(platform, workspace_id, channel_id, request)
        if isinstance(request, Unsubscribe):
            return self._unsubscribe(platform, workspace_id, channel_id)
        return self._settings(platform, workspace_id, channel_id)

    def _subscribe(self, platform: str, workspace: str, channel: str, req: Subscribe) -> str:
        # The command sets categories, time and top; keyword filters and the holiday notice
        # (set with the CLI) are kept, and the reply's description shows them.
        try:
            kept = self.subscriptions.get(platform, workspace, channel)
        except UnreadableSubscription:
            kept = None  # replaced whole by this command
        sub, created = self.subscriptions.upsert(
            platform, workspace, channel, categories=req.categories, time=req.time, tz=req.tz,
            top=req.top, include=kept.include if kept else (),
            exclude=kept.exclude if kept else (),
            notify_no_listing=kept.notify_no_listing if kept else False,
        )  # fmt: skip
        self._changed(sub)
        verb = "Subscribed" if created else "Updated the subscription"
        return (
            f"{verb}: this channel gets Hot Papers for {describe(sub)}, on every arXiv "
            f"listing day. Next: {next_delivery_text(sub, self.clock.now(), self.holidays)}."
        )

    def _unsubscribe(self, platform: str, workspace: str, channel: str) -> str:
        try:
            sub = self.subscriptions.deactivate(platform, workspace, channel)
        except UnreadableSubscription:  # stopped all the same; it was never scheduled
            return "Unsubscribed: this channel no longer gets Hot Papers."
        if sub is None:
            return NO_SUBSCRIPTION
        self._changed(sub)
        return f"Unsubscribed: this channel no longer gets Hot Papers ({describe(sub)})."

    def _settings(self, platform: str, workspace: str, channel: str) -> str:
        try:
            sub = self.subscriptions.get(platform, workspace, channel)
        except UnreadableSubscription as exc:
            return UNREADABLE.format(reason=exc.reason)
        if sub is None:
            return NO_SUBSCRIPTION
        return (
            f"This channel gets Hot Papers for {describe(sub)}. Next: "
            f"{next_delivery_text(sub, self.clock.now(), self.holidays)}. Change it with "
            "`/hotpapers subscribe ...`, stop it with `/hotpapers unsubscribe`."
        )

    def _changed(self, sub: Subscription) -> None:
        if self.on_change is not None:
            try:
                self.on_change(sub)
            except Exception:  # the row is stored; the scheduler picks it up at its next start
                log.exception("scheduler update for %s failed", sub.where)
