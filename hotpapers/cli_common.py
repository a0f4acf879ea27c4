"""What every ``hotpapers`` command module shares: the typer ``app`` they register on, ``CliError``
(one line on stderr, an exit status), the settings and store, and the options that pick a digest
(date, categories, top, --demo) turned into checked values."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from bot import calendar
from bot.categories import canonical, close_matches, expand
from bot.clock import Clock, SystemClock
from bot.config_checks import MAX_TOP, ConfigError
from bot.store_error import StoreError

if TYPE_CHECKING:
    import httpx

    from bot.config import Settings
    from bot.store import Store

T = TypeVar("T")

app = typer.Typer(
    name="hotpapers",
    help="Hot Papers: a daily digest of the arXiv papers people are talking about, "
    "for Slack, Discord and the terminal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


class CliError(Exception):
    """One line for stderr; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class State:
    """What the command line is composed with: the clock, the settings (read on first use) and
    the HTTP transport of ``hotpapers check`` (``None``: the network). ``tests/cli_runner.py``
    sets them for an in-process run; nothing else changes them."""

    clock: Clock = SystemClock()
    settings: Settings | None = None
    transport: httpx.AsyncBaseTransport | None = None


def settings() -> Settings:
    if State.settings is None:
        try:
            from bot.config import load_settings  # pydantic: only for commands that need settings

            State.settings = load_settings()
        except ConfigError as exc:
            raise CliError(str(exc), 2) from None
    return State.settings


def open_store() -> Store:
    from bot.store import (
        Store,  # SQLAlchemy and the migrations: only for the commands that need them
    )

    try:
        config = settings()
        return Store(config.database_url, busy_timeout_ms=config.sqlite_busy_timeout_ms)
    except StoreError as exc:
        raise CliError(str(exc)) from None


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def parse_categories(values: list[str] | None, fallback: list[str]) -> list[str]:
    """Canonical categories (``cs.*`` expands), or an error naming close matches."""
    out: list[str] = []
    for raw in values or fallback:
        for token in raw.replace(",", " ").split():
            code = canonical(token)
            codes = expand(token) or ([code] if code else [])
            if not codes:
                hint = close_matches(token)
                tip = f" Did you mean {', '.join(hint)}?" if hint else ""
                raise CliError(f"unknown arXiv category {token!r}.{tip}", 2)
            out.extend(c for c in codes if c is not None and c not in out)
    return out


def resolve_date(word: str | None) -> dt.date:
    now = State.clock.now()
    holidays = settings().holidays
    if word is None:
        return calendar.latest_listing(now, holidays)
    try:
        return calendar.resolve_date(word, now, holidays)
    except (calendar.DateError, calendar.NoListing) as exc:
        raise CliError(str(exc), 2) from None


def check_platform(value: str) -> str:
    """``--platform``: one of the platforms a digest can be posted to or subscribed on."""
    from bot.subscriptions import PLATFORMS

    if value not in PLATFORMS:
        raise CliError(f"unknown --platform {value!r}; choose {', '.join(PLATFORMS)}", 2)
    return value


def check_channel(platform: str, channel: str) -> str:
    """``--channel``: an id of the platform (any name for the console), else one line."""
    from adapters.channel_ids import check_channel as valid_channel

    try:
        return valid_channel(platform, channel)
    except ValueError as exc:
        raise CliError(f"--channel: {exc}", 2) from None


def check_top(top: int | None) -> int:
    value = settings().default_top if top is None else top
    if not 1 <= value <= MAX_TOP:
        raise CliError(f"--top must be between 1 and {MAX_TOP}", 2)
    return value


DateOpt = Annotated[
    str | None,
    typer.Option(
        "--date",
        help="Listing date: YYYY-MM-DD, today or yesterday "
        "(US Eastern). Default: the latest announced listing.",
    ),
]
CategoryOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--category",
        "-c",
        help="arXiv category (repeatable; cs.* for "
        "a whole archive). Default: HOTPAPERS_DEFAULT_CATEGORIES.",
    ),
]
TopOpt = Annotated[
    int | None,
    typer.Option("--top", help=f"How many papers (1-{MAX_TOP}). Default: HOTPAPERS_DEFAULT_TOP."),
]
CatchingOpt = Annotated[
    int | None,
    typer.Option(
        "--catching-fire-days",
        min=0,
        max=10,
        help="Catching fire: add papers of this many earlier listing days that became hot since "
        "(0 = off). Default: HOTPAPERS_CATCHING_FIRE_DAYS.",
    ),
]
DemoOpt = Annotated[
    bool,
    typer.Option("--demo", help="Use the bundled 2021-04-12 snapshot (no network, no tokens)."),
]
OfflineOpt = Annotated[bool, typer.Option("--offline", help="Use only what the store holds.")]


def selection(
    date: str | None, category: list[str] | None, top: int | None, use_demo: bool
) -> tuple[dt.date, list[str], int]:
    if use_demo:
        from bot import demo  # the snapshot's models (pydantic): not for --help

        if date not in (None, demo.DEMO_DATE.isoformat()):
            raise CliError(
                f"--demo shows {demo.DEMO_DATE}; drop --date or use another date without --demo", 2
            )
        cats = parse_categories(category, demo.bundled_categories(demo.DEMO_DATE))
        return demo.DEMO_DATE, cats, check_top(top)
    return (
        resolve_date(date),
        parse_categories(category, settings().default_categories),
        check_top(top),
    )
