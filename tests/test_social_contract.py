"""Social sources' parsers against real recorded API answers (skipped where ../shared is absent).

The recordings are not about arXiv (a Bluesky search for "redistricting", tweepy's and
python-twitter's test cassettes), so these check the shape and the mapping, value by value.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx

from bot.clock import FakeClock
from bot.config import Settings
from bot.sources import bluesky, x
from bot.sources.base import Window
from bot.sources.bluesky import BlueskySource
from bot.sources.bluesky_posts import parse_post_view, post_links
from bot.sources.x import parse_search_page, search_body
from tests.factories import fixture_path

UTC = dt.UTC


def load(*parts: str) -> Any:
    return json.loads(fixture_path(*parts).read_text(encoding="utf-8"))


def test_bluesky_search_answer_maps_to_posts():
    body = load("bluesky", "searchPosts_q-redistricting_2025-05-19.body.json")
    posts = [parse_post_view(view) for view in body["posts"]]
    assert len(posts) == 25
    assert body["cursor"] == "25"
    nyhan = posts[10]
    assert nyhan is not None
    assert nyhan.post_id == "at://did:plc:clxs5bimkdx2zvxzrbs6v3pw/app.bsky.feed.post/3lpjneeyp6c2w"
    assert nyhan.url == "https://bsky.app/profile/brendannyhan.bsky.social/post/3lpjneeyp6c2w"
    assert (nyhan.author, nyhan.author_name) == ("brendannyhan.bsky.social", "Brendan Nyhan")
    assert (nyhan.likes, nyhan.reposts, nyhan.replies, nyhan.quotes) == (20, 5, 2, 1)
    assert nyhan.created_at == dt.datetime(2025, 5, 19, 13, 8, 40, 742000, tzinfo=UTC)
    assert nyhan.text.endswith("www.nber.org/system/files...")
    assert (
        post_links(body["posts"][10])
        == ["https://www.nber.org/system/files/working_papers/w33801/w33801.pdf"] * 3
    )  # the facet, the record's card and the hydrated card
    # A microsecond, "+00:00" timestamp and an empty display name parse too.
    assert posts[22] is not None
    assert posts[22].created_at == dt.datetime(2025, 5, 19, 2, 3, 20, 286393, tzinfo=UTC)
    assert posts[11] is not None and posts[11].author_name == ""
    # A quote post counts as the quoter's own post; the quoted post's links are not its links.
    assert posts[12] is not None and posts[12].author == "rachel99marta.bsky.social"
    assert post_links(body["posts"][12]) == []
    assert all(p is not None and p.arxiv_ids == () for p in posts)  # nobody linked arXiv


async def test_bluesky_source_reads_the_recorded_page_and_follows_its_cursor():
    body = load("bluesky", "searchPosts_q-redistricting_2025-05-19.body.json")
    sent: list[httpx.Request] = []

    def pds(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if request.url.path.endswith("createSession"):
            return httpx.Response(200, json={"accessJwt": "a", "refreshJwt": "r"})
        first = "cursor" not in request.url.params
        return httpx.Response(200, json=body if first else {"posts": []})

    conf = Settings(_env_file=None, bluesky_handle="me", bluesky_app_password="pw")  # type: ignore[call-arg]
    client = httpx.AsyncClient(transport=httpx.MockTransport(pds))
    window = Window(
        dt.date(2025, 5, 19),
        dt.datetime(2025, 5, 18, tzinfo=UTC),
        dt.datetime(2025, 5, 20, tzinfo=UTC),
    )
    collected = await BlueskySource(client, conf, FakeClock()).collect(window, [])
    assert collected.posts == []  # 25 posts read, none links arXiv
    assert sent[2].url.params["cursor"] == "25"
    assert len(sent) == 3


def test_bluesky_rate_limit_matches_the_recorded_policy():
    cassette = fixture_path("bluesky", "bskyr_vcr_f_search_searchPosts_q-redistricting.yml")
    policy = f"RateLimit-Policy: {bluesky.RATE_CALLS};w={int(bluesky.RATE_PERIOD)}"
    assert policy in cassette.read_text(encoding="utf-8")


def test_x_docs_example_joins_authors_and_reads_links():
    body = load("twitter", "pytwitter_search_tweets_query_DOCS_EXAMPLE.json")
    posts = parse_search_page(body)
    assert [(p.post_id, p.author) for p in posts] == [
        ("1276035977375477760", "happycamper"),
        ("1275882613572583424", "snowman"),
        ("1275763727908798470", "jellybeanjones"),
        ("1275653067283759104", "snowman"),
    ]
    first = posts[0]
    assert first.author_name == "Emily Waligoske 🏕"
    assert first.url == "https://x.com/happycamper/status/1276035977375477760"
    assert first.created_at == dt.datetime(2020, 6, 25, 6, 14, 19, tzinfo=UTC)
    assert first.likes is None and first.author_followers is None  # not requested there
    assert all(p.arxiv_ids == () for p in posts)


def test_x_recent_search_without_expansions_still_parses():
    body = load("twitter", "search_recent_q-Tweepy_2022-10-07.body.json")
    posts = parse_search_page(body)
    assert len(posts) == 10
    assert posts[0].post_id == "1578516068309794817"
    assert posts[0].text == "2022-10-07 22:42:12.637103 tweepy"
    assert posts[0].url == "https://x.com/i/web/status/1578516068309794817"
    assert posts[0].likes is None
    assert body["meta"]["next_token"] == "b26v89c19zqg8o3fpzbn1e0ffhxjiofzw6po136rvbnul"


def test_x_public_metrics_map_to_counts():
    body = load("twitter", "pytwitter_timeline_tweets.json")
    posts = parse_search_page(body)
    assert (posts[0].likes, posts[0].reposts, posts[0].replies, posts[0].quotes) == (37, 10, 2, 1)
    assert posts[0].created_at == dt.datetime(2021, 2, 23, 18, 7, 7, tzinfo=UTC)


def test_x_retweets_carrying_the_originals_counts_are_dropped():
    """The seed's flaw: each retweet reports the original's retweet_count (160 here)."""
    body = load("twitter", "pytwitter_tweet_quote_tweets_resp.json")
    assert body["data"][0]["public_metrics"]["retweet_count"] == 160
    assert body["data"][0]["text"].startswith("RT @chris_bail:")
    kept = parse_search_page(body)
    assert len(body["data"]) == 15
    assert [(p.post_id, p.url, p.likes, p.replies) for p in kept] == [
        ("1427332549479526400", "https://x.com/suhemparack/status/1427332549479526400", 0, 0),
        ("1422638903412940805", "https://x.com/suhemparack/status/1422638903412940805", 2, 2),
    ]


def test_x_search_body_accepts_the_recorded_answer_and_rate_matches_the_headers():
    raw = fixture_path("twitter", "search_recent_q-Tweepy_2022-10-07.body.json").read_bytes()
    body = search_body(httpx.Response(200, content=raw))
    assert body["meta"]["result_count"] == 10
    cassette = fixture_path("twitter", "tweepy_cassette_test_client_search_recent_tweets.yaml")
    text = cassette.read_text(encoding="utf-8")
    assert f"x-rate-limit-limit:\n      - '{x.RATE_CALLS}'" in text
