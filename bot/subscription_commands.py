"""``/hotpapers subscribe|unsubscribe|settings`` from any chat platform: store, then reply.

Every change is handed to ``on_change`` so a running scheduler adds, replaces or removes the job
without a restart.

Only people who may manage the channel can change its subscription (anyone may see it with
``settings``): the platform knows its rule (Slack: workspace admins and owners; Discord: Manage
Channels) and gives its verdict as ``allowed``, and who may as ``managers``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection

from bot import calendar
from bot.clock import Clock
from bot.commands import SUBSCRIBE_EXAMPLE, ShowSettings, Subscribe, Unsubscribe
from bot.config import check_timezone
from bot.ports import Reply, ReplyKind
from bot.scheduler import next_deliveries
from bot.subscriptions import (
    Subscription,
    SubscriptionStore,
    UnreadableSubscription,
    describe,
)

log = logging.getLogger(__name__)

NO_SUBSCRIPTION = (
    "This channel has no Hot Papers subscription. Start one with " + SUBSCRIBE_EXAMPLE + "."
)
REFUSAL = (
    "Only {managers} can change this channel's Hot Papers subscription. Please ask one of them; "
    "`/hotpapers settings` shows the current one."
)
UNREADABLE = (
    "This channel's subscription is stored in a form I cannot read ({reason}). "
    "`/hotpapers subscribe ...` replaces it; `/hotpapers unsubscribe` stops it."
)

SubscriptionRequest = Subscribe | Unsubscribe | ShowSettings
OnChange = Callable[[Subscription], None]


def next_delivery_text(sub: Subscription, now: dt.datetime, holidays: Collection[dt.date]) -> str:
    """``Tuesday 2021-04-13 09:00 Europe/Berlin (the listing of Tuesday 2021-04-13)``."""
    found = next_deliveries(sub, now, 1, holidays)
    if not found:
        return "not within the next weeks"
    when, listing = found[0]
    local = when.astimezone(check_timezone(sub.tz))
    return f"{local:%A %Y-%m-%d %H:%M} {sub.tz} (the listing of {calendar.describe(listing)})"


def _said(text: str) -> Reply:
    return Reply(ReplyKind.SUBSCRIPTION, text)


class SubscriptionHandler:
    """The subscription commands of ``bot.handler.CommandHandler``, one method each."""

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
        request: SubscriptionRequest, *, allowed: bool,
        managers: str = "the channel's managers",
    ) -> Reply:  # fmt: skip
        """The reply for the user; ``allowed``: may this user manage the channel (the platform's
        verdict by its own rule). Reading the settings needs no permission."""
        if not allowed and not isinstance(request, ShowSettings):
            log.info("%s: user %s may not manage the subscription of %s", platform, user_id,
                     channel_id)  # fmt: skip
            return Reply(ReplyKind.REFUSED, REFUSAL.format(managers=managers))
        if isinstance(request, Subscribe):
            return self._subscribe(platform, workspace_id, channel_id, request)
        if isinstance(request, Unsubscribe):
            return self._unsubscribe(platform, workspace_id, channel_id)
        return self._settings(platform, workspace_id, channel_id)

    def _subscribe(self, platform: str, workspace: str, channel: str, req: Subscribe) -> Reply:
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
        return _said(
            f"{verb}: this channel gets Hot Papers for {describe(sub)}, on every arXiv "
            f"listing day. Next: {next_delivery_text(sub, self.clock.now(), self.holidays)}."
        )

    def _unsubscribe(self, platform: str, workspace: str, channel: str) -> Reply:
        try:
            sub = self.subscriptions.deactivate(platform, workspace, channel)
        except UnreadableSubscription:  # stopped all the same; it was never scheduled
            return _said("Unsubscribed: this channel no longer gets Hot Papers.")
        if sub is None:
            return _said(NO_SUBSCRIPTION)
        self._changed(sub)
        return _said(f"Unsubscribed: this channel no longer gets Hot Papers ({describe(sub)}).")

    def _settings(self, platform: str, workspace: str, channel: str) -> Reply:
        try:
            sub = self.subscriptions.get(platform, workspace, channel)
        except UnreadableSubscription as exc:
            return _said(UNREADABLE.format(reason=exc.reason))
        if sub is None:
            return _said(NO_SUBSCRIPTION)
        return _said(
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
