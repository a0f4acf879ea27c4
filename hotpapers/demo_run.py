"""``hotpapers run --demo``: the main job, watched offline in a minute.

The real runtime (scheduler, leader, ledger, delivery, /healthz) with three demo rules:

- a throwaway SQLite database in a temporary folder, deleted at exit: the demo never touches
  ``HOTPAPERS_DATABASE_URL``, and posts again on every run (a kept ledger would say "already
  posted" the second time);
- the console is the only platform (chat tokens in the environment are ignored) and sources are
  never asked: every run builds the bundled 2021-04-12 listing from its snapshot;
- a console subscription, channel ``hotpapers-demo``, due at the next whole minute (1 to 60 s
  after start), whose job fires once at that time, on any day: a real subscription fires only
  on days with a new arXiv listing, which would leave a weekend demo silent.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from bot import demo
from bot.config import Settings, check_timezone
from bot.jobs import DigestScheduler
from bot.run_outcome import RunOutcome, RunStatus
from bot.scheduler import RunPlan
from bot.subscriptions import Subscription, SubscriptionStore

CHANNEL = "hotpapers-demo"
TOP = 3


@contextmanager
def demo_settings(settings: Settings) -> Iterator[Settings]:
    """``settings`` on a temporary database, without any chat token; the folder goes at exit."""
    with tempfile.TemporaryDirectory(prefix="hotpapers-demo-") as folder:
        yield settings.model_copy(
            update={
                "database_url": f"sqlite:///{Path(folder) / 'demo.sqlite3'}",
                "slack_bot_token": None,
                "slack_app_token": None,
                "slack_signing_secret": None,
                "slack_client_id": None,
                "slack_client_secret": None,
                "discord_token": None,
            }  # fmt: skip
        )


def next_minute(now: dt.datetime) -> dt.datetime:
    """The next whole minute strictly after ``now``: 1 to 60 seconds away."""
    return now.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)


class DemoScheduler(DigestScheduler):
    """``DigestScheduler`` whose jobs fire once, at the subscription's next local time, and
    deliver the bundled listing (see the module's rules); everything after that is the real
    scheduler's: the digest cache, the ledger's claim, the thread's delivery, the health."""

    def schedule(self, sub: Subscription, *, catch_up: bool = False) -> None:
        now = self.clock.now()
        zone = check_timezone(sub.tz)
        local = now.astimezone(zone)
        due = local.replace(hour=sub.time.hour, minute=sub.time.minute, second=0, microsecond=0)
        if due <= local:
            due += dt.timedelta(days=1)
        self.scheduler.add_job(
            self.fire, "date", run_date=self._wall(due), args=[sub.id, due.isoformat()],
            id=sub.job_id, name=f"demo digest {sub.where}", replace_existing=True,
            misfire_grace_time=int(self.grace.total_seconds()),
        )  # fmt: skip
        self._scheduled[sub.id] = (sub, now.year)

    async def run_once(
        self, subscription_id: int, scheduled: dt.datetime | None = None
    ) -> RunOutcome:
        sub = self.subscriptions.by_id(subscription_id)
        if sub is None or not sub.active:
            return RunOutcome(RunStatus.GONE, f"subscription {subscription_id} is gone")
        plan = RunPlan(scheduled or self.clock.now(), listing=demo.DEMO_DATE)
        return await self._deliver(sub, plan)


def add_demo_subscription(
    subscriptions: SubscriptionStore, settings: Settings, out: TextIO | None
) -> tuple[Subscription, dt.datetime]:
    """The demo's console subscription, due at the next whole minute; says so on ``out``."""
    now = subscriptions.clock.now()
    due = next_minute(now)
    zone = settings.default_timezone
    local = due.astimezone(check_timezone(zone))
    sub, _ = subscriptions.upsert(
        "console", "default", CHANNEL, categories=demo.bundled_categories(demo.DEMO_DATE),
        time=local.time(), tz=zone, top=TOP,
    )  # fmt: skip
    seconds = int((due - now).total_seconds())
    line = (
        f"demo: the scheduler posts Hot Papers {demo.DEMO_DATE} (top {TOP}) to the console "
        f"channel {CHANNEL} at {local:%H:%M} {zone}, in {seconds} s; Ctrl-C to stop"
    )
    print(line, file=out, flush=True)
    return sub, due
