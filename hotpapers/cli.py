"""The ``hotpapers`` command line: thin, arguments -> objects -> calls.

Errors a user can fix print one line on stderr and exit non-zero; never a traceback.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.config_checks import ConfigError
from bot.logs import redact, setup_logging
from bot.store_error import StoreError
from hotpapers.cli_common import (
    CatchingOpt,
    CategoryOpt,
    CliError,
    DateOpt,
    DemoOpt,
    OfflineOpt,
    State,
    TopOpt,
    app,
    check_channel,
    check_platform,
    open_store,
    run_async,
    selection,
    settings,
)
from hotpapers.formats import FORMATS, format_digest

if TYPE_CHECKING:
    from bot.snapshots import SnapshotStore
    from bot.store import Store

log = logging.getLogger("hotpapers")


async def build_digest(
    store: SnapshotStore, day: dt.date, cats: list[str], top: int, offline: bool,
    catching: int | None = None, week: bool = False,
) -> Any:  # fmt: skip
    from bot.service import DigestService, UserError

    service = DigestService(settings(), store, clock=State.clock, offline=offline)
    try:
        if week:
            return await service.build_week(day, cats, top)
        return await service.build(day, cats, top, catching_fire_days=catching)
    except UserError as exc:
        raise CliError(exc.for_cli()) from None
    finally:
        await service.aclose()


async def print_digest(
    day: dt.date, cats: list[str], top: int, offline: bool, fmt: str,
    catching: int | None = None, week: bool = False, *, bundled: bool = False,
) -> None:  # fmt: skip
    """``bundled`` (``--demo``): from the bundled snapshot in memory, no database opened."""
    from bot.snapshots import BundledStore

    store: BundledStore | Store = BundledStore() if bundled else open_store()
    try:
        result = await build_digest(store, day, cats, top, offline, catching, week)
    finally:
        store.close()
    sys.stdout.write(format_digest(result, fmt))


async def post_now(
    platform: str, workspace: str, channel: str, selected: tuple[dt.date, list[str], int],
    offline: bool, force: bool, catching: int | None = None, week: bool = False,
) -> Any:  # fmt: skip
    """Check the platform's credentials first, then build the digest and deliver it."""
    from bot.config import ConfigError
    from bot.ledger import Ledger
    from bot.ports import DeliveryError
    from bot.posting import deliver
    from hotpapers.platforms import make_adapter

    try:
        adapter = await make_adapter(platform, settings(), State.clock)
    except ConfigError as exc:
        raise CliError(str(exc), 2) from None
    except DeliveryError as exc:
        raise CliError(str(exc)) from None
    store = open_store()
    try:
        result = await build_digest(store, *selected, offline, catching, week)
        ledger = Ledger(store, socket.gethostname(), State.clock)
        return await deliver(adapter, ledger, workspace, channel, result, force=force)
    finally:
        store.close()
        close = getattr(adapter, "close", None)
        if close is not None:
            await close()


WeekFlag = Annotated[
    bool, typer.Option("--week", help="The weekly roundup: the arXiv week up to --date, as one.")
]


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
    catching_fire_days: CatchingOpt = None,
    week: WeekFlag = False,
) -> None:
    """Print the Hot Papers digest of a listing date (or, with --week, of its week so far)."""
    if fmt not in FORMATS:
        raise CliError(f"unknown --format {fmt!r}; choose one of {', '.join(FORMATS)}", 2)
    day, cats, count = selection(date, category, top, use_demo)
    run_async(print_digest(day, cats, count, offline or use_demo, fmt, catching_fire_days, week,
                           bundled=use_demo))  # fmt: skip


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
    catching_fire_days: CatchingOpt = None,
    week: WeekFlag = False,
) -> None:
    """Post one digest now, as a thread (header, then one reply per paper)."""
    check_channel(check_platform(platform), channel)
    selected = selection(date, category, top, use_demo)
    outcome = run_async(
        post_now(
            platform,
            workspace,
            channel,
            selected,
            offline or use_demo,
            force,
            catching_fire_days,
            week,
        )  # fmt: skip
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
from hotpapers import cli_db, cli_ops, cli_run  # noqa: E402,F401
