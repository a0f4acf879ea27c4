"""The seed's way, as the baseline of ``digest_speedup_vs_seed``.

The seed (``TatsuyaShirakawa/daily-arxiv-gatsby``, ``daily_arxiv/main.py``; see the research
notes) fetched the day's listing, then for each paper made one Twitter search
(``arxiv url:<id>``), one after another, with ``SLEEP = 0.5`` seconds between papers, retrying
any failure after ``2**count`` seconds. Here the search is Bluesky's ``searchPosts?url=`` on the
same fakes (the nearest live equivalent of that search), the listing is the same arXiv pages the
bot reads, and every request pays the same latency and limits. Nothing is extrapolated: every
paper's search is made and every pause is slept.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from bench.bounds import ARXIV_PAGE
from bench.limits import LIMITS

SLEEP = 0.5  # daily_arxiv/main.py


async def _get(client: httpx.AsyncClient, url: str, **kwargs: Any) -> httpx.Response:
    """The seed's retry: any failure, sleep ``2**count`` s and try again (it had no cap)."""
    count = 0
    while True:
        try:
            answer = await client.get(url, **kwargs)
            answer.raise_for_status()
            return answer
        except httpx.HTTPError:
            await asyncio.sleep(2**count)
            count += 1


async def seed_build(fakes: Any, papers: list[dict[str, Any]]) -> dict[str, Any]:
    """Run the seed's way against ``fakes``; wall time and requests made."""
    started = time.perf_counter()
    requests = 0
    async with httpx.AsyncClient(base_url=fakes.base_url, timeout=60) as client:
        for start in range(0, max(len(papers), 1), ARXIV_PAGE):
            if start:
                await asyncio.sleep(LIMITS["arxiv"].period * fakes.arxiv_scale)
            params = {"search_query": "cat:cs.*", "start": start, "max_results": ARXIV_PAGE}
            await _get(client, "/arxiv/api/query", params=params)
            requests += 1
        login = await client.post("/bsky/xrpc/com.atproto.server.createSession", json={})
        requests += 1
        headers = {"Authorization": f"Bearer {login.json()['accessJwt']}"}
        for i, paper in enumerate(papers):
            if i:
                await asyncio.sleep(SLEEP)
            url = f"https://arxiv.org/abs/{paper['id']}"
            params = {"q": f"arxiv url:{paper['id']}", "url": url, "limit": 100}
            await _get(client, "/bsky/xrpc/app.bsky.feed.searchPosts", params=params,
                       headers=headers)  # fmt: skip
            requests += 1
    return {"seed_s": time.perf_counter() - started, "seed_requests": requests,
            "seed_sleep_s": SLEEP * max(len(papers) - 1, 0)}  # fmt: skip
