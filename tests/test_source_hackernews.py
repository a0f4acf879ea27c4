"""The Hacker News source against a fake Algolia written here (httpx.MockTransport)."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bot.clock import FakeClock
from bot.config import Settings
from bot.models import Post, Signals
from bot.sources.base import Window
from bot.sources.hackernews import HackerNewsSource, unix_seconds, window_unix_range
from bot.sources.http import SourceError
from tests.factories import make_paper

UTC = dt.UTC
WINDOW = Window(
    date=dt.date(2021, 4, 12),
    start=dt.datetime(2021, 4, 9, 18, 0, tzinfo=UTC),
    end=dt.datetime(2021, 4, 12, 18, 0, tzinfo=UTC),
)
START, END = 1617991200, 1618250400
BASE = "https://hn.test/api/v1/search_by_date"


def story(n: int, created: int, url: str | None = None, **kw: Any) -> dict[str, Any]:
    """A story hit shaped like Algolia's (keys as the API names them)."""
    return {
        "objectID": str(n),
        "title": f"Story {n}",
        "url": url if url is not None else f"https://arxiv.org/abs/2104.{10000 + n}",
        "author": f"user{n}",
        "points": 10,
        "num_comments": 3,
        "created_at": dt.datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "created_at_i": created,
        "story_id": n,
        "_tags": ["story", f"author_user{n}", f"story_{n}"],
        **kw,
    }


class FakeAlgolia:
    """``search_by_date`` over ``stories``: numeric filters, newest first, 1,000 reachable hits."""

    def __init__(self, stories: list[dict[str, Any]], max_per_page: int = 1000) -> None:
        self.stories = stories
        self.max_per_page = max_per_page
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        low, high = map(int, re.findall(r"\d+", request.url.params["numericFilters"]))
        matching = [s for s in self.stories if low <= s["created_at_i"] < high]
        matching.sort(key=lambda s: (s["created_at_i"], int(s["objectID"])), reverse=True)
        per_page = min(int(request.url.params["hitsPerPage"]), self.max_per_page)
        page = int(request.url.params["page"])
        reachable = matching[:1000]
        body = {
            "hits": reachable[page * per_page : (page + 1) * per_page],
            "hitsPerPage": per_page,
            "nbHits": len(matching),
            "nbPages": math.ceil(len(reachable) / per_page),
            "page": page,
            "exhaustiveNbHits": True,
        }
        return httpx.Response(200, json=body)

    def ranges(self) -> list[tuple[str, str]]:
        return [(r.url.params["numericFilters"], r.url.params["page"]) for r in self.requests]


def source_for(
    reply: Callable[[httpx.Request], httpx.Response], **settings: Any
) -> tuple[HackerNewsSource, FakeClock]:
    clock = FakeClock(dt.datetime(2021, 4, 13, 12, tzinfo=UTC))
    client = httpx.AsyncClient(transport=httpx.MockTransport(reply))
    config = Settings(_env_file=None, hn_api_url="https://hn.test/api/v1", **settings)
    return HackerNewsSource(client, config, clock), clock


def test_window_as_unix_seconds() -> None:
    assert window_unix_range(WINDOW) == (START, END)
    assert unix_seconds(dt.datetime(2021, 4, 9, 18, 0)) == START  # naive is UTC
    late = dt.datetime(2021, 4, 12, 18, 0, 0, 500, tzinfo=UTC)
    assert unix_seconds(late) == END and unix_seconds(late, round_up=True) == END + 1
    eastern = dt.timezone(dt.timedelta(hours=-4))
    assert unix_seconds(dt.datetime(2021, 4, 9, 14, 0, tzinfo=eastern)) == START


async def test_one_bulk_search_of_the_window_with_exact_parameters() -> None:
    algolia = FakeAlgolia([story(1, START + 5)])
    source, _ = source_for(algolia)

    await source.collect(WINDOW, [make_paper(1)])

    assert [str(r.url) for r in algolia.requests] == [
        f"{BASE}?query=arxiv.org&restrictSearchableAttributes=url&tags=story"
        f"&numericFilters=created_at_i%3E%3D{START}%2Ccreated_at_i%3C{END}&hitsPerPage=1000&page=0"
    ]
    assert algolia.requests[0].method == "GET"


