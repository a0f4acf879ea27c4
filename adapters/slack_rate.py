"""Slack's workspace-wide limit on posting, kept per workspace and learnt from its 429s.

``chat.postMessage`` allows about one message a second per channel, with short bursts (kept by
``adapters.slack_client.ChannelPacer``), and, per app per workspace, "several hundred messages per
minute" (Slack's rate-limit docs; no exact figure is published). ``WorkspaceBudget`` holds each
workspace to ``HOTPAPERS_SLACK_WORKSPACE_PER_MINUTE`` (default ``PER_MINUTE``) in any minute: a
sliding-window log (``bot.sources.http.RateLimiter``), so no minute Slack counts holds more.
A 429 is Slack saying the real figure is lower: every post of that workspace waits out its
``Retry-After`` and the budget shrinks by ``SHRINK`` (never below a tenth of the setting), so a
workspace that draws 429s settles at what Slack allows instead of drawing them all day.

How many channels of a workspace post at once follows from the two limits: a channel sends at most
one message a second, so ``channels_in_flight`` = the budget per second, plus one so a channel
waiting on its own pace never leaves the budget unused.
"""

from __future__ import annotations

import logging
import math
from collections import deque

from bot.clock import Clock
from bot.sources.http import RateLimiter

log = logging.getLogger(__name__)

#: Messages per minute per workspace: "several hundred" in Slack's words; 300 is 5 a second.
PER_MINUTE = 300
#: The budget after a 429 is this share of what it was.
SHRINK = 0.9
#: chat.postMessage's pace per channel (seconds between two messages of one channel).
CHANNEL_INTERVAL = 1.0


def channels_in_flight(per_minute: int, interval: float = CHANNEL_INTERVAL) -> int:
    """Channels of one workspace posting at once so the workspace's budget is what bounds them."""
    return math.ceil(per_minute / 60 * interval) + 1


class WorkspaceBudget(RateLimiter):
    """At most ``per_minute`` messages in any 60 s for one workspace; shrinks on a 429."""

    def __init__(self, per_minute: int, clock: Clock, workspace: str = "") -> None:
        super().__init__(per_minute, 60.0, clock)
        self.workspace = workspace
        self.floor = max(1, per_minute // 10)
        self.limited = 0  # 429s seen

    def rate_limited(self, retry_after: float) -> None:
        """A 429 of this workspace: nothing starts before ``retry_after`` seconds from now, and
        the budget shrinks."""
        self.limited += 1
        self.defer(retry_after)
        calls = max(self.floor, int(self.calls * SHRINK))
        if calls < self.calls:
            log.info("slack: workspace %s rate-limited; its budget is now %d messages a minute",
                     self.workspace, calls)  # fmt: skip
            self.resize(calls)

    def resize(self, calls: int) -> None:
        """At most ``calls`` messages a minute from now on (the log keeps the latest starts)."""
        self.calls = max(1, calls)
        self.floor = min(self.floor, self.calls)
        self._starts = deque(self._starts, maxlen=self.calls)
