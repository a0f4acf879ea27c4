"""``hotpapers check``: one cheap request per configured service, the database, the settings.

Each check returns a ``CheckResult`` instead of raising, so one broken service never hides the
others. Requests go through ``Http`` (timeout, bounded retries honouring Retry-After, a rate
limit); lines name settings, never their values: a secret cannot reach the output.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from sqlalchemy.engine import make_url

from bot.clock import Clock
from bot.config import Settings
from bot.sources.http import Http, SourceError
from bot.store import Store, StoreError

State = Literal["ok", "failed", "skipped"]
MARKS: dict[State, str] = {"ok": "✓", "failed": "✗", "skipped": "–"}
PROBE_ARXIV_ID = "2104.04015"  # the seed's first paper: always there
X_PROBE_QUERY = 'url:"arxiv.org" -is:retweet'


@dataclass(frozen=True)
class CheckResult:
    """One service's verdict; ``line`` is what the operator sees."""

    name: str
    state: State
    detail: str

    @property
    def line(self) -> str:
        return f"{MARKS[self.state]} {self.name}: {self.detail}"


def ok(name: str, detail: str) -> CheckResult:
    return CheckResult(name, "ok", detail)


def failed(name: str, detail: str) -> CheckResult:
    return CheckResult(name, "failed", detail)


def skipped(name: str, detail: str) -> CheckResult:
    return CheckResult(name, "skipped", f"skipped: {detail}")


@dataclass
class Probe:
    """What every check needs: the shared client, the settings, the clock."""

    client: httpx.AsyncClient
    settings: Settings
    clock: Clock

    def http(self, name: str, calls: int = 1, period: float = 1.0) -> Http:
        return Http.for_service(
            self.client, name, self.settings, self.clock, calls=calls, period=period
        )

    async def get(self, name: str, url: str, **kwargs: Any) -> httpx.Response:
        return await self.http(name).request("GET", url, **kwargs)


def host_of(url: str) -> str:
    return httpx.URL(url).host


