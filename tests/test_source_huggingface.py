"""The Hugging Face Daily Papers source against listings written here (httpx.MockTransport)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bot.clock import FakeClock
from bot.config import Settings
from bot.models import Signals
from bot.sources.base import Window
from bot.sources.http import SourceError
from bot.sources.huggingface import HuggingFaceSource, listing_days
from tests.factories import make_paper

UTC = dt.UTC
WINDOW = Window(
    date=dt.date(2021, 4, 12),
    start=dt.datetime(2021, 4, 9, 18, 0, tzinfo=UTC),
    end=dt.datetime(2021, 4, 12, 18, 0, tzinfo=UTC),
)
BASE = "https://hf.test/api/daily_papers"


def item(arxiv_id: str, upvotes: int = 5, **paper: Any) -> dict[str, Any]:
    """A listing item shaped like the real one (upvotes inside ``paper``, comments outside)."""
    return {
        "paper": {
            "id": arxiv_id,
            "title": f"Paper {arxiv_id}",
            "upvotes": upvotes,
            "publishedAt": "2021-04-09T00:00:00.000Z",
            "submittedOnDailyAt": "2021-04-12T00:00:00.000Z",
            "ai_summary": f"Summary of {arxiv_id}.",
            **paper,
        },
        "publishedAt": "2021-04-12T08:00:00.000Z",
        "title": f"Paper {arxiv_id}",
        "thumbnail": f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{arxiv_id}.png",
        "numComments": 2,
        "submittedBy": {"name": "someone"},
    }


class Recorder:
    """Answers each request with ``reply(request)`` and remembers what was asked."""

    def __init__(self, reply: Callable[[httpx.Request], httpx.Response]) -> None:
        self.reply = reply
        self.urls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        return self.reply(request)


def source_for(
    reply: Callable[[httpx.Request], httpx.Response], now: dt.datetime
) -> tuple[HuggingFaceSource, Recorder, FakeClock]:
    recorder = Recorder(reply)
    clock = FakeClock(now)
    client = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    settings = Settings(_env_file=None, hf_api_url="https://hf.test/api/", http_retries=3)
    return HuggingFaceSource(client, settings, clock), recorder, clock


def by_date(listings: dict[str, list[Any]]) -> Callable[[httpx.Request], httpx.Response]:
    """A server holding ``listings[date]``, paged by ``limit`` and ``p`` like the real one."""

    def reply(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        limit, page = int(params["limit"]), int(params["p"])
        day = listings.get(params["date"], [])
        return httpx.Response(200, json=day[page * limit : (page + 1) * limit])

    return reply


def test_days_run_from_the_listing_date_and_never_into_the_future() -> None:
    assert listing_days(WINDOW, dt.date(2021, 4, 20)) == [
        dt.date(2021, 4, 12),
        dt.date(2021, 4, 13),
        dt.date(2021, 4, 14),
        dt.date(2021, 4, 15),
    ]
    assert listing_days(WINDOW, dt.date(2021, 4, 13)) == [
        dt.date(2021, 4, 12),
        dt.date(2021, 4, 13),
    ]
    assert listing_days(WINDOW, dt.date(2021, 4, 11)) == []


async def test_asks_each_day_and_joins_by_arxiv_id() -> None:
    listings = {
        "2021-04-12": [item("2104.04001", 30, githubRepo="https://github.com/a/b", githubStars=7)],
        "2021-04-13": [item("2104.04002", 4, projectPage="https://example.org/p2")],
    }
    source, recorder, _ = source_for(by_date(listings), dt.datetime(2021, 4, 13, 9, tzinfo=UTC))

    collected = await source.collect(WINDOW, [make_paper(1), make_paper(2), make_paper(3)])

    assert recorder.urls == [
        f"{BASE}?date=2021-04-12&limit=100&p=0",
        f"{BASE}?date=2021-04-13&limit=100&p=0",
    ]
    assert collected.posts == []
    assert collected.signals == {
        "2104.04001": Signals(
            hf_upvotes=30,
            hf_comments=2,
            hf_ai_summary="Summary of 2104.04001.",
            hf_thumbnail="https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2104.04001.png",
            github_repo="https://github.com/a/b",
            github_stars=7,
        ),
        "2104.04002": Signals(
            hf_upvotes=4,
            hf_comments=2,
            hf_ai_summary="Summary of 2104.04002.",
            hf_thumbnail="https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2104.04002.png",
            project_page="https://example.org/p2",
        ),
    }
    assert source.requests == 2


async def test_only_the_papers_asked_about_unless_none_are_given() -> None:
    listings = {"2021-04-12": [item("2104.04001"), item("2104.09999"), item("2104.04002")]}
    source, _, _ = source_for(by_date(listings), dt.datetime(2021, 4, 12, 20, tzinfo=UTC))

    asked = await source.collect(WINDOW, [make_paper(2)])
    everything = await source.collect(WINDOW, [])

    assert list(asked.signals) == ["2104.04002"]
    assert list(everything.signals) == ["2104.04001", "2104.09999", "2104.04002"]


async def test_pages_while_full_and_requests_do_not_grow_with_papers() -> None:
    day_one = [item(f"2104.{10000 + n}", n) for n in range(230)]
    listings = {"2021-04-12": day_one, "2021-04-13": day_one[:100], "2021-04-14": []}
    source, recorder, _ = source_for(by_date(listings), dt.datetime(2021, 4, 14, 23, tzinfo=UTC))
    papers = [make_paper(n, arxiv_id=f"2104.{10000 + n}") for n in range(1500)]

    collected = await source.collect(WINDOW, papers)

    assert recorder.urls == [
        f"{BASE}?date=2021-04-12&limit=100&p=0",
        f"{BASE}?date=2021-04-12&limit=100&p=1",
        f"{BASE}?date=2021-04-12&limit=100&p=2",
        f"{BASE}?date=2021-04-13&limit=100&p=0",
        f"{BASE}?date=2021-04-13&limit=100&p=1",
        f"{BASE}?date=2021-04-14&limit=100&p=0",
    ]
    assert len(collected.signals) == 230
    assert collected.signals["2104.10229"].hf_upvotes == 229


async def test_a_server_ignoring_the_page_costs_at_most_ten_requests_a_day() -> None:
    full_page = [item(f"2104.{10000 + n}") for n in range(100)]
    source, recorder, _ = source_for(
        lambda _: httpx.Response(200, json=full_page), dt.datetime(2021, 4, 12, 20, tzinfo=UTC)
    )

    collected = await source.collect(WINDOW, [])

    assert recorder.urls[-1] == f"{BASE}?date=2021-04-12&limit=100&p=9"
    assert source.requests == 10
    assert len(collected.signals) == 100


async def test_a_paper_on_two_days_keeps_its_higher_count() -> None:
    listings = {"2021-04-12": [item("2104.04001", 3)], "2021-04-13": [item("2104.04001", 9)]}
    source, _, _ = source_for(by_date(listings), dt.datetime(2021, 4, 13, 9, tzinfo=UTC))

    collected = await source.collect(WINDOW, [make_paper(1)])

    assert collected.signals["2104.04001"].hf_upvotes == 9


async def test_missing_optional_keys_nulls_and_junk_are_tolerated() -> None:
    bare = {"paper": {"id": "2104.04001v2"}, "numComments": None}
    unsafe = item(
        "2104.04002", projectPage="javascript:alert(1)", githubRepo="https://x y", githubStars=None
    )
    unsafe["thumbnail"] = None
    junk = [None, "text", {"paper": None}, {"paper": {"id": "not an id"}}, {"title": "no paper"}]
    listings = {"2021-04-12": [bare, unsafe, *junk]}
    source, _, _ = source_for(by_date(listings), dt.datetime(2021, 4, 12, 20, tzinfo=UTC))

    collected = await source.collect(WINDOW, [])

    assert collected.signals == {
        "2104.04001": Signals(),
        "2104.04002": Signals(hf_upvotes=5, hf_comments=2, hf_ai_summary="Summary of 2104.04002."),
    }


async def test_429_waits_for_retry_after_then_succeeds() -> None:
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(200, json=[item("2104.04001")]),
        ]
    )
    source, recorder, clock = source_for(
        lambda _: next(answers), dt.datetime(2021, 4, 12, 20, tzinfo=UTC)
    )

    collected = await source.collect(WINDOW, [])

    assert clock.sleeps == [7.0]
    assert len(recorder.urls) == 2
    assert list(collected.signals) == ["2104.04001"]


async def test_requests_within_the_anonymous_budget_go_at_once() -> None:
    source, recorder, clock = source_for(by_date({}), dt.datetime(2021, 4, 15, 20, tzinfo=UTC))

    await source.collect(WINDOW, [])

    assert len(recorder.urls) == 4  # four days, one page each
    assert clock.sleeps == []  # 4 of 500 per 5 minutes: no spacing


async def test_the_501st_request_in_five_minutes_waits_for_the_window() -> None:
    source, recorder, clock = source_for(by_date({}), dt.datetime(2021, 4, 13, 20, tzinfo=UTC))
    for _ in range(499):  # 499 requests of this process already went out just now
        await source.http.limiter.wait()
    clock.advance(100.0)

    await source.collect(WINDOW, [])

    assert len(recorder.urls) == 2  # the 500th goes at once, the 501st when the first is 300 s old
    assert clock.sleeps == [pytest.approx(200.0)]


@pytest.mark.parametrize(
    ("reply", "message", "requests"),
    [
        (lambda _: httpx.Response(503), "HTTP 503 after 4 attempts", 4),
        (lambda _: httpx.Response(403, text="forbidden"), "HTTP 403", 1),
        (lambda _: httpx.Response(200, text="<html>oops"), "malformed JSON in response", 1),
        (
            lambda _: httpx.Response(200, json={"error": "x"}),
            "unexpected response (not a list of papers)",
            1,
        ),
    ],
)
async def test_failures_raise_a_short_source_error(
    reply: Callable[[httpx.Request], httpx.Response], message: str, requests: int
) -> None:
    source, _, _ = source_for(reply, dt.datetime(2021, 4, 12, 20, tzinfo=UTC))

    with pytest.raises(SourceError) as caught:
        await source.collect(WINDOW, [make_paper(1)])

    assert str(caught.value) == message
    assert source.requests == requests


async def test_timeout_is_retried_then_reported() -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    source, _, clock = source_for(reply, dt.datetime(2021, 4, 12, 20, tzinfo=UTC))

    with pytest.raises(SourceError, match=r"^timed out after 20 s after 4 attempts$"):
        await source.collect(WINDOW, [])
    assert clock.sleeps == [1.0, 2.0, 4.0]


def test_needs_no_credentials() -> None:
    source, _, _ = source_for(by_date({}), dt.datetime(2021, 4, 12, tzinfo=UTC))
    assert (source.name, source.scope, source.skip_reason()) == ("huggingface", "window", None)


async def test_malformed_items_are_skipped_and_counted_never_ok() -> None:
    """Before: items without a paper and counts that are text were dropped or unknown, silently,
    and the source said ok. Now the good items count and the problems are named."""
    good = item("2104.04001", upvotes=7)
    text_votes = item("2104.04002") | {"numComments": "2"}
    text_votes["paper"] = text_votes["paper"] | {"upvotes": "12"}
    listing = [good, text_votes, {"paper": "2104.04003"}, {"paper": {"id": 2104.04004}}, "x"]
    source, _, _ = source_for(
        by_date({"2021-04-12": listing}), dt.datetime(2021, 4, 12, 20, tzinfo=UTC)
    )

    collected = await source.collect(WINDOW, [])

    assert sorted(collected.signals) == ["2104.04001", "2104.04002"]
    assert collected.signals["2104.04002"].hf_upvotes is None
    assert collected.problems == [
        "3 items without a paper id skipped",
        "1 item with counts that are not numbers (unknown)",
    ]


async def test_a_day_past_its_page_cap_is_kept_and_said_truncated() -> None:
    endless = [item(f"2104.{n:05d}") for n in range(1, 1201)]
    source, recorder, _ = source_for(
        by_date({"2021-04-12": endless}), dt.datetime(2021, 4, 12, 20, tzinfo=UTC)
    )
    collected = await source.collect(WINDOW, [])
    assert len(recorder.urls) == 10
    assert len(collected.signals) == 1000
    assert collected.problems == ["truncated after 1000 papers of 2021-04-12"]


async def test_a_clean_listing_has_no_problems() -> None:
    listing = [item("2104.04001"), item("2104.04002")]
    source, _, _ = source_for(
        by_date({"2021-04-12": listing}), dt.datetime(2021, 4, 12, 20, tzinfo=UTC)
    )
    assert (await source.collect(WINDOW, [])).problems == []
