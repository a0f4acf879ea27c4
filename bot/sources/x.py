"""X (Twitter) API v2 recent search: every original tweet linking arxiv.org in the window.

Optional: it needs an app-only bearer token (``HOTPAPERS_X_BEARER_TOKEN``) on a tier that includes
recent search, and recent search only reaches the last 7 days, so an older window is skipped (with
that reason) rather than failed. One bulk query, ``url:"arxiv.org" -is:retweet``, pages through the
window 100 tweets at a time: the cost grows with the number of tweets, not of papers. Retweets are
left out (by the query, and again here) so a popular tweet is counted once, with its own metrics.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from bot.clock import Clock
from bot.config import Settings
from bot.models import Paper, Post
from bot.sources import deadline
from bot.sources.arxiv_ids import extract_arxiv_ids
from bot.sources.base import Collected, Window, joined_posts
from bot.sources.http import (
    MAX_RETRY_AFTER,
    Http,
    SourceError,
    SourceSkipped,
    reset_header_seconds,
)
from bot.sources.values import count, iso_time, parse_time, plural, string

log = logging.getLogger(__name__)

RATE_CALLS, RATE_PERIOD = 450, 900.0  # app-only recent search: 450 requests / 15 minutes
PAGE_SIZE = 100
DEFAULT_MAX_PAGES = 100  # 10,000 tweets a window
REACH = dt.timedelta(days=7)
REACH_MARGIN = dt.timedelta(minutes=1)  # start_time must be inside the 7 days when X receives it
END_MARGIN = dt.timedelta(seconds=30)  # end_time must be at least 10 s before the request
SEARCH_QUERY = 'url:"arxiv.org" -is:retweet'
TWEET_FIELDS = "created_at,public_metrics,author_id,entities,referenced_tweets"
USER_FIELDS = "username,name,public_metrics"
USERNAME = re.compile(r"\w{1,50}", re.ASCII)  # what may go into an x.com link
NO_CREDENTIALS = "no credentials (set HOTPAPERS_X_BEARER_TOKEN)"
OUT_OF_REACH = "X recent search only reaches 7 days back"
STATUS_ERRORS = {
    401: "X rejected the bearer token (401)",
    403: "X refused the search (403): the app's access tier may not include recent search",
}


class XSource:
    """Tweets linking arXiv papers, with likes, retweets, replies, quotes and follower counts."""

    name = "x"
    scope = "window"

    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        clock: Clock,
        *,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.max_pages = max_pages
        self.search_url = settings.url("x_api_url") + "/tweets/search/recent"
        self.http = Http.for_service(
            client, self.name, settings, clock,
            calls=RATE_CALLS, period=RATE_PERIOD, reset_headers=("x-rate-limit-reset",),
        )  # fmt: skip

    @property
    def requests(self) -> int:
        """HTTP requests sent so far."""
        return self.http.requests

    def skip_reason(self) -> str | None:
        return None if self.settings.secret("x_bearer_token") else NO_CREDENTIALS

    async def check(self) -> str:
        """One search of the API's minimum size (it spends 10 posts of the read quota)."""
        search_body(await self._get({"query": SEARCH_QUERY, "max_results": "10"}))
        return "recent search answered"

    async def collect(self, window: Window, papers: Sequence[Paper]) -> Collected:
        """Every original tweet of the window linking an arXiv paper (one of ``papers`` if given).

        Raises ``SourceSkipped`` when the window ended more than 7 days ago (out of reach).
        """
        reason = self.skip_reason()
        if reason:
            raise SourceSkipped(reason)
        start, end = self.reachable(window)
        if start >= end:
            return Collected()
        problems: list[str] = []
        pages = await self._search(start, end, problems)
        found = joined_posts((post for page in pages for post in parse_search_page(page)), papers)
        found.problems = problems
        return found

    def reachable(self, window: Window) -> tuple[dt.datetime, dt.datetime]:
        """The part of the window recent search can see; ``SourceSkipped`` if none of it."""
        now = self.clock.now()
        earliest = now - REACH + REACH_MARGIN
        if window.end <= earliest:
            raise SourceSkipped(OUT_OF_REACH)
        start = max(window.start, earliest)
        end = min(window.end, now - END_MARGIN)
        if start > window.start:
            log.info("x: window starts before recent search's reach; searching from %s", start)
        return start, end

    async def _search(
        self, start: dt.datetime, end: dt.datetime, problems: list[str]
    ) -> list[dict[str, Any]]:
        """Every page of the search, following ``next_token`` up to ``max_pages`` pages; why it
        stopped short, if it did, is added to ``problems`` (the source is then degraded)."""
        params = {
            "query": SEARCH_QUERY,
            "start_time": iso_time(start),
            "end_time": iso_time(end),
            "max_results": str(PAGE_SIZE),
            "tweet.fields": TWEET_FIELDS,
            "expansions": "author_id",
            "user.fields": USER_FIELDS,
        }
        pages: list[dict[str, Any]] = []
        for number in range(1, self.max_pages + 1):
            response = await self._get(params)
            pages.append(search_body(response))
            token = pages[-1].get("meta", {}).get("next_token")
            if not token:
                return pages
            if number < self.max_pages and (until := self._spent_until(response)):
                log.warning("x: rate limit spent after %d pages; kept what was found", number)
                problems.append(f"rate-limited until {until} after {plural(number, 'page')}")
                return pages
            params["next_token"] = str(token)
        log.warning("x: stopped after %d pages; the window has more tweets", self.max_pages)
        tweets = sum(len(page.get("data") or []) for page in pages)
        problems.append(f"truncated after {plural(tweets, 'tweet')}")
        return pages

    async def _get(self, params: Mapping[str, str]) -> httpx.Response:
        token = self.settings.secret("x_bearer_token")
        headers = {"Authorization": f"Bearer {token}"}
        return await self.http.request("GET", self.search_url, params=params, headers=headers)

    def _spent_until(self, response: httpx.Response) -> str | None:
        """``None`` when another page may be asked for now, after waiting for a spent window's
        reset; else when the window resets ("14:05 UTC").

        When ``x-rate-limit-remaining`` reaches 0 the next call waits for ``x-rate-limit-reset``
        (through the limiter); a reset further off than a Retry-After would be, or past the
        source's deadline, is not waited for: the pages found are kept.
        """
        if response.headers.get("x-rate-limit-remaining") != "0":
            return None
        wait = reset_header_seconds(response, self.clock, ("x-rate-limit-reset",), math.inf)
        if wait is None:
            return None
        self.http.limiter.defer(min(wait, MAX_RETRY_AFTER))
        if wait < MAX_RETRY_AFTER and deadline.rate_limit_refusal(self.clock, wait) is None:
            return None
        return deadline.until_text(self.clock, wait)