def json_body(response: httpx.Response) -> Any:
    """The decoded JSON body, or ``SourceError`` for an error status or a body that is not JSON."""
    if response.status_code >= 400:
        raise SourceError(f"HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError:
        raise SourceError("the answer is not JSON (is the base URL right?)") from None


async def guarded(name: str, check: Awaitable[CheckResult]) -> CheckResult:
    """A check's result, or a failure line for the error it raised (no traceback, no secret)."""
    try:
        return await check
    except SourceError as exc:
        return failed(name, str(exc))
    except httpx.HTTPError as exc:
        return failed(name, f"request failed ({type(exc).__name__})")


async def check_arxiv(probe: Probe) -> CheckResult:
    base = probe.settings.url("arxiv_api_url")
    params = {"id_list": PROBE_ARXIV_ID, "max_results": "1"}
    response = await probe.http("arXiv", 1, probe.settings.arxiv_delay or 1.0).request(
        "GET", base, params=params
    )
    if response.status_code >= 400:
        return failed("arXiv", f"HTTP {response.status_code} from {host_of(base)}")
    if "<feed" not in response.text:
        return failed("arXiv", f"{host_of(base)} did not answer with an Atom feed")
    return ok("arXiv", f"reachable ({host_of(base)})")


async def check_huggingface(probe: Probe) -> CheckResult:
    base = probe.settings.url("hf_api_url")
    body = json_body(await probe.get("Hugging Face", f"{base}/daily_papers", params={"limit": 1}))
    if not isinstance(body, list):
        return failed("Hugging Face", "unexpected answer from daily_papers (not a list)")
    return ok("Hugging Face", f"reachable ({host_of(base)})")


async def check_bluesky(probe: Probe) -> CheckResult:
    handle = probe.settings.bluesky_handle
    password = probe.settings.secret("bluesky_app_password")
    if not (handle and password):
        return skipped(
            "Bluesky",
            "no credentials (HOTPAPERS_BLUESKY_HANDLE, HOTPAPERS_BLUESKY_APP_PASSWORD)",
        )
    url = probe.settings.url("bluesky_service") + "/xrpc/com.atproto.server.createSession"
    response = await probe.http("Bluesky").request(
        "POST", url, json={"identifier": handle, "password": password}
    )
    if response.status_code in (400, 401):
        return failed(
            "Bluesky",
            f"login refused (HTTP {response.status_code}): check HOTPAPERS_BLUESKY_HANDLE "
            "and HOTPAPERS_BLUESKY_APP_PASSWORD",
        )
    json_body(response)
    return ok("Bluesky", f"logged in as {handle}")


async def check_x(probe: Probe) -> CheckResult:
    token = probe.settings.secret("x_bearer_token")
    if not token:
        return skipped("X", "no credentials (HOTPAPERS_X_BEARER_TOKEN)")
    url = probe.settings.url("x_api_url") + "/tweets/search/recent"
    params = {"query": X_PROBE_QUERY, "max_results": "10"}  # 10 is the API's minimum
    response = await probe.get(
        "X", url, params=params, headers={"Authorization": f"Bearer {token}"}
    )
    if response.status_code in (401, 403):
        return failed(
            "X",
            f"recent search refused (HTTP {response.status_code}): check "
            "HOTPAPERS_X_BEARER_TOKEN and the project's access tier",
        )
    json_body(response)
    return ok("X", "recent search answered")


async def check_hackernews(probe: Probe) -> CheckResult:
    base = probe.settings.url("hn_api_url")
    params = {"query": "arxiv", "hitsPerPage": "1"}
    body = json_body(await probe.get("Hacker News", f"{base}/search", params=params))
    if not isinstance(body, dict) or "hits" not in body:
        return failed("Hacker News", "unexpected answer from search (no hits)")
    return ok("Hacker News", f"reachable ({host_of(base)})")


async def check_semantic_scholar(probe: Probe) -> CheckResult:
    base = probe.settings.url("s2_api_url")
    key = probe.settings.secret("s2_api_key")
    headers = {"x-api-key": key} if key else {}
    url = f"{base}/paper/ARXIV:{PROBE_ARXIV_ID}"
    response = await probe.get("Semantic Scholar", url, params={"fields": "title"}, headers=headers)
    if response.status_code == 403 and key:
        return failed("Semantic Scholar", "API key refused (HTTP 403): check HOTPAPERS_S2_API_KEY")
    json_body(response)
    mode = "with API key" if key else "without API key (slower)"
    return ok("Semantic Scholar", f"reachable ({host_of(base)}, {mode})")


async def check_slack(probe: Probe) -> CheckResult:
    token = probe.settings.secret("slack_bot_token")
    if not token:
        return skipped("Slack", "SLACK_BOT_TOKEN not set")
    url = probe.settings.url("slack_api_url") + "/auth.test"
    response = await probe.http("Slack").request(
        "POST", url, headers={"Authorization": f"Bearer {token}"}
    )
    body = json_body(response)
    if not isinstance(body, dict) or not body.get("ok"):
        code = body.get("error", "unknown error") if isinstance(body, dict) else "unknown error"
        return failed("Slack", f"auth.test failed: {str(code)[:60]} (check SLACK_BOT_TOKEN)")
    return ok("Slack", f"authenticated as {body.get('user', '?')} in {body.get('team', '?')}")


async def check_discord(probe: Probe) -> CheckResult:
    token = probe.settings.secret("discord_token")
    if not token:
        return skipped("Discord", "DISCORD_TOKEN not set")
    url = probe.settings.url("discord_api_url") + "/users/@me"
    response = await probe.get("Discord", url, headers={"Authorization": f"Bot {token}"})
    if response.status_code == 401:
        return failed("Discord", "token rejected (HTTP 401): check DISCORD_TOKEN")
    body = json_body(response)
    name = body.get("username", "?") if isinstance(body, dict) else "?"
    return ok("Discord", f"authenticated as {name}")


def safe_database_url(url: str) -> str:
    """The URL with any password masked, for display."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL: show only its scheme
        return url.split("://", 1)[0] + "://…"


def check_database(url: str) -> CheckResult:
    """Open (and create the tables of) the store, then close it."""
    try:
        Store(url).close()
    except StoreError as exc:
        return failed("database", str(exc))
    return ok("database", safe_database_url(url))


CHECKS: tuple[tuple[str, Callable[[Probe], Awaitable[CheckResult]]], ...] = (
    ("arXiv", check_arxiv),
    ("Hugging Face", check_huggingface),
    ("Bluesky", check_bluesky),
    ("X", check_x),
    ("Hacker News", check_hackernews),
    ("Semantic Scholar", check_semantic_scholar),
    ("Slack", check_slack),
    ("Discord", check_discord),
)


async def run_checks(
    client: httpx.AsyncClient, settings: Settings, clock: Clock
) -> list[CheckResult]:
    """Every check, concurrently; results in a fixed order (database first)."""
    probe = Probe(client, settings, clock)
    database = asyncio.to_thread(check_database, settings.database_url)
    remote = [guarded(name, check(probe)) for name, check in CHECKS]
    return list(await asyncio.gather(database, *remote))
