"""Every source has a total deadline per digest: waits are checked on the injected clock before
sleeping, I/O is cut on real time. The digest comes out from what arrived, flagged degraded.

Services are played by ``httpx.MockTransport`` (the drills' synthetic day); a FakeClock records
every sleep. The trickling answers await a real ``asyncio.sleep(2)`` between bytes, which the
deadline (0.05 s in those tests' settings; 0.5 s for an optional source, whose deadline runs
while arXiv's page is parsed, the sources now starting together) cancels: nothing here waits
longer than that.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot import calendar
from bot.clock import FakeClock
from bot.config import ConfigError, load_settings
from bot.models import Digest
from bot.service import DigestService, UserError
from bot.sources.budget import bounded
from bot.sources.deadline import until_text
from bot.sources.http import Http, RateLimiter, SourceError
from bot.store import Store
from tests.drills.test_sources_degraded import DATE, HOSTS, healthy, settings, unavailable

CATEGORIES = ["cs.CL", "cs.LG", "cs.AI"]
# The drills' clock: a day after the listing's announcement, 2025-03-12 00:00 UTC.
START = calendar.announcement_time(DATE) + dt.timedelta(days=1)


class Trickle:
    """One byte, then a real 2 s wait before each next one (1 byte every 2 s), counting bytes."""

    def __init__(self) -> None:
        self.sent = 0

    async def body(self) -> AsyncIterator[bytes]:
        while True:
            self.sent += 1
            yield b" "
            await asyncio.sleep(2)


async def build(tmp_path: Path, handler: httpx.MockTransport, clock: FakeClock, **config) -> Digest:
    store = Store(f"sqlite:///{tmp_path / 'drill.db'}")
    try:
        async with httpx.AsyncClient(transport=handler) as client:
            service = DigestService(
                settings(tmp_path).model_copy(update=config), store, clock=clock, client=client
            )
            return await service.build(DATE, CATEGORIES, 5)
    finally:
        store.close()


def trickling(name: str, trickle: Trickle) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if HOSTS[request.url.host] == name:
            return httpx.Response(200, content=trickle.body())
        return healthy(request)

    return httpx.MockTransport(handler)


async def test_a_trickling_optional_source_is_cut_at_its_deadline_and_the_digest_degraded(
    tmp_path: Path,
) -> None:
    """Before: Hugging Face answering 1 byte every 2 s kept the digest from ever finishing."""
    trickle = Trickle()
    clock = FakeClock(START)
    digest = await build(tmp_path, trickling("huggingface", trickle), clock, source_deadline=0.5)

    status = digest.sources["huggingface"]
    assert (status.ok, status.state) == (False, "failed")
    assert status.error == "no complete answer within its 0.5 s deadline"
    assert trickle.sent == 1  # cut while waiting for the second byte, 2 s before it came
    assert digest.degraded and digest.entries
    assert unavailable("huggingface") in digest.notes
    for other in ("bluesky", "hackernews", "semantic_scholar"):
        assert digest.sources[other].state == "ok", other


async def test_a_trickling_arxiv_is_one_clear_error_at_its_deadline(tmp_path: Path) -> None:
    trickle = Trickle()
    with pytest.raises(UserError) as raised:
        await build(tmp_path, trickling("arxiv", trickle), FakeClock(START), arxiv_deadline=0.05)
    assert str(raised.value) == (
        "arXiv is unreachable (no complete answer within its 0.05 s deadline); try again later"
    )
    assert trickle.sent == 1


def hn_answering(*answers: httpx.Response) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """Hacker News answers ``answers`` in turn (then healthy); the others are healthy."""
    queue = list(answers)
    asked: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if HOSTS[request.url.host] == "hackernews":
            asked.append(request)
            if queue:
                return queue.pop(0)
        return healthy(request)

    return httpx.MockTransport(handler), asked


@pytest.mark.parametrize(
    ("retry_after", "until"),
    [
        ("3600", "01:00 UTC"),
        ("Wed, 12 Mar 2025 01:00:00 GMT", "01:00 UTC"),
        ("inf", "2025-03-19 00:00 UTC"),  # said as a week away
    ],
)
async def test_a_retry_after_beyond_the_deadline_ends_the_source_at_once(
    tmp_path: Path, retry_after: str, until: str
) -> None:
    """Before: 429 with ``Retry-After: 3600`` held the digest 6 minutes (120 s x 3 retries)."""
    transport, asked = hn_answering(httpx.Response(429, headers={"Retry-After": retry_after}))
    clock = FakeClock(START)
    digest = await build(tmp_path, transport, clock, http_retries=3)

    status = digest.sources["hackernews"]
    assert (status.state, status.error) == ("failed", f"rate-limited until {until}")
    assert len(asked) == 1  # no retry
    assert clock.sleeps == []  # nobody waited: not for HN, not for anyone
    assert unavailable("hackernews") in digest.notes
    assert digest.degraded and digest.entries


async def test_retry_after_waits_count_against_the_deadline(tmp_path: Path) -> None:
    """The first 50 s wait fits a 60 s deadline; the second would not: rate-limited at once."""
    wait = httpx.Response(429, headers={"Retry-After": "50"})
    transport, asked = hn_answering(wait, httpx.Response(429, headers={"Retry-After": "50"}))
    clock = FakeClock(START)
    digest = await build(tmp_path, transport, clock, http_retries=3, source_deadline=60)

    # At 00:00:50 plus 50 s: 00:01:40, said as the minute it is over, never earlier.
    assert digest.sources["hackernews"].error == "rate-limited until 00:02 UTC"
    assert len(asked) == 2
    assert clock.sleeps == [50.0]


async def test_a_retry_after_within_the_deadline_is_still_honoured(tmp_path: Path) -> None:
    transport, asked = hn_answering(httpx.Response(503, headers={"Retry-After": "30"}))
    clock = FakeClock(START)
    digest = await build(tmp_path, transport, clock, http_retries=3)
    assert digest.sources["hackernews"].state == "ok"
    assert len(asked) == 2 and clock.sleeps == [30.0]
    assert not digest.degraded


def _http(clock: FakeClock, limiter: RateLimiter | None = None) -> tuple[Http, list[int]]:
    statuses: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        statuses.append(503)
        return httpx.Response(503)

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return Http(client, "test", limiter or RateLimiter(10, 1.0, clock), clock, retries=5), statuses


async def test_a_backoff_that_would_outlast_the_deadline_is_not_slept() -> None:
    clock = FakeClock(START)
    http, sent = _http(clock)
    with pytest.raises(SourceError) as raised:
        await bounded(clock, 2.5, http.request("GET", "http://x.test/"))
    assert str(raised.value) == (
        "HTTP 503 after 2 attempts; no time left for another within its 2.5 s deadline"
    )
    assert clock.sleeps == [1.0] and len(sent) == 2  # 1 s fits, the next 2 s would not


async def test_without_a_deadline_nothing_changes() -> None:
    """``hotpapers check`` and code outside a digest: the retries as before."""
    clock = FakeClock(START)
    http, sent = _http(clock)
    with pytest.raises(SourceError, match=r"^HTTP 503 after 6 attempts$"):
        await http.request("GET", "http://x.test/")
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0, 16.0]


async def test_a_rate_limiter_turn_after_the_deadline_is_refused_at_once() -> None:
    """Another digest's 429 deferred the shared limiter 120 s: this one does not wait for it."""
    clock = FakeClock(START)
    limiter = RateLimiter(10, 1.0, clock)
    limiter.defer(120.0)
    http, sent = _http(clock, limiter)
    with pytest.raises(SourceError, match=r"^rate-limited until 00:02 UTC$"):
        await bounded(clock, 60, http.request("GET", "http://x.test/"))
    assert clock.sleeps == [] and sent == []


