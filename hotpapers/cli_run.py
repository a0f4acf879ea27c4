"""CLI commands of the long-running bot: run, subscribe, subscriptions, unsubscribe.

A running ``hotpapers run`` picks up what these commands change within a leader-election round
(about 15 seconds), without a restart.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.command_types import WEEKDAY_WORDS
from bot.config_checks import MAX_CATCHING_FIRE_DAYS, check_timezone
from bot.keywords import check_keywords, check_no_conflict
from hotpapers.cli_common import (
    CategoryOpt,
    CliError,
    State,
    TopOpt,
    app,
    check_channel,
    check_platform,
    check_top,
    open_store,
    parse_categories,
)
from hotpapers.cli_common import settings as load_settings

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

if TYPE_CHECKING:  # the store (SQLAlchemy) is imported by the commands that use it: fast --help
    from bot.config import Settings
    from bot.subscriptions import Subscription

PlatformOpt = Annotated[str, typer.Option("--platform", help="slack, discord or console.")]
ChannelOpt = Annotated[str, typer.Option("--channel", help="Channel id (Slack C…, Discord "
                                         "snowflake; any name for console).")]  # fmt: skip
WorkspaceOpt = Annotated[str, typer.Option("--workspace", help="Slack team id or Discord guild "
                                           "id (as a chat subscription stores it).")]  # fmt: skip


@app.command()
def subscribe(
    platform: PlatformOpt,
    channel: ChannelOpt,
    time: Annotated[str, typer.Option("--time", help="Local time of the post, HH:MM.")],
    tz: Annotated[
        str | None,
        typer.Option(
            "--tz", help="IANA time zone, e.g. Europe/Berlin. Default: HOTPAPERS_DEFAULT_TIMEZONE."
        ),
    ] = None,
    category: CategoryOpt = None,
    top: TopOpt = None,
    workspace: WorkspaceOpt = "default",
    include: Annotated[
        list[str] | None,
        typer.Option(
            "--include", help="Only papers whose title or abstract mentions this word (repeatable)."
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="Leave out papers mentioning this word (repeatable)."),
    ] = None,
    notify_no_listing: Annotated[
        bool,
        typer.Option(
            "--notify-no-listing",
            help="On an arXiv holiday, post one line saying there is no listing.",
        ),
    ] = False,
    catching_fire_days: Annotated[
        int | None,
        typer.Option(
            "--catching-fire-days",
            min=0,
            max=MAX_CATCHING_FIRE_DAYS,
            help="Catching fire: papers of this many earlier listing days hot since "
            "(0 = off; default: HOTPAPERS_CATCHING_FIRE_DAYS).",
        ),
    ] = None,
    week_day: Annotated[
        str | None,
        typer.Option(
            "--week-day",
            help="The channel's weekly roundup instead of its daily digest, on this weekday "
            "(mon ... sun): the arXiv week up to the latest listing.",
        ),
    ] = None,
    no_reactions: Annotated[
        bool,
        typer.Option(
            "--no-reactions",
            help="Do not count reactions to the bot's papers in this channel, nor let them shape "
            "its digest (deletes the counts it has).",
        ),
    ] = False,
) -> None:
    """Post a digest to a channel every arXiv listing day at a local time, or with --week-day
    the weekly roundup once a week (creates or updates; a channel may have both)."""
    from bot.subscriptions import SubscriptionStore, describe, parse_time

    chosen = check_platform(platform)
    check_channel(chosen, channel)
    day = None if week_day is None else WEEKDAY_WORDS.get(week_day.strip().lower())
    if week_day is not None and day is None:
        raise CliError(f"--week-day {week_day!r} is not a weekday: use mon ... sun", 2)
    try:
        at = parse_time(time)
        zone = tz or load_settings().default_timezone
        check_timezone(zone)
        words = {name: check_keywords(given, option=f"--{name}") if given else ()
                 for name, given in (("include", include), ("exclude", exclude))}  # fmt: skip
        check_no_conflict(words["include"], words["exclude"])
    except ValueError as exc:
        raise CliError(str(exc).replace("`", ""), 2) from None
    cats = parse_categories(category, load_settings().default_categories)
    store = open_store()
    try:
        subs = SubscriptionStore(store, State.clock)
        sub, created = subs.upsert(
            chosen, workspace, channel, categories=cats, time=at, tz=zone, top=check_top(top),
            include=words["include"], exclude=words["exclude"], notify_no_listing=notify_no_listing,
            catching_fire_days=catching_fire_days,
            week_day=day, reactions=not no_reactions,
        )  # fmt: skip
    finally:
        store.close()
    verb = "Subscribed" if created else "Updated"
    typer.echo(f"{verb} {sub.where}: {describe(sub)}.")
    typer.echo(f"Next post: {_next(sub)}.")


def _next(sub: Subscription) -> str:
    from bot.subscription_commands import next_delivery_text

    return next_delivery_text(sub, State.clock.now(), load_settings().holidays)


@app.command()
def subscriptions(
    show_all: Annotated[bool, typer.Option("--all", help="Include stopped subscriptions.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of text.")] = False,
) -> None:
    """List the subscriptions and when each posts next."""
    from bot.subscriptions import SubscriptionStore, describe

    store = open_store()
    try:
        found = SubscriptionStore(store, State.clock).list_all(include_inactive=show_all)
    finally:
        store.close()
    if not found and not as_json:
        typer.echo("No subscriptions. Add one with: hotpapers subscribe --platform slack "
                   "--channel C0123456789 --time 09:00 --tz Europe/Berlin")  # fmt: skip
    for sub in found:
        if as_json:
            typer.echo(json.dumps(_as_json(sub)))
        else:
            state = _next(sub) if sub.active else "stopped"
            typer.echo(f"{sub.where}  {describe(sub)}  next: {state}")


def _next_post(sub: Subscription) -> str | None:
    """The next post's time in the subscription's zone (ISO 8601); ``None`` when stopped."""
    from bot.scheduler import next_deliveries

    if not sub.active:
        return None
    found = next_deliveries(sub, State.clock.now(), 1, load_settings().holidays)
    return found[0][0].astimezone(check_timezone(sub.tz)).isoformat() if found else None


def _as_json(sub: Subscription) -> dict[str, object]:
    return {
        "id": sub.id, "platform": sub.platform, "workspace": sub.workspace,
        "channel": sub.channel, "categories": list(sub.categories), "top": sub.top,
        "time": f"{sub.time:%H:%M}", "tz": sub.tz, "include": list(sub.include),
        "exclude": list(sub.exclude), "active": sub.active,
        "notify_no_listing": sub.notify_no_listing, "next_post": _next_post(sub),
        "catching_fire_days": sub.catching_fire_days,
        "week_day": None if sub.week_day is None else WEEKDAY_NAMES[sub.week_day],
        "reactions": sub.reactions,
    }  # fmt: skip


WeekOpt = Annotated[bool, typer.Option("--week", help="Stop the weekly roundup instead.")]


@app.command()
def unsubscribe(platform: PlatformOpt, channel: ChannelOpt,
                workspace: WorkspaceOpt = "default", week: WeekOpt = False) -> None:  # fmt: skip
    """Stop a channel's daily digest (or, with --week, its weekly roundup)."""
    from bot.subscriptions import SubscriptionStore, UnreadableSubscription, describe

    chosen = check_platform(platform)
    store = open_store()
    try:
        subs = SubscriptionStore(store, State.clock)
        sub = subs.deactivate(chosen, workspace, channel, weekly=week)
    except UnreadableSubscription as exc:  # stopped all the same
        typer.echo(f"Unsubscribed {chosen}:{workspace}:{channel} ({exc}).")
        return
    finally:
        store.close()
    if sub is None:
        what = "weekly subscription" if week else "subscription"
        raise CliError(f"{chosen}:{workspace}:{channel} has no active {what} "
                       "(see hotpapers subscriptions)")  # fmt: skip
    typer.echo(f"Unsubscribed {sub.where} ({describe(sub)}).")


