"""Bluesky: every post linking arxiv.org in the window, found in bulk with ``searchPosts``.

Why a session: Bluesky switched off unauthenticated ``searchPosts`` in January 2025 (bot load), so
we log in with an app password (``com.atproto.server.createSession``) and search through the PDS
with the access token. One search of ``domain=arxiv.org`` pages through all posts of the window
(100 a page), so the cost grows with the number of posts, never with the number of papers.
The session lives in memory only; passwords and tokens never reach a log line or an error.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.clock import Clock
from bot.config import Settings
from bot.models import Paper
from bot.sources.base import Collected, Window, joined_posts
from bot.sources.bluesky_posts import ViewParser
from bot.sources.http import Http, SourceError, SourceSkipped
from bot.sources.values import iso_time, plural

log = logging.getLogger(__name__)

RATE_CALLS, RATE_PERIOD = 3000, 300.0  # observed PDS policy "3000;w=300"
PAGE_SIZE = 100
DEFAULT_MAX_PAGES = 100  # 10,000 posts a window
SEARCH_QUERY = "arxiv.org"
NO_CREDENTIALS = "no credentials (set HOTPAPERS_BLUESKY_HANDLE and HOTPAPERS_BLUESKY_APP_PASSWORD)"
FORBIDDEN = "Bluesky refused the search (403): authentication required or blocked"
EXPIRED = "ExpiredToken"
_ERROR_CODE = re.compile(r"[A-Za-z]{1,40}")


@dataclass(frozen=True)
class Session:
    """The tokens of one login; ``repr`` hides them so a traceback cannot print them."""

    access_jwt: str = field(repr=False)
    refresh_jwt: str = field(repr=False)


class BlueskySource:
    """Posts on Bluesky linking arXiv papers, with likes, reposts, replies and quotes."""

    name = "bluesky"
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
        self.max_pages = max_pages
        self.xrpc = settings.url("bluesky_service") + "/xrpc/"
        self.http = Http.for_service(
            client, self.name, settings, clock,
            calls=RATE_CALLS, period=RATE_PERIOD, reset_headers=("ratelimit-reset",),
        )  # fmt: skip
        self._session: Session | None = None

    @property
    def requests(self) -> int:
        """HTTP requests sent so far (logins included)."""
        return self.http.requests

    def skip_reason(self) -> str | None:
        if self.settings.bluesky_handle and self.settings.secret("bluesky_app_password"):
            return None
        return NO_CREDENTIALS

    async def check(self) -> str:
        await self._create_session()
        return f"logged in as {self.settings.bluesky_handle}"

    async def collect(self, window: Window, papers: Sequence[Paper]) -> Collected:
        """Every post of the window linking an arXiv paper (one of ``papers`` when given); what
        was wrong with the answer, if anything, in ``problems`` (``bot.sources.bluesky_posts``)."""
        reason = self.skip_reason()
        if reason:
            raise SourceSkipped(reason)
        parser = ViewParser()
        stopped = await self._search(window, parser)
        collected = joined_posts(parser.posts, papers)
        problems = parser.problems()
        collected.problems = [stopped, *problems] if stopped else problems
        return collected

    async def _search(self, window: Window, parser: ViewParser) -> str | None:
        """All post views of the window, page by page into ``parser`` (each page parsed while
        the next one is on its way), and why paging stopped short, if it did: the page cap
        ("truncated after N posts"), a repeated cursor, or one that is not text."""
        params = {
            "q": SEARCH_QUERY,
            "domain": "arxiv.org",
            "since": iso_time(window.start),
            "until": iso_time(window.end),
            "sort": "latest",
            "limit": str(PAGE_SIZE),
        }
        sent: set[str] = set()
        fetching = asyncio.ensure_future(self._authed_get("app.bsky.feed.searchPosts", params))
        try:
            for number in range(1, self.max_pages + 1):
                body = await fetching
                cursor = body.get("cursor")
                stopped: str | None = None
                if cursor is None or cursor == "" or not body["posts"]:
                    parser.add(body["posts"])
                    return None
                if not isinstance(cursor, str):
                    pages = plural(number, "page")
                    stopped = f"Bluesky answered a cursor that is not text after {pages}"
                elif cursor in sent:
                    stopped = f"Bluesky repeated its cursor after {plural(number, 'page')}"
                elif number < self.max_pages:
                    sent.add(cursor)
                    params = {**params, "cursor": cursor}
                    fetching = asyncio.ensure_future(
                        self._authed_get("app.bsky.feed.searchPosts", params)
                    )
                parser.add(body["posts"])
                if stopped is not None:
                    return stopped
        finally:
            if not fetching.done():
                fetching.cancel()
                await asyncio.gather(fetching, return_exceptions=True)
        total = len(parser.posts) + parser.skipped
        log.warning(
            "bluesky: stopped after %d pages (%d posts); the window has more posts than that",
            self.max_pages,
            total,
        )
        return f"truncated after {plural(total, 'post')}"

    async def _authed_get(self, method: str, params: Mapping[str, str]) -> dict[str, Any]:
        """GET with the session's token; an expired token is renewed once and the GET repeated."""
        session = self._session or await self._create_session()
        response = await self._get(method, params, session)
        if error_code(response) == EXPIRED:
            session = await self._renew_session(session)
            response = await self._get(method, params, session)
        if response.status_code == 401:
            self._session = None  # revoked or still refused: the next collect logs in afresh
        return search_body(response)

    async def _get(
        self, method: str, params: Mapping[str, str], session: Session
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {session.access_jwt}"}
        return await self.http.request("GET", self.xrpc + method, params=params, headers=headers)

    async def _create_session(self) -> Session:
        """Log in with the app password (createSession is limited to ~30 a 5 minutes: reuse it)."""
        payload = {
            "identifier": self.settings.bluesky_handle,
            "password": self.settings.secret("bluesky_app_password"),
        }
        url = self.xrpc + "com.atproto.server.createSession"
        response = await self.http.request("POST", url, json=payload)
        if response.status_code >= 400:
            code = error_code(response)
            detail = f" {code}" if code else ""
            raise SourceError(
                f"Bluesky login failed (HTTP {response.status_code}{detail}): "
                "check HOTPAPERS_BLUESKY_HANDLE and HOTPAPERS_BLUESKY_APP_PASSWORD"
            )
        self._session = session_from(response)
        return self._session

    async def _renew_session(self, expired: Session) -> Session:
        """Refresh with the refresh token; if that is refused too, log in again."""
        self._session = None
        url = self.xrpc + "com.atproto.server.refreshSession"
        headers = {"Authorization": f"Bearer {expired.refresh_jwt}"}
        response = await self.http.request("POST", url, headers=headers)
        if response.status_code == 200:
            try:
                self._session = session_from(response)
                return self._session
            except SourceError:
                pass
        log.info(
            "bluesky: session refresh refused (HTTP %d), logging in again", response.status_code
        )
        return await self._create_session()


def session_from(response: httpx.Response) -> Session:
    """The tokens of a createSession/refreshSession answer."""
    try:
        body = response.json()
    except ValueError:
        raise SourceError("malformed JSON in Bluesky session response") from None
    access = body.get("accessJwt") if isinstance(body, dict) else None
    refresh = body.get("refreshJwt") if isinstance(body, dict) else None
    if not isinstance(access, str) or not isinstance(refresh, str):
        raise SourceError("Bluesky session response without tokens")
    return Session(access, refresh)


def search_body(response: httpx.Response) -> dict[str, Any]:
    """A searchPosts answer as a dict with a ``posts`` list, or the ``SourceError`` it means."""
    status = response.status_code
    if status == 403:
        raise SourceError(FORBIDDEN)
    if status in (400, 401):
        code = error_code(response)
        raise SourceError(
            f"Bluesky rejected the search (HTTP {status}{' ' + code if code else ''})"
        )
    if status >= 400:
        raise SourceError(f"HTTP {status}")
    try:
        body = response.json()
    except ValueError:
        raise SourceError("malformed JSON in response") from None
    if not isinstance(body, dict):
        raise SourceError("Bluesky answered something other than a JSON object")
    if "posts" not in body:
        raise SourceError("Bluesky answered without posts")
    if not isinstance(body["posts"], list):
        raise SourceError("Bluesky answered posts that are not a list")
    return body


def error_code(response: httpx.Response) -> str | None:
    """XRPC's ``error`` name (``ExpiredToken``...) of a 400/401, if it looks like one."""
    if response.status_code not in (400, 401):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    code = body.get("error") if isinstance(body, dict) else None
    return code if isinstance(code, str) and _ERROR_CODE.fullmatch(code) else None
