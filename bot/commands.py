"""Parse the text of ``/hotpapers ...`` into a command, the same way for Slack and Discord.

Grammar: ``/hotpapers [category ...] [YYYY-MM-DD|today|yesterday] [top=N]``, ``help``,
``subscribe [category ...] at HH:MM [Area/City] [top=N]``, ``unsubscribe`` and ``settings``; or
the same as typed ``Options`` (``from_options``), checked by the same code with the same replies.
Any input gives either a command or a ``CommandError`` whose text is the short reply to show the
user, fix included; the user's words are echoed only cleaned of mention syntax and clamped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from bot import calendar
from bot.categories import expand
from bot.command_hints import (
    quote,
    unknown_word_message,
    unknown_zone_message,
    zones,
)
from bot.config import MAX_TOP, Settings
from bot.ports import Options

MAX_CATEGORIES = 40
SUBSCRIBE_EXAMPLE = "`/hotpapers subscribe cs.CL at 09:00 Europe/Berlin`"

_DATE_LIKE = re.compile(r"[0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{1,4}")
_TIME_LIKE = re.compile(r"[0-9]{1,2}[:.h][0-9]{1,2}")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_TOP = re.compile(r"top(?:[=:](.*))?", re.DOTALL)
_HELP_WORDS = frozenset({"help", "-h", "--help", "?", "usage"})


@dataclass(frozen=True)
class Query:
    categories: tuple[str, ...]
    date: dt.date
    top: int


@dataclass(frozen=True)
class HelpRequest:
    pass


@dataclass(frozen=True)
class Subscribe:
    categories: tuple[str, ...]
    time: dt.time
    tz: str
    top: int


@dataclass(frozen=True)
class Unsubscribe:
    pass


@dataclass(frozen=True)
class ShowSettings:
    pass


Command = Query | HelpRequest | Subscribe | Unsubscribe | ShowSettings


class CommandError(ValueError):
    """Bad input: ``str(exc)`` is the reply for the user; ``nearest`` is set for a weekend."""

    def __init__(self, message: str, *, nearest: dt.date | None = None) -> None:
        super().__init__(message)
        self.nearest = nearest


def tokenize(text: str) -> list[str]:
    """Words of a command. A platform's own markup (Slack's ``<http://cs.AI|cs.AI>`` links and
    ``&amp;`` escapes) is undone by its adapter before the text reaches the core."""
    return text.split()


def parse_command(
    text: str,
    *,
    now: dt.datetime,
    default_categories: Sequence[str],
    default_top: int,
    max_top: int = 50,
    holidays: Collection[dt.date] = (),
    default_tz: str = "UTC",
) -> Command:
    """The command in ``text`` (what follows ``/hotpapers``), or a ``CommandError`` for the user."""
    context = _Context(now, tuple(default_categories), default_top, max_top, holidays, default_tz)
    tokens = tokenize(text)
    words = [token.lower() for token in tokens]
    if _HELP_WORDS.intersection(words):
        return HelpRequest()
    if words and words[0] in ("unsubscribe", "settings"):
        if len(words) > 1:
            raise CommandError(
                f"`{words[0]}` takes nothing after it (you wrote {quote(tokens[1])}); "
                f"write just `/hotpapers {words[0]}`."
            )
        return Unsubscribe() if words[0] == "unsubscribe" else ShowSettings()
    if words and words[0] == "subscribe":
        return _Parser(context, subscribing=True).subscription(tokens[1:])
    return _Parser(context, subscribing=False).query(tokens)


def from_options(
    options: Options,
    *,
    now: dt.datetime,
    default_categories: Sequence[str],
    default_top: int,
    max_top: int = 50,
    holidays: Collection[dt.date] = (),
    default_tz: str = "UTC",
) -> Command:
    """The command typed options stand for, checked exactly like the text form (same replies)."""
    context = _Context(now, tuple(default_categories), default_top, max_top, holidays, default_tz)
    action = (options.action or "digest").lower()
    if action == "help":
        return HelpRequest()
    if action in ("unsubscribe", "settings"):
        return Unsubscribe() if action == "unsubscribe" else ShowSettings()
    subscribing = action == "subscribe"
    if action not in ("digest", "subscribe"):
        raise CommandError(unknown_word_message(action))
    parser = _Parser(context, subscribing=subscribing)
    for word in (options.categories or "").split():
        parser.categories.extend(_categories_of(word, subscribing))
    if options.top is not None:
        parser.top_token = f"top={options.top}"
    if subscribing:
        return parser.subscription(_time_words(options.time))
    if options.date:
        parser._set_date(options.date.strip())
    return parser.query(())


def _time_words(time: str | None) -> list[str]:
    """``09:00 Europe/Berlin`` as the words ``at 09:00 Europe/Berlin`` of the text form."""
    words = (time or "").split()
    return ["at", words[0], *words[1:]] if words else []


@dataclass(frozen=True)
class _Context:
    now: dt.datetime
    default_categories: tuple[str, ...]
    default_top: int
    max_top: int
    holidays: Collection[dt.date]
    default_tz: str


@dataclass
class _Parser:
    """Reads tokens one by one, remembering what each one set."""

    context: _Context
    subscribing: bool
    categories: list[str] = field(default_factory=list)
    date_token: str | None = None
    top_token: str | None = None
    time: dt.time | None = None
    tz: str | None = None

    def query(self, tokens: Sequence[str]) -> Query:
        for token in tokens:
            self._read(token)
        ctx = self.context
        if self.date_token is None:
            date = calendar.latest_listing(ctx.now, ctx.holidays)
        else:
            date = _resolve_date(self.date_token, ctx)
        return Query(self._chosen_categories(), date, self._top())

    def subscription(self, tokens: Sequence[str]) -> Subscribe:
        expecting_time = False
        for token in tokens:
            if expecting_time:
                self._set_time(token)
            elif token.lower() != "at":
                self._read(token)
            expecting_time = token.lower() == "at" and not expecting_time
        if expecting_time:
            raise CommandError("`at` needs a time after it, e.g. `at 09:00`.")
        if self.time is None:
            raise CommandError(f"When should I post? Add a time, e.g. {SUBSCRIBE_EXAMPLE}.")
        tz = self.tz or self.context.default_tz
        return Subscribe(self._chosen_categories(), self.time, tz, self._top())

    def _read(self, token: str) -> None:
        lowered = token.lower()
        if _TOP.fullmatch(lowered):
            self.top_token = _once(self.top_token, token, "Give `top=` only once")
        elif lowered in ("today", "yesterday") or _DATE_LIKE.fullmatch(lowered):
            self._set_date(token)
        elif self.subscribing and _TIME_LIKE.fullmatch(lowered):
            self._set_time(token)
        elif self.subscribing and (zone := zones().get(lowered)) is not None:
            self.tz = _once(self.tz, zone, "Give one time zone, not two")
        else:
            self.categories.extend(_categories_of(token, self.subscribing))

    def _set_date(self, token: str) -> None:
        if self.subscribing:
            raise CommandError(
                f"A subscription posts every new listing, so it takes no date "
                f"(you wrote {quote(token)}). Example: {SUBSCRIBE_EXAMPLE}."
            )
        self.date_token = _once(self.date_token, token, "Give one date, not two")

    def _set_time(self, token: str) -> None:
        match = _TIME.fullmatch(token)
        hour, minute = (int(part) for part in match.groups()) if match else (99, 99)
        if hour > 23 or minute > 59:
            raise CommandError(
                f"{quote(token)} is not a time: use HH:MM on a 24-hour clock, e.g. `at 09:00`."
            )
        if self.time is not None:
            raise CommandError("Give one time, e.g. `at 09:00`.")
        self.time = dt.time(hour, minute)

    def _chosen_categories(self) -> tuple[str, ...]:
        chosen = self.categories or _canonical_defaults(self.context.default_categories)
        unique = tuple(dict.fromkeys(chosen))
        if len(unique) > MAX_CATEGORIES:
            raise CommandError(
                f"Too many categories ({len(unique)} after expanding); the most is "
                f"{MAX_CATEGORIES}. Pick fewer, e.g. `cs.CL cs.LG`."
            )
        return unique

    def _top(self) -> int:
        if self.top_token is None:
            return self.context.default_top
        max_top = self.context.max_top
        match = _TOP.fullmatch(self.top_token.lower())
        value = (match.group(1) if match else None) or ""
        if re.fullmatch(r"[0-9]{1,6}", value) and 1 <= int(value) <= max_top:
            return int(value)
        raise CommandError(
            f"top must be between 1 and {max_top}, e.g. `top=10` "
            f"(you wrote {quote(self.top_token)})."
        )


def _once(current: str | None, token: str, problem: str) -> str:
    """``token``, unless one was given already: then say so, naming both."""
    if current is not None:
        raise CommandError(f"{problem} (you wrote {quote(current)} and {quote(token)}).")
    return token


def _resolve_date(token: str, ctx: _Context) -> dt.date:
    try:
        return calendar.resolve_date(token, ctx.now, ctx.holidays)
    except calendar.NoListing as exc:
        raise CommandError(str(exc), nearest=exc.nearest) from None
    except calendar.DateError as exc:
        raise CommandError(str(exc)) from None


def _canonical_defaults(codes: Sequence[str]) -> list[str]:
    """The configured categories, canonicalised and expanded like typed ones (kept if unknown)."""
    return [found for code in codes for found in (expand(code) or [code])]


def _categories_of(token: str, subscribing: bool) -> list[str]:
    """The categories ``token`` names, or the error telling the user what went wrong."""
    found = expand(token)
    if found:
        return found
    if subscribing and (message := unknown_zone_message(token)) is not None:
        raise CommandError(message)
    raise CommandError(unknown_word_message(token))


def parse_for(settings: Settings, given: str | Options, *, now: dt.datetime) -> Command:
    """The command in ``given`` (text, or typed options) with the deployment's defaults."""
    parse = parse_command if isinstance(given, str) else from_options
    return parse(
        given,  # type: ignore[arg-type]
        now=now,
        default_categories=settings.default_categories,
        default_top=settings.default_top,
        max_top=MAX_TOP,
        holidays=settings.holidays,
        default_tz=settings.default_timezone,
    )
