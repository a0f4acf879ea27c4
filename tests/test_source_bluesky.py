"""Bluesky source against a scripted PDS behind httpx.MockTransport (no network, no sleeping)."""

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
from bot.models import Post
from bot.sources.base import Window
from bot.sources.bluesky import FORBIDDEN, NO_CREDENTIALS, BlueskySource
from bot.sources.bluesky_posts import parse_post_view
from bot.sources.http import SourceError, SourceSkipped
from tests.factories import make_paper

UTC = dt.UTC
PASSWORD = "app-pass-SECRET-1234"
WINDOW = Window(
    dt.date(2021, 4, 12),
    dt.datetime(2021, 4, 9, 18, 0, tzinfo=UTC),
    dt.datetime(2021, 4, 12, 18, 0, tzinfo=UTC),
)
CREATE, REFRESH, SEARCH = (
    "com.atproto.server.createSession",
    "com.atproto.server.refreshSession",
    "app.bsky.feed.searchPosts",
)
Answer = Callable[[httpx.Request], httpx.Response]


def jwt(kind: str, n: int) -> str:
    return f"eyJ{kind}-JWT-SECRET-{n}"


def tokens(n: int) -> Answer:
    body = {
        "did": "did:plc:me",
        "handle": "me.bsky.social",
        "accessJwt": jwt("access", n),
        "refreshJwt": jwt("refresh", n),
    }
    return lambda request: httpx.Response(200, json=body)


