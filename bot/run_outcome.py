"""What a scheduled run did (``RunOutcome``), and the trigger wrapper that puts APScheduler's timers
on the injected clock (``ClockTrigger``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from apscheduler.triggers.base import BaseTrigger


class RunStatus(StrEnum):
    """How one run of a subscription's job ended."""

    POSTED = "posted"  # the digest thread went out
    RESUMED = "resumed"  # the rest of a thread an earlier run began
    ALREADY = "already"  # the ledger has it: nothing sent
    HELD_ELSEWHERE = "held_elsewhere"  # another instance is posting it (or took it over)
    NOTICE = "notice"  # the no-listing notice went out
    NOTHING_NEW = "nothing_new"  # no listing was announced since the previous run
    NO_ATTENTION = "no_attention"  # the listing's papers got no attention: nothing to post
    TOO_OLD = "too_old"  # the run was missed by more than the grace
    NOT_LEADER = "not_leader"
    QUEUED = "queued"  # the leader queued the run; an instance's worker posts it (bot.fanout_queue)
    GONE = "gone"  # the subscription was stopped or deleted
    FAILED = "failed"  # the digest could not be built or posted; retried within the grace


@dataclass(frozen=True)
class RunOutcome:
    """A run's ``status``, and ``text``: one line for the log and ``/healthz``."""

    status: RunStatus
    text: str

    def __str__(self) -> str:
        return self.text


class ClockTrigger(BaseTrigger):
    """A trigger computed on the injected clock's time, handed to APScheduler in wall time.

    APScheduler reads the wall clock for its timers; the core reads ``Clock``. The wrapped
    trigger sees times of our clock, and APScheduler gets each fire time moved by the clock's
    ``wall_offset`` (zero in production, so nothing moves there).
    """

    def __init__(self, trigger: BaseTrigger, offset: dt.timedelta) -> None:
        self.trigger = trigger
        self.offset = offset

    def get_next_fire_time(
        self, previous_fire_time: dt.datetime | None, now: dt.datetime
    ) -> dt.datetime | None:
        previous = previous_fire_time + self.offset if previous_fire_time else None
        found = self.trigger.get_next_fire_time(previous, now + self.offset)
        return found - self.offset if found is not None else None

    @property
    def timezone(self) -> Any:
        return getattr(self.trigger, "timezone", None)

    def __str__(self) -> str:
        return str(self.trigger)

    def __repr__(self) -> str:
        return f"<ClockTrigger {self.trigger!r} offset={self.offset}>"
