"""The published limits the bench's fakes enforce, the latency model, and the limiters themselves.

One table (``LIMITS``) is the single truth: the fakes enforce it and the bounds
(``bench.bounds``) are computed from it, so a bound can never assume a limit the fakes do not
enforce. Numbers are from ``docs/API-FACTS.md``; where a service publishes a range, the bench
takes the low end (the one a bot must plan for) and says so.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

Now = Callable[[], float]


@dataclass(frozen=True)
class Latency:
    """A fake's answer time: ``base`` seconds plus ``per_kb`` seconds per KiB of the body."""

    base: float = 0.05
    per_kb: float = 0.0002  # 5 MiB/s: a 1.8 MB arXiv page takes 0.4 s more than an empty one

    def of(self, nbytes: int) -> float:
        return self.base + self.per_kb * nbytes / 1024


#: The pinned default: every published figure was measured with it (recorded in the JSON).
PINNED_LATENCY = Latency()


@dataclass(frozen=True)
class Limit:
    """``calls`` per ``period`` seconds, enforced as ``kind`` (sliding, fixed, bucket)."""

    calls: int
    period: float
    kind: str  # "sliding": any window of `period`; "fixed": windows from the first call;
    # "bucket": token bucket refilled at calls/period holding at most `burst` tokens
    burst: int = 0
    source: str = ""

    @property
    def rate(self) -> float:
        return self.calls / self.period


LIMITS: dict[str, Limit] = {
    "arxiv": Limit(1, 3.0, "sliding", source="API terms: 1 request / 3 s, one connection"),
    "huggingface_token": Limit(1000, 300.0, "fixed", source="hub-docs: free user 1000 / 5 min"),
    "huggingface_anonymous": Limit(500, 300.0, "fixed", source="hub-docs: anonymous 500 / 5 min"),
    "hackernews": Limit(10_000, 3600.0, "sliding", source="Algolia: ~10,000 / hour / IP"),
    "semantic_scholar_key": Limit(1, 1.0, "sliding", source="S2: 1 req / s with a key"),
    "semantic_scholar_anonymous": Limit(100, 300.0, "sliding", source="S2: 100 / 5 min / IP"),
    "bluesky": Limit(3000, 300.0, "sliding", source="PDS RateLimit-Policy 3000;w=300"),
    # Slack chat.postMessage: "1 message / s / channel, short bursts"; the workspace: "several
    # hundred messages per minute" per app per workspace -- the bench takes 300 / min.
    "slack_channel": Limit(1, 1.0, "bucket", burst=3, source="Slack: ~1 / s / channel, bursts"),
    "slack_workspace": Limit(300, 60.0, "bucket", burst=30,
                             source="Slack: several hundred / min / workspace (300 taken)"),
    "discord_global": Limit(50, 1.0, "bucket", burst=50, source="Discord: 50 req / s / token"),
    "discord_channel_messages": Limit(5, 5.0, "fixed",
                                      source="POST /channels/{id}/messages: 5 / 5 s / channel"),
    "discord_route": Limit(50, 1.0, "fixed", source="other routes: no tighter than global"),
}  # fmt: skip


class Sliding:
    """At most ``calls`` starts in any ``period`` seconds; ``take()`` says go (None) or wait."""

    def __init__(self, calls: int, period: float, now: Now = time.monotonic) -> None:
        self.calls, self.period, self.now = calls, period, now
        self._times: deque[float] = deque()

    def take(self) -> float | None:
        now = self.now()
        while self._times and now - self._times[0] >= self.period:
            self._times.popleft()
        if len(self._times) >= self.calls:
            return self.period - (now - self._times[0])
        self._times.append(now)
        return None


class Fixed:
    """``calls`` per window of ``period`` s that opens at the first call (Discord's and HF's
    buckets): ``remaining`` and ``reset_after`` are what the headers report."""

    def __init__(self, calls: int, period: float, now: Now = time.monotonic) -> None:
        self.calls, self.period, self.now = calls, period, now
        self._opened = -math.inf
        self.used = 0

    def _roll(self) -> float:
        now = self.now()
        if now - self._opened >= self.period:
            self._opened, self.used = now, 0
        return now

    def take(self) -> float | None:
        now = self._roll()
        if self.used >= self.calls:
            return self.period - (now - self._opened)
        self.used += 1
        return None

    @property
    def remaining(self) -> int:
        self._roll()
        return self.calls - self.used

    @property
    def reset_after(self) -> float:
        return max(0.0, self.period - (self._roll() - self._opened))


class Bucket:
    """A token bucket: ``rate`` tokens / s, at most ``burst`` held, starting full."""

    def __init__(self, rate: float, burst: int, now: Now = time.monotonic) -> None:
        self.rate, self.burst, self.now = rate, burst, now
        self._tokens = float(burst)
        self._at = now()

    def take(self) -> float | None:
        now = self.now()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return None
        return (1.0 - self._tokens) / self.rate

    def refund(self) -> None:
        """Give back the token of a request another limit refused after this one let it go."""
        self._tokens = min(self.burst, self._tokens + 1.0)


def limiter(
    limit: Limit, now: Now = time.monotonic, scale: float = 1.0
) -> Sliding | Fixed | Bucket:
    """The enforcing limiter of ``limit``; ``scale`` shortens its period (arXiv only, recorded)."""
    period = limit.period * scale
    if limit.kind == "sliding":
        return Sliding(limit.calls, period, now)
    if limit.kind == "fixed":
        return Fixed(limit.calls, period, now)
    return Bucket(limit.calls / period, limit.burst, now)


def retry_after(wait: float) -> str:
    """The Retry-After header for ``wait`` seconds (whole seconds, never 0)."""
    return str(max(1, math.ceil(wait)))