def reply(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Answer:
    if isinstance(body, bytes):
        return lambda request: httpx.Response(status, content=body, headers=headers)
    return lambda request: httpx.Response(status, json=body, headers=headers)


def post_view(n: int, arxiv_id: str = "2104.04001", **record: Any) -> dict[str, Any]:
    """A postView shaped like the recorded searchPosts answer (fixtures/bluesky)."""
    view: dict[str, Any] = {
        "uri": f"at://did:plc:user{n}/app.bsky.feed.post/3kpost{n}",
        "cid": f"bafyrei{n}",
        "author": {
            "did": f"did:plc:user{n}",
            "handle": f"user{n}.bsky.social",
            "displayName": f"User {n}",
            "labels": [],
            "createdAt": "2023-01-01T00:00:00.000Z",
        },
        "record": {
            "$type": "app.bsky.feed.post",
            "createdAt": "2021-04-12T09:30:00.123Z",
            "text": f"Worth reading arxiv.org/abs/{arxiv_id[:7]}...",
            "facets": [
                {
                    "features": [
                        {
                            "$type": "app.bsky.richtext.facet#link",
                            "uri": f"https://arxiv.org/abs/{arxiv_id}v2",
                        }
                    ],
                    "index": {"byteStart": 14, "byteEnd": 38},
                }
            ],
            "langs": ["en"],
        },
        "replyCount": 1,
        "repostCount": 2,
        "likeCount": 3 + n,
        "quoteCount": 4,
        "indexedAt": "2021-04-12T09:30:01.000Z",
        "labels": [],
    }
    view["record"].update(record)
    return view


def paged(views: list[dict[str, Any]], size: int = 100) -> Answer:
    """searchPosts over ``views``: the cursor is the offset, as bsky.social does it."""

    def answer(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params.get("cursor", "0"))
        body: dict[str, Any] = {"posts": views[offset : offset + size]}
        if offset + size < len(views):
            body["cursor"] = str(offset + size)
        return httpx.Response(200, json=body)

    return answer


class FakePds:
    """Each XRPC method answers from its own script; the last answer repeats."""

    def __init__(
        self,
        search: list[Answer],
        create: list[Answer] | None = None,
        refresh: list[Answer] | None = None,
    ) -> None:
        self.sent: list[httpx.Request] = []
        self.scripts = {
            CREATE: create or [tokens(1)],
            REFRESH: refresh or [tokens(2)],
            SEARCH: search,
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        script = self.scripts[request.url.path.rsplit("/", 1)[-1]]
        answer = script.pop(0) if len(script) > 1 else script[0]
        return answer(request)

    @property
    def methods(self) -> list[str]:
        return [request.url.path.rsplit("/", 1)[-1] for request in self.sent]


def settings(**kw: Any) -> Settings:
    values: dict[str, Any] = {
        "bluesky_handle": "me.bsky.social",
        "bluesky_app_password": PASSWORD,
        "http_retries": 2,
        "http_timeout": 5.0,
    }
    values.update(kw)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def source(pds: FakePds, clock: FakeClock | None = None, **kw: Any) -> BlueskySource:
    client = httpx.AsyncClient(transport=httpx.MockTransport(pds))
    max_pages = kw.pop("max_pages", 100)
    return BlueskySource(client, settings(**kw), clock or FakeClock(), max_pages=max_pages)


def assert_no_secrets(text: str) -> None:
    for secret in (PASSWORD, "JWT-SECRET"):
        assert secret not in text


async def test_collect_sends_exact_requests_and_maps_posts(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    pds = FakePds([paged([post_view(1), post_view(2, "2104.04002")], size=1)])
    src = source(pds)
    collected = await src.collect(WINDOW, [])

    assert pds.methods == [CREATE, SEARCH, SEARCH]
    login = pds.sent[0]
    assert (login.method, str(login.url)) == (
        "POST",
        "https://bsky.social/xrpc/com.atproto.server.createSession",
    )
    assert json.loads(login.content) == {"identifier": "me.bsky.social", "password": PASSWORD}
    expected = {
        "q": "arxiv.org",
        "domain": "arxiv.org",
        "since": "2021-04-09T18:00:00Z",
        "until": "2021-04-12T18:00:00Z",
        "sort": "latest",
        "limit": "100",
    }
    first, second = pds.sent[1], pds.sent[2]
    assert first.method == "GET"
    assert first.url.copy_with(query=None) == "https://bsky.social/xrpc/app.bsky.feed.searchPosts"
    assert dict(first.url.params) == expected
    assert dict(second.url.params) == {**expected, "cursor": "1"}
    assert first.headers["Authorization"] == "Bearer " + jwt("access", 1)
    assert second.headers["Authorization"] == "Bearer " + jwt("access", 1)
    assert src.requests == 3
    assert collected.posts[0] == Post(
        platform="bluesky",
        post_id="at://did:plc:user1/app.bsky.feed.post/3kpost1",
        author="user1.bsky.social",
        author_name="User 1",
        text="Worth reading arxiv.org/abs/2104.04...",
        url="https://bsky.app/profile/user1.bsky.social/post/3kpost1",
        arxiv_ids=("2104.04001",),
        likes=4,
        reposts=2,
        replies=1,
        quotes=4,
        created_at=dt.datetime(2021, 4, 12, 9, 30, 0, 123000, tzinfo=UTC),
    )
    assert [p.arxiv_ids for p in collected.posts] == [("2104.04001",), ("2104.04002",)]
    assert collected.signals == {}
    assert_no_secrets(caplog.text)


async def test_configured_service_url_is_the_base():
    pds = FakePds([paged([])])
    await source(pds, bluesky_service="http://127.0.0.1:8999/pds/").collect(WINDOW, [])
    assert [str(r.url).split("?")[0] for r in pds.sent] == [
        "http://127.0.0.1:8999/pds/xrpc/com.atproto.server.createSession",
        "http://127.0.0.1:8999/pds/xrpc/app.bsky.feed.searchPosts",
    ]


async def test_only_posts_about_the_given_papers_are_kept():
    both = post_view(3, "2104.04003", text="Compare arxiv.org/abs/2104.04001 and arXiv:2104.04003")
    views = [
        post_view(1),
        post_view(2, "2104.09999"),
        both,
        post_view(4, text="no paper here", facets=[]),
    ]
    papers = [make_paper(1), make_paper(3)]
    collected = await source(FakePds([paged(views)])).collect(WINDOW, papers)
    assert [(p.author, p.arxiv_ids) for p in collected.posts] == [
        ("user1.bsky.social", ("2104.04001",)),
        ("user3.bsky.social", ("2104.04001", "2104.04003")),
    ]
    everything = await source(FakePds([paged(views)])).collect(WINDOW, [])
    assert [p.arxiv_ids for p in everything.posts] == [
        ("2104.04001",),
        ("2104.09999",),
        ("2104.04001", "2104.04003"),
    ]


async def test_ids_come_from_facets_and_link_cards_but_not_from_a_quoted_post():
    card = post_view(
        1,
        text="see the card",
        facets=[],
        embed={
            "$type": "app.bsky.embed.external",
            "external": {
                "uri": "https://arxiv.org/pdf/2104.04005.pdf",
                "title": "",
                "description": "",
            },
        },
    )
    with_media = post_view(2, text="pics", facets=[])
    with_media["embed"] = {
        "$type": "app.bsky.embed.recordWithMedia#view",
        "media": {
            "$type": "app.bsky.embed.external#view",
            "external": {"uri": "https://arxiv.org/abs/2104.04006"},
        },
        "record": {"record": {"uri": "at://x/app.bsky.feed.post/1"}},
    }
    quote = post_view(3, text="lol", facets=[])
    quote["embed"] = {
        "$type": "app.bsky.embed.record#view",
        "record": {
            "$type": "app.bsky.embed.record#viewRecord",
            "value": {
                "text": "arxiv.org/abs/2104.04007",
                "embed": {
                    "$type": "app.bsky.embed.external",
                    "external": {"uri": "https://arxiv.org/abs/2104.04007"},
                },
            },
        },
    }
    collected = await source(FakePds([paged([card, with_media, quote])])).collect(WINDOW, [])
    assert [p.arxiv_ids for p in collected.posts] == [("2104.04005",), ("2104.04006",)]


async def test_missing_optional_keys_give_unknown_counts():
    view = post_view(1)
    for key in ("replyCount", "repostCount", "likeCount", "quoteCount"):
        del view[key]
    del view["author"]["displayName"]
    del view["record"]["createdAt"]
    assert parse_post_view(view) == Post(
        platform="bluesky",
        post_id="at://did:plc:user1/app.bsky.feed.post/3kpost1",
        author="user1.bsky.social",
        text="Worth reading arxiv.org/abs/2104.04...",
        url="https://bsky.app/profile/user1.bsky.social/post/3kpost1",
        arxiv_ids=("2104.04001",),
    )
    assert parse_post_view({"uri": "at://a/b/c", "author": {}, "record": {}}) is None
    assert parse_post_view({"author": {"handle": "a"}, "record": {}}) is None


async def test_one_login_serves_many_pages_and_later_collects():
    pds = FakePds([paged([post_view(n) for n in range(1, 251)])])
    src = source(pds)
    await src.collect(WINDOW, [])
    await src.collect(WINDOW, [])
    assert pds.methods == [CREATE] + [SEARCH] * 6


async def test_expired_token_is_refreshed_and_the_page_asked_again(caplog):
    caplog.set_level(logging.DEBUG)
    expired = reply(400, {"error": "ExpiredToken", "message": "Token has expired"})
    pds = FakePds(
        [
            paged([post_view(1), post_view(2)], size=1),
            expired,
            paged([post_view(1), post_view(2)], size=1),
        ]
    )
    collected = await source(pds).collect(WINDOW, [])

    assert pds.methods == [CREATE, SEARCH, SEARCH, REFRESH, SEARCH]
    refresh = pds.sent[3]
    assert refresh.method == "POST"
    assert refresh.headers["Authorization"] == "Bearer " + jwt("refresh", 1)
    assert pds.sent[2].url.params["cursor"] == pds.sent[4].url.params["cursor"] == "1"
    assert pds.sent[4].headers["Authorization"] == "Bearer " + jwt("access", 2)
    assert len(collected.posts) == 2
    assert_no_secrets(caplog.text)


async def test_refused_refresh_logs_in_again():
    expired = reply(401, {"error": "ExpiredToken", "message": "Token has expired"})
    pds = FakePds(
        [expired, paged([post_view(1)])],
        create=[tokens(1), tokens(3)],
        refresh=[reply(400, {"error": "ExpiredToken"})],
    )
    collected = await source(pds).collect(WINDOW, [])
    assert pds.methods == [CREATE, SEARCH, REFRESH, CREATE, SEARCH]
    assert pds.sent[4].headers["Authorization"] == "Bearer " + jwt("access", 3)
    assert len(collected.posts) == 1


async def test_token_still_expired_after_renewal_fails_once():
    pds = FakePds([reply(400, {"error": "ExpiredToken"})])
    with pytest.raises(SourceError) as err:
        await source(pds).collect(WINDOW, [])
    assert str(err.value) == "Bluesky rejected the search (HTTP 400 ExpiredToken)"
    assert pds.methods == [CREATE, SEARCH, REFRESH, SEARCH]


async def test_forbidden_search_is_not_retried():
    clock = FakeClock()
    pds = FakePds([reply(403, b"<html>403 Forbidden</html>")])
    with pytest.raises(SourceError) as err:
        await source(pds, clock).collect(WINDOW, [])
    assert str(err.value) == FORBIDDEN
    assert str(err.value) == "Bluesky refused the search (403): authentication required or blocked"
    assert pds.methods == [CREATE, SEARCH]
    assert clock.sleeps == []  # 2 requests of a 3000 / 300 s budget: no wait, no retry


async def test_bad_password_is_a_short_error_without_secrets(caplog):
    caplog.set_level(logging.DEBUG)
    bad = reply(
        401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
    )
    pds = FakePds([paged([])], create=[bad])
    with pytest.raises(SourceError) as err:
        await source(pds).collect(WINDOW, [])
    assert str(err.value) == (
        "Bluesky login failed (HTTP 401 AuthenticationRequired): "
        "check HOTPAPERS_BLUESKY_HANDLE and HOTPAPERS_BLUESKY_APP_PASSWORD"
    )
    assert pds.methods == [CREATE]
    assert_no_secrets(str(err.value) + repr(err.value) + caplog.text)


async def test_429_waits_for_retry_after_then_succeeds():
    clock = FakeClock()
    pds = FakePds(
        [reply(429, {"error": "RateLimitExceeded"}, {"Retry-After": "7"}), paged([post_view(1)])]
    )
    collected = await source(pds, clock).collect(WINDOW, [])
    assert pds.methods == [CREATE, SEARCH, SEARCH]
    assert clock.sleeps == [7.0]  # Retry-After only: the login and search fit the window
    assert len(collected.posts) == 1


async def test_429_without_retry_after_waits_for_ratelimit_reset():
    clock = FakeClock()
    reset = str(int(clock.now().timestamp()) + 42)
    pds = FakePds(
        [
            reply(429, {"error": "RateLimitExceeded"}, {"RateLimit-Reset": reset}),
            paged([post_view(1)]),
        ]
    )
    await source(pds, clock).collect(WINDOW, [])
    assert clock.sleeps == pytest.approx([42.0])  # until RateLimit-Reset, nothing else


async def test_server_errors_are_retried_a_bounded_number_of_times():
    clock = FakeClock()
    pds = FakePds([reply(503, {"error": "Unavailable"})])
    with pytest.raises(SourceError) as err:
        await source(pds, clock).collect(WINDOW, [])
    assert str(err.value) == "HTTP 503 after 3 attempts"
    assert pds.methods == [CREATE, SEARCH, SEARCH, SEARCH]
    assert clock.sleeps == [1.0, 2.0]  # the backoffs; the window allows 4 requests at once


async def test_timeouts_become_a_source_error():
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("read timed out", request=request)

    pds = FakePds([hang])
    with pytest.raises(SourceError) as err:
        await source(pds, http_retries=1).collect(WINDOW, [])
    assert str(err.value) == "timed out after 5 s after 2 attempts"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "malformed JSON in response"),
        ({"cursor": "5"}, "Bluesky answered without posts"),
        ([1, 2], "Bluesky answered something other than a JSON object"),
        ({"posts": {"uri": "at://x"}}, "Bluesky answered posts that are not a list"),
        ({"posts": None}, "Bluesky answered posts that are not a list"),
    ],
)
async def test_malformed_answers_are_source_errors(body: Any, message: str):
    with pytest.raises(SourceError) as err:
        await source(FakePds([reply(200, body)])).collect(WINDOW, [])
    assert str(err.value) == message