async def test_stories_become_posts_and_signals() -> None:
    hits = [
        story(1, START + 100, "https://arxiv.org/pdf/2104.04001v2.pdf", points=50, num_comments=10),
        story(2, START + 200, "https://arxiv.org/abs/2104.04001", points=120, num_comments=5),
        story(3, START + 300, "https://www.alphaxiv.org/abs/2104.04002", points=None),
        story(4, START + 400, "https://example.com/blog"),  # not arXiv
        {**story(5, START + 500), "url": None},  # Ask HN: no url
        {"objectID": "6", "url": "https://arxiv.org/abs/2104.04003", "created_at_i": START + 600},
    ]
    source, _ = source_for(FakeAlgolia(hits))

    collected = await source.collect(WINDOW, [])

    assert collected.posts[0] == Post(
        platform="hackernews",
        post_id="2",
        author="user2",
        text="Story 2",
        url="https://news.ycombinator.com/item?id=2",
        arxiv_ids=("2104.04001",),
        likes=120,
        replies=5,
        created_at=dt.datetime(2021, 4, 9, 18, 3, 20, tzinfo=UTC),
    )
    assert [(p.post_id, p.arxiv_ids, p.likes, p.replies) for p in collected.posts] == [
        ("2", ("2104.04001",), 120, 5),
        ("1", ("2104.04001",), 50, 10),
        ("3", ("2104.04002",), None, 3),
        ("6", ("2104.04003",), None, None),
    ]
    assert collected.posts[-1].author == "" and collected.posts[-1].text == ""
    assert collected.signals == {
        # Points of the top story (not 170: a resubmission is the same audience); comments summed.
        "2104.04001": Signals(
            hn_points=120, hn_comments=15, hn_url="https://news.ycombinator.com/item?id=2"
        ),
        "2104.04002": Signals(
            hn_points=None, hn_comments=3, hn_url="https://news.ycombinator.com/item?id=3"
        ),
        "2104.04003": Signals(
            hn_points=None, hn_comments=0, hn_url="https://news.ycombinator.com/item?id=6"
        ),
    }


async def test_pages_until_nb_pages_when_the_server_caps_page_size() -> None:
    algolia = FakeAlgolia([story(n, START + n) for n in range(1, 801)], max_per_page=300)
    source, _ = source_for(algolia)

    collected = await source.collect(WINDOW, [])

    filters = f"created_at_i>={START},created_at_i<{END}"
    assert algolia.ranges() == [(filters, "0"), (filters, "1"), (filters, "2")]
    assert len(collected.posts) == 800


async def test_2500_stories_cost_3_requests_whatever_the_number_of_papers() -> None:
    stories = [story(n, START + 60 * n) for n in range(1, 2501)]
    algolia = FakeAlgolia(stories)
    source, _ = source_for(algolia)
    papers = [make_paper(n, arxiv_id=f"2104.{10000 + n}") for n in range(1, 1501)]

    collected = await source.collect(WINDOW, papers)

    # Newest first: the first answer holds stories 2500..1501, so the rest ends at 1501's second;
    # the second holds 1501..502 (1501 again: its second is asked twice), the third 502..1.
    assert algolia.ranges() == [
        (f"created_at_i>={START},created_at_i<{END}", "0"),
        (f"created_at_i>={START},created_at_i<{START + 60 * 1501 + 1}", "0"),
        (f"created_at_i>={START},created_at_i<{START + 60 * 502 + 1}", "0"),
    ]
    assert source.requests == 3
    assert sorted(int(p.post_id) for p in collected.posts) == list(range(1, 2501))
    assert len(collected.signals) == 2500


async def test_stories_sharing_the_boundary_second_are_kept_once() -> None:
    stories = [story(n, START + 1000 + n) for n in range(1, 998)]
    stories += [story(n, START + 500) for n in range(998, 1004)]  # 6 in one second, cut at 1,000
    algolia = FakeAlgolia(stories)
    source, _ = source_for(algolia)

    collected = await source.collect(WINDOW, [])

    assert algolia.ranges()[1] == (f"created_at_i>={START},created_at_i<{START + 501}", "0")
    assert len(algolia.requests) == 2
    assert sorted(int(p.post_id) for p in collected.posts) == list(range(1, 1004))


async def test_more_than_a_full_answer_in_one_second_still_ends() -> None:
    algolia = FakeAlgolia([story(n, START + 7) for n in range(1, 1201)])
    source, _ = source_for(algolia)

    collected = await source.collect(WINDOW, [])

    # Asking up to that second's end again tells nothing new, so the second itself is dropped.
    assert algolia.ranges() == [
        (f"created_at_i>={START},created_at_i<{END}", "0"),
        (f"created_at_i>={START},created_at_i<{START + 8}", "0"),
        (f"created_at_i>={START},created_at_i<{START + 7}", "0"),
    ]
    assert len(collected.posts) == 1000


