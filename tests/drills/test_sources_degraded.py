"""Each attention source down, too slow or answering garbage in turn: the digest still comes out.

The real DigestService and sources run over one ``httpx.MockTransport`` that plays every service;
the drilled service fails, the others answer. A FakeClock makes retries' back-off instant.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import math
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from bench.fakes import SourceFakes, atom_feed, make_day
from bot import calendar
from bot.clock import FakeClock
from bot.config import Settings
from bot.models import Digest
from bot.service import DigestService, UserError
from bot.store import Store
from tests.drills.test_security import BOMB

DATE = dt.date(2025, 3, 11)
DAY = make_day(DATE, 30, 90)
HOSTS = {
    "arxiv.test": "arxiv",
    "hf.test": "huggingface",
    "bsky.test": "bluesky",
    "hn.test": "hackernews",
    "s2.test": "semantic_scholar",
}
ATTENTION = ("huggingface", "bluesky", "hackernews", "semantic_scholar")
LABELS = {
    "huggingface": "Hugging Face",
    "bluesky": "Bluesky",
    "hackernews": "Hacker News",
    "semantic_scholar": "Semantic Scholar",
}


def unavailable(failing: str) -> str:
    """The reader's note for one failed source: what ranked the digest instead (no setup)."""
    others = [LABELS[name] for name in ATTENTION if name != failing]
    return (
        f"{LABELS[failing]} unavailable today: ranked by {', '.join(others[:-1])} and {others[-1]}."
    )


def healthy(request: httpx.Request) -> httpx.Response:
    """What each service answers when well: the synthetic day, in each API's shape."""
    source = HOSTS[request.url.host]
    if source == "arxiv":
        feed = atom_feed(DAY.papers, 0, len(DAY.papers))
        return httpx.Response(200, content=feed)
    if source == "huggingface":
        items = [{"paper": {"id": p["id"], "upvotes": 9}} for p in DAY.papers[:5]]
        page = int(request.url.params["p"])
        return httpx.Response(200, json=items if page == 0 else [])
    if source == "bluesky":
        if request.url.path.endswith("createSession"):
            return httpx.Response(200, json={"accessJwt": "a-token", "refreshJwt": "r-token"})
        return httpx.Response(200, json={"posts": DAY.posts})
    if source == "hackernews":
        return httpx.Response(200, json={"hits": DAY.hn_hits, "nbHits": 1, "nbPages": 1})
    ids = json.loads(request.content)["ids"]
    return httpx.Response(200, json=[{"citationCount": 1} for _ in ids])


def nan_numbers(value: Any) -> Any:
    """Every number (bools aside) as NaN: JSON that Python's parser accepts and no count is."""
    if isinstance(value, dict):
        return {key: nan_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [nan_numbers(item) for item in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return math.nan
    return value


def broken(kind: str) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        if kind == "down":
            raise httpx.ConnectError("connection refused", request=request)
        if kind == "slow":
            raise httpx.ReadTimeout("no answer within the timeout", request=request)
        if kind == "bomb":  # entity expansion: refused before any element is read
            return httpx.Response(200, content=BOMB)
        if kind == "nan":  # the healthy answer's shape, every number NaN
            body = nan_numbers(healthy(request).json())
            if request.url.path.endswith("createSession"):
                return healthy(request)  # logged in; the search answers are the garbage
            return httpx.Response(200, content=json.dumps(body).encode())
        return httpx.Response(
            200, content=b"<html>\x00\xff garbage {[", headers={"Content-Type": "application/json"}
        )

    return answer


def settings(tmp_path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'drill.db'}",
        arxiv_api_url="http://arxiv.test/api/query",
        hf_api_url="http://hf.test/api",
        bluesky_service="http://bsky.test",
        hn_api_url="http://hn.test/api/v1",
        s2_api_url="http://s2.test/graph/v1",
        bluesky_handle="drill.bsky.social",
        bluesky_app_password="drill-password",
        http_retries=2,
    )


async def build_with(tmp_path: Path, failing: str, kind: str) -> Digest:
    bad = broken(kind)

    def handler(request: httpx.Request) -> httpx.Response:
        return bad(request) if HOSTS[request.url.host] == failing else healthy(request)

    return await build_serving(tmp_path, handler)


async def build_serving(
    tmp_path: Path, handler: Callable[[httpx.Request], httpx.Response]
) -> Digest:
    """The digest built over ``handler`` playing every service."""
    clock = FakeClock(calendar.announcement_time(DATE) + dt.timedelta(days=1))
    store = Store(f"sqlite:///{tmp_path / 'drill.db'}")
    try:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            service = DigestService(settings(tmp_path), store, clock=clock, client=client)
            return await service.build(DATE, ["cs.CL", "cs.LG", "cs.AI"], 5)
    finally:
        store.close()


@pytest.mark.parametrize("kind", ["down", "slow", "garbage"])
@pytest.mark.parametrize("failing", ATTENTION)
async def test_one_source_failing_degrades_the_digest_and_spares_the_others(
    tmp_path: Path, failing: str, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        digest = await build_with(tmp_path, failing, kind)

    assert digest.total_papers > 0 and digest.entries
    status = digest.sources[failing]
    assert (status.ok, status.skipped) == (False, False)
    assert status.error
    for other in ATTENTION:
        if other != failing:
            assert digest.sources[other].ok, (other, digest.sources[other])
    assert digest.sources["x"].skipped  # no token: skipped, not failed
    assert unavailable(failing) in digest.notes
    assert "drill-password" not in caplog.text + (status.error or "")


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("down", "connection failed (ConnectError) after 3 attempts"),
        ("slow", "timed out after 20 s after 3 attempts"),
        ("garbage", "arXiv returned malformed XML"),
        ("bomb", "arXiv returned unsafe XML (a DTD); refused to parse it"),
    ],
)
async def test_arxiv_failing_is_one_clear_error_and_no_digest(
    tmp_path: Path, kind: str, reason: str
) -> None:
    """arXiv is where the papers come from: without it there is nothing to rank, so no digest
    (and nothing posted), one line saying why and what to do."""
    with pytest.raises(UserError) as raised:
        await build_with(tmp_path, "arxiv", kind)
    # What a chat reply or /healthz shows; the CLI adds "or use --demo or --offline".
    assert str(raised.value) == f"arXiv is unreachable ({reason}); try again later"
    assert raised.value.for_cli() == f"{raised.value}, or use --demo or --offline"


