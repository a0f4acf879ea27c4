"""Loopback fakes of the sources and chat platforms, holding one synthetic day, with real limits.

Every fake answers after ``latency`` seconds (a real ``asyncio.sleep`` on the server side) and
enforces the service's published rate limit itself: a request over the limit gets HTTP 429 with
``Retry-After``, and is counted, so the bench can tell what the client's own pacing prevented.
Why own fakes rather than recorded files: the day must be big (1,500 papers, 5,000 posts) and
fresh per run, and the limits must be live.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import random
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from aiohttp import web

from bot import calendar

CS_CATEGORIES = ("cs.CL", "cs.LG", "cs.AI", "cs.CV", "cs.RO", "cs.CR", "cs.IR", "cs.SE")
ARXIV_INTERVAL = 3.0  # arXiv: one request every 3 s
BLUESKY_CALLS, BLUESKY_PERIOD = 3000, 300.0  # Bluesky PDS: 3000 requests / 5 minutes
SLACK_CHANNEL_INTERVAL = 1.0  # Slack chat.postMessage: about 1 message / s per channel
SLACK_TOLERANCE = 0.8  # a message sooner than this after the previous one in a channel is a 429
DISCORD_GLOBAL_PER_S = 50  # Discord: 50 requests / s per bot


@dataclass(frozen=True)
class Day:
    """One synthetic listing day: papers (with submission times) and posts linking them."""

    date: dt.date
    papers: list[dict[str, Any]]
    posts: list[dict[str, Any]]
    hn_hits: list[dict[str, Any]]


def make_day(date: dt.date, n_papers: int, n_posts: int, seed: int = 12) -> Day:
    """A day with a skewed (Zipf-like) attention distribution: few papers get most posts."""
    rng = random.Random(seed)
    start, end = calendar.submission_window(date)
    span = (end - start).total_seconds()
    papers = []
    for i in range(n_papers):
        cats = rng.sample(CS_CATEGORIES, k=rng.choice((1, 1, 2, 3)))
        papers.append(
            {
                "id": f"{date:%y%m}.{10000 + i:05d}",
                "title": f"Synthetic paper {i} on {' and '.join(cats)}",
                "abstract": "We study things. " * rng.randint(20, 60),
                "authors": [f"Author {rng.randint(1, 9000)}" for _ in range(rng.randint(1, 8))],
                "categories": cats,
                "published": start + dt.timedelta(seconds=rng.uniform(0, span - 1)),
            }
        )
    weights = [1 / (rank + 1) ** 1.1 for rank in range(n_papers)]
    announced = calendar.announcement_time(date)
    posts = []
    for i, paper in enumerate(rng.choices(papers, weights=weights, k=n_posts)):
        created = announced + dt.timedelta(seconds=rng.uniform(0, 86_000))
        posts.append(_post_view(i, paper["id"], created, rng))
    hn_hits = [
        {
            "objectID": str(40_000_000 + i),
            "author": f"hn{i}",
            "title": paper["title"],
            "url": f"https://arxiv.org/abs/{paper['id']}",
            "points": rng.randint(1, 500),
            "num_comments": rng.randint(0, 200),
            "created_at_i": int(announced.timestamp()) + rng.randint(0, 86_000),
        }
        for i, paper in enumerate(papers[: max(n_papers // 50, 1)])
    ]  # fmt: skip
    return Day(date, papers, posts, hn_hits)


def _post_view(i: int, arxiv_id: str, created: dt.datetime, rng: random.Random) -> dict[str, Any]:
    return {
        "uri": f"at://did:plc:user{i % 900}/app.bsky.feed.post/3k{i:08d}",
        "author": {"did": f"did:plc:user{i % 900}", "handle": f"user{i % 900}.bsky.social"},
        "record": {
            "text": f"Worth reading https://arxiv.org/abs/{arxiv_id}",
            "createdAt": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        },
        "likeCount": rng.randint(0, 80),
        "repostCount": rng.randint(0, 20),
        "replyCount": rng.randint(0, 10),
        "quoteCount": rng.randint(0, 3),
    }


def atom_feed(papers: list[dict[str, Any]], start: int, size: int) -> bytes:
    """An arXiv API page as arXiv serialises it today (namespaces declared once)."""
    entries = []
    for p in papers[start : start + size]:
        when = p["published"].strftime("%Y-%m-%dT%H:%M:%SZ")
        cats = "".join(f'<category term="{c}"/>' for c in p["categories"])
        authors = "".join(f"<author><name>{escape(a)}</name></author>" for a in p["authors"])
        entries.append(
            f"<entry><id>http://arxiv.org/abs/{p['id']}v1</id><published>{when}</published>"
            f"<updated>{when}</updated><title>{escape(p['title'])}</title>"
            f"<summary>{escape(p['abstract'])}</summary>{authors}"
            f'<arxiv:primary_category term="{p["categories"][0]}"/>{cats}</entry>'
        )
    head = (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom">'
        f"<opensearch:totalResults>{len(papers)}</opensearch:totalResults>"
        f"<opensearch:startIndex>{start}</opensearch:startIndex>"
        f"<opensearch:itemsPerPage>{size}</opensearch:itemsPerPage>"
    )
    return (head + "".join(entries) + "</feed>").encode()


class SlidingLimit:
    """At most ``calls`` in any ``period`` seconds (server side); ``hit()`` says wait or go."""

    def __init__(self, calls: int, period: float) -> None:
        self.calls, self.period = calls, period
        self._times: deque[float] = deque()

    def hit(self) -> float | None:
        """Record a request; ``None`` if allowed, else the seconds until it would have been."""
        now = time.monotonic()
        while self._times and now - self._times[0] >= self.period:
            self._times.popleft()
        if len(self._times) >= self.calls:
            return self.period - (now - self._times[0])
        self._times.append(now)
        return None


@dataclass
class SourceFakes:
    """arXiv, Hugging Face, Bluesky, HN Algolia and Semantic Scholar on one loopback server."""

    day: Day
    latency: float = 0.05
    arxiv_scale: float = 0.01
    requests: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    base_url: str = ""

    def __post_init__(self) -> None:
        self._arxiv = SlidingLimit(1, ARXIV_INTERVAL * self.arxiv_scale)
        self._bluesky = SlidingLimit(BLUESKY_CALLS, BLUESKY_PERIOD)
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
            "HOTPAPERS_ARXIV_DELAY": str(ARXIV_INTERVAL * self.arxiv_scale),
        }

    async def _enter(self, name: str, limit: SlidingLimit | None = None) -> web.Response | None:
        """Count, wait the latency, enforce the limit: a 429 response, or ``None`` to go on."""
        self.requests[name] += 1
        await asyncio.sleep(self.latency)
        wait = limit.hit() if limit is not None else None
        if wait is None:
            return None
        self.rejected[name] += 1
        return web.json_response(
            {"error": "RateLimitExceeded"},
            status=429,
            headers={"Retry-After": str(math.ceil(wait))},
        )

    async def _arxiv_query(self, request: web.Request) -> web.Response:
        if (limited := await self._enter("arxiv", self._arxiv)) is not None:
            return limited
        start = int(request.query.get("start", "0"))
        size = int(request.query.get("max_results", "10"))
        body = atom_feed(self.day.papers, start, size)
        return web.Response(body=body, content_type="application/atom+xml")

    async def _hf_daily(self, request: web.Request) -> web.Response:
        await self._enter("huggingface")
        if request.query.get("date") != self.day.date.isoformat():
            return web.json_response([])
        page, limit = int(request.query.get("p", "0")), int(request.query.get("limit", "50"))
        listed = self.day.papers[:150]  # Daily Papers lists the top ~150 of the day
        items = [
            {"paper": {"id": p["id"], "upvotes": 150 - i, "githubStars": i}, "numComments": i % 7}
            for i, p in enumerate(listed)
        ]
        return web.json_response(items[page * limit : (page + 1) * limit])

    async def _bsky_session(self, request: web.Request) -> web.Response:
        if (limited := await self._enter("bluesky", self._bluesky)) is not None:
            return limited
        return web.json_response({"accessJwt": "bench-access", "refreshJwt": "bench-refresh"})

    async def _bsky_search(self, request: web.Request) -> web.Response:
        if (limited := await self._enter("bluesky", self._bluesky)) is not None:
            return limited
        if request.headers.get("Authorization") != "Bearer bench-access":
            return web.json_response({"error": "AuthMissing"}, status=401)
        url = request.query.get("url")
        if url:  # the naive way: one search per paper
            return web.json_response(
                {"posts": self._posts_by_paper.get(url.rsplit("/", 1)[-1], [])}
            )
        offset = int(request.query.get("cursor", "0"))
        limit = int(request.query.get("limit", "25"))
        page = self.day.posts[offset : offset + limit]
        more = offset + limit < len(self.day.posts)
        return web.json_response(
            {"posts": page, **({"cursor": str(offset + limit)} if more else {})}
        )

    async def _hn_search(self, request: web.Request) -> web.Response:
        await self._enter("hackernews")
        query = request.query.get("query", "")
        hits = [h for h in self.day.hn_hits if query == "arxiv.org" or query in h["url"]]
        per_page = int(request.query.get("hitsPerPage", "20"))
        page = int(request.query.get("page", "0"))
        return web.json_response(
            {
                "hits": hits[page * per_page : (page + 1) * per_page],
                "nbHits": len(hits),
                "nbPages": max(math.ceil(len(hits) / per_page), 1),
                "hitsPerPage": per_page,
            }
        )

    async def _s2_batch(self, request: web.Request) -> web.Response:
        await self._enter("semantic_scholar")
        ids = (await request.json()).get("ids", [])
        return web.json_response(
            [
                {"externalIds": {"ArXiv": i.removeprefix("ARXIV:")}, "citationCount": n % 5}
                for n, i in enumerate(ids)
            ]
        )
