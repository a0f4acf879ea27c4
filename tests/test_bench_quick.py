"""The bench kept honest: its fakes enforce the published limits (429 + Retry-After, counted,
truthful headers), its bounds are the arithmetic of those limits, and a tiny-scale run of the
digest and the production fan-out reports every figure. Not a timing test: no target asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bench.bounds import (
    bucket_time,
    digest_bound,
    digest_chains,
    discord_allowed_s,
    rate_vs_allowed,
    slack_allowed_s,
)
from bench.chat_fakes import LimitedDiscord, LimitedSlack, route_of
from bench.day import make_day
from bench.fakes import SourceFakes
from bench.limits import LIMITS, Bucket, Fixed, Latency, Sliding
from bench.scenarios import BENCH_DATE

ROOT = Path(__file__).resolve().parent.parent


class Now:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_the_limits_are_the_published_ones() -> None:
    table = {name: (limit.calls, limit.period, limit.burst) for name, limit in LIMITS.items()}
    assert table["arxiv"][:2] == (1, 3.0)
    assert table["huggingface_anonymous"][:2] == (500, 300.0)
    assert table["huggingface_token"][:2] == (1000, 300.0)
    assert table["hackernews"][:2] == (10_000, 3600.0)
    assert table["semantic_scholar_key"][:2] == (1, 1.0)
    assert table["bluesky"][:2] == (3000, 300.0)
    assert table["slack_channel"] == (1, 1.0, 3)
    assert table["slack_workspace"] == (300, 60.0, 30)
    assert table["discord_global"] == (50, 1.0, 50)
    assert table["discord_channel_messages"][:2] == (5, 5.0)


def test_limiters_refuse_past_the_limit_and_say_how_long_to_wait() -> None:
    now = Now()
    sliding, fixed, bucket = Sliding(2, 10.0, now), Fixed(2, 10.0, now), Bucket(1.0, 2, now)
    for limiter in (sliding, fixed, bucket):
        assert limiter.take() is None and limiter.take() is None
    now.t += 4
    assert sliding.take() == pytest.approx(6.0)
    assert fixed.take() == pytest.approx(6.0) and (fixed.remaining, fixed.reset_after) == (0, 6.0)
    assert bucket.take() is None  # 4 tokens refilled, capped at the burst of 2
    assert bucket.take() is None and bucket.take() == pytest.approx(1.0)
    now.t += 6
    assert sliding.take() is None and fixed.take() is None and fixed.remaining == 1


def test_latency_grows_with_the_answer() -> None:
    latency = Latency(0.05, 0.0002)
    assert latency.of(0) == 0.05 and latency.of(1024 * 1000) == pytest.approx(0.25)


async def test_arxiv_fake_allows_one_request_per_interval_and_one_connection() -> None:
    fakes = await SourceFakes(make_day(BENCH_DATE, 5, 5), Latency(0.0, 0.0), 1.0).start()
    try:
        async with httpx.AsyncClient(base_url=fakes.base_url) as client:
            first = await client.get("/arxiv/api/query", params={"max_results": 5})
            second = await client.get("/arxiv/api/query", params={"max_results": 5})
    finally:
        await fakes.close()
    assert first.status_code == 200 and second.status_code == 429
    assert second.headers["Retry-After"] == "3"
    assert fakes.rejected["arxiv"] == 1


async def test_slack_fake_enforces_channel_and_workspace_buckets() -> None:
    slack = await LimitedSlack(Latency(0.0, 0.0), Now()).start()  # time stands still
    slack.install("T1", "xoxb-1")
    try:
        async with httpx.AsyncClient(headers={"Authorization": "Bearer xoxb-1"}) as client:
            post = slack.api_url + "chat.postMessage"
            one = [(await client.post(post, json={"channel": "C1", "text": "x"})).status_code
                   for _ in range(4)]  # fmt: skip
            many = [(await client.post(post, json={"channel": f"D{n}", "text": "x"})).status_code
                    for n in range(30)]  # fmt: skip
            refused = await client.post(post, json={"channel": "E1", "text": "x"})
    finally:
        await slack.close()
    assert one == [200, 200, 200, 429]  # a burst of 3, then 1 / s
    assert many.count(200) == 27 and many[-1] == 429  # 30 in the workspace's burst, 3 used
    assert refused.json() == {"ok": False, "error": "ratelimited"}
    assert int(refused.headers["Retry-After"]) >= 1
    assert slack.too_fast["channel"] == 1 and slack.too_fast["workspace"] == 4


async def test_discord_fake_enforces_route_buckets_with_truthful_headers() -> None:
    discord = await LimitedDiscord(Latency(0.0, 0.0), Now()).start()
    discord.add_text_channel(2000)
    try:
        async with httpx.AsyncClient(headers={"Authorization": "Bot t"}) as client:
            url = f"{discord.base_url}/channels/2000/messages"
            answers = [await client.post(url, json={"content": "x"}) for _ in range(6)]
    finally:
        await discord.close()
    remaining = [a.headers["X-RateLimit-Remaining"] for a in answers]
    assert remaining == ["4", "3", "2", "1", "0", "0"]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    limited = answers[-1]
    assert limited.json()["global"] is False and limited.headers["Via"] == "1.1 google"
    assert float(limited.headers["X-RateLimit-Reset-After"]) > 4
    assert len({a.headers["X-RateLimit-Bucket"] for a in answers}) == 1
    assert route_of("POST", "/channels/2000123/messages") == (
        "POST /channels/{id}/messages", "2000123",
    )  # fmt: skip


async def test_discord_fake_enforces_the_global_limit() -> None:
    discord = await LimitedDiscord(Latency(0.0, 0.0), Now()).start()
    try:
        async with httpx.AsyncClient(headers={"Authorization": "Bot t"}) as client:
            codes = [(await client.get(f"{discord.base_url}/users/@me")).status_code
                     for _ in range(51)]  # fmt: skip
            last = await client.get(f"{discord.base_url}/users/@me")
    finally:
        await discord.close()
    assert codes.count(429) >= 1 and last.headers.get("X-RateLimit-Global") == "true"
    assert discord.too_fast["global"] >= 1


def test_fanout_bounds_are_the_arithmetic_of_the_limits() -> None:
    assert bucket_time(11, LIMITS["slack_channel"]) == 8.0  # 3 at once, then 1 / s
    # 50 channels x 11 messages in one workspace: 30 at once, then 5 / s.
    assert slack_allowed_s({"T1": 50, "T2": 50}, 11, 0.0) == pytest.approx((550 - 30) / 5)
    assert slack_allowed_s({"T1": 1}, 11, 0.05) == pytest.approx(8.0 + 0.1)
    # Discord: header + thread + 10 replies per channel through 50 / s (burst 50).
    assert discord_allowed_s(2000, 11, 0.0) == pytest.approx((2000 * 12 - 50) / 50)
    assert discord_allowed_s(1, 11, 0.0) == 5.0  # 10 replies: two windows of 5 / 5 s
    assert rate_vs_allowed(100, 20.0, 10.0) == 0.5


def test_digest_bound_runs_window_sources_beside_arxiv() -> None:
    day = make_day(BENCH_DATE, 30, 250)
    latency = Latency(0.1, 0.0)
    chains = digest_chains(day, latency, 0.01)
    assert chains["bluesky"] == pytest.approx(0.1 * (1 + 3))  # login, then 3 pages of 100
    assert chains["arxiv_then_semantic_scholar"] == pytest.approx(0.2)
    assert digest_bound(day, latency, 0.01) == pytest.approx(0.4)


@pytest.mark.drill
def test_the_bench_smoke_run_measures_the_digest_and_the_production_fanout(
    tmp_path: Path,
) -> None:
    out = tmp_path / "bench.json"
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--only", "digest", "--only", "fanout",
         "--json", str(out)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())
    digest, fanout = result["details"]["digest"], result["details"]["fanout"]
    assert "reason" not in digest, digest.get("reason")
    assert result["digest_speedup_vs_seed"] > 1 and result["digest_vs_bound"] > 0
    assert digest["seed_requests"] == 16 + 2  # every paper searched: no extrapolation
    assert result["fanout_channels"] == 8 and result["fanout_workspaces"] == 2
    assert fanout["slack"]["complete"] == 6, fanout  # through real `hotpapers run`
    assert result["ack_p99_under_fanout_ms"] > 0
    assert result["scale"]["latency"]["base_s"] == 0.005
    assert result["scale"]["limits"]["slack_workspace"]["calls"] == 300
