"""Parsing `/hotpapers ...`: every command, and the exact reply to every mistake."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.slack_app import command_text
from bot.calendar import ET
from bot.categories import ARCHIVES
from bot.command_hints import HELP_FORMS, help_text
from bot.commands import (
    MAX_CATEGORIES,
    CommandError,
    HelpRequest,
    Query,
    ShowSettings,
    Subscribe,
    Unsubscribe,
    from_options,
    parse_command,
    quote,
)
from bot.ports import Options

D = dt.date
NOW = dt.datetime(2021, 4, 13, 12, 0, tzinfo=ET).astimezone(dt.UTC)  # Tuesday noon in New York
DEFAULTS = ("cs.CL", "cs.LG", "cs.AI")
HINT = "Try `/hotpapers help`."
USAGE = "`/hotpapers [category ...] [YYYY-MM-DD|today|yesterday] [top=N]`"


def parse(text: str, **overrides: Any) -> object:
    options: dict[str, Any] = {
        "now": NOW,
        "default_categories": DEFAULTS,
        "default_top": 10,
    }
    options.update(overrides)
    return parse_command(text, **options)


def error(text: str, **overrides: Any) -> str:
    with pytest.raises(CommandError) as caught:
        parse(text, **overrides)
    return str(caught.value)


# --- queries ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Query(DEFAULTS, D(2021, 4, 13), 10)),
        ("   ", Query(DEFAULTS, D(2021, 4, 13), 10)),
        ("cs.CL", Query(("cs.CL",), D(2021, 4, 13), 10)),
        ("cs.cl CS.LG stat.ml", Query(("cs.CL", "cs.LG", "stat.ML"), D(2021, 4, 13), 10)),
        ("cs.CL cs.cl cs.LG cs.CL", Query(("cs.CL", "cs.LG"), D(2021, 4, 13), 10)),
        ("cs.CV 2021-04-12 top=5", Query(("cs.CV",), D(2021, 4, 12), 5)),
        ("TOP=50 2021-04-12 cs.CV", Query(("cs.CV",), D(2021, 4, 12), 50)),
        ("top:3", Query(DEFAULTS, D(2021, 4, 13), 3)),
        ("top=1", Query(DEFAULTS, D(2021, 4, 13), 1)),
        ("today", Query(DEFAULTS, D(2021, 4, 13), 10)),
        ("Yesterday hep-th", Query(("hep-th",), D(2021, 4, 12), 10)),
        ("quant-ph\tcond-mat.str-el\n", Query(("quant-ph", "cond-mat.str-el"), D(2021, 4, 13), 10)),
    ],
)
def test_queries(text: str, expected: Query) -> None:
    assert parse(text) == expected


def test_archive_wildcards_expand_in_order_without_duplicates() -> None:
    result = parse("stat.ML stat.* q-fin.ST")
    assert isinstance(result, Query)
    assert result.categories == (
        "stat.ML",
        "stat.AP",
        "stat.CO",
        "stat.ME",
        "stat.OT",
        "stat.TH",
        "q-fin.ST",
    )
    assert parse("astro-ph").categories == ARCHIVES["astro-ph"]  # type: ignore[attr-defined]


def test_default_categories_are_canonicalised() -> None:
    result = parse("", default_categories=["cs.cl", "CS.CL", "q-bio.*"])
    assert result == Query(("cs.CL", *ARCHIVES["q-bio"]), D(2021, 4, 13), 10)


def test_no_date_means_the_latest_announced_listing() -> None:
    saturday = dt.datetime(2021, 4, 17, 15, 0, tzinfo=dt.UTC)
    assert parse("cs.CL", now=saturday) == Query(("cs.CL",), D(2021, 4, 16), 10)
    sunday_evening = dt.datetime(2021, 4, 18, 20, 30, tzinfo=ET).astimezone(dt.UTC)
    assert parse("", now=sunday_evening) == Query(DEFAULTS, D(2021, 4, 19), 10)
    thanksgiving_eve = dt.datetime(2026, 11, 25, 21, 0, tzinfo=ET).astimezone(dt.UTC)
    assert parse("", now=thanksgiving_eve, holidays={D(2026, 11, 26)}) == Query(
        DEFAULTS, D(2026, 11, 25), 10
    )


def test_max_top_is_configurable() -> None:
    assert parse("top=80", max_top=100) == Query(DEFAULTS, D(2021, 4, 13), 80)
    assert error("top=11", max_top=10) == (
        "top must be between 1 and 10, e.g. `top=10` (you wrote `top=11`)."
    )


# --- other commands ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["help", "HELP", "--help", "-h", "?", "cs.CL help", "usage"])
def test_help(text: str) -> None:
    assert parse(text) == HelpRequest()


HELP = help_text(options=False, max_top=50)
TYPED_HELP = help_text(options=True, max_top=50)


def test_help_text_is_short_plain_and_shows_the_grammar() -> None:
    for text in (HELP, TYPED_HELP):
        assert len(text) < 1500
        assert "*" not in text.replace("`cs.*`", "")  # no platform-specific bold
    for example in (
        "`/hotpapers cs.CV 2021-04-12 top=5`",
        "`/hotpapers subscribe cs.CL at 09:00 Europe/Berlin top=10`",
        "`/hotpapers unsubscribe`",
        "`/hotpapers settings`",
    ):
        assert example in HELP
    assert "`/hotpapers category:cs.CV date:2021-04-12 top:5`" in TYPED_HELP


def typed(example: str) -> Options:
    """``/hotpapers category:cs.CV date:2021-04-12 top:5`` as the options Discord would send."""
    fields: dict[str, Any] = {}
    name = None
    for word in example.removeprefix("/hotpapers").split():
        names = (
            "category",
            "date",
            "top",
            "action",
            "time",
            "include",
            "exclude",
            "notify",
            "catching",
            "week_day",
            "query",
            "reactions",
        )
        if ":" in word and word.split(":")[0] in names:
            name, _, word = word.partition(":")
            fields[name] = word
        elif name is not None:
            fields[name] += " " + word
    renamed = {"category": "categories"}
    values = {renamed.get(k, k): int(v) if k == "top" else v for k, v in fields.items()}
    return Options(**values)


def test_every_form_in_the_help_means_the_same_typed_or_as_text() -> None:
    for text_form, typed_form, _ in HELP_FORMS:
        text = text_form.split("`")[1].removeprefix("/hotpapers").strip()
        options = typed(typed_form.split("`")[1])
        now = {"now": NOW, "default_categories": DEFAULTS, "default_top": 10}
        assert from_options(options, **now) == parse(text), (text_form, typed_form)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("unsubscribe", Unsubscribe()),
        ("Unsubscribe", Unsubscribe()),
        ("settings", ShowSettings()),
        ("SETTINGS", ShowSettings()),
    ],
)
def test_unsubscribe_and_settings(text: str, expected: object) -> None:
    assert parse(text) == expected


def test_unsubscribe_takes_no_arguments() -> None:
    assert error("unsubscribe cs.CL") == (
        "`unsubscribe` takes nothing after it (you wrote `cs.CL`); "
        "write just `/hotpapers unsubscribe`."
    )
    assert error("settings <@U123>") == (
        "`settings` takes nothing after it (you wrote `U123`); write just `/hotpapers settings`."
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "subscribe cs.CL cs.LG at 09:00 Europe/Berlin",
            Subscribe(("cs.CL", "cs.LG"), dt.time(9, 0), "Europe/Berlin"),
        ),
        (
            "SUBSCRIBE cs.cl at 7:30 europe/berlin top=3",
            Subscribe(("cs.CL",), dt.time(7, 30), "Europe/Berlin", 3),
        ),
        ("subscribe at 23:59", Subscribe(time=dt.time(23, 59))),  # the rest: kept or defaults
        ("subscribe 00:00 utc cs.*", Subscribe(ARCHIVES["cs"], dt.time(0, 0), "UTC")),
        (
            "subscribe top=5 America/New_York at 18:00 q-fin.ST",
            Subscribe(("q-fin.ST",), dt.time(18, 0), "America/New_York", 5),
        ),
        # A change names only what it changes.
        ("subscribe top=5", Subscribe(top=5)),
        ("subscribe cs.AI at 07:30", Subscribe(("cs.AI",), dt.time(7, 30))),
        ("subscribe include=llm,agents exclude=survey",
         Subscribe(include=("llm", "agents"), exclude=("survey",))),
        ("subscribe include=llm, agents", Subscribe(include=("llm", "agents"))),
        ("subscribe include=none notify=on", Subscribe(include=(), notify=True)),
        ("subscribe NOTIFY=off", Subscribe(notify=False)),
        ("subscribe", Subscribe()),
    ],
)  # fmt: skip
def test_subscribe(text: str, expected: Subscribe) -> None:
    assert parse(text, default_tz="America/Chicago") == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("subscribe cs.CL at", "`at` needs a time after it, e.g. `at 09:00`."),
        (
            "subscribe include=llm exclude=LLM",
            "`llm` cannot be both included and excluded; drop it from one of them "
            "(`include=none` or `exclude=none` clears a filter).",
        ),
        (
            "subscribe include=",
            "`include=` takes up to 20 words of at most 40 letters, digits, spaces or -+./#, "
            "separated by commas: `include=llm,agents` or `exclude=survey` (`include=none` "
            "clears it) (you wrote `?`).",
        ),
        (
            "subscribe exclude=<!here>",
            "`exclude=` takes up to 20 words of at most 40 letters, digits, spaces or -+./#, "
            "separated by commas: `include=llm,agents` or `exclude=survey` (`include=none` "
            "clears it) (you wrote `!here`).",
        ),
        ("subscribe include=a include=b", "Give `include=` only once (you wrote `a` and `b`)."),
        (
            "subscribe notify=maybe",
            "`notify=` is `on` (a line in this channel on arXiv holidays) or `off` "
            "(you wrote `maybe`).",
        ),
        (
            "subscribe include",
            "`include` needs a value: `include=llm,agents` or "
            "`exclude=survey` (`include=none` clears it), `notify=on`, `reactions=off`.",
        ),
        (
            "cs.CL include=llm",
            "`include=llm` is a subscription setting: write it after "
            "`subscribe`, e.g. `/hotpapers subscribe include=...`.",
        ),
        (
            "subscribe at 25:00",
            "`25:00` is not a time: use HH:MM on a 24-hour clock, e.g. `at 09:00`.",
        ),
        (
            "subscribe at 9am",
            "`9am` is not a time: use HH:MM on a 24-hour clock, e.g. `at 09:00`.",
        ),
        ("subscribe at at", "`at` is not a time: use HH:MM on a 24-hour clock, e.g. `at 09:00`."),
        ("subscribe 9.30", "`9.30` is not a time: use HH:MM on a 24-hour clock, e.g. `at 09:00`."),
        ("subscribe at 09:00 10:00", "Give one time, e.g. `at 09:00`."),
        (
            "subscribe at 09:00 Europe/Berln",
            "Unknown time zone `Europe/Berln`. Did you mean `Europe/Berlin` or `Europe/Dublin`? "
            "Use an IANA name like `Europe/Berlin`, `America/New_York` or `UTC`.",
        ),
        (
            "subscribe at 09:00 Berlin",
            "Unknown time zone `Berlin`. Did you mean `Europe/Berlin`? "
            "Use an IANA name like `Europe/Berlin`, `America/New_York` or `UTC`.",
        ),
        (
            "subscribe at 09:00 Mars/Olympus",
            "Unknown time zone `Mars/Olympus`. "
            "Use an IANA name like `Europe/Berlin`, `America/New_York` or `UTC`.",
        ),
        (
            "subscribe at 09:00 UTC Europe/Paris",
            "Give one time zone, not two (you wrote `UTC` and `Europe/Paris`).",
        ),
        (
            "subscribe cs.CL 2021-04-12 at 09:00",
            "A subscription posts every new listing, so it takes no date (you wrote `2021-04-12`). "
            "Example: `/hotpapers subscribe cs.CL at 09:00 Europe/Berlin`.",
        ),
        (
            "subscribe cs.XX at 09:00",
            f"Unknown category `cs.XX`. Did you mean `cs.AI`, `cs.AR` or `cs.CC`? {HINT}",
        ),
        (
            "subscribe at 09:00 top=0",
            "top must be between 1 and 50, e.g. `top=10` (you wrote `top=0`).",
        ),
    ],
)
def test_subscribe_errors(text: str, message: str) -> None:
    assert error(text) == message


# --- errors a user sees -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cs.XX", f"Unknown category `cs.XX`. Did you mean `cs.AI`, `cs.AR` or `cs.CC`? {HINT}"),
        ("cs.CLL", f"Unknown category `cs.CLL`. Did you mean `cs.CL`, `cs.CC` or `cs.CE`? {HINT}"),
        ("lg", f"Unknown category `lg`. Did you mean `cs.LG`? {HINT}"),
        ("vision", f"Unknown category `vision`. Did you mean `cs.CV`? {HINT}"),
        (
            "foo.bar",
            "Unknown category `foo.bar`. See the list at https://arxiv.org/category_taxonomy "
            "or try `/hotpapers help`.",
        ),
        ("banana", f"I don't understand `banana`. Usage: {USAGE}. {HINT}"),
        ("tody", f"I don't understand `tody`. Did you mean `today`? {HINT}"),
        ("subscibe", f"I don't understand `subscibe`. Did you mean `subscribe`? {HINT}"),
        ("cs.CL 09:00", f"I don't understand `09:00`. Usage: {USAGE}. {HINT}"),
        ("2021-04-12 today", "Give one date, not two (you wrote `2021-04-12` and `today`)."),
        ("top=5 top=6", "Give `top=` only once (you wrote `top=5` and `top=6`)."),
        ("top=0", "top must be between 1 and 50, e.g. `top=10` (you wrote `top=0`)."),
        ("top=51", "top must be between 1 and 50, e.g. `top=10` (you wrote `top=51`)."),
        ("top=abc", "top must be between 1 and 50, e.g. `top=10` (you wrote `top=abc`)."),
        ("top=-3", "top must be between 1 and 50, e.g. `top=10` (you wrote `top=-3`)."),
        ("top=", "top must be between 1 and 50, e.g. `top=10` (you wrote `top=`)."),
        ("top", "top must be between 1 and 50, e.g. `top=10` (you wrote `top`)."),
        ("top=٣", "top must be between 1 and 50, e.g. `top=10` (you wrote `top=٣`)."),
        (
            "top=" + "9" * 5000,
            "top must be between 1 and 50, e.g. `top=10` (you wrote "
            "`top=99999999999999999999999999999999999…`).",
        ),
        (
            "cs.* math.*",
            "Too many categories (72 after expanding); the most is 40. "
            "Pick fewer, e.g. `cs.CL cs.LG`.",
        ),
    ],
)
def test_errors(text: str, message: str) -> None:
    assert error(text) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2021-02-30", "`2021-02-30` is not a real date: expected YYYY-MM-DD, today or yesterday."),
        ("12/04/2021", "`12/04/2021` is not a date: expected YYYY-MM-DD, today or yesterday."),
        (
            "1990-01-01",
            "1990-01-01 is before arXiv began; its first listing is Wednesday 1991-08-14.",
        ),
        (
            "2021-04-14",
            "The listing of Wednesday 2021-04-14 is not out yet: arXiv announces it on "
            "Tuesday 2021-04-13 at 20:00 ET (2021-04-14 00:00 UTC). "
            "The latest listing is Tuesday 2021-04-13.",
        ),
        ("2021-04-17", "2021-04-17 is in the future; the latest listing is Tuesday 2021-04-13."),
    ],
)
def test_date_errors(text: str, message: str) -> None:
    assert error(f"cs.CL {text}") == message


def test_weekend_names_the_nearest_earlier_listing() -> None:
    with pytest.raises(CommandError) as caught:
        parse("cs.CL 2021-04-10")
    assert str(caught.value) == (
        "arXiv has no listing on Saturday 2021-04-10 (weekends and holidays have none); "
        "the nearest earlier listing is Friday 2021-04-09."
    )
    assert caught.value.nearest == D(2021, 4, 9)


def test_today_on_a_weekend_and_on_a_holiday() -> None:
    sunday = dt.datetime(2021, 4, 11, 15, 0, tzinfo=dt.UTC)
    assert error("today", now=sunday) == (
        "arXiv has no listing on Sunday 2021-04-11 (weekends and holidays have none); "
        "the nearest earlier listing is Friday 2021-04-09."
    )
    thanksgiving = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
    assert error("today", now=thanksgiving, holidays={D(2026, 11, 26)}) == (
        "arXiv has no listing on Thursday 2026-11-26 (arXiv holiday); "
        "the nearest earlier listing is Wednesday 2026-11-25."
    )


def test_errors_never_echo_mentions_or_markup() -> None:
    assert error("<@U024BE7LH>") == f"I don't understand `U024BE7LH`. Usage: {USAGE}. {HINT}"
    assert error("<!channel>") == f"I don't understand `!channel`. Usage: {USAGE}. {HINT}"
    assert error("@everyone") == f"I don't understand `everyone`. Usage: {USAGE}. {HINT}"
    assert error("<@&123456789>") == f"I don't understand `123456789`. Usage: {USAGE}. {HINT}"
    assert error(command_text("&lt;!here&gt;")) == (
        f"I don't understand `!here`. Usage: {USAGE}. {HINT}"
    )
    assert error("a`b") == f"I don't understand `ab`. Usage: {USAGE}. {HINT}"


def test_quote_cleans_and_clamps() -> None:
    assert quote("<@U1>&") == "`U1`"
    assert quote("x" * 100) == "`" + "x" * 39 + "…`"
    assert quote("<>") == "`?`"
    assert quote("a\x00b") == "`ab`"


def test_too_many_categories_limit_is_40() -> None:
    assert MAX_CATEGORIES == 40
    assert len(parse("cs.*").categories) == 40  # type: ignore[attr-defined]


# --- any input: a command or a CommandError, never anything else ------------------------------

_WORDS = st.sampled_from(
    [
        "cs.CL",
        "cs.*",
        "math",
        "today",
        "yesterday",
        "help",
        "subscribe",
        "unsubscribe",
        "settings",
        "at",
        "09:00",
        "99:99",
        "top=5",
        "top=",
        "top=999999999999",
        "2021-04-12",
        "2021-04-10",
        "9999-12-31",
        "0000-00-00",
        "1-1-1",
        "Europe/Berlin",
        "<@U1>",
        "<!here>",
        "<http://cs.AI|cs.AI>",
        "<mailto:a@b.c|a@b.c>",
        "<",
        ">",
        "|",
        "&amp;",
        "&#0;",
        "`",
        "\u0130",
    ]
)
_TEXTS = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(_WORDS, st.text(max_size=12)), max_size=12).map(" ".join),
)
_NOWS = st.datetimes(
    min_value=dt.datetime(1991, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC)
)


@settings(max_examples=300, deadline=None, database=None)
@given(text=_TEXTS, now=_NOWS)
def test_any_text_gives_a_command_or_a_command_error(text: str, now: dt.datetime) -> None:
    try:
        result = parse(text, now=now)
    except CommandError as exc:
        message = str(exc)
        assert 0 < len(message) < 500
        assert not set("<>@&").intersection(message.replace("`…", "")), message
    else:
        assert isinstance(result, Query | HelpRequest | Subscribe | Unsubscribe | ShowSettings)


def _as_text(options: Options) -> str:
    """The words a Slack user would type for what ``options`` say."""
    cats, top = options.categories or "", f"top={options.top}" if options.top else ""
    if options.action in ("help", "unsubscribe", "settings"):
        return options.action
    if options.action == "subscribe":
        return " ".join(["subscribe", cats, f"at {options.time}" if options.time else "", top])
    return " ".join([cats, options.date or "", top])


_OPTIONS = st.builds(
    Options,
    action=st.sampled_from([None, "digest", "help", "settings", "unsubscribe", "subscribe"]),
    categories=st.lists(st.sampled_from(["cs.CL", "cs.*", "stat.ML", "cs.XX", "math"]),
                        max_size=3).map(" ".join),
    date=st.sampled_from([None, "today", "yesterday", "2021-04-12", "2021-04-10", "2031-01-01"]),
    top=st.one_of(st.none(), st.integers(1, 60)),
    time=st.sampled_from([None, "09:00", "09:00 Europe/Berlin", "25:00", "berlin"]),
)  # fmt: skip


@settings(max_examples=200, deadline=None, database=None)
@given(options=_OPTIONS)
def test_typed_options_mean_what_the_same_words_mean(options: Options) -> None:
    """Discord's typed options skip the text, never the checks: same command, same reply."""
    context = {"now": NOW, "default_categories": DEFAULTS, "default_top": 10}
    outcomes = []
    for attempt in (lambda: from_options(options, **context), lambda: parse(_as_text(options))):
        try:
            outcomes.append(attempt())
        except CommandError as exc:
            outcomes.append(str(exc))
    assert outcomes[0] == outcomes[1]


def test_catching_fire_words_are_checked_like_every_setting() -> None:
    assert parse("subscribe catching=on") == Subscribe(catching_fire_days=3)
    assert parse("subscribe catching=0") == Subscribe(catching_fire_days=0)
    assert parse("subscribe catching=OFF top=5") == Subscribe(top=5, catching_fire_days=0)
    assert error("subscribe catching=99") == (
        '`catching=` is how many earlier listing days "Catching fire" looks back at: 0 to 10, '
        "`on` (3) or `off` (you wrote `99`)."
    )
    assert error("subscribe catching") == "`catching` needs a value: `catching=3`, `catching=off`."
    assert error("cs.CL catching=2").startswith("`catching=2` is a subscription setting")


def test_subscribe_reactions_on_or_off() -> None:
    assert parse("subscribe reactions=off") == Subscribe(reactions=False)
    assert parse("subscribe Reactions:ON top=3") == Subscribe(top=3, reactions=True)
    assert error("subscribe reactions=maybe") == (
        "`reactions=` is `on` (reactions to my papers here are counted and shape this channel's "
        "digest) or `off` (you wrote `maybe`)."
    )
    assert error("reactions=off").startswith("`reactions=off` is a subscription setting")