async def test_a_server_ignoring_the_time_filter_costs_a_bounded_number_of_requests() -> None:
    hits = [story(n, START + 7) for n in range(1, 1001)]
    body = {"hits": hits, "nbHits": 5000, "nbPages": 1, "hitsPerPage": 1000}
    source, _ = source_for(lambda _: httpx.Response(200, json=body))

    collected = await source.collect(WINDOW, [])

    assert source.requests == 3
    assert len(collected.posts) == 1000


async def test_429_honours_retry_after() -> None:
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "12"}),
            httpx.Response(200, json={"hits": [story(1, START)], "nbHits": 1, "nbPages": 1}),
        ]
    )
    source, clock = source_for(lambda _: next(answers))

    collected = await source.collect(WINDOW, [])

    assert clock.sleeps == [12.0]
    assert source.requests == 2
    assert [p.post_id for p in collected.posts] == ["1"]


async def test_empty_window() -> None:
    source, _ = source_for(FakeAlgolia([]))
    collected = await source.collect(WINDOW, [make_paper(1)])
    assert (collected.posts, collected.signals, source.requests) == ([], {}, 1)


NO_HITS = "unexpected response (no hits list)"


def _timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectTimeout("slow", request=request)


@pytest.mark.parametrize(
    ("reply", "message", "requests"),
    [
        (lambda _: httpx.Response(502), "HTTP 502 after 2 attempts", 2),
        (_timeout, "timed out after 5 s after 2 attempts", 2),
        (lambda _: httpx.Response(400, json={"message": "bad"}), "HTTP 400", 1),
        (lambda _: httpx.Response(200, text="{not json"), "malformed JSON in response", 1),
        (
            lambda _: httpx.Response(200, json={"nbHits": 3}),
            "unexpected response (no hits list)",
            1,
        ),
        (lambda _: httpx.Response(200, json=[]), "unexpected response (no hits list)", 1),
    ],
)
async def test_failures_raise_a_short_source_error(
    reply: Callable[[httpx.Request], httpx.Response], message: str, requests: int
) -> None:
    source, _ = source_for(reply, http_retries=1, http_timeout=5)

    with pytest.raises(SourceError) as caught:
        await source.collect(WINDOW, [])

    assert str(caught.value) == message
    assert source.requests == requests


def test_needs_no_credentials() -> None:
    source, _ = source_for(FakeAlgolia([]))
    assert (source.name, source.scope, source.skip_reason()) == ("hackernews", "window", None)


@pytest.mark.parametrize("stamp", [2**70, float("inf"), float("nan"), -5, "1618250000", None])
def test_a_story_with_an_impossible_time_keeps_its_place_without_one(stamp: object) -> None:
    from bot.sources.hackernews import post_of

    hit = {"objectID": "1", "url": "https://arxiv.org/abs/2104.04015", "title": "t",
           "points": 3, "created_at_i": stamp}  # fmt: skip
    post = post_of(hit)
    assert post is not None and post.created_at is None and post.likes == 3


async def test_malformed_hits_are_skipped_and_counted_never_ok() -> None:
    """Before: hits that were not objects, had no objectID or text counts were dropped or taken
    as unknown silently, and the source said ok."""
    hits: list[Any] = [
        story(1, START + 10),
        story(2, START + 20, points="10"),
        {"title": "no id", "url": "https://arxiv.org/abs/2104.10003", "created_at_i": START + 30},
        "a string",
    ]
    body = {"hits": hits, "nbHits": "4", "nbPages": 1, "hitsPerPage": 1000}
    source, _ = source_for(lambda _: httpx.Response(200, json=body))

    collected = await source.collect(WINDOW, [])

    assert [p.post_id for p in collected.posts] == ["1", "2"]
    assert [p.likes for p in collected.posts] == [10, None]
    assert collected.problems == [
        "Hacker News answered nbHits that is not a number",
        "2 hits without an objectID skipped",
        "1 story with counts that are not numbers (unknown)",
    ]


async def test_a_server_ignoring_the_time_filter_is_degraded() -> None:
    stories = [story(n, START + n) for n in range(1, 6)]
    body = {"hits": stories, "nbHits": 5000, "nbPages": 1, "hitsPerPage": 1000}
    source, _ = source_for(lambda _: httpx.Response(200, json=body))
    # The same five every time: the range narrows to START + 2, then START + 1, whose answer
    # still holds a story of START + 1 (at or past the range's end): the filter was ignored.
    collected = await source.collect(WINDOW, [])
    assert len(collected.posts) == 5 and source.requests == 3
    assert collected.problems == ["time filter ignored; truncated after 15 hits"]


async def test_a_clean_answer_has_no_problems() -> None:
    source, _ = source_for(FakeAlgolia([story(n, START + n) for n in range(1, 4)]))
    assert (await source.collect(WINDOW, [])).problems == []
