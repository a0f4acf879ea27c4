"""``hotpapers check``: one cheap request per configured service, the database, the settings.

Each service answers through its own code (a source's ``check()``, an adapter's ``check_*``), so
the check exercises the very URL, auth and rate limit the bot uses. Each result is a
``CheckResult`` instead of an exception, so one broken service never hides the others; lines name
settings, never their values: a secret cannot reach the output.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Literal

import httpx
from sqlalchemy.engine import make_url

from bot.clock import Clock
from bot.config import ConfigError, Settings
from bot.ports import DeliveryError
from bot.render import source_label
from bot.sources.base import AttentionSource, PaperSource
from bot.sources.http import SourceError, SourceSkipped
from bot.store import Store, StoreError

State = Literal["ok", "failed", "skipped"]
MARKS: dict[State, str] = {"ok": "✓", "failed": "✗", "skipped": "–"}


@dataclass(frozen=True)
class CheckResult:
    """One service's verdict; ``line`` is what the operator sees."""

    name: str
    state: State
    detail: str

    @property
    def line(self) -> str:
        return f"{MARKS[self.state]} {self.name}: {self.detail}"


async def guarded(name: str, check: Awaitable[str]) -> CheckResult:
    """``check``'s detail as a success, or a failure line for what it raised (no traceback)."""
    try:
        return CheckResult(name, "ok", await check)
    except SourceSkipped as exc:
        return CheckResult(name, "skipped", f"skipped: {exc}")
    except (SourceError, ConfigError, DeliveryError) as exc:  # our one-line reasons
        return CheckResult(name, "failed", str(exc))
    except Exception as exc:  # anything else (a transport error): its kind only, never its text
        return CheckResult(name, "failed", f"request failed ({type(exc).__name__})")


async def check_source(source: PaperSource | AttentionSource) -> CheckResult:
    name = source_label(source.name)
    reason = source.skip_reason()
    if reason is not None:
        return CheckResult(name, "skipped", f"skipped: {reason}")
    return await guarded(name, source.check())


def slack_mode(settings: Settings) -> str:
    """How ``hotpapers run`` answers ``/hotpapers`` with these settings (check and run say it)."""
    if settings.secret("slack_app_token"):
        return "Socket Mode"
    if settings.secret("slack_signing_secret"):
        return f"HTTP mode at POST /slack/events on port {settings.port}"
    return (
        "post-only: /hotpapers gets no answer until SLACK_APP_TOKEN (Socket Mode) "
        "or SLACK_SIGNING_SECRET (HTTP mode) is set"
    )


async def check_slack(settings: Settings, clock: Clock) -> CheckResult:
    if not settings.secret("slack_bot_token"):
        if settings.slack_client_id:
            detail = "skipped: multi-workspace install, no single SLACK_BOT_TOKEN to test"
            return CheckResult("Slack", "skipped", detail)
        return CheckResult("Slack", "skipped", "skipped: SLACK_BOT_TOKEN not set")
    from adapters.slack import check_slack as auth_test

    async def with_mode() -> str:
        return f"{await auth_test(settings, clock)}; {slack_mode(settings)}"

    return await guarded("Slack", with_mode())


def discord_mode(settings: Settings) -> str:
    """How ``hotpapers run`` receives Discord's ``/hotpapers`` (one way: Discord's rule)."""
    if settings.discord_public_key:
        return f"HTTP interactions at POST /discord/interactions on port {settings.port}"
    ids, count = settings.discord_shard_ids, settings.discord_shard_count
    if count is not None:
        mine = ", ".join(map(str, ids)) if ids else "all"
        return f"gateway, shards {mine} of {count}"
    return "gateway (shards as Discord recommends)"


async def check_discord(settings: Settings) -> CheckResult:
    if not settings.secret("discord_token"):
        return CheckResult("Discord", "skipped", "skipped: DISCORD_TOKEN not set")
    from adapters.discord_setup import check_discord as users_me

    async def with_mode() -> str:
        return f"{await users_me(settings)}; {discord_mode(settings)}"

    return await guarded("Discord", with_mode())


def safe_database_url(url: str) -> str:
    """The URL with any password masked, for display."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL: show only its scheme
        return url.split("://", 1)[0] + "://…"


def check_database(url: str) -> CheckResult:
    """Open (so migrate) the store, then read every table at the expected schema revision."""
    try:
        store = Store(url)
        try:
            revision, problem = store.schema_status()
        finally:
            store.close()
    except StoreError as exc:
        return CheckResult("database", "failed", str(exc))
    except Exception as exc:  # a driver that cannot load: its kind only, never the URL
        return CheckResult("database", "failed", f"cannot open the database ({type(exc).__name__})")
    if problem is not None:
        return CheckResult("database", "failed", f"schema {revision or 'none'}: {problem}")
    return CheckResult("database", "ok", f"{safe_database_url(url)}, schema {revision}")


async def run_checks(
    client: httpx.AsyncClient, settings: Settings, clock: Clock
) -> list[CheckResult]:
    """Every check, concurrently; results in a fixed order (database, sources, platforms)."""
    from bot.service import arxiv_source, attention_sources

    sources: list[PaperSource | AttentionSource] = [arxiv_source(client, settings, clock)]
    sources.extend(attention_sources(client, settings, clock))
    return list(
        await asyncio.gather(
            asyncio.to_thread(check_database, settings.database_url),
            *(check_source(source) for source in sources),
            check_slack(settings, clock),
            check_discord(settings),
        )
    )
