"""The ``hotpapers`` command line: thin, arguments -> objects -> calls.

Errors a user can fix print one line on stderr and exit non-zero; never a traceback.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import socket
import sys
from collections.abc import Coroutine
from typing import Annotated, Any, TypeVar

import typer

from bot import calendar, demo
from bot.categories import canonical, close_matches, expand
from bot.clock import Clock, SystemClock
from bot.config import MAX_TOP, ConfigError, Settings, load_settings
from bot.formats import FORMATS, format_digest
from bot.logs import redact, setup_logging
from bot.store import Store, StoreError

T = TypeVar("T")
log = logging.getLogger("hotpapers")

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
    clock: Clock = SystemClock()
    settings: Settings | None = None


def settings() -> Settings:
    if State.settings is None:
        try:
            State.settings = load_settings()
        except ConfigError as exc:
            raise CliError(str(exc), 2) from None
    return State.settings


def open_store() -> Store:
    try:
        return Store(settings().database_url)
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
DemoOpt = Annotated[
    bool,
    typer.Option("--demo", help="Use the bundled 2021-04-12 snapshot (no network, no tokens)."),
]
OfflineOpt = Annotated[bool, typer.Option("--offline", help="Use only what the store holds.")]


def selection(
    date: str | None, category: list[str] | None, top: int | None, use_demo: bool
) -> tuple[dt.date, list[str], int]:
    if use_demo:
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


async def build_digest(store: Store, day: dt.date, cats: list[str], top: int, offline: bool) -> Any:
    from bot.service import DigestService, UserError

    service = DigestService(settings(), store, clock=State.clock, offline=offline)
    try:
        return await service.build(day, cats, top)
    except UserError as exc:
        raise CliError(exc.for_cli()) from None
    finally:
        await service.aclose()


async def print_digest(day: dt.date, cats: list[str], top: int, offline: bool, fmt: str) -> None:
    store = open_store()
    try:
        result = await build_digest(store, day, cats, top, offline)
    finally:
        store.close()
    sys.stdout.write(format_digest(result, fmt))


async def post_now(
    platform: str, workspace: str, channel: str, selected: tuple[dt.date, list[str], int],
    offline: bool, force: bool,
) -> Any:  # fmt: skip
    """Check the platform's credentials first, then build the digest and deliver it."""
    from adapters.base import DeliveryError
    from bot.config import ConfigError
    from bot.ledger import Ledger
    from bot.posting import deliver, make_adapter

    try:
        adapter = await make_adapter(platform, settings(), State.clock)
    except ConfigError as exc:
        raise CliError(str(exc), 2) from None
    except DeliveryError as exc:
        raise CliError(str(exc)) from None
    store = open_store()
    try:
        result = await build_digest(store, *selected, offline)
        ledger = Ledger(store, socket.gethostname(), State.clock)
        return await deliver(adapter, ledger, workspace, channel, result, force=force)
    finally:
        store.close()
        close = getattr(adapter, "close", None)
        if close is not None:
            await close()


@app.command()
def digest(
    date: DateOpt = None,
    category: CategoryOpt = None,
    top: TopOpt = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="text, markdown, json, slack or discord.")
    ] = "text",
    use_demo: DemoOpt = False,
    offline: OfflineOpt = False,
) -> None:
    """Print the Hot Papers digest of a listing date."""
    if fmt not in FORMATS:
        raise CliError(f"unknown --format {fmt!r}; choose one of {', '.join(FORMATS)}", 2)
    day, cats, count = selection(date, category, top, use_demo)
    run_async(print_digest(day, cats, count, offline or use_demo, fmt))


@app.command()
def post(
    platform: Annotated[str, typer.Option("--platform", help="slack, discord or console.")],
    channel: Annotated[
        str,
        typer.Option(
            "--channel", help="Channel id (Slack C…, Discord snowflake; any name for console)."
        ),
    ],
    date: DateOpt = None,
    category: CategoryOpt = None,
    top: TopOpt = None,
    use_demo: DemoOpt = False,
    offline: OfflineOpt = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Post again even if this digest was already posted to this channel."
        ),
    ] = False,
    workspace: Annotated[
        str, typer.Option("--workspace", help="Workspace or guild id for the ledger.")
    ] = "default",
) -> None:
    """Post one digest now, as a thread (header, then one reply per paper)."""
    if platform not in ("slack", "discord", "console"):
        raise CliError(f"unknown --platform {platform!r}; choose slack, discord or console", 2)
    selected = selection(date, category, top, use_demo)
    outcome = run_async(
        post_now(platform, workspace, channel, selected, offline or use_demo, force)
    )
    typer.echo(redact(outcome.message), err=not outcome.ok)
    if not outcome.ok:
        raise typer.Exit(1)


def print_version(value: bool) -> None:
    if value:
        from bot import __version__

        typer.echo(f"hotpapers {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Debug logging, with each HTTP request (any command)."
        ),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Log errors only (any command).")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", callback=print_version,
                     is_eager=True),
    ] = False,
) -> None:  # fmt: skip
    """Hot Papers: a daily digest of the arXiv papers people are talking about."""
    level = "DEBUG" if verbose else "ERROR" if quiet else None
    try:
        fmt = settings().log_format
        setup_logging(level or settings().log_level, fmt)
    except CliError:
        setup_logging(level or "WARNING", "text")


GLOBAL_FLAGS = ("-v", "--verbose", "-q", "--quiet")


def hoist_global_flags(args: list[str]) -> list[str]:
    """``hotpapers digest -v`` means ``hotpapers -v digest``: the flags apply to every command."""
    end = args.index("--") if "--" in args else len(args)
    flags = [a for a in args[:end] if a in GLOBAL_FLAGS]
    return flags + [a for a in args[:end] if a not in GLOBAL_FLAGS] + args[end:]


def main() -> None:
    """Entry point: typer handles usage errors and --help; our errors become one line."""
    try:
        app(args=hoist_global_flags(sys.argv[1:]))
    except CliError as exc:
        typer.echo(redact(f"error: {exc}"), err=True)
        sys.exit(exc.code)
    except StoreError as exc:
        typer.echo(redact(f"error: {exc}"), err=True)
        sys.exit(1)
    except ConfigError as exc:  # a platform's missing or refused credentials, found late
        typer.echo(redact(f"error: {exc}"), err=True)
        sys.exit(2)
    except Exception as exc:  # anything unforeseen: one line, details only with --verbose
        log.debug("internal error", exc_info=True)
        typer.echo(
            f"error: internal error ({type(exc).__name__}); run with --verbose for details",
            err=True,
        )
        sys.exit(1)


# Commands of the long-running bot, subscriptions and operations live in their own modules;
# importing them registers their commands on ``app``.
from bot import cli_ops, cli_run  # noqa: E402,F401
