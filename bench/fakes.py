"""Loopback fakes of the sources, serving one synthetic day (``bench.day``) with real limits.

Every answer is built first, then sent after ``latency.of(len(body))`` (a real ``asyncio.sleep``
on the server side: a bigger answer takes longer, as on a real link), and every service enforces
its published limit (``bench.limits.LIMITS``): a request over it gets HTTP 429 with
``Retry-After`` and is counted, so the bench can tell what the client's own pacing prevented.
arXiv also allows one connection at a time: a request while another is open is a 429 too.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bench.day import CS_CATEGORIES, Day, atom_feed, make_day
from bench.limits import LIMITS, PINNED_LATENCY, Latency, limiter, retry_after

__all__ = ["CS_CATEGORIES", "Day", "SourceFakes", "atom_feed", "make_day"]
HF_LISTED = 150  # Daily Papers lists the top ~150 of a day


def hf_items(day: Day) -> list[dict[str, Any]]:
    return [
        {"paper": {"id": p["id"], "upvotes": HF_LISTED - i, "githubStars": i}, "numComments": i % 7}
        for i, p in enumerate(day.papers[:HF_LISTED])
    ]


def bluesky_page(day: Day, offset: int, limit: int) -> dict[str, Any]:
    page = day.posts[offset : offset + limit]
    more = offset + limit < len(day.posts)
    return {"posts": page, **({"cursor": str(offset + limit)} if more else {})}


def body_of(data: Any) -> bytes:
    return json.dumps(data).encode()


@dataclass
class SourceFakes:
    """arXiv, Hugging Face, Bluesky, HN Algolia and Semantic Scholar on one loopback server.

    ``arxiv_scale`` shortens arXiv's 3 s interval (recorded in the JSON, used by the bound too)."""

    day: Day
    latency: Latency | float = PINNED_LATENCY
    arxiv_scale: float = 0.01
    requests: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    base_url: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.latency, int | float):  # a flat latency (the drills' 0.0)
            self.latency = Latency(float(self.latency), 0.0)
        self._limits = {
            "arxiv": limiter(LIMITS["arxiv"], scale=self.arxiv_scale),
            "huggingface_token": limiter(LIMITS["huggingface_token"]),
            "huggingface_anonymous": limiter(LIMITS["huggingface_anonymous"]),
            "hackernews": limiter(LIMITS["hackernews"]),
            "semantic_scholar_key": limiter(LIMITS["semantic_scholar_key"]),
            "semantic_scholar_anonymous": limiter(LIMITS["semantic_scholar_anonymous"]),
            "bluesky": limiter(LIMITS["bluesky"]),
        }
        self._arxiv_open = 0
        self._posts_by_paper: dict[str, list[dict[str, Any]]] = {}
        for view in self.day.posts:
            arxiv_id = view["record"]["text"].rsplit("/", 1)[-1]
            self._posts_by_paper.setdefault(arxiv_id, []).append(view)
        self._runner: web.AppRunner | None = None

    async def start(self) -> SourceFakes:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_get("/arxiv/api/query", self._arxiv_query)
        app.router.add_get("/hf/api/daily_papers", self._hf_daily)
        app.router.add_post("/bsky/xrpc/com.atproto.server.createSession", self._bsky_session)
        app.router.add_get("/bsky/xrpc/app.bsky.feed.searchPosts", self._bsky_search)
        app.router.add_get("/hn/api/v1/search_by_date", self._hn_search)
        app.router.add_get("/hn/api/v1/search", self._hn_search)
        app.router.add_post("/s2/graph/v1/paper/batch", self._s2_batch)
        app.router.add_get("/_bench/stats", self._stats)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def env(self) -> dict[str, str]:
        """Settings (as environment variables) pointing every source here."""
        return {
            "HOTPAPERS_ARXIV_API_URL": f"{self.base_url}/arxiv/api/query",
            "HOTPAPERS_HF_API_URL": f"{self.base_url}/hf/api",
            "HOTPAPERS_BLUESKY_SERVICE": f"{self.base_url}/bsky",
            "HOTPAPERS_HN_API_URL": f"{self.base_url}/hn/api/v1",
            "HOTPAPERS_S2_API_URL": f"{self.base_url}/s2/graph/v1",
            "HOTPAPERS_ARXIV_DELAY": str(LIMITS["arxiv"].period * self.arxiv_scale),
        }

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response({"requests": self.requests, "rejected": self.rejected})

    def _limited(self, name: str, bucket: str) -> web.Response | None:
        """Enforce ``bucket``'s limit for service ``name``: a counted 429, or None to go on."""
        wait = self._limits[bucket].take()
        if wait is None:
            return None
        self.rejected[name] += 1
        headers = {"Retry-After": retry_after(wait)}
        return web.json_response({"error": "RateLimitExceeded"}, status=429, headers=headers)

    async def _answer(self, name: str, bucket: str | None, build: Any) -> web.Response:
        """Count, enforce, build the answer, then wait the latency its size takes."""
        self.requests[name] += 1
        if bucket is not None and (limited := self._limited(name, bucket)) is not None:
            await asyncio.sleep(self.latency.base)
            return limited
        body, content_type = build()
        await asyncio.sleep(self.latency.of(len(body)))
        return web.Response(body=body, content_type=content_type)

    async def _arxiv_query(self, request: web.Request) -> web.Response:
        if self._arxiv_open:  # one connection at a time
            self.requests["arxiv"] += 1
            self.rejected["arxiv"] += 1
            self.rejected["arxiv_concurrent"] += 1
            return web.json_response({}, status=429, headers={"Retry-After": "1"})
        self._arxiv_open += 1
        try:
            start = int(request.query.get("start", "0"))
            size = int(request.query.get("max_results", "10"))
            return await self._answer(
                "arxiv", "arxiv",
                lambda: (atom_feed(self.day.papers, start, size), "application/atom+xml"),
            )  # fmt: skip
        finally:
            self._arxiv_open -= 1

    async def _hf_daily(self, request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").startswith("Bearer ")
        bucket = "huggingface_token" if token else "huggingface_anonymous"

        def build() -> tuple[bytes, str]:
            if request.query.get("date") != self.day.date.isoformat():
                return b"[]", "application/json"
            page, limit = int(request.query.get("p", "0")), int(request.query.get("limit", "50"))
            items = hf_items(self.day)[page * limit : (page + 1) * limit]
            return body_of(items), "application/json"

        return await self._answer("huggingface", bucket, build)

    async def _bsky_session(self, request: web.Request) -> web.Response:
        session = {"accessJwt": "bench-access", "refreshJwt": "bench-refresh"}
        return await self._answer(
            "bluesky", "bluesky", lambda: (body_of(session), "application/json")
        )

    async def _bsky_search(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer bench-access":
            return web.json_response({"error": "AuthMissing"}, status=401)

        def build() -> tuple[bytes, str]:
            url = request.query.get("url")
            if url:  # the seed's way: one search per paper
                found = self._posts_by_paper.get(url.rsplit("/", 1)[-1], [])
                return body_of({"posts": found}), "application/json"
            offset = int(request.query.get("cursor", "0"))
            limit = int(request.query.get("limit", "25"))
            return body_of(bluesky_page(self.day, offset, limit)), "application/json"

        return await self._answer("bluesky", "bluesky", build)

    async def _hn_search(self, request: web.Request) -> web.Response:
        def build() -> tuple[bytes, str]:
            query = request.query.get("query", "")
            hits = [h for h in self.day.hn_hits if query == "arxiv.org" or query in h["url"]]
            per_page = int(request.query.get("hitsPerPage", "20"))
            page = int(request.query.get("page", "0"))
            answer = {
                "hits": hits[page * per_page : (page + 1) * per_page],
                "nbHits": len(hits),
                "nbPages": max(math.ceil(len(hits) / per_page), 1),
                "hitsPerPage": per_page,
            }
            return body_of(answer), "application/json"

        return await self._answer("hackernews", "hackernews", build)

    async def _s2_batch(self, request: web.Request) -> web.Response:
        keyed = bool(request.headers.get("x-api-key"))
        ids = (await request.json()).get("ids", [])
        answer = [
            {"externalIds": {"ArXiv": i.removeprefix("ARXIV:")}, "citationCount": n % 5}
            for n, i in enumerate(ids)
        ]
        bucket = "semantic_scholar_key" if keyed else "semantic_scholar_anonymous"
        return await self._answer(
            "semantic_scholar", bucket, lambda: (body_of(answer), "application/json")
        )