def test_until_is_the_minute_rounded_up_and_a_date_a_day_or_more_away() -> None:
    clock = FakeClock(dt.datetime(2025, 3, 12, 23, 59, 30, tzinfo=dt.UTC))
    assert until_text(clock, 0) == "00:00 UTC"
    assert until_text(clock, 30) == "00:00 UTC"
    assert until_text(clock, 31) == "00:01 UTC"
    assert until_text(clock, 7 * 86400) == "2025-03-20 00:00 UTC"
    assert until_text(clock, float("inf")) == "2025-03-20 00:00 UTC"  # said as a week, no crash


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("source_deadline", "0", "HOTPAPERS_SOURCE_DEADLINE: expected seconds above 0 and at "
         "most 1800"),
        ("arxiv_deadline", "nan", "HOTPAPERS_ARXIV_DEADLINE: expected seconds above 0 and at "
         "most 1800"),
        ("arxiv_deadline", "3601", "HOTPAPERS_ARXIV_DEADLINE: expected seconds above 0 and at "
         "most 1800"),
    ],
)  # fmt: skip
def test_deadline_settings_are_checked_with_one_line(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(_env_file=None, **{name: value})
    assert str(raised.value) == f"invalid configuration: {message}"


def test_deadline_defaults() -> None:
    config = load_settings(_env_file=None)
    assert (config.source_deadline, config.arxiv_deadline) == (60.0, 180.0)