async def test_a_source_slower_than_its_timeout_is_cut_off_by_the_real_timeout(
    tmp_path: Path,
) -> None:
    """Not a simulated ``ReadTimeout``: Hacker News is a loopback server that never answers, and
    the configured ``http_timeout`` (0.2 s here, wall clock) is what ends the wait."""
    never = asyncio.Event()

    async def stall(request: web.Request) -> web.Response:
        await never.wait()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_get("/{tail:.*}", stall)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    network = httpx.AsyncHTTPTransport()

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "127.0.0.1":
            return await network.handle_async_request(request)
        return healthy(request)

    config = settings(tmp_path).model_copy(
        update={"hn_api_url": f"http://127.0.0.1:{port}/api/v1", "http_timeout": 0.2,
                "http_retries": 0}
    )  # fmt: skip
    clock = FakeClock(calendar.announcement_time(DATE) + dt.timedelta(days=1))
    store = Store(config.database_url)
    try:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            service = DigestService(config, store, clock=clock, client=client)
            digest = await service.build(DATE, ["cs.CL", "cs.LG", "cs.AI"], 5)
    finally:
        never.set()
        store.close()
        await network.aclose()
        await runner.cleanup()
    assert digest.entries
    assert (digest.sources["hackernews"].error or "").startswith("timed out after 0.2 s")
    assert unavailable("hackernews") in digest.notes


def test_the_drill_data_is_the_bench_data() -> None:
    """The drills and the bench share one synthetic day generator."""
    assert SourceFakes(DAY).day.papers[0]["id"] == DAY.papers[0]["id"]


@pytest.mark.parametrize("failing", ATTENTION)
async def test_nan_counts_are_unknown_counts_not_a_crash(
    tmp_path: Path, failing: str, caplog: pytest.LogCaptureFixture
) -> None:
    """JSON ``NaN`` / ``Infinity`` (Python's parser accepts them) in every number of an answer:
    those counts are unknown, the rest of the answer is used, nothing crashes."""
    with caplog.at_level(logging.INFO):
        digest = await build_with(tmp_path, failing, "nan")
    assert digest.sources[failing].ok, digest.sources[failing]
    assert digest.entries and not digest.degraded
    assert "crashed" not in caplog.text and "internal error" not in caplog.text


@pytest.mark.parametrize(
    ("failing", "cap_mb"),
    [("huggingface", 4), ("bluesky", 4), ("hackernews", 10), ("semantic_scholar", 4)],
)
async def test_an_endless_answer_is_refused_at_its_cap_and_degrades_the_digest(
    tmp_path: Path, failing: str, cap_mb: int
) -> None:
    """A service streaming a body that never ends: the bot stops reading one chunk past the
    service's cap, and the digest comes out without that source, one line saying why."""
    chunk = b" " * 1_000_000
    taken: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        while True:
            taken.append(len(chunk))
            yield chunk

    def handler(request: httpx.Request) -> httpx.Response:
        if HOSTS[request.url.host] == failing:
            return httpx.Response(200, content=endless())
        return healthy(request)

    digest = await build_serving(tmp_path, handler)
    assert digest.entries
    status = digest.sources[failing]
    assert (status.ok, status.skipped) == (False, False)
    assert status.error == f"answer larger than {cap_mb} MB; refused"
    assert len(taken) == cap_mb + 1  # one request, read to one chunk past the cap, not retried
    assert unavailable(failing) in digest.notes
    assert all(digest.sources[other].ok for other in ATTENTION if other != failing)


async def test_an_endless_arxiv_answer_is_one_clear_error_after_20_mb(tmp_path: Path) -> None:
    """The 50 MB (or endless) arXiv title: refused once 20 MB are read, never retried."""
    chunk = b"<feed><entry><title>" + b"A" * 999_980
    taken: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        while True:
            taken.append(len(chunk))
            yield chunk

    def handler(request: httpx.Request) -> httpx.Response:
        if HOSTS[request.url.host] == "arxiv":
            return httpx.Response(200, content=endless())
        return healthy(request)

    with pytest.raises(UserError) as raised:
        await build_serving(tmp_path, handler)
    reason = "answer larger than 20 MB; refused"
    assert str(raised.value) == f"arXiv is unreachable ({reason}); try again later"
    assert len(taken) == 21
