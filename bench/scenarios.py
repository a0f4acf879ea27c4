"""The scales of the bench and the digest-build measurement (the chat ones are in ``chat.py``).

Each returns a plain dict of numbers (or ``None`` with a ``reason`` when it could not run); no
number is ever estimated in place of a measurement.
"""

from __future__ import annotations

import datetime as dt
import math
import resource
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bench.fakes import CS_CATEGORIES, SourceFakes, make_day
from bot import calendar
from bot.clock import ShiftedClock
from bot.config import Settings
from bot.service import DigestService
from bot.store import Store

BENCH_DATE = dt.date(2025, 3, 11)  # a Tuesday: a plain listing day
S2_PER_S = 1.0  # Semantic Scholar with an API key: 1 request / s
ARXIV_PAGE, BLUESKY_PAGE, S2_BATCH, HF_PAGE = 2000, 100, 500, 100


@dataclass(frozen=True)
class Scale:
    papers: int
    posts: int
    channels: int
    commands: int = 200
    concurrency: int = 50
    latency: float = 0.05
    arxiv_scale: float = 0.01
    entries: int = 10  # papers in the fan-out digest


FULL = Scale(papers=1500, posts=5000, channels=500)
QUICK = Scale(papers=300, posts=1000, channels=50)
SMOKE = Scale(papers=40, posts=120, channels=3, commands=6, concurrency=3, latency=0.005, entries=1)


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ----- 1. digest build --------------------------------------------------------------------------
def digest_bound(scale: Scale, papers_listed: int = 150) -> float:
    """Seconds no client can beat: the requests that must follow one another, times the latency.

    arXiv pages come one after another, 3 s (scaled) apart; then the attention sources run side
    by side, each limited by its own chain: Bluesky's login then one page per 100 posts (each
    page needs the previous cursor), Semantic Scholar's batches of 500 at 1 / s, one HF day's
    pages, one HN query. Bluesky's 3000 / 5 min does not force spacing below 3000 requests.
    """
    lat = scale.latency
    arxiv_pages = math.ceil(scale.papers / ARXIV_PAGE)
    arxiv = arxiv_pages * lat + (arxiv_pages - 1) * 3.0 * scale.arxiv_scale
    s2 = math.ceil(scale.papers / S2_BATCH)
    chains = {
        "bluesky": (1 + math.ceil(scale.posts / BLUESKY_PAGE)) * lat,
        "semantic_scholar": s2 * lat + (s2 - 1) / S2_PER_S,
        "huggingface": (papers_listed // HF_PAGE + 1) * lat,
        "hackernews": lat,
    }
    return arxiv + max(chains.values())


def source_settings(fakes: SourceFakes, db: str) -> Settings:
    values: dict[str, Any] = {
        "arxiv_api_url": fakes.env()["HOTPAPERS_ARXIV_API_URL"],
        "hf_api_url": f"{fakes.base_url}/hf/api",
        "bluesky_service": f"{fakes.base_url}/bsky",
        "hn_api_url": f"{fakes.base_url}/hn/api/v1",
        "s2_api_url": f"{fakes.base_url}/s2/graph/v1",
        "arxiv_delay": 3.0 * fakes.arxiv_scale,
        "bluesky_handle": "bench.bsky.social",
        "bluesky_app_password": "bench-app-password",
        "s2_api_key": "bench-s2-key",
        "database_url": db,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def naive(fakes: SourceFakes, papers: list[dict[str, Any]]) -> float:
    """The seed's way: per paper, one Bluesky search and one HN search, one after another."""
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=fakes.base_url, timeout=20) as client:
        login = await client.post("/bsky/xrpc/com.atproto.server.createSession", json={})
        headers = {"Authorization": f"Bearer {login.json()['accessJwt']}"}
        for paper in papers:
            url = f"https://arxiv.org/abs/{paper['id']}"
            params = {"q": url, "url": url}
            search = "/bsky/xrpc/app.bsky.feed.searchPosts"
            (await client.get(search, params=params, headers=headers)).raise_for_status()
            hn = await client.get("/hn/api/v1/search", params={"query": paper["id"]})
            hn.raise_for_status()
    return time.perf_counter() - started


async def digest_scenario(scale: Scale) -> dict[str, Any]:
    day = make_day(BENCH_DATE, scale.papers, scale.posts)
    fakes = await SourceFakes(day, latency=scale.latency, arxiv_scale=scale.arxiv_scale).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = source_settings(fakes, f"sqlite:///{tmp}/bench.db")
            store = Store(settings.database_url)
            # Real time and sleeps, but now() reads as the day after the bench date's listing.
            now = calendar.announcement_time(BENCH_DATE) + dt.timedelta(days=1)
            shifted = ShiftedClock(now - dt.datetime.now(dt.UTC))
            service = DigestService(settings, store, clock=shifted)
            rss_before = maxrss_mb()
            started = time.perf_counter()
            digest = await service.build(BENCH_DATE, CS_CATEGORIES, 10)
            wall = time.perf_counter() - started
            rss_peak = maxrss_mb() - rss_before
            await service.aclose()
            store.close()
        requests = dict(fakes.requests)
        naive_wall = await naive(fakes, day.papers)
    finally:
        await fakes.close()
    bound = digest_bound(scale)
    return {
        "papers": digest.total_papers,
        "posts": scale.posts,
        "wall_s": wall,
        "requests": requests,
        "rejected_429": dict(fakes.rejected),
        "sources_ok": {name: status.ok for name, status in digest.sources.items()},
        "maxrss_growth_mb": rss_peak,
        "naive_s": naive_wall,
        "naive_requests": 2 * len(day.papers) + 1,
        "bound_s": bound,
        "digest_speedup_vs_naive": naive_wall / wall,
        "digest_vs_bound": wall / bound,
    }
