"""Parse ``/hotpapers ...`` into a command, the same way for Slack and Discord.

Grammar: ``/hotpapers [category ...] [YYYY-MM-DD|today|yesterday] [top=N]``, ``week`` followed
by the same (the weekly roundup of the arXiv week up to that listing), ``help``,
``paper <arXiv id>``, ``search <words>``,
``subscribe [category ...] [at HH:MM] [Area/City] [top=N] [include=w,w] [exclude=w]
[notify=on|off] [catching=N|on|off] [reactions=on|off]`` (a change names only what it changes),
``subscribe week [weekday] ...`` (the weekly roundup's subscription), ``unsubscribe [week]`` and
``settings``; or the same as typed ``Options`` (``from_options``), checked by the same code with
the same replies.
Any input gives either a command or a ``CommandError`` whose text is the short reply to show the
user, fix included; the user's words are echoed only cleaned of mention syntax and clamped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from bot.command_hints import quote, unknown_word_message
from bot.command_parser import Context, Parser, categories_of, paper_query, search_query
from bot.command_types import (
    MAX_CATEGORIES,
    SUBSCRIBE_EXAMPLE,
    Command,
    CommandError,
    HelpRequest,
    PaperQuery,
    Query,
    SearchQuery,
    ShowSettings,
    Subscribe,
    Unsubscribe,
    WeekQuery,
)
from bot.config import MAX_TOP, Settings
from bot.ports import Options

__all__ = [
    "MAX_CATEGORIES", "SUBSCRIBE_EXAMPLE", "Command", "CommandError", "HelpRequest",
    "PaperQuery", "Query", "SearchQuery", "ShowSettings", "Subscribe", "Unsubscribe", "WeekQuery",
    "from_options", "parse_command", "parse_for", "quote", "tokenize",
]  # fmt: skip

_HELP_WORDS = frozenset({"help", "-h", "--help", "?", "usage"})


def tokenize(text: str) -> list[str]:
    """Words of a command. A platform's own markup (Slack's ``<http://cs.AI|cs.AI>`` links and
    ``&amp;`` escapes) is undone by its adapter before the text reaches the core."""
    return text.split()


def context_of(
    *,
    now: dt.datetime,
    default_categories: Sequence[str],
    default_top: int,
    max_top: int = 50,
    holidays: Collection[dt.date] = (),
    default_tz: str = "UTC",
) -> Context:
    """What a command is read against: the time, and the deployment's defaults and limits."""
    return Context(now, tuple(default_categories), default_top, max_top, holidays, default_tz)


def parse_command(text: str, **defaults: Any) -> Command:
    """The command in ``text`` (what follows ``/hotpapers``), or a ``CommandError`` for the user.
    ``defaults``: the keyword arguments of ``context_of``."""
    context = context_of(**defaults)
    tokens = tokenize(text)
    words = [token.lower() for token in tokens]
    # Before help: ``search help desk`` looks for those words.
    if words and words[0] == "paper":
        return paper_query(tokens[1:])
    if words and words[0] == "search":
        return search_query(tokens[1:])
    if _HELP_WORDS.intersection(words):
        return HelpRequest()
    if words[:2] == ["unsubscribe", "week"] and len(words) == 2:
        return Unsubscribe(weekly=True)
    if words and words[0] in ("unsubscribe", "settings"):
        if len(words) > 1:
            raise CommandError(
                f"`{words[0]}` takes nothing after it (you wrote {quote(tokens[1])}); "
                f"write just `/hotpapers {words[0]}`."
            )
        return Unsubscribe() if words[0] == "unsubscribe" else ShowSettings()
    if words[:2] == ["subscribe", "week"]:
        return Parser(context, subscribing=True, weekly=True).subscription(tokens[2:])
    if words and words[0] == "subscribe":
        return Parser(context, subscribing=True).subscription(tokens[1:])
    if words and words[0] == "week":
        return _week(Parser(context, subscribing=False).query(tokens[1:]))
    return Parser(context, subscribing=False).query(tokens)


def _week(query: Query) -> WeekQuery:
    return WeekQuery(query.categories, query.date, query.top)


def from_options(options: Options, **defaults: Any) -> Command:
    """The command typed options stand for, checked exactly like the text form (same replies).
    ``defaults``: the keyword arguments of ``context_of``."""
    context = context_of(**defaults)
    action = (options.action or "digest").lower()
    if action == "help":
        return HelpRequest()
    if action in ("unsubscribe", "settings"):
        weekly = options.week_day is not None
        return Unsubscribe(weekly=weekly) if action == "unsubscribe" else ShowSettings()
    if action == "paper":
        return paper_query(tokenize(options.query or ""))
    if action == "search":
        return search_query(tokenize(options.query or ""))
    subscribing = action == "subscribe"
    if action not in ("digest", "subscribe", "week"):
        raise CommandError(unknown_word_message(action))
    parser = Parser(context, subscribing=subscribing, weekly=options.week_day is not None)
    for word in (options.categories or "").split():
        parser.categories.extend(categories_of(word, subscribing))
    if options.top is not None:
        parser.top_token = f"top={options.top}"
    if subscribing:
        for name in ("include", "exclude", "notify", "catching", "reactions"):
            value = getattr(options, name)
            if value is not None:
                parser.set_setting(name, value, f"{name}={value}")
        if options.week_day is not None:
            parser.set_week_day(options.week_day)
        return parser.subscription(_time_words(options.time))
    if options.date:
        parser.set_date(options.date.strip())
    query = parser.query(())
    return _week(query) if action == "week" else query


def _time_words(time: str | None) -> list[str]:
    """``09:00 Europe/Berlin`` as the words ``at 09:00 Europe/Berlin`` of the text form."""
    words = (time or "").split()
    return ["at", words[0], *words[1:]] if words else []


def parse_for(settings: Settings, given: str | Options, *, now: dt.datetime) -> Command:
    """The command in ``given`` (text, or typed options) with the deployment's defaults."""
    defaults: dict[str, Any] = dict(
        now=now,
        default_categories=settings.default_categories,
        default_top=settings.default_top,
        max_top=MAX_TOP,
        holidays=settings.holidays,
        default_tz=settings.default_timezone,
    )
    if isinstance(given, str):
        return parse_command(given, **defaults)
    return from_options(given, **defaults)