async def test_session_answer_without_tokens_is_a_source_error():
    pds = FakePds([paged([])], create=[reply(200, {"did": "did:plc:me"})])
    with pytest.raises(SourceError, match="^Bluesky session response without tokens$"):
        await source(pds).collect(WINDOW, [])


async def test_requests_scale_with_posts_not_papers():
    views = [post_view(n, f"2104.{10000 + n % 1500:05d}") for n in range(2500)]
    papers = [make_paper(n, arxiv_id=f"2104.{10000 + n:05d}") for n in range(1500)]
    pds = FakePds([paged(views)])
    src = source(pds)
    collected = await src.collect(WINDOW, papers)
    assert pds.methods.count(SEARCH) == 25
    assert pds.methods.count(CREATE) == 1
    assert src.requests == 26
    assert len(collected.posts) == 2500


async def test_paging_stops_at_max_pages_and_says_so(caplog):
    endless = [post_view(n) for n in range(1, 1000)]
    pds = FakePds([paged(endless, size=10)])
    collected = await source(pds, max_pages=3).collect(WINDOW, [])
    assert pds.methods == [CREATE, SEARCH, SEARCH, SEARCH]
    assert len(collected.posts) == 30
    assert "bluesky: stopped after 3 pages (30 posts)" in caplog.text
    assert collected.problems == ["truncated after 30 posts"]


