"""The Semantic Scholar source against batch answers written here (httpx.MockTransport)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bot.clock import FakeClock
from bot.config import Settings
from bot.models import Signals
from bot.sources.base import Window
from bot.sources.http import SourceError
from bot.sources.semantic_scholar import SemanticScholarSource
from tests.factories import make_paper

UTC = dt.UTC
WINDOW = Window(
    date=dt.date(2021, 4, 12),
    start=dt.datetime(2021, 4, 9, 18, 0, tzinfo=UTC),
    end=dt.datetime(2021, 4, 12, 18, 0, tzinfo=UTC),
)
KEY = "s2-secret-key-123"
FIELDS = "externalIds,citationCount,influentialCitationCount,tldr"


def record(arxiv_id: str, citations: int = 4, tldr: str | None = "It works.") -> dict[str, Any]:
    """One batch answer, shaped like the real one."""
    return {
        "paperId": "c31c87c591a25c64fbaa82e8ac6a81831b6ac7ce",
        "externalIds": {"ArXiv": arxiv_id, "CorpusId": 470667},
        "citationCount": citations,
        "influentialCitationCount": citations // 2,
        "tldr": {"model": "tldr@v2.0.0", "text": tldr} if tldr else None,
    }


def echo(request: httpx.Request) -> httpx.Response:
    """Knows every id it is asked about: citations = the id's last digits."""
    ids = json.loads(request.content)["ids"]
    return httpx.Response(200, json=[record(i.removeprefix("ARXIV:"), int(i[-3:])) for i in ids])


class Recorder:
    def __init__(self, reply: Callable[[httpx.Request], httpx.Response]) -> None:
        self.reply = reply
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.reply(request)

    def sent_ids(self) -> list[list[str]]:
        return [json.loads(r.content)["ids"] for r in self.requests]


def source_for(
    reply: Callable[[httpx.Request], httpx.Response], **settings: Any
) -> tuple[SemanticScholarSource, Recorder, FakeClock]:
    recorder = Recorder(reply)
    clock = FakeClock(dt.datetime(2021, 4, 13, 12, tzinfo=UTC))
    client = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    config = Settings(
        _env_file=None, s2_api_url="https://s2.test/graph/v1", http_retries=2, **settings
    )
    return SemanticScholarSource(client, config, clock), recorder, clock


async def test_one_batch_post_with_exact_url_body_and_key() -> None:
    source, recorder, _ = source_for(echo, s2_api_key=KEY)

    collected = await source.collect(WINDOW, [make_paper(1), make_paper(2), make_paper(1)])

    [request] = recorder.requests
    assert request.method == "POST"
    assert str(request.url) == (
        "https://s2.test/graph/v1/paper/batch"
        "?fields=externalIds%2CcitationCount%2CinfluentialCitationCount%2Ctldr"
    )
    assert request.url.params["fields"] == FIELDS
    assert json.loads(request.content) == {"ids": ["ARXIV:2104.04001", "ARXIV:2104.04002"]}
    assert request.headers["x-api-key"] == KEY
    assert request.headers["content-type"] == "application/json"
    assert collected.posts == []
    assert collected.signals == {
        "2104.04001": Signals(citations=1, influential_citations=0, tldr="It works."),
        "2104.04002": Signals(citations=2, influential_citations=1, tldr="It works."),
    }


async def test_no_key_header_without_a_key_and_never_skipped() -> None:
    source, recorder, _ = source_for(echo)

    await source.collect(WINDOW, [make_paper(1)])

    assert "x-api-key" not in recorder.requests[0].headers
    assert source.skip_reason() is None and not source.authenticated
    assert (source.name, source.scope) == ("semantic_scholar", "papers")


async def test_chunks_of_500_in_order_spaced_by_the_rate_limit() -> None:
    papers = [make_paper(n, arxiv_id=f"2104.{10000 + n}") for n in range(1201)]
    source, recorder, clock = source_for(echo, s2_api_key=KEY)

    collected = await source.collect(WINDOW, papers)

    sent = recorder.sent_ids()
    assert [len(chunk) for chunk in sent] == [500, 500, 201]
    assert sent[0][0] == "ARXIV:2104.10000" and sent[2][-1] == "ARXIV:2104.11200"
    assert len(collected.signals) == 1201
    assert collected.signals["2104.11200"].citations == 200
    assert clock.sleeps == pytest.approx([1.05, 1.05])  # 1 request / s with a key, +5 %


