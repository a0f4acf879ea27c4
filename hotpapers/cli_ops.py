"""CLI commands for operators: check, discord-invite, backfill."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

import typer

from bot import calendar
from bot.logs import redact
from hotpapers.cli_common import (
    CategoryOpt,
    CliError,
    OfflineOpt,
    State,
    TopOpt,
    app,
    check_top,
    open_store,
    parse_categories,
    run_async,
    settings,
)

if TYPE_CHECKING:
    import httpx


def http_client() -> httpx.AsyncClient:
    import httpx

    from bot.service import USER_AGENT

    return httpx.AsyncClient(
        headers={"User-Agent": USER_AGENT}, follow_redirects=True, transport=State.transport
    )


@app.command()
def check() -> None:
    """Validate the configuration and reach every configured source, platform and the database.

    One line each: ✓ reachable, ✗ failed (with the reason), – skipped (not configured).
    Exits 1 if anything configured fails, 2 if the configuration itself is invalid.
    """
    config = settings()

    from hotpapers.checks import run_checks

    async def probe() -> tuple[list[str], bool]:
        async with http_client() as client:
            results = await run_checks(client, config, State.clock)
        return [r.line for r in results], any(r.state == "failed" for r in results)

    lines, any_failed = run_async(probe())
    typer.echo("✓ configuration: valid")
    for line in lines:
        typer.echo(redact(line))
    if any_failed:
        raise typer.Exit(1)


@app.command("discord-invite")
def discord_invite() -> None:
    """Print the URL that adds the bot to a Discord server with the permissions it needs.

    The application id comes from HOTPAPERS_DISCORD_APP_ID, or else is asked from Discord with
    DISCORD_TOKEN. Permissions: view channels, send messages, embed links, create public
    threads, send messages in threads, read message history; scopes: bot and
    applications.commands.
    """
    from adapters.discord_setup import application_id, invite_url
    from bot.config import ConfigError
    from bot.ports import DeliveryError

    try:
        app_id = run_async(application_id(settings()))
    except (ConfigError, DeliveryError) as exc:
        raise CliError(str(exc)) from None
    typer.echo(invite_url(app_id))


def parse_day(word: str, option: str) -> dt.date:
    """``YYYY-MM-DD``, ``today`` or ``yesterday`` (US Eastern, as everywhere else)."""
    keyword = word.strip().lower()
    now = State.clock.now()
    if keyword == "today":
        return calendar.today_et(now)
    if keyword == "yesterday":
        return calendar.yesterday_et(now)
    try:
        day = calendar.parse_iso_date(word)
    except calendar.DateError as exc:
        raise CliError(f"{option}: {exc}", 2) from None
    if day < calendar.ARXIV_START:
        raise CliError(
            f"{option}: {day} is before arXiv's first listing ({calendar.ARXIV_START})", 2
        )
    return day


def check_range(first: dt.date, last: dt.date) -> list[dt.date]:
    """The days from ``first`` to ``last``; an error when a listing in it is not out yet."""
    if last < first:
        raise CliError("--to is before --from", 2)
    holidays = settings().holidays
    latest = calendar.latest_listing(State.clock.now(), holidays)
    days = days_between(first, last)
    pending = [d for d in days if d > latest and calendar.is_listing_day(d, holidays)]
    if pending:
        raise CliError(
            f"the listing of {calendar.describe(pending[0])} is not out yet; "
            f"the latest is {calendar.describe(latest)}: end --to there",
            2,
        )
    return days


@dataclass
class Tally:
    built: list[dt.date] = field(default_factory=list)
    skipped: list[dt.date] = field(default_factory=list)
    failed: list[dt.date] = field(default_factory=list)

    def summary(self, first: dt.date, last: dt.date) -> str:
        return (
            f"backfill {first}..{last}: {len(self.built)} built, "
            f"{len(self.skipped)} skipped (no listing), {len(self.failed)} failed"
        )


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


async def backfill_days(
    days: list[dt.date], cats: list[str], top: int, offline: bool, say: Callable[[str], None],
    advance: Callable[[], None],
) -> Tally:  # fmt: skip
    """Build (and so store the snapshots of) each listing date with one service, in order.

    One service for the whole range keeps each source's rate limiter shared between dates.
    """
    from bot.service import DigestService, UserError

    tally = Tally()
    store = open_store()
    service = DigestService(settings(), store, clock=State.clock, offline=offline)
    try:
        for day in days:
            if not calendar.is_listing_day(day, settings().holidays):
                say(f"{day}: skipped, {calendar.describe(day)} has no arXiv listing")
                tally.skipped.append(day)
            else:
                try:
                    digest = await service.build(day, cats, top)
                except UserError as exc:
                    say(f"{day}: failed: {exc.for_cli()}")
                    tally.failed.append(day)
                else:
                    say(f"{day}: {len(digest.entries)} papers")
                    tally.built.append(day)
            advance()
    finally:
        await service.aclose()
        store.close()
    return tally


@app.command()
def backfill(
    start: Annotated[
        str, typer.Option("--from", help="First date to build: YYYY-MM-DD, today or yesterday.")
    ],
    end: Annotated[
        str, typer.Option("--to", help="Last date to build: YYYY-MM-DD, today or yesterday.")
    ],
    category: CategoryOpt = None,
    top: TopOpt = None,
    offline: OfflineOpt = False,
) -> None:
    """Build and store the digests of past listing dates (weekends and holidays are skipped).

    Shows a progress bar on a terminal and one line per date otherwise; exits 1 if any date failed.
    """
    first, last = parse_day(start, "--from"), parse_day(end, "--to")
    days = check_range(first, last)
    cats = parse_categories(category, settings().default_categories)
    count = check_top(top)
    if sys.stdout.isatty():
        from rich.progress import Progress

        with Progress(transient=False) as progress:
            task = progress.add_task("backfill", total=len(days))

            def say(line: str) -> None:  # as printed, never read as rich markup
                progress.console.print(line, markup=False, highlight=False, soft_wrap=True)

            tally = run_async(
                backfill_days(days, cats, count, offline, say, lambda: progress.advance(task))
            )
    else:
        tally = run_async(backfill_days(days, cats, count, offline, typer.echo, lambda: None))
    typer.echo(tally.summary(first, last))
    if tally.failed:
        raise typer.Exit(1)
