"""The arXiv calendar: which dates have a listing, when each was announced, what it covers.

arXiv announces Sunday to Thursday at 20:00 US Eastern. The listing dated D (Monday to Friday) is
the announcement made on the evening before D, and holds the submissions received between the
14:00 ET cutoff of the previous listing and the 14:00 ET cutoff on the weekday before D (Monday's
listing: Thursday 14:00 to Friday 14:00). A holiday has no listing; its submissions roll into the
next one.

Everything here is pure: callers pass ``now`` (timezone-aware) and the configured holidays, and
times are built in Eastern time with zoneinfo, then converted to UTC, so DST weeks come out right.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from zoneinfo import ZoneInfo

ET = ZoneInfo("America/New_York")
ARXIV_START = dt.date(1991, 8, 14)
ANNOUNCEMENT_TIME_ET = dt.time(20, 0)
CUTOFF_TIME_ET = dt.time(14, 0)
DATE_HELP = "expected YYYY-MM-DD, today or yesterday"

_ONE_DAY = dt.timedelta(days=1)
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")


class DateError(ValueError):
    """A date that cannot be answered; ``str()`` says why and what to ask for instead."""


class NoListing(DateError):
    """A weekend or holiday: arXiv has no listing on ``date``; ``nearest`` is the earlier one.

    A weekday without a listing can only be an arXiv holiday, and the message says so: readers
    otherwise wonder whether the bot is broken."""

    def __init__(self, date: dt.date, nearest: dt.date) -> None:
        self.date = date
        self.nearest = nearest
        self.holiday = date.weekday() < 5
        why = "arXiv holiday" if self.holiday else "weekends and holidays have none"
        super().__init__(
            f"arXiv has no listing on {describe(date)} ({why}); "
            f"the nearest earlier listing is {describe(nearest)}."
        )


def describe(d: dt.date) -> str:
    """``Saturday 2021-04-10``: the weekday name keeps users from misreading a date."""
    return f"{d:%A} {d.isoformat()}"


def is_listing_day(d: dt.date, holidays: Collection[dt.date] = ()) -> bool:
    """Monday to Friday, and not an arXiv holiday."""
    return d.weekday() < 5 and d not in holidays


def previous_listing(d: dt.date, holidays: Collection[dt.date] = ()) -> dt.date:
    """The nearest listing date strictly before ``d``."""
    return nearest_listing_on_or_before(d - _ONE_DAY, holidays)


def nearest_listing_on_or_before(d: dt.date, holidays: Collection[dt.date] = ()) -> dt.date:
    """``d`` itself when it has a listing, else the nearest earlier listing date."""
    while not is_listing_day(d, holidays):
        d -= _ONE_DAY
    return d


def _et(day: dt.date, time: dt.time) -> dt.datetime:
    """A wall-clock time in US Eastern on ``day``, as an aware UTC datetime."""
    return dt.datetime.combine(day, time, tzinfo=ET).astimezone(dt.UTC)


def _cutoff(listing: dt.date) -> dt.datetime:
    """The 14:00 ET deadline on the weekday before ``listing`` (Friday for a Monday listing)."""
    day = listing - _ONE_DAY
    while day.weekday() >= 5:
        day -= _ONE_DAY
    return _et(day, CUTOFF_TIME_ET)


def submission_window(
    d: dt.date, holidays: Collection[dt.date] = ()
) -> tuple[dt.datetime, dt.datetime]:
    """The UTC interval ``[start, end)`` of submissions announced in the listing dated ``d``.

    It starts where the previous real listing's window ended, so submissions of a holiday (which
    has no listing) and of a weekend fall into the next listing. Raises ``NoListing`` for a date
    without a listing.
    """
    if not is_listing_day(d, holidays):
        raise NoListing(d, nearest_listing_on_or_before(d, holidays))
    return _cutoff(previous_listing(d, holidays)), _cutoff(d)


def announcement_time(d: dt.date) -> dt.datetime:
    """When the listing dated ``d`` was announced: 20:00 ET on the evening before, in UTC."""
    return _et(d - _ONE_DAY, ANNOUNCEMENT_TIME_ET)


def _eastern(now: dt.datetime) -> dt.datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (use Clock.now())")
    return now.astimezone(ET)


def today_et(now: dt.datetime) -> dt.date:
    """The calendar date in US Eastern time at ``now`` (arXiv's dates, not the server's)."""
    return _eastern(now).date()


def yesterday_et(now: dt.datetime) -> dt.date:
    """The day before ``today_et(now)``."""
    return today_et(now) - _ONE_DAY


def listing_today(now: dt.datetime, holidays: Collection[dt.date] = ()) -> dt.date:
    """What ``today`` means to a reader: arXiv's day, which turns at the 20:00 ET announcement.

    The calendar date in US Eastern time, except once tomorrow's listing is out (from 20:00 ET
    the evening before, Sunday evening included): then tomorrow. On Friday evening, or on the
    eve of a holiday, nothing is announced and today stays today.
    """
    day = today_et(now)
    tomorrow = day + _ONE_DAY
    if is_listing_day(tomorrow, holidays) and announcement_time(tomorrow) <= now:
        return tomorrow
    return day


def latest_listing(now: dt.datetime, holidays: Collection[dt.date] = ()) -> dt.date:
    """The newest listing already announced at ``now``.

    After 20:00 ET the listing dated tomorrow is out, so the search starts one day ahead.
    """
    candidate = nearest_listing_on_or_before(today_et(now) + _ONE_DAY, holidays)
    while announcement_time(candidate) > now:
        candidate = previous_listing(candidate, holidays)
    return candidate


def parse_iso_date(word: str) -> dt.date:
    """``YYYY-MM-DD`` (one-digit month or day tolerated), else a ``DateError`` saying so."""
    match = _ISO_DATE.fullmatch(word.strip())
    if match is None:
        raise DateError(f"`{word.strip()[:40]}` is not a date: {DATE_HELP}.")
    year, month, day = (int(part) for part in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise DateError(f"`{word.strip()}` is not a real date: {DATE_HELP}.") from None


def resolve_date(word: str, now: dt.datetime, holidays: Collection[dt.date] = ()) -> dt.date:
    """The listing date a user means by ``word``: ``YYYY-MM-DD``, ``today`` or ``yesterday``
    (arXiv's day in US Eastern time, see ``listing_today``).

    Raises ``DateError`` for a malformed date, one before arXiv began, or one whose listing is not
    out yet (saying when it will be), and ``NoListing`` for a weekend or holiday.
    """
    keyword = word.strip().lower()
    if keyword == "today":
        d = listing_today(now, holidays)
    elif keyword == "yesterday":
        d = listing_today(now, holidays) - _ONE_DAY
    else:
        d = parse_iso_date(word)
    if d < ARXIV_START:
        raise DateError(
            f"{d.isoformat()} is before arXiv began; its first listing is {describe(ARXIV_START)}."
        )
    if d > today_et(now) and (not is_listing_day(d, holidays) or announcement_time(d) > now):
        raise _not_out_yet(d, now, holidays)
    if not is_listing_day(d, holidays):
        raise NoListing(d, nearest_listing_on_or_before(d, holidays))
    return d


def _not_out_yet(d: dt.date, now: dt.datetime, holidays: Collection[dt.date]) -> DateError:
    latest = describe(latest_listing(now, holidays))
    if not is_listing_day(d, holidays):
        return DateError(f"{d.isoformat()} is in the future; the latest listing is {latest}.")
    announced = announcement_time(d)
    return DateError(
        f"The listing of {describe(d)} is not out yet: arXiv announces it on "
        f"{describe(announced.astimezone(ET).date())} at 20:00 ET "
        f"({announced:%Y-%m-%d %H:%M} UTC). The latest listing is {latest}."
    )