async def test_unauthenticated_is_gentler() -> None:
    papers = [make_paper(n, arxiv_id=f"2104.{10000 + n}") for n in range(1001)]
    source, _, clock = source_for(echo)

    await source.collect(WINDOW, papers)

    assert clock.sleeps == [3.0, 3.0]


async def test_unknown_ids_nulls_and_missing_keys_are_tolerated() -> None:
    answers = [
        None,
        {"paperId": "x", "citationCount": 5},
        {"externalIds": None, "citationCount": None, "tldr": {"model": "m", "text": None}},
        {"externalIds": {"ArXiv": "2001.00001"}, "citationCount": 9},  # not what was asked
        "junk",
    ]
    source, _, _ = source_for(lambda _: httpx.Response(200, json=answers))

    collected = await source.collect(WINDOW, [make_paper(n) for n in range(1, 6)])

    assert collected.signals == {"2104.04002": Signals(citations=5), "2104.04003": Signals()}


async def test_no_papers_no_request() -> None:
    source, recorder, _ = source_for(echo)
    assert (await source.collect(WINDOW, [])).signals == {}
    assert recorder.requests == []


async def test_429_honours_retry_after() -> None:
    limited = [httpx.Response(429, headers={"Retry-After": "30"})]
    source, recorder, clock = source_for(lambda r: limited.pop() if limited else echo(r))

    collected = await source.collect(WINDOW, [make_paper(1)])

    assert clock.sleeps == [30.0]
    assert len(recorder.requests) == 2
    assert collected.signals["2104.04001"].citations == 1


@pytest.mark.parametrize(
    ("reply", "message", "requests"),
    [
        (lambda _: httpx.Response(500), "HTTP 500 after 3 attempts", 3),
        (lambda _: httpx.Response(400, json={"error": "Unrecognized id"}), "HTTP 400", 1),
        (lambda _: httpx.Response(403, json={"message": "Forbidden"}), "HTTP 403", 1),
        (lambda _: httpx.Response(200, text="<html>"), "malformed JSON in response", 1),
        (
            lambda _: httpx.Response(200, json=[None]),
            "unexpected response (not one entry per id)",
            1,
        ),
        (
            lambda _: httpx.Response(200, json={"data": []}),
            "unexpected response (not one entry per id)",
            1,
        ),
    ],
)
async def test_failures_raise_a_short_source_error_without_the_key(
    reply: Callable[[httpx.Request], httpx.Response],
    message: str,
    requests: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    source, _, _ = source_for(reply, s2_api_key=KEY)

    with pytest.raises(SourceError) as caught:
        await source.collect(WINDOW, [make_paper(1), make_paper(2)])

    assert str(caught.value) == message
    assert source.requests == requests
    assert KEY not in caplog.text and KEY not in repr(caught.value)


async def test_timeout_is_retried_then_reported() -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    source, _, clock = source_for(reply, http_timeout=9)

    with pytest.raises(SourceError, match=r"^timed out after 9 s after 3 attempts$"):
        await source.collect(WINDOW, [make_paper(1)])
    # Backoff 1 s then the limiter's remaining 2 s; backoff 2 s then its remaining 1 s.
    assert clock.sleeps == [1.0, 2.0, 2.0, 1.0]


async def test_malformed_entries_are_skipped_and_counted_never_ok() -> None:
    """``null`` is an unknown id (fine); an entry that is not an object, or a text count, is not."""
    text_count = record("2104.04002") | {"citationCount": "4"}

    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[record("2104.04001"), text_count, None, "2104.04004"])

    papers = [make_paper(n) for n in range(1, 5)]
    source, _, _ = source_for(reply)
    collected = await source.collect(WINDOW, papers)
    assert sorted(collected.signals) == ["2104.04001", "2104.04002"]
    assert collected.signals["2104.04002"].citations is None
    assert collected.problems == [
        "1 non-object entry skipped",
        "1 paper with counts that are not numbers (unknown)",
    ]


async def test_a_clean_batch_with_unknown_ids_has_no_problems() -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[record("2104.04001"), None])

    source, _, _ = source_for(reply)
    collected = await source.collect(WINDOW, [make_paper(1), make_paper(2)])
    assert collected.problems == [] and list(collected.signals) == ["2104.04001"]
