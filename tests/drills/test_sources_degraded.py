"""Each attention source down, too slow or answering garbage in turn: the digest still comes out.

The real DigestService and sources run over one ``httpx.MockTransport`` that plays every service;
the drilled service fails, the others answer. A FakeClock makes retries' back-off instant.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from bench.fakes import SourceFakes, atom_feed, make_day
from bot import calendar
from bot.clock import FakeClock
from bot.config import Settings
from bot.service import DigestService
from bot.store import Store

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


def broken(kind: str) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        if kind == "down":
            raise httpx.ConnectError("connection refused", request=request)
        if kind == "slow":
            raise httpx.ReadTimeout("no answer within the timeout", request=request)
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


@pytest.mark.parametrize("kind", ["down", "slow", "garbage"])
@pytest.mark.parametrize("failing", ATTENTION)
async def test_one_source_failing_degrades_the_digest_and_spares_the_others(
    tmp_path: Path, failing: str, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    bad = broken(kind)

    def handler(request: httpx.Request) -> httpx.Response:
        return bad(request) if HOSTS[request.url.host] == failing else healthy(request)

    clock = FakeClock(calendar.announcement_time(DATE) + dt.timedelta(days=1))
    store = Store(f"sqlite:///{tmp_path / 'drill.db'}")
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        service = DigestService(settings(tmp_path), store, clock=clock, client=client)
        with caplog.at_level(logging.INFO):
            digest = await service.build(DATE, ["cs.CL", "cs.LG", "cs.AI"], 5)
    store.close()

    assert digest.total_papers > 0 and digest.entries
    status = digest.sources[failing]
    assert (status.ok, status.skipped) == (False, False)
    assert status.error
    for other in ATTENTION:
        if other != failing:
            assert digest.sources[other].ok, (other, digest.sources[other])
    assert digest.sources["x"].skipped  # no token: skipped, not failed
    assert f"Degraded: {failing} failed; ranked without them." in digest.notes
    assert "drill-password" not in caplog.text + (status.error or "")


def test_the_drill_data_is_the_bench_data() -> None:
    """The drills and the bench share one synthetic day generator."""
    assert SourceFakes(DAY).day.papers[0]["id"] == DAY.papers[0]["id"]