def search_body(response: httpx.Response) -> dict[str, Any]:
    """A recent-search answer as a dict, or the ``SourceError`` its status means."""
    status = response.status_code
    if status in STATUS_ERRORS:
        raise SourceError(STATUS_ERRORS[status])
    if status >= 400:
        raise SourceError(f"X rejected the search (HTTP {status})")
    try:
        body = response.json()
    except ValueError:
        raise SourceError("malformed JSON in response") from None
    if not isinstance(body, dict) or not isinstance(body.get("data", []), list):
        raise SourceError("malformed recent search response")
    if not isinstance(body.get("meta", {}), dict):
        body["meta"] = {}
    return body


def parse_search_page(body: Mapping[str, Any]) -> list[Post]:
    """The original tweets of one page (no ``data`` key: none), with their authors joined in."""
    includes = body.get("includes")
    users_list = includes.get("users") if isinstance(includes, Mapping) else None
    users = {
        user["id"]: user
        for user in (users_list if isinstance(users_list, list) else [])
        if isinstance(user, Mapping) and isinstance(user.get("id"), str)
    }
    posts = []
    for tweet in body.get("data") or []:
        if isinstance(tweet, Mapping) and not is_retweet(tweet):
            author_id = tweet.get("author_id")
            post = parse_tweet(tweet, users.get(author_id) if isinstance(author_id, str) else None)
            if post is not None:
                posts.append(post)
    return posts


def parse_tweet(tweet: Mapping[str, Any], user: Mapping[str, Any] | None) -> Post | None:
    """A tweet as a Post (``arxiv_ids`` may be empty); ``None`` without an id."""
    tweet_id = tweet.get("id")
    if not isinstance(tweet_id, str) or not tweet_id.isdigit():
        return None
    user = user or {}
    username = string(user.get("username"))
    text = string(tweet.get("text"))
    metrics = _mapping(tweet.get("public_metrics"))
    return Post(
        platform="x",
        post_id=tweet_id,
        author=username or str(tweet.get("author_id") or ""),
        author_name=string(user.get("name")),
        text=text,
        url=f"https://x.com/{username}/status/{tweet_id}"
        if USERNAME.fullmatch(username)
        else f"https://x.com/i/web/status/{tweet_id}",
        arxiv_ids=extract_arxiv_ids("\n".join([text, *tweet_links(tweet)])),
        likes=count(metrics.get("like_count")),
        reposts=count(metrics.get("retweet_count")),
        replies=count(metrics.get("reply_count")),
        quotes=count(metrics.get("quote_count")),
        author_followers=count(_mapping(user.get("public_metrics")).get("followers_count")),
        created_at=parse_time(tweet.get("created_at")),
    )


def tweet_links(tweet: Mapping[str, Any]) -> list[str]:
    """The expanded (and unwound) targets of the tweet's t.co links."""
    urls = _mapping(tweet.get("entities")).get("urls")
    links = []
    for url in urls if isinstance(urls, list) else []:
        if isinstance(url, Mapping):
            links += [url.get("expanded_url"), url.get("unwound_url")]
    return [link for link in links if isinstance(link, str)]


def is_retweet(tweet: Mapping[str, Any]) -> bool:
    """A retweet carries the original's ``retweet_count``: counting it would multiply that count.

    Known by ``referenced_tweets`` type ``retweeted``, or by v2's ``RT @user:`` text where that
    field was not returned.
    """
    refs = tweet.get("referenced_tweets")
    refs = refs if isinstance(refs, list) else []
    if any(isinstance(ref, Mapping) and ref.get("type") == "retweeted" for ref in refs):
        return True
    text = tweet.get("text")
    return isinstance(text, str) and text.startswith("RT @")


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
