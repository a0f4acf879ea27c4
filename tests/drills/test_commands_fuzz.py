"""Random ``/hotpapers`` texts: parse_command answers or raises CommandError, nothing else.

The words include the grammar's own (``top=N``, ``at HH:MM``, zones, ``subscribe``...), valid and
not, so the examples reach every branch of the parser, not only its first refusal.

1,000 texts in the default run; 10,000 in a deep run (``HOTPAPERS_DEEP=1``, ``tests/budget.py``):
55-62 s on a 2-core machine shared with other jobs (Python 3.11). Marked ``drill``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.categories import is_category
from bot.commands import CommandError, Query, Subscribe, parse_command
from bot.config import check_timezone
from tests.budget import examples

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
WORDS = st.sampled_from(
    ["cs.CL", "cs.LG", "stat.ML", "top", "5", "50", "0", "-3", "2021-04-12", "yesterday", "today",
     "help", "subscribe", "unsubscribe", "settings", "at", "09:00", "25:61", "tz", "Europe/Paris",
     "Mars/Olympus", "include", "exclude", "+llm", "-vision", "--top", "9" * 30, "\u202e",
     "include=llm", "exclude=llm,", "include=none", "notify=on", "notify=maybe", "include=<@U1>",
     "<!channel>", "@everyone", "\x00", "'", '"', "\\", "\n", "𝟘𝟙", "cs.", ".CL",
     "2021-02-30", "1900-01-01", "top=5", "top=0", "top=50", "top=", "top=-3", "TOP=5",
     "top=" + "9" * 30, "top=five", "top=5=5", "cs.*", "Berlin", "UTC"]
)  # fmt: skip
TEXTS = st.one_of(st.text(max_size=200), st.lists(WORDS, max_size=12).map(" ".join))


@pytest.mark.drill
@settings(
    max_examples=examples(10_000, 1_000),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(text=TEXTS)
def test_any_text_is_answered_or_refused_with_a_command_error(text: str) -> None:
    try:
        command = parse_command(
            text, now=NOW, default_categories=("cs.CL",), default_top=10, holidays=()
        )
    except CommandError as exc:
        assert str(exc)  # the user always gets a message
    else:  # what was accepted is usable as it stands: valid categories, top, date, zone
        if isinstance(command, Query):
            assert command.categories and all(map(is_category, command.categories))
            assert 1 <= command.top <= 50
            assert dt.date(1991, 1, 1) <= command.date <= NOW.date() + dt.timedelta(days=1)
        if isinstance(command, Subscribe):  # only what it names; each named value usable
            assert command.categories is None or (
                command.categories and all(map(is_category, command.categories))
            )
            assert command.top is None or 1 <= command.top <= 50
            assert command.tz is None or check_timezone(command.tz)
            filters = (command.include or ()) + (command.exclude or ())
            assert all(w and not set("<>@&`").intersection(w) for w in filters)