@app.command()
def run(
    no_scheduler: Annotated[
        bool,
        typer.Option(
            "--no-scheduler",
            help="Serve /hotpapers and /healthz only; never post scheduled digests.",
        ),
    ] = False,
    host: Annotated[
        str, typer.Option("--host", help="Address of the HTTP server (/healthz, /slack/events).")
    ] = "0.0.0.0",  # noqa: S104
    use_demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Watch the main job offline: a console subscription due in under a minute posts "
            "the bundled 2021-04-12 digest (a throwaway database; no network, no tokens).",
        ),
    ] = False,
) -> None:
    """Run the bot: Slack, Discord (or the console), the scheduler and GET /healthz on
    HOTPAPERS_PORT, until SIGTERM or Ctrl-C.

    Slack with SLACK_BOT_TOKEN plus SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP
    mode), Discord with DISCORD_TOKEN; with no chat token, scheduled digests print on stdout.
    Check the setup first with hotpapers check."""
    if use_demo and no_scheduler:
        raise CliError("--demo shows the scheduler at work: drop --no-scheduler", 2)
    import logging

    from hotpapers.checks import slack_mode
    from hotpapers.runtime import serve

    config = load_settings()
    if use_demo:
        from hotpapers.demo_run import demo_settings

        with demo_settings(config) as demo_config:
            serve_http(demo_config, host, lambda: serve(demo_config, host=host, demo=True))
        return
    if config.secret("slack_bot_token") and not config.slack_client_id:
        mode = slack_mode(config)
        if mode.startswith("post-only"):
            logging.getLogger("hotpapers").warning("slack: %s", mode)
    serve_http(
        config, host,
        lambda: serve(config, schedule=not no_scheduler, host=host, clock=State.clock),
    )  # fmt: skip


def serve_http(config: Settings, host: str, main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """``asyncio.run(main())``; a port that cannot be served is one line."""
    import asyncio
    import errno
    import os

    try:
        asyncio.run(main())
    except OSError as exc:
        if exc.errno not in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            raise
        raise CliError(
            f"cannot serve HTTP on {host}:{config.port} ({os.strerror(exc.errno)}); "
            "stop what uses that port or set HOTPAPERS_PORT"
        ) from None
