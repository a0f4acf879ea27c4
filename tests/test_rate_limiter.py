"""``RateLimiter``: at most ``calls`` starts in any ``period`` seconds, no wait it does not need.

Everything runs on ``FakeClock``: a sleep moves the clock, so the start times are exact. Times are
multiples of 0.25 s, which floats add without rounding, so they are compared exactly.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clock import FakeClock
from bot.sources.http import RateLimiter

T0 = 1000.0  # FakeClock's monotonic start


async def starts(limiter: RateLimiter, clock: FakeClock, n: int) -> list[float]:
    """``n`` requests one after another: when each was let through."""
    out = []
    for _ in range(n):
        await limiter.wait()
        out.append(clock.monotonic())
    return out


def most_in_any_window(times: list[float], period: float) -> int:
    """The largest number of ``times`` inside one half-open window ``[t, t + period)``."""
    ordered = sorted(times)
    return max(
        (sum(1 for u in ordered if t <= u < t + period) for t in ordered),
        default=0,
    )


async def test_a_burst_up_to_the_budget_goes_at_once_then_the_window_slides() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, 10.0, clock)

    assert await starts(limiter, clock, 7) == [T0] * 3 + [T0 + 10] * 3 + [T0 + 20]
    assert clock.sleeps == [10.0, 10.0]


async def test_one_call_per_period_is_even_spacing() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1, 3.0, clock)  # arXiv: one request every 3 s

    assert await starts(limiter, clock, 3) == [T0, T0 + 3, T0 + 6]
    assert clock.sleeps == [3.0, 3.0]


async def test_time_that_already_passed_counts() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, 10.0, clock)
    await starts(limiter, clock, 2)
    clock.advance(4.0)  # work between requests

    assert await starts(limiter, clock, 1) == [T0 + 10]
    assert clock.sleeps == [6.0]


async def test_the_window_slides_rather_than_resetting() -> None:
    """Starts at 0, 6, 7 with 3 per 10 s: the fourth waits for the one at 0, the fifth for 6."""
    clock = FakeClock()
    limiter = RateLimiter(3, 10.0, clock)
    await limiter.wait()
    clock.advance(6.0)
    await limiter.wait()
    clock.advance(1.0)
    await limiter.wait()

    assert await starts(limiter, clock, 2) == [T0 + 10, T0 + 16]


async def test_defer_holds_everything_back_even_with_budget_left() -> None:
    clock = FakeClock()
    limiter = RateLimiter(5, 1.0, clock)
    await limiter.wait()
    limiter.defer(7.0)  # a 429 with Retry-After: 7

    assert await starts(limiter, clock, 3) == [T0 + 7] * 3
    assert clock.sleeps == [7.0]


async def test_a_shorter_defer_does_not_shorten_the_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1, 3.0, clock)
    await limiter.wait()
    limiter.defer(1.0)
    limiter.defer(0.5)

    assert await starts(limiter, clock, 1) == [T0 + 3]


async def test_a_defer_during_a_wait_is_honoured() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1, 2.0, clock)
    await limiter.wait()
    waiting = asyncio.create_task(limiter.wait())
    await asyncio.sleep(0)  # the waiter has slept its 2 s and is about to go
    limiter.defer(5.0)  # another request of this source got a 429 meanwhile

    await waiting
    assert clock.sleeps == [2.0, 5.0]
    assert clock.monotonic() == T0 + 7


async def test_concurrent_waiters_go_in_arrival_order_within_the_limit() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, 1.0, clock)
    order: list[tuple[int, float]] = []

    async def request(n: int) -> None:
        await limiter.wait()
        order.append((n, clock.monotonic()))

    await asyncio.gather(*(request(n) for n in range(7)))

    assert order == [
        (0, T0), (1, T0), (2, T0 + 1), (3, T0 + 1), (4, T0 + 2), (5, T0 + 2), (6, T0 + 3),
    ]  # fmt: skip


async def test_a_cancelled_waiter_uses_no_budget() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1, 10.0, clock)
    await limiter.wait()
    holder = asyncio.create_task(limiter.wait())
    queued = asyncio.create_task(limiter.wait())
    await asyncio.sleep(0)
    holder.cancel()  # cancelled after its sleep, before it was let through
    with pytest.raises(asyncio.CancelledError):
        await holder

    await queued
    assert clock.monotonic() == T0 + 10  # the queued one took the slot the cancelled one left
    assert clock.sleeps == [10.0]


@pytest.mark.parametrize(("calls", "period"), [(0, 1.0), (-1, 1.0), (1, -1.0)])
def test_a_limit_must_allow_something(calls: int, period: float) -> None:
    with pytest.raises(ValueError, match="calls >= 1 and period >= 0"):
        RateLimiter(calls, period, FakeClock())


# -- property: the exact sliding-window schedule, for any arrivals, bursts and defers ---------


@dataclass(frozen=True)
class Step:
    gap: float  # clock time passing before this step
    burst: int  # requests arriving together (0: none)
    defer: float | None  # a 429's Retry-After at this moment


quarters = st.integers(0, 40).map(lambda q: q / 4)
steps = st.lists(
    st.builds(Step, quarters, st.integers(0, 6), st.none() | quarters), min_size=1, max_size=12
)


def model(calls: int, period: float, schedule: list[Step]) -> list[float]:
    """What an exact limiter does: each request, in arrival order, starts at the earliest time
    that is not before its arrival, the previous start, any defer, and the start ``calls``
    requests back plus ``period``."""
    now, not_before, out = T0, -1.0, []
    for step in schedule:
        now += step.gap
        if step.defer is not None:
            not_before = max(not_before, now + step.defer)
        for _ in range(step.burst):
            start = max(now, not_before, out[-calls] + period if len(out) >= calls else now)
            out.append(start)
            now = start
    return out


async def run(calls: int, period: float, schedule: list[Step]) -> list[float]:
    clock = FakeClock()
    limiter = RateLimiter(calls, period, clock)
    seen: list[tuple[int, float]] = []

    async def request(n: int) -> None:
        await limiter.wait()
        seen.append((n, clock.monotonic()))

    for step in schedule:
        clock.advance(step.gap)
        if step.defer is not None:
            limiter.defer(step.defer)
        first = len(seen)
        await asyncio.gather(*(request(first + i) for i in range(step.burst)))
    assert [n for n, _ in seen] == list(range(len(seen)))  # first come, first served
    return [t for _, t in seen]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calls=st.integers(1, 5), period=st.integers(1, 20).map(lambda q: q / 4), schedule=steps)
def test_never_more_than_calls_in_any_window_and_no_needless_wait(
    calls: int, period: float, schedule: list[Step]
) -> None:
    got = asyncio.run(run(calls, period, schedule))

    assert most_in_any_window(got, period) <= calls
    assert got == model(calls, period, schedule)
