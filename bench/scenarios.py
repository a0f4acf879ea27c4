"""The scales of the bench and the digest-build measurement (the chat ones are in ``chat.py``).

Each returns a plain dict of numbers (or ``None`` with a ``reason`` when it could not run); no
number is ever estimated in place of a measurement.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import resource
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.bounds import digest_bound, digest_chains
from bench.fakes import CS_CATEGORIES, SourceFakes, make_day
from bench.limits import LIMITS, PINNED_LATENCY, Latency
from bench.seed import seed_build
from bench.served import ServedFakes
from bot import calendar
from bot.clock import ShiftedClock
from bot.config import Settings
from bot.service import DigestService
from bot.store import Store

BENCH_DATE = dt.date(2025, 3, 11)  # a Tuesday: a plain listing day


@dataclass(frozen=True)
class Scale:
    """How big each measurement is. ``latency`` and ``arxiv_scale`` are pinned per mode and
    recorded in the JSON; the bounds use the very same values."""

    papers: int  # the digest day (and the seed's: one search per paper)
    posts: int
    slack_channels: int  # the production fan-out
    slack_workspaces: int
    discord_channels: int
    instance_slack_channels: int  # the 1- and 3-instance PostgreSQL runs
    instance_workspaces: int
    instance_discord_channels: int
    top: int = 10  # papers per fan-out digest: a thread is 1 + top messages
    commands: int = 200
    concurrency: int = 50
    idle_subscriptions: int = 10_000
    stall_s: float = 60.0  # a fan-out is over when no message came for this long
    latency_base: float = PINNED_LATENCY.base
    latency_per_kb: float = PINNED_LATENCY.per_kb
    arxiv_scale: float = 0.01

    @property
    def latency(self) -> Latency:
        return Latency(self.latency_base, self.latency_per_kb)


FULL = Scale(papers=1500, posts=5000, slack_channels=10_000, slack_workspaces=200,
             discord_channels=2000, instance_slack_channels=3000, instance_workspaces=60,
             instance_discord_channels=300)  # fmt: skip
QUICK = Scale(papers=100, posts=600, slack_channels=300, slack_workspaces=25,
              discord_channels=60, instance_slack_channels=150, instance_workspaces=12,
              instance_discord_channels=20, top=5, commands=100)  # fmt: skip
SMOKE = Scale(papers=16, posts=80, slack_channels=6, slack_workspaces=2, discord_channels=2,
              instance_slack_channels=4, instance_workspaces=2, instance_discord_channels=1,
              top=2, commands=6, concurrency=3, idle_subscriptions=200,
              latency_base=0.005, stall_s=15.0)  # fmt: skip


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def source_settings(fakes: SourceFakes | ServedFakes, db: str) -> Settings:
    values: dict[str, Any] = {
        "arxiv_api_url": fakes.env()["HOTPAPERS_ARXIV_API_URL"],
        "hf_api_url": f"{fakes.base_url}/hf/api",
        "bluesky_service": f"{fakes.base_url}/bsky",
        "hn_api_url": f"{fakes.base_url}/hn/api/v1",
        "s2_api_url": f"{fakes.base_url}/s2/graph/v1",
        "arxiv_delay": LIMITS["arxiv"].period * fakes.arxiv_scale,
        "bluesky_handle": "bench.bsky.social",
        "bluesky_app_password": "bench-app-password",
        "s2_api_key": "bench-s2-key",
        "database_url": db,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def digest_scenario(
    scale: Scale, profile: Path | None = None, *, seed: bool = True
) -> dict[str, Any]:
    """The real ``DigestService`` against the fakes, then the seed's way on the same day
    (``seed=False``: not, for profiling; ``profile``: write the build's cProfile stats)."""
    day = make_day(BENCH_DATE, scale.papers, scale.posts)
    fakes = await ServedFakes(BENCH_DATE, scale.papers, scale.posts, scale.latency,
                              scale.arxiv_scale).start()  # fmt: skip
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = source_settings(fakes, f"sqlite:///{tmp}/bench.db")
            store = Store(settings.database_url)
            # Real time and sleeps, but now() reads as the day after the bench date's listing.
            now = calendar.announcement_time(BENCH_DATE) + dt.timedelta(days=1)
            shifted = ShiftedClock(now - dt.datetime.now(dt.UTC))
            service = DigestService(settings, store, clock=shifted)
            rss_before = maxrss_mb()
            profiler = cProfile.Profile() if profile else None
            started = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            digest = await service.build(BENCH_DATE, CS_CATEGORIES, 10)
            wall = time.perf_counter() - started
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(str(profile))
            rss_peak = maxrss_mb() - rss_before
            await service.aclose()
            store.close()
        build_stats = await fakes.stats()
        requests, rejected = build_stats["requests"], build_stats["rejected"]
        seed = await seed_build(fakes, day.papers) if seed else {"seed_s": None}
        await fakes.stats()
    finally:
        await fakes.close()
    bound = digest_bound(day, scale.latency, scale.arxiv_scale)
    return {
        "papers": digest.total_papers,
        "posts": scale.posts,
        "wall_s": wall,
        "requests": requests,
        "rejected_429": rejected,
        "seed_rejected_429": {k: v - rejected.get(k, 0) for k, v in fakes.rejected.items()},
        "sources_ok": {name: status.ok for name, status in digest.sources.items()},
        "maxrss_growth_mb": rss_peak,
        **seed,
        "bound_s": bound,
        "bound_chains_s": digest_chains(day, scale.latency, scale.arxiv_scale),
        "digest_speedup_vs_seed": seed["seed_s"] / wall if seed["seed_s"] else None,
        "digest_vs_bound": wall / bound,
    }
