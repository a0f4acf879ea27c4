"""X recent search against a scripted API behind httpx.MockTransport (no network, no sleeping)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bot.clock import FakeClock
from bot.config import Settings
from bot.models import Post
from bot.sources.base import Window
from bot.sources.budget import bounded
from bot.sources.http import SourceError, SourceSkipped
from bot.sources.x import NO_CREDENTIALS, OUT_OF_REACH, XSource
from tests.factories import make_paper

UTC = dt.UTC
TOKEN = "AAAA-bearer-SECRET-token"
NOW = dt.datetime(2021, 4, 13, 12, 0, tzinfo=UTC)  # FakeClock's start
WINDOW = Window(
    dt.date(2021, 4, 12),
    dt.datetime(2021, 4, 9, 18, 0, tzinfo=UTC),
    dt.datetime(2021, 4, 12, 18, 0, tzinfo=UTC),
)
SEARCH_URL = "https://api.x.com/2/tweets/search/recent"
PARAMS = {
    "query": 'url:"arxiv.org" -is:retweet',
    "start_time": "2021-04-09T18:00:00Z",
    "end_time": "2021-04-12T18:00:00Z",
    "max_results": "100",
    "tweet.fields": "created_at,public_metrics,author_id,entities,referenced_tweets",
    "expansions": "author_id",
    "user.fields": "username,name,public_metrics",
}
Answer = Callable[[httpx.Request], httpx.Response]


def tweet(n: int, arxiv_id: str = "2104.04001", **kw: Any) -> dict[str, Any]:
    """A tweet shaped like v2 recent search with the fields we ask for."""
    data: dict[str, Any] = {
        "id": str(1381000000000000000 + n),
        "edit_history_tweet_ids": [str(1381000000000000000 + n)],
        "author_id": str(100 + n),
        "created_at": "2021-04-12T10:00:00.000Z",
        "text": f"Neat result https://t.co/abc{n}",
        "entities": {
            "urls": [
                {
                    "start": 12,
                    "end": 35,
                    "url": f"https://t.co/abc{n}",
                    "expanded_url": f"https://arxiv.org/abs/{arxiv_id}",
                    "display_url": f"arxiv.org/abs/{arxiv_id}",
                }
            ]
        },
        "public_metrics": {
            "retweet_count": 2,
            "reply_count": 1,
            "like_count": 10 + n,
            "quote_count": 3,
            "bookmark_count": 0,
            "impression_count": 500,
        },
    }
    data.update(kw)
    return data


def user(n: int) -> dict[str, Any]:
    return {
        "id": str(100 + n),
        "username": f"user{n}",
        "name": f"User {n}",
        "public_metrics": {"followers_count": 1000 * n, "following_count": 5},
    }


def page(tweets: list[dict[str, Any]], next_token: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"meta": {"result_count": len(tweets)}}
    if tweets:
        body["data"] = tweets
        body["includes"] = {"users": [user(int(t["author_id"]) - 100) for t in tweets]}
    if next_token:
        body["meta"]["next_token"] = next_token
    return body


def reply(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Answer:
    if isinstance(body, bytes):
        return lambda request: httpx.Response(status, content=body, headers=headers)
    return lambda request: httpx.Response(status, json=body, headers=headers)


def paged(tweets: list[dict[str, Any]], size: int = 100) -> Answer:
    """Recent search over ``tweets``; next_token is the offset."""

    def answer(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params.get("next_token", "0"))
        more = offset + size < len(tweets)
        body = page(tweets[offset : offset + size], str(offset + size) if more else None)
        return httpx.Response(200, json=body)

    return answer


class FakeX:
    """Answers from a script; the last answer repeats."""

    def __init__(self, *script: Answer) -> None:
        self.script = list(script)
        self.sent: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        answer = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        return answer(request)


def source(api: FakeX, clock: FakeClock | None = None, **kw: Any) -> XSource:
    max_pages = kw.pop("max_pages", 100)
    values: dict[str, Any] = {"x_bearer_token": TOKEN, "http_retries": 2, "http_timeout": 5.0}
    values.update(kw)
    conf = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    client = httpx.AsyncClient(transport=httpx.MockTransport(api))
    return XSource(client, conf, clock or FakeClock(), max_pages=max_pages)


async def test_collect_sends_exact_requests_and_maps_tweets(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    api = FakeX(paged([tweet(1), tweet(2, "2104.04002")], size=1))
    src = source(api)
    collected = await src.collect(WINDOW, [])

    assert [r.url.copy_with(query=None) for r in api.sent] == [SEARCH_URL, SEARCH_URL]
    assert [r.method for r in api.sent] == ["GET", "GET"]
    assert dict(api.sent[0].url.params) == PARAMS
    assert dict(api.sent[1].url.params) == {**PARAMS, "next_token": "1"}
    assert {r.headers["Authorization"] for r in api.sent} == {"Bearer " + TOKEN}
    assert src.requests == 2
    assert collected.posts[0] == Post(
        platform="x",
        post_id="1381000000000000001",
        author="user1",
        author_name="User 1",
        text="Neat result https://t.co/abc1",
        url="https://x.com/user1/status/1381000000000000001",
        arxiv_ids=("2104.04001",),
        likes=11,
        reposts=2,
        replies=1,
        quotes=3,
        author_followers=1000,
        created_at=dt.datetime(2021, 4, 12, 10, 0, tzinfo=UTC),
    )
    assert [p.arxiv_ids for p in collected.posts] == [("2104.04001",), ("2104.04002",)]
    assert TOKEN not in caplog.text


async def test_configured_base_url_is_used():
    api = FakeX(reply(200, {"meta": {"result_count": 0}}))
    await source(api, x_api_url="http://127.0.0.1:9000/x/2/").collect(WINDOW, [])
    assert api.sent[0].url.copy_with(query=None) == "http://127.0.0.1:9000/x/2/tweets/search/recent"


async def test_no_data_key_means_no_tweets():
    api = FakeX(reply(200, {"meta": {"result_count": 0}}))
    collected = await source(api).collect(WINDOW, [make_paper(1)])
    assert collected.posts == []
    assert len(api.sent) == 1


async def test_ids_from_expanded_and_unwound_urls_only_wanted_papers_kept():
    unwound = tweet(1, "2104.09999")
    unwound["entities"]["urls"][0].update(
        expanded_url="https://t.co/redirect", unwound_url="https://arxiv.org/pdf/2104.04003v2.pdf"
    )
    retweet = tweet(2, referenced_tweets=[{"type": "retweeted", "id": "9"}], text="RT @a: x")
    quoted = tweet(3, referenced_tweets=[{"type": "quoted", "id": "8"}])
    no_link = tweet(4, entities={})
    unknown_paper = tweet(5, "2104.08888")
    api = FakeX(paged([unwound, retweet, quoted, no_link, unknown_paper]))
    collected = await source(api).collect(WINDOW, [make_paper(1), make_paper(3)])
    assert [(p.author, p.arxiv_ids) for p in collected.posts] == [
        ("user1", ("2104.04003",)),
        ("user3", ("2104.04001",)),
    ]


async def test_missing_optional_keys_give_unknown_counts_and_a_generic_url():
    bare = {"id": "1381000000000000007", "text": "arXiv:2104.04001 is out"}
    api = FakeX(reply(200, {"data": [bare], "meta": {"result_count": 1}}))
    collected = await source(api).collect(WINDOW, [])
    assert collected.posts == [
        Post(
            platform="x",
            post_id="1381000000000000007",
            author="",
            text="arXiv:2104.04001 is out",
            url="https://x.com/i/web/status/1381000000000000007",
            arxiv_ids=("2104.04001",),
        )
    ]


async def test_a_window_out_of_reach_is_skipped_without_a_request():
    api = FakeX(paged([]))
    old = Window(dt.date(2021, 4, 1), NOW - dt.timedelta(days=10), NOW - dt.timedelta(days=8))
    with pytest.raises(SourceSkipped) as err:
        await source(api).collect(old, [])
    assert str(err.value) == OUT_OF_REACH == "X recent search only reaches 7 days back"
    assert api.sent == []


async def test_a_window_reaching_past_seven_days_or_into_the_future_is_clamped():
    api = FakeX(paged([]))
    wide = Window(dt.date(2021, 4, 12), NOW - dt.timedelta(days=9), NOW + dt.timedelta(hours=6))
    await source(api).collect(wide, [])
    params = api.sent[0].url.params
    assert (params["start_time"], params["end_time"]) == (
        "2021-04-06T12:01:00Z",
        "2021-04-13T11:59:30Z",
    )


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (401, "X rejected the bearer token (401)"),
        (403, "X refused the search (403): the app's access tier may not include recent search"),
        (400, "X rejected the search (HTTP 400)"),
    ],
)
async def test_auth_and_client_errors_are_short_and_not_retried(status, message, caplog):
    caplog.set_level(logging.DEBUG)
    clock = FakeClock()
    body = {"title": "Unauthorized", "type": "about:blank", "status": status, "detail": TOKEN}
    api = FakeX(reply(status, body))
    with pytest.raises(SourceError) as err:
        await source(api, clock).collect(WINDOW, [])
    assert str(err.value) == message
    assert len(api.sent) == 1
    assert clock.sleeps == []
    assert TOKEN not in str(err.value) + repr(err.value) + caplog.text


async def test_429_honours_retry_after():
    clock = FakeClock()
    limited = reply(429, {"title": "Too Many Requests", "status": 429}, {"Retry-After": "9"})
    api = FakeX(limited, paged([tweet(1)]))
    collected = await source(api, clock).collect(WINDOW, [])
    assert clock.sleeps == [9.0]
    assert len(api.sent) == 2
    assert len(collected.posts) == 1


async def test_429_honours_x_rate_limit_reset():
    clock = FakeClock()
    reset = str(int(NOW.timestamp()) + 75)
    headers = {
        "x-rate-limit-limit": "450",
        "x-rate-limit-remaining": "0",
        "x-rate-limit-reset": reset,
    }
    api = FakeX(reply(429, {"title": "Too Many Requests"}, headers), paged([tweet(1)]))
    await source(api, clock).collect(WINDOW, [])
    assert clock.sleeps == [75.0]
    assert len(api.sent) == 2


async def test_spent_rate_limit_window_waits_for_its_reset_before_the_next_page():
    clock = FakeClock()
    reset = str(int(NOW.timestamp()) + 60)
    spent = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": reset}
    api = FakeX(
        lambda r: httpx.Response(200, json=page([tweet(1)], "p2"), headers=spent),
        reply(200, page([tweet(2)])),
    )
    collected = await source(api, clock).collect(WINDOW, [])
    assert clock.sleeps == [60.0]
    assert api.sent[1].url.params["next_token"] == "p2"
    assert len(collected.posts) == 2


async def test_spent_rate_limit_with_a_far_reset_keeps_what_was_found(caplog):
    clock = FakeClock()
    spent = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(NOW.timestamp()) + 800)}
    api = FakeX(lambda r: httpx.Response(200, json=page([tweet(1)], "p2"), headers=spent))
    collected = await source(api, clock).collect(WINDOW, [])
    assert len(api.sent) == 1
    assert len(collected.posts) == 1
    assert clock.sleeps == []
    assert "x: rate limit spent after 1 pages; kept what was found" in caplog.text
    # NOW + 800 s is 12:13:20, said as the minute after (degraded: the window has more tweets).
    assert collected.problems == ["rate-limited until 12:14 UTC after 1 page"]


async def test_a_reset_past_the_deadline_is_not_waited_for_and_keeps_what_was_found():
    clock = FakeClock()
    spent = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(NOW.timestamp()) + 90)}
    api = FakeX(lambda r: httpx.Response(200, json=page([tweet(1)], "p2"), headers=spent))
    collected = await bounded(clock, 60, source(api, clock).collect(WINDOW, []))
    assert len(api.sent) == 1 and clock.sleeps == []
    assert len(collected.posts) == 1
    assert collected.problems == ["rate-limited until 12:02 UTC after 1 page"]


async def test_server_errors_and_timeouts_are_bounded():
    clock = FakeClock()
    api = FakeX(reply(503, {"title": "Service Unavailable"}))
    with pytest.raises(SourceError, match="^HTTP 503 after 3 attempts$"):
        await source(api, clock).collect(WINDOW, [])
    assert len(api.sent) == 3
    assert clock.sleeps == [1.0, 2.0]  # the backoffs: 3 requests fit 450 / 15 min at once

    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("connect timed out", request=request)

    with pytest.raises(SourceError, match="^timed out after 5 s after 3 attempts$"):
        await source(FakeX(hang)).collect(WINDOW, [])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>oops</html>", "malformed JSON in response"),
        ({"data": {"id": "1"}}, "malformed recent search response"),
        (["data"], "malformed recent search response"),
    ],
)
async def test_malformed_answers_are_source_errors(body: Any, message: str):
    with pytest.raises(SourceError) as err:
        await source(FakeX(reply(200, body))).collect(WINDOW, [])
    assert str(err.value) == message


async def test_requests_scale_with_tweets_not_papers():
    tweets = [tweet(n, f"2104.{10000 + n % 1500:05d}") for n in range(2500)]
    papers = [make_paper(n, arxiv_id=f"2104.{10000 + n:05d}") for n in range(1500)]
    api = FakeX(paged(tweets))
    src = source(api)
    collected = await src.collect(WINDOW, papers)
    assert len(api.sent) == src.requests == 25
    assert len(collected.posts) == 2500


async def test_paging_stops_at_max_pages_and_says_so(caplog):
    api = FakeX(paged([tweet(n) for n in range(50)], size=10))
    collected = await source(api, max_pages=2).collect(WINDOW, [])
    assert len(api.sent) == 2
    assert len(collected.posts) == 20
    assert "x: stopped after 2 pages; the window has more tweets" in caplog.text
    assert collected.problems == ["truncated after 20 tweets"]


async def test_without_a_token_it_is_skipped_without_a_request():
    api = FakeX(paged([]))
    src = source(api, x_bearer_token=None)
    assert src.skip_reason() == NO_CREDENTIALS == "no credentials (set HOTPAPERS_X_BEARER_TOKEN)"
    with pytest.raises(SourceSkipped):
        await src.collect(WINDOW, [])
    assert api.sent == []
    assert source(api).skip_reason() is None
    assert (XSource.name, XSource.scope) == ("x", "window")


async def test_links_are_built_only_from_safe_usernames():
    sneaky = {"id": "1381000000000000009", "text": "arxiv.org/abs/2104.04001", "author_id": "7"}
    users = [{"id": "7", "username": "evil.example/phish#", "name": "Evil"}]
    api = FakeX(reply(200, {"data": [sneaky], "includes": {"users": users}, "meta": {}}))
    [post] = (await source(api).collect(WINDOW, [])).posts
    assert post.url == "https://x.com/i/web/status/1381000000000000009"
    assert post.author == "evil.example/phish#"


def test_mistyped_ids_of_authors_are_ignored_not_a_crash() -> None:
    from bot.sources.x import parse_search_page

    body = {
        "data": [
            {"id": "1", "text": "https://arxiv.org/abs/2104.04015", "author_id": ["u1"]},
            {"id": "2", "text": "https://arxiv.org/abs/2104.04473", "author_id": "u2"},
        ],
        "includes": {"users": [{"id": ["u1"], "username": "list"}, {"id": "u2", "username": "ok"}]},
    }
    posts = parse_search_page(body)
    assert [(p.post_id, p.arxiv_ids) for p in posts] == [
        ("1", ("2104.04015",)),
        ("2", ("2104.04473",)),
    ]
    assert "ok" in posts[1].author and "list" not in posts[0].author