async def test_past_its_100_page_cap_it_keeps_10000_posts_and_says_truncated():
    """Before: silently truncated at 10,000 posts and reported ok."""
    endless = [post_view(n, f"2104.{n % 90000 + 10000:05d}") for n in range(1, 10_102)]
    pds = FakePds([paged(endless)])
    collected = await source(pds).collect(WINDOW, [])
    assert pds.methods.count(SEARCH) == 100
    assert len(collected.posts) == 10_000
    assert collected.problems == ["truncated after 10000 posts"]


def cursor_pages(*cursors: Any) -> Answer:
    """Page ``n`` (n from 0) holds post ``n`` and the ``n``-th cursor; the last repeats."""
    asked = iter(range(10_000))

    def answer(request: httpx.Request) -> httpx.Response:
        n = next(asked)
        return httpx.Response(
            200, json={"posts": [post_view(n)], "cursor": cursors[min(n, len(cursors) - 1)]}
        )

    return answer


@pytest.mark.parametrize(
    ("cursors", "pages", "problem"),
    [
        (["a", "b", "a"], 3, "Bluesky repeated its cursor after 3 pages"),
        (["same"], 2, "Bluesky repeated its cursor after 2 pages"),
        ([5], 1, "Bluesky answered a cursor that is not text after 1 page"),
        (["a", {"next": 2}], 2, "Bluesky answered a cursor that is not text after 2 pages"),
    ],
)
async def test_a_repeated_or_mistyped_cursor_stops_paging_and_degrades(
    cursors: list[Any], pages: int, problem: str
):
    """Before: a cursor repeating forever was followed to the page cap, a number was sent as
    text, and the source said ok. Now paging stops there, keeping what came, degraded."""
    pds = FakePds([cursor_pages(*cursors)])
    collected = await source(pds).collect(WINDOW, [])
    assert pds.methods.count(SEARCH) == pages
    assert len(collected.posts) == pages
    assert collected.problems == [problem]


