"""Source deadlines, measured: a trickling Hugging Face, a trickling arXiv, a far Retry-After.

``python -m bench.deadlines [--limit 200] [--source-deadline 60] [--arxiv-deadline 180]`` builds
one digest per case with the real DigestService over ``httpx.MockTransport`` playing every
service (the bench's synthetic day); waits run on a FakeClock, the trickle on real time (1 byte,
then 2 s, again and again). Prints, per case, the wall time, the seconds slept on the clock and
how each source fared. Outside the default test run: with the defaults it takes about 4 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx

from bench.day import atom_feed, make_day
from bot import calendar
from bot.clock import FakeClock
from bot.config import Settings
from bot.service import DigestService, UserError
from bot.store import Store

DATE = dt.date(2025, 3, 11)
DAY = make_day(DATE, 30, 90)
Handler = Callable[[httpx.Request], httpx.Response]


def healthy(request: httpx.Request) -> httpx.Response:
    host = request.url.host
    if host == "arxiv.test":
        return httpx.Response(200, content=atom_feed(DAY.papers, 0, len(DAY.papers)))
    if host == "hf.test":
        items = [{"paper": {"id": p["id"], "upvotes": 9}} for p in DAY.papers[:5]]
        return httpx.Response(200, json=items if request.url.params["p"] == "0" else [])
    if host == "bsky.test":
        if request.url.path.endswith("createSession"):
            return httpx.Response(200, json={"accessJwt": "a", "refreshJwt": "r"})
        return httpx.Response(200, json={"posts": DAY.posts})
    if host == "hn.test":
        return httpx.Response(200, json={"hits": DAY.hn_hits, "nbHits": 1, "nbPages": 1})
    ids = json.loads(request.content)["ids"]
    return httpx.Response(200, json=[{"citationCount": 1} for _ in ids])


async def trickle() -> AsyncIterator[bytes]:
    while True:
        yield b" "
        await asyncio.sleep(2)


def failing(host: str, answer: Callable[[], httpx.Response]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        return answer() if request.url.host == host else healthy(request)

    return handler


CASES: dict[str, Handler] = {
    "Hugging Face answering 1 byte / 2 s": failing(
        "hf.test", lambda: httpx.Response(200, content=trickle())
    ),
    "arXiv answering 1 byte / 2 s": failing(
        "arxiv.test", lambda: httpx.Response(200, content=trickle())
    ),
    "Hacker News 429, Retry-After: 3600": failing(
        "hn.test", lambda: httpx.Response(429, headers={"Retry-After": "3600"})
    ),
}


async def run(name: str, handler: Handler, limit: float, config: dict[str, float]) -> None:
    folder = Path(tempfile.mkdtemp())
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite:///{folder / 'bench.db'}",
        arxiv_api_url="http://arxiv.test/api/query",
        hf_api_url="http://hf.test/api",
        bluesky_service="http://bsky.test",
        hn_api_url="http://hn.test/api/v1",
        s2_api_url="http://s2.test/graph/v1",
        bluesky_handle="bench.bsky.social",
        bluesky_app_password="bench-password",  # noqa: S106 (a fake service)
        **config,
    )
    clock = FakeClock(calendar.announcement_time(DATE) + dt.timedelta(days=1))
    store = Store(settings.database_url)
    started = time.monotonic()
    try:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            service = DigestService(settings, store, clock=clock, client=client)
            build = service.build(DATE, ["cs.CL", "cs.LG", "cs.AI"], 5)
            try:
                digest = await asyncio.wait_for(build, limit)
                fared = {n: s.error or s.note or "ok" for n, s in digest.sources.items()}
                outcome = f"built, degraded={digest.degraded}, {fared}"
            except TimeoutError:
                outcome = f"not finished after {limit:g} s"
            except UserError as exc:
                outcome = f"no digest: {exc}"
    finally:
        store.close()
    print(f"{name}: {time.monotonic() - started:.2f} s wall, {sum(clock.sleeps):g} s slept")
    print(f"  {outcome}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=float, default=200.0, help="wall seconds per case")
    parser.add_argument("--source-deadline", type=float, default=60.0)
    parser.add_argument("--arxiv-deadline", type=float, default=180.0)
    args = parser.parse_args()
    config = {
        "source_deadline": args.source_deadline,
        "arxiv_deadline": args.arxiv_deadline,
        "http_retries": 3,
    }
    for name, handler in CASES.items():
        asyncio.run(run(name, handler, args.limit, config))


if __name__ == "__main__":
    main()
