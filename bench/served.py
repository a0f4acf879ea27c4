"""The source fakes in a process of their own, so that serving them (building a 1.8 MB arXiv
page, encoding 50 Bluesky pages) never runs on the event loop of the build being measured."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from bench.fakes import SourceFakes, make_day
from bench.limits import LIMITS, Latency

ROOT = str(Path(__file__).resolve().parent.parent)


async def _serve(day: tuple[dt.date, int, int], latency: Latency, scale: float) -> None:
    fakes = await SourceFakes(make_day(*day), latency, scale).start()
    print(fakes.base_url, flush=True)
    await asyncio.Event().wait()  # until terminated


class ServedFakes:
    """``SourceFakes`` of ``make_day(date, papers, posts)`` in a spawned process."""

    def __init__(self, date: dt.date, papers: int, posts: int, latency: Latency,
                 arxiv_scale: float) -> None:  # fmt: skip
        self.arxiv_scale = arxiv_scale
        self.requests: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()
        args = [date.isoformat(), papers, posts, latency.base, latency.per_kb, arxiv_scale]
        self._args = [str(a) for a in args]
        self._process: subprocess.Popen[str] | None = None
        self.base_url = ""

    async def start(self) -> ServedFakes:
        self._process = subprocess.Popen(  # noqa: S603 (our own module)
            [sys.executable, "-m", "bench.served", *self._args],
            stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT},
        )  # fmt: skip
        assert self._process.stdout is not None
        self.base_url = (await asyncio.to_thread(self._process.stdout.readline)).strip()
        if not self.base_url:
            raise RuntimeError("the source fakes did not start")
        return self

    async def stats(self) -> dict[str, Any]:
        """Requests and 429s per service so far (also kept in ``requests`` / ``rejected``)."""
        async with httpx.AsyncClient(timeout=10) as client:
            answer = (await client.get(f"{self.base_url}/_bench/stats")).json()
        self.requests, self.rejected = Counter(answer["requests"]), Counter(answer["rejected"])
        return answer

    def env(self) -> dict[str, str]:
        base = self.base_url
        return {
            "HOTPAPERS_ARXIV_API_URL": f"{base}/arxiv/api/query",
            "HOTPAPERS_HF_API_URL": f"{base}/hf/api",
            "HOTPAPERS_BLUESKY_SERVICE": f"{base}/bsky",
            "HOTPAPERS_HN_API_URL": f"{base}/hn/api/v1",
            "HOTPAPERS_S2_API_URL": f"{base}/s2/graph/v1",
            "HOTPAPERS_ARXIV_DELAY": str(LIMITS["arxiv"].period * self.arxiv_scale),
            "HOTPAPERS_BLUESKY_HANDLE": "bench.bsky.social",
            "HOTPAPERS_BLUESKY_APP_PASSWORD": "bench-app-password",
            "HOTPAPERS_S2_API_KEY": "bench-s2-key",
        }

    async def close(self) -> None:
        if self._process is not None:
            self._process.terminate()
            await asyncio.to_thread(self._process.wait, 10)


if __name__ == "__main__":
    date, papers, posts, base, per_kb, scale = sys.argv[1:7]
    day = (dt.date.fromisoformat(date), int(papers), int(posts))
    asyncio.run(_serve(day, Latency(float(base), float(per_kb)), float(scale)))