async def test_malformed_posts_are_skipped_and_counted_and_mistyped_counts_are_unknown():
    """A few bad items among good ones: the good ones count, the status says what was wrong."""
    no_uri = post_view(2) | {"uri": 42}
    no_author = post_view(3) | {"author": "user3"}
    string_likes = post_view(4) | {"likeCount": "12"}
    nan_likes = post_view(5) | {"likeCount": float("nan")}
    views = [post_view(1), no_uri, no_author, "not a post", string_likes, nan_likes]
    body = json.dumps({"posts": views}).encode()  # NaN as Python's parser takes it
    pds = FakePds([reply(200, body)])
    collected = await source(pds).collect(WINDOW, [])
    assert [p.author for p in collected.posts] == [
        "user1.bsky.social", "user4.bsky.social", "user5.bsky.social"
    ]  # fmt: skip
    assert [p.likes for p in collected.posts] == [4, None, None]
    assert collected.problems == [
        "3 posts without a valid uri, author or record skipped",
        "1 post with counts that are not numbers (unknown)",
    ]


async def test_a_clean_answer_has_no_problems():
    pds = FakePds([paged([post_view(n) for n in range(1, 6)], size=2)])
    collected = await source(pds).collect(WINDOW, [])
    assert len(collected.posts) == 5 and collected.problems == []


async def test_without_credentials_it_is_skipped_without_a_request():
    pds = FakePds([paged([])])
    src = source(pds, bluesky_app_password=None)
    assert src.skip_reason() == NO_CREDENTIALS
    assert NO_CREDENTIALS == (
        "no credentials (set HOTPAPERS_BLUESKY_HANDLE and HOTPAPERS_BLUESKY_APP_PASSWORD)"
    )
    with pytest.raises(SourceSkipped):
        await src.collect(WINDOW, [])
    assert pds.sent == []
    assert source(pds).skip_reason() is None
    assert (BlueskySource.name, BlueskySource.scope) == ("bluesky", "window")


def test_links_are_built_only_from_safe_handles_and_record_keys():
    forged = post_view(1)
    forged["author"]["handle"] = "evil.example/phish?x=.bsky.social"
    post = parse_post_view(forged)
    assert post is not None
    assert post.url == "https://bsky.app/profile/did:plc:user1/post/3kpost1"
    forged["uri"] = "at://did:plc:user1/app.bsky.feed.post/a b<c>"
    assert parse_post_view(forged) is None


async def test_a_refused_session_is_dropped_so_the_next_collect_logs_in_again():
    refused = reply(401, {"error": "AuthenticationRequired", "message": "Token is revoked"})
    pds = FakePds([refused, paged([post_view(1)])])
    src = source(pds)
    with pytest.raises(SourceError, match=r"^Bluesky rejected the search \(HTTP 401 Auth"):
        await src.collect(WINDOW, [])
    assert len((await src.collect(WINDOW, [])).posts) == 1
    assert pds.methods == [CREATE, SEARCH, CREATE, SEARCH]
