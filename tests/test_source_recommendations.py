"""Semantic Scholar's Recommendations API ("More like this") through httpx.MockTransport.

The request as sent (URL, fields, limit, key header), the answer as parsed, and every way the
service can fail a button press: 429 with Retry-After (waited on the injected clock), a wait past
the deadline, timeouts on every attempt, 404, a malformed body. Plus a contract test against a
recorded answer in ../shared/fixtures, skipped where none was recorded.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bot.clock import FakeClock
from bot.config import Settings
from bot.sources.http import SourceError
from bot.sources.recommendations import NotKnown, Recommendation, RecommendationsSource
from bot.store import Store
from bot.talk import Talk
from tests.factories import FIXTURES

NOW = dt.datetime(2021, 4, 13, 12, 0, tzinfo=dt.UTC)
BASE = "https://s2.test/recommendations/v1"
ANSWER = {
    "recommendedPapers": [
        {"paperId": "a1", "title": "PaDiM: a Patch Distribution Modeling Framework",
         "url": "https://www.semanticscholar.org/paper/a1", "year": 2020,
         "externalIds": {"ArXiv": "2011.08785", "DBLP": "x"},
         "authors": [{"authorId": "1", "name": "Thomas Defard"},
                     {"authorId": "2", "name": "Aleksandr Setkov"}]},
        {"paperId": "b2", "title": "Deep One-Class <@U1> [x](https://evil.example)",
         "url": "https://www.semanticscholar.org/paper/b2", "year": None, "externalIds": {},
         "authors": []},
        {"paperId": "c3", "title": None, "url": "https://www.semanticscholar.org/paper/c3"},
        {"paperId": "d4", "title": "Itself", "externalIds": {"ArXiv": "2104.04015"}},
        "not an object",
    ]
}  # fmt: skip
Handler = Callable[[httpx.Request], httpx.Response]


def settings(**kw: Any) -> Settings:
    return Settings(_env_file=None, s2_recommendations_url=BASE, http_retries=2, **kw)


def source(handler: Handler, clock: FakeClock, **kw: Any) -> RecommendationsSource:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return RecommendationsSource(client, settings(**kw), clock)


def answers(*responses: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    sent: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return item

    return handler, sent


async def test_the_request_and_the_answer() -> None:
    handler, sent = answers(httpx.Response(200, json=ANSWER))
    found = await source(handler, FakeClock(NOW), s2_api_key="s2-key").for_paper("2104.04015")
    (request,) = sent
    assert str(request.url) == (
        f"{BASE}/papers/forpaper/arXiv:2104.04015?fields=title%2Curl%2Cyear%2CexternalIds"
        "%2Cauthors&limit=5"
    )
    assert request.headers["x-api-key"] == "s2-key"
    assert found == [
        Recommendation("PaDiM: a Patch Distribution Modeling Framework",
                       "https://arxiv.org/abs/2011.08785", "2011.08785", 2020,
                       ("Thomas Defard", "Aleksandr Setkov")),
        Recommendation("Deep One-Class <@U1> [x](https://evil.example)",
                       "https://www.semanticscholar.org/paper/b2"),
    ]  # fmt: skip


async def test_no_key_no_header() -> None:
    handler, sent = answers(httpx.Response(200, json={"recommendedPapers": []}))
    assert await source(handler, FakeClock(NOW)).for_paper("math/0309136") == []
    assert "x-api-key" not in sent[0].headers
    assert sent[0].url.path == "/recommendations/v1/papers/forpaper/arXiv:math/0309136"


async def test_429_waits_its_retry_after_on_the_clock() -> None:
    clock = FakeClock(NOW)
    limited = httpx.Response(429, headers={"Retry-After": "7"}, json={"message": "Too Many"})
    handler, sent = answers(limited, httpx.Response(200, json=ANSWER))
    found = await source(handler, clock, s2_api_key="k").for_paper("2104.04015")
    assert len(found) == 2 and len(sent) == 2
    assert clock.sleeps == [7.0]


async def test_404_is_an_unknown_paper_and_garbage_is_an_error() -> None:
    handler, _ = answers(httpx.Response(404, json={"error": "Paper not found"}))
    with pytest.raises(NotKnown):
        await source(handler, FakeClock(NOW)).for_paper("2104.99999")
    for body in ({"papers": []}, ["a"]):
        handler, _ = answers(httpx.Response(200, json=body))
        with pytest.raises(SourceError, match="unexpected response"):
            await source(handler, FakeClock(NOW)).for_paper("2104.04015")


def talk(handler: Handler, clock: FakeClock, tmp_path: Any, **kw: Any) -> Talk:
    config = settings(**kw)
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    store = Store(f"sqlite:///{tmp_path}/hp.sqlite3")
    return Talk(config, store, clock, recommendations=RecommendationsSource(client, config, clock))


@pytest.mark.parametrize(
    ("responses", "text", "sleeps"),
    [
        ([httpx.ReadTimeout("slow")],
         "Semantic Scholar didn't answer (timed out after 20 s after 3 attempts); try again in a "
         "few minutes.", [1.0, 0.05, 2.0]),
        ([httpx.Response(429, headers={"Retry-After": "3600"})],
         "Semantic Scholar didn't answer (rate-limited until 13:00 UTC); try again in a few "
         "minutes.", []),
        ([httpx.Response(503), httpx.Response(503), httpx.Response(503)],
         "Semantic Scholar didn't answer (HTTP 503 after 3 attempts); try again in a few "
         "minutes.", [1.0, 0.05, 2.0]),
        ([httpx.Response(404, json={"error": "Paper not found"})],
         "Semantic Scholar doesn't know arXiv:2104.04015 yet (new papers take a few days to "
         "appear there); try again later.", []),
        ([httpx.Response(200, json={"recommendedPapers": []})],
         "Semantic Scholar has no recommendations for arXiv:2104.04015 yet.", []),
    ],
    ids=["timeouts", "retry-after-past-the-deadline", "5xx", "unknown", "none"],
)  # fmt: skip
async def test_a_press_degrades_to_one_short_reply(
    responses: list[Any], text: str, sleeps: list[float], tmp_path: Any
) -> None:
    clock = FakeClock(NOW)
    handler, _ = answers(*responses)
    reply = await talk(handler, clock, tmp_path, s2_api_key="k").press("hp:more:2104.04015:v1")
    assert reply.text == text
    # Backoff 1 s, then 2 s; the key's pace (one request per 1.05 s, shared with the Graph API)
    # adds 0.05 s before the retry that the 1 s backoff alone would send too early.
    assert clock.sleeps == pytest.approx(sleeps)


async def test_contract_recorded_recommendations() -> None:
    """A recorded answer of the real API, where one was recorded (none is, so far)."""
    folder = FIXTURES / "semantic_scholar"
    recorded = sorted(folder.glob("*recommend*")) if folder.is_dir() else []
    if not recorded:
        pytest.skip("no recorded Semantic Scholar recommendations answer in ../shared/fixtures")
    body = json.loads(recorded[0].read_text(encoding="utf-8"))
    handler, _ = answers(httpx.Response(200, json=body))
    found = await source(handler, FakeClock(NOW)).for_paper("2104.04015", limit=100)
    assert found and all(r.title and r.url.startswith(("https://", "http://")) for r in found)
