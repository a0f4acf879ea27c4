"""The parser behind ``bot.commands``: reads a command's words one by one, remembering what each
one set, and raises a ``CommandError`` (the reply, fix included) at the first mistake."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from bot import calendar
from bot.categories import expand
from bot.command_hints import quote, unknown_word_message, unknown_zone_message, zones
from bot.command_types import (
    MAX_CATEGORIES,
    SUBSCRIBE_EXAMPLE,
    WEEKDAY_WORDS,
    WEEKLY_EXAMPLE,
    CommandError,
    PaperQuery,
    Query,
    SearchQuery,
    Subscribe,
)
from bot.config import MAX_CATCHING_FIRE_DAYS
from bot.keywords import EXAMPLE as KEYWORDS_EXAMPLE
from bot.keywords import check_no_conflict, keywords
from bot.sources.arxiv_ids import normalise_arxiv_id

_DATE_LIKE = re.compile(r"[0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{1,4}")
_TIME_LIKE = re.compile(r"[0-9]{1,2}[:.h][0-9]{1,2}")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_TOP = re.compile(r"top(?:[=:](.*))?", re.DOTALL)
_SETTING = re.compile(
    r"(include|exclude|notify|catching|reactions)[=:](.*)", re.DOTALL | re.IGNORECASE
)
_SWITCHES = ("notify", "reactions")
#: ``catching=on``: the section looks back this many listing days.
CATCHING_ON = 3
MAX_CATCHING = MAX_CATCHING_FIRE_DAYS
_ON_OFF = {"on": True, "yes": True, "off": False, "no": False}
NOTIFY_MEANS = "a line in this channel on arXiv holidays"
REACTIONS_MEANS = "reactions to my papers here are counted and shape this channel's digest"


@dataclass(frozen=True)
class Context:
    now: dt.datetime
    default_categories: tuple[str, ...]
    default_top: int
    max_top: int
    holidays: Collection[dt.date]
    default_tz: str


@dataclass
class Parser:
    """Reads tokens one by one, remembering what each one set."""

    context: Context
    subscribing: bool
    weekly: bool = False  # ``subscribe week ...``
    week_day: int | None = None
    categories: list[str] = field(default_factory=list)
    date_token: str | None = None
    top_token: str | None = None
    time: dt.time | None = None
    tz: str | None = None
    settings: dict[str, str] = field(default_factory=dict)  # include/exclude/notify as typed
    _continuing: str | None = None  # "include=a," then "b": the list goes on

    def query(self, tokens: Sequence[str]) -> Query:
        for token in tokens:
            self.read(token)
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
                self.set_time(token)
            elif token.lower() != "at":
                self.read(token)
            expecting_time = token.lower() == "at" and not expecting_time
        if expecting_time:
            raise CommandError("`at` needs a time after it, e.g. `at 09:00`.")
        include, exclude = self._keywords("include"), self._keywords("exclude")
        try:
            check_no_conflict(include or (), exclude or ())
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        return Subscribe(
            categories=self._chosen_categories() if self.categories else None, time=self.time,
            tz=self.tz, top=self._top() if self.top_token else None, include=include,
            exclude=exclude, notify=self._switch("notify", NOTIFY_MEANS),
            catching_fire_days=self._catching(), weekly=self.weekly, week_day=self.week_day,
            reactions=self._switch("reactions", REACTIONS_MEANS),
        )  # fmt: skip

    def read(self, token: str) -> None:
        lowered = token.lower()
        if self._continuing and not _SETTING.fullmatch(lowered) and "=" not in lowered:
            self._continue(token)
        elif _TOP.fullmatch(lowered):
            self.top_token = _once(self.top_token, token, "Give `top=` only once")
        elif lowered in ("today", "yesterday") or _DATE_LIKE.fullmatch(lowered):
            self.set_date(token)
        elif self.subscribing and _TIME_LIKE.fullmatch(lowered):
            self.set_time(token)
        elif self.subscribing and lowered in WEEKDAY_WORDS:
            self.set_week_day(token)
        elif self.subscribing and (zone := zones().get(lowered)) is not None:
            self.tz = _once(self.tz, zone, "Give one time zone, not two")
        elif match := _SETTING.fullmatch(token):
            self.set_setting(match.group(1).lower(), match.group(2), token)
        elif lowered == "catching":
            raise CommandError("`catching` needs a value: `catching=3`, `catching=off`.")
        elif lowered == "week":
            raise CommandError(
                "`week` comes first: `/hotpapers week cs.CL` (the weekly roundup), or "
                f"{WEEKLY_EXAMPLE}."
            )
        elif lowered in ("include", "exclude", *_SWITCHES):
            raise CommandError(
                f"`{lowered}` needs a value: {KEYWORDS_EXAMPLE}, `notify=on`, `reactions=off`."
            )
        else:
            self.categories.extend(categories_of(token, self.subscribing))

    def set_setting(self, name: str, value: str, token: str) -> None:
        if not self.subscribing:
            raise CommandError(
                f"{quote(token)} is a subscription setting: write it after `subscribe`, e.g. "
                f"`/hotpapers subscribe {name}=...`."
            )
        self.settings[name] = _once(self.settings.get(name), value, f"Give `{name}=` only once")
        listed = name in ("include", "exclude")
        self._continuing = name if listed and value.rstrip().endswith(",") else None

    def _continue(self, token: str) -> None:
        name = self._continuing
        assert name is not None
        self.settings[name] += token
        self._continuing = name if token.endswith(",") else None

    def set_date(self, token: str) -> None:
        if self.subscribing:
            raise CommandError(
                f"A subscription posts every new listing, so it takes no date "
                f"(you wrote {quote(token)}). Example: {SUBSCRIBE_EXAMPLE}."
            )
        self.date_token = _once(self.date_token, token, "Give one date, not two")

    def set_week_day(self, token: str) -> None:
        """The weekday of a weekly subscription (``friday``, ``fri``); a daily one has none."""
        if not self.weekly:
            raise CommandError(
                f"A daily subscription posts every listing day, so it takes no weekday (you wrote "
                f"{quote(token)}). For a weekly roundup: {WEEKLY_EXAMPLE}."
            )
        day = WEEKDAY_WORDS.get(token.strip().lower())
        if day is None:
            raise CommandError(
                f"{quote(token)} is not a weekday: use `monday` to `sunday` (or `mon` ... `sun`)."
            )
        if self.week_day is not None:
            raise CommandError("Give one weekday, e.g. `friday`.")
        self.week_day = day

    def set_time(self, token: str) -> None:
        match = _TIME.fullmatch(token)
        hour, minute = (int(part) for part in match.groups()) if match else (99, 99)
        if hour > 23 or minute > 59:
            raise CommandError(
                f"{quote(token)} is not a time: use HH:MM on a 24-hour clock, e.g. `at 09:00`."
            )
        if self.time is not None:
            raise CommandError("Give one time, e.g. `at 09:00`.")
        self.time = dt.time(hour, minute)

    def _keywords(self, name: str) -> tuple[str, ...] | None:
        if name not in self.settings:
            return None
        try:
            return keywords(self.settings[name], option=f"`{name}=`")
        except ValueError as exc:
            raise CommandError(str(exc)) from None

    def _switch(self, name: str, means: str) -> bool | None:
        if name not in self.settings:
            return None
        value = self.settings[name].strip().lower()
        if value not in _ON_OFF:
            raise CommandError(
                f"`{name}=` is `on` ({means}) or `off` (you wrote {quote(self.settings[name])})."
            )
        return _ON_OFF[value]

    def _catching(self) -> int | None:
        if "catching" not in self.settings:
            return None
        value = self.settings["catching"].strip().lower()
        if value in _ON_OFF:
            return CATCHING_ON if _ON_OFF[value] else 0
        if re.fullmatch(r"[0-9]{1,2}", value) and int(value) <= MAX_CATCHING:
            return int(value)
        raise CommandError(
            f'`catching=` is how many earlier listing days "Catching fire" looks back at: '
            f"0 to {MAX_CATCHING}, `on` ({CATCHING_ON}) or `off` "
            f"(you wrote {quote(self.settings['catching'])})."
        )

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


def _resolve_date(token: str, ctx: Context) -> dt.date:
    try:
        return calendar.resolve_date(token, ctx.now, ctx.holidays)
    except calendar.NoListing as exc:
        raise CommandError(str(exc), nearest=exc.nearest) from None
    except calendar.DateError as exc:
        raise CommandError(str(exc)) from None


def _canonical_defaults(codes: Sequence[str]) -> list[str]:
    """The configured categories, canonicalised and expanded like typed ones (kept if unknown)."""
    return [found for code in codes for found in (expand(code) or [code])]


def categories_of(token: str, subscribing: bool) -> list[str]:
    """The categories ``token`` names, or the error telling the user what went wrong."""
    found = expand(token)
    if found:
        return found
    if subscribing and (message := unknown_zone_message(token)) is not None:
        raise CommandError(message)
    raise CommandError(unknown_word_message(token))


PAPER_EXAMPLE = "`/hotpapers paper 2104.04015`"
SEARCH_EXAMPLE = "`/hotpapers search anomaly detection`"


def paper_query(words: Sequence[str]) -> PaperQuery:
    """``paper <id>``: one arXiv id, new-style or old-style, with or without its version."""
    if not words:
        raise CommandError(f"`paper` needs an arXiv id after it, e.g. {PAPER_EXAMPLE}.")
    if len(words) > 1:
        raise CommandError(
            f"`paper` takes one arXiv id (you wrote {quote(' '.join(words))}), "
            f"e.g. {PAPER_EXAMPLE}; to find papers by words, use {SEARCH_EXAMPLE}."
        )
    arxiv_id = normalise_arxiv_id(words[0])
    if arxiv_id is None:
        raise CommandError(
            f"{quote(words[0])} is not an arXiv id: write it like `2104.04015`, `2104.04015v2` "
            f"or `math/0309136`, e.g. {PAPER_EXAMPLE}."
        )
    return PaperQuery(arxiv_id)


def search_query(words: Sequence[str]) -> SearchQuery:
    """``search <words>``: at least one word."""
    if not any(word.strip() for word in words):
        raise CommandError(f"`search` needs words to look for, e.g. {SEARCH_EXAMPLE}.")
    return SearchQuery(tuple(word for word in words if word.strip()))
