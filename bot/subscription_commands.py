"""``/hotpapers subscribe|unsubscribe|settings`` from any chat platform: store, then reply.

Every change is handed to ``on_change`` so a running scheduler adds, replaces or removes the job
without a restart.

Only people who may manage the channel can change its subscription (anyone may see it with
``settings``): the platform knows its rule (Slack: workspace admins and owners; Discord: Manage
Channels) and gives its verdict as ``allowed``, and who may as ``managers``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from bot import calendar
from bot.categories import expand
from bot.clock import Clock
from bot.command_types import WEEKLY_EXAMPLE
from bot.commands import SUBSCRIBE_EXAMPLE, ShowSettings, Subscribe, Unsubscribe
from bot.config import Settings, check_timezone
from bot.keywords import check_no_conflict
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

NEEDS_TIME = f"When should I post? Add a time, e.g. {SUBSCRIBE_EXAMPLE}."
NEEDS_DAY = f"Which day and time should the weekly roundup come? E.g. {WEEKLY_EXAMPLE}."
NO_WEEKLY = "This channel has no weekly Hot Papers roundup. Start one with " + WEEKLY_EXAMPLE + "."
NAME_IT = (
    "Name what to change, e.g. `/hotpapers subscribe top=5`, `at 07:30`, `include=llm,agents`, "
    "`notify=on`, `catching=3` or `reactions=off`."
)

SubscriptionRequest = Subscribe | Unsubscribe | ShowSettings


@dataclass(frozen=True)
class Defaults:
    """What a new subscription gets for what its command does not name (from the settings)."""

    categories: tuple[str, ...] = ("cs.CL", "cs.LG", "cs.AI")
    top: int = 10
    tz: str = "UTC"

    @classmethod
    def of(cls, settings: Settings) -> Defaults:
        codes = [found for code in settings.default_categories for found in expand(code) or [code]]
        return cls(tuple(dict.fromkeys(codes)), settings.default_top, settings.default_timezone)


def merged(req: Subscribe, kept: Subscription | None, defaults: Defaults) -> dict[str, Any]:
    """The subscription's values after ``req``: what it names, else what the channel has, else
    the defaults (``SubscriptionStore.upsert``'s keywords)."""

    def pick(given: Any, name: str, default: Any) -> Any:
        if given is not None:
            return given
        return getattr(kept, name) if kept is not None else default

    return {
        "categories": pick(req.categories, "categories", defaults.categories),
        "time": pick(req.time, "time", None), "tz": pick(req.tz, "tz", defaults.tz),
        "top": pick(req.top, "top", defaults.top), "include": pick(req.include, "include", ()),
        "exclude": pick(req.exclude, "exclude", ()),
        "notify_no_listing": pick(req.notify, "notify_no_listing", False),
        "catching_fire_days": pick(req.catching_fire_days, "catching_fire_days", None),
        "week_day": pick(req.week_day, "week_day", None) if req.weekly else None,
        "reactions": req.reactions,  # the channel's, for both cadences (None: as it is)
    }  # fmt: skip


OnChange = Callable[[Subscription], None]


def next_delivery_text(sub: Subscription, now: dt.datetime, holidays: Collection[dt.date]) -> str:
    """``Tuesday 2021-04-13 09:00 Europe/Berlin (the listing of Tuesday 2021-04-13)``; a weekly
    one: ``... (the week up to the listing of Friday 2021-04-16)``."""
    found = next_deliveries(sub, now, 1, holidays)
    if not found:
        return "not within the next weeks"
    when, listing = found[0]
    local = when.astimezone(check_timezone(sub.tz))
    week = "the week up to " if sub.weekly else ""
    return f"{local:%A %Y-%m-%d %H:%M} {sub.tz} ({week}the listing of {calendar.describe(listing)})"


def _what(sub: Subscription) -> str:
    """``Hot Papers for cs.CL at ...``, or ``the weekly Hot Papers roundup for cs.CL every ...``."""
    return f"{'the weekly Hot Papers roundup' if sub.weekly else 'Hot Papers'} for {describe(sub)}"


def _said(text: str) -> Reply:
    return Reply(ReplyKind.SUBSCRIPTION, text)


class SubscriptionHandler:
    """The subscription commands of ``bot.handler.CommandHandler``, one method each."""

    def __init__(
        self, subscriptions: SubscriptionStore, clock: Clock, *,
        holidays: Collection[dt.date] = (), on_change: OnChange | None = None,
        defaults: Defaults | None = None,
    ) -> None:  # fmt: skip
        self.subscriptions = subscriptions
        self.clock = clock
        self.holidays = tuple(holidays)
        self.on_change = on_change
        self.defaults = defaults or Defaults()

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
            return self._unsubscribe(platform, workspace_id, channel_id, request.weekly)
        return self._settings(platform, workspace_id, channel_id)

    def _subscribe(self, platform: str, workspace: str, channel: str, req: Subscribe) -> Reply:
        # Only what the command names changes; the rest stays as it is (or, for a new
        # subscription, takes the deployment's defaults).
        try:
            kept = self.subscriptions.get(platform, workspace, channel, weekly=req.weekly)
        except UnreadableSubscription:
            kept = None  # replaced whole by this command
        if kept is not None and dataclasses.replace(req, weekly=False) == Subscribe():
            return _said(f"This channel already gets {_what(kept)}. {NAME_IT}")
        if kept is None and req.weekly and (req.time is None or req.week_day is None):
            return Reply(ReplyKind.INVALID, NEEDS_DAY)
        if kept is None and req.time is None:
            return Reply(ReplyKind.INVALID, NEEDS_TIME)
        values = merged(req, kept, self.defaults)
        try:
            check_no_conflict(values["include"], values["exclude"])
        except ValueError as exc:
            return Reply(ReplyKind.INVALID, str(exc))
        sub, created = self.subscriptions.upsert(platform, workspace, channel, **values)
        self._changed(sub)
        verb = "Subscribed" if created else "Updated the subscription"
        often = "" if sub.weekly else ", on every arXiv listing day"
        return _said(
            f"{verb}: this channel gets {_what(sub)}{often}. "
            f"Next: {next_delivery_text(sub, self.clock.now(), self.holidays)}."
        )

    def _unsubscribe(self, platform: str, workspace: str, channel: str, weekly: bool) -> Reply:
        what = "the weekly Hot Papers roundup" if weekly else "Hot Papers"
        try:
            sub = self.subscriptions.deactivate(platform, workspace, channel, weekly=weekly)
        except UnreadableSubscription:  # stopped all the same; it was never scheduled
            return _said(f"Unsubscribed: this channel no longer gets {what}.")
        if sub is None:
            return _said(NO_WEEKLY if weekly else NO_SUBSCRIPTION)
        self._changed(sub)
        return _said(f"Unsubscribed: this channel no longer gets {what} ({describe(sub)}).")

    def _settings(self, platform: str, workspace: str, channel: str) -> Reply:
        """The daily subscription, then the weekly one, each with its next delivery."""
        lines = []
        for weekly, stop in ((False, "unsubscribe"), (True, "unsubscribe week")):
            try:
                sub = self.subscriptions.get(platform, workspace, channel, weekly=weekly)
            except UnreadableSubscription as exc:
                lines.append(UNREADABLE.format(reason=exc.reason))
                continue
            if sub is not None:
                change = "subscribe week ..." if weekly else "subscribe ..."
                lines.append(
                    f"This channel gets {_what(sub)}. Next: "
                    f"{next_delivery_text(sub, self.clock.now(), self.holidays)}. Change it with "
                    f"`/hotpapers {change}`, stop it with `/hotpapers {stop}`."
                )
        return _said("\n".join(lines) or NO_SUBSCRIPTION)

    def _changed(self, sub: Subscription) -> None:
        if self.on_change is not None:
            try:
                self.on_change(sub)
            except Exception:  # the row is stored; the scheduler picks it up at its next start
                log.exception("scheduler update for %s failed", sub.where)
