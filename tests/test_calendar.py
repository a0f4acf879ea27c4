"""The arXiv calendar: listing days, submission windows (DST-correct), announcements, date words."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.calendar import (
    ARXIV_START,
    ET,
    DateError,
    NoListing,
    announcement_time,
    is_listing_day,
    latest_listing,
    nearest_listing_on_or_before,
    previous_listing,
    resolve_date,
    submission_window,
    today_et,
    yesterday_et,
)

D = dt.date
UTC = dt.UTC
THANKSGIVING_2026 = D(2026, 11, 26)
YEAR_END = frozenset({D(2026, 12, 31), D(2027, 1, 1)})


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def et(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ET)


# --- listing days -----------------------------------------------------------------------------


def test_weekdays_are_listing_days_and_weekends_are_not() -> None:
    week = [D(2021, 4, 12) + dt.timedelta(days=n) for n in range(7)]
    assert [is_listing_day(d) for d in week] == [True] * 5 + [False, False]


def test_a_configured_holiday_is_not_a_listing_day() -> None:
    assert is_listing_day(THANKSGIVING_2026) is True
    assert is_listing_day(THANKSGIVING_2026, {THANKSGIVING_2026}) is False


def test_previous_listing_skips_weekends_and_holidays() -> None:
    assert previous_listing(D(2021, 4, 12)) == D(2021, 4, 9)
    assert previous_listing(D(2021, 4, 13)) == D(2021, 4, 12)
    assert previous_listing(D(2021, 4, 11)) == D(2021, 4, 9)
    assert previous_listing(D(2027, 1, 4), YEAR_END) == D(2026, 12, 30)
    assert previous_listing(D(2026, 11, 27), {THANKSGIVING_2026}) == D(2026, 11, 25)


def test_nearest_listing_on_or_before_keeps_a_listing_day() -> None:
    assert nearest_listing_on_or_before(D(2021, 4, 12)) == D(2021, 4, 12)
    assert nearest_listing_on_or_before(D(2021, 4, 10)) == D(2021, 4, 9)
    assert nearest_listing_on_or_before(D(2021, 4, 11)) == D(2021, 4, 9)
    assert nearest_listing_on_or_before(D(2027, 1, 3), YEAR_END) == D(2026, 12, 30)


# --- submission windows and announcements -----------------------------------------------------


@pytest.mark.parametrize(
    ("listing", "start", "end"),
    [
        # The seed's date: Monday's listing holds Thursday 14:00 to Friday 14:00 EDT.
        (D(2021, 4, 12), utc(2021, 4, 8, 18), utc(2021, 4, 9, 18)),
        (D(2021, 4, 13), utc(2021, 4, 9, 18), utc(2021, 4, 12, 18)),
        (D(2021, 4, 14), utc(2021, 4, 12, 18), utc(2021, 4, 13, 18)),
        (D(2021, 4, 15), utc(2021, 4, 13, 18), utc(2021, 4, 14, 18)),
        (D(2021, 4, 16), utc(2021, 4, 14, 18), utc(2021, 4, 15, 18)),
        # DST starts Sunday 2021-03-14: Tuesday's window spans it (71 hours).
        (D(2021, 3, 12), utc(2021, 3, 10, 19), utc(2021, 3, 11, 19)),
        (D(2021, 3, 15), utc(2021, 3, 11, 19), utc(2021, 3, 12, 19)),
        (D(2021, 3, 16), utc(2021, 3, 12, 19), utc(2021, 3, 15, 18)),
        # DST ends Sunday 2021-11-07 (73 hours).
        (D(2021, 11, 8), utc(2021, 11, 4, 18), utc(2021, 11, 5, 18)),
        (D(2021, 11, 9), utc(2021, 11, 5, 18), utc(2021, 11, 8, 19)),
        # The same weeks in 2026: DST starts 2026-03-08, ends 2026-11-01.
        (D(2026, 3, 9), utc(2026, 3, 5, 19), utc(2026, 3, 6, 19)),
        (D(2026, 3, 10), utc(2026, 3, 6, 19), utc(2026, 3, 9, 18)),
        (D(2026, 11, 2), utc(2026, 10, 29, 18), utc(2026, 10, 30, 18)),
        (D(2026, 11, 3), utc(2026, 10, 30, 18), utc(2026, 11, 2, 19)),
    ],
)
def test_submission_window(listing: dt.date, start: dt.datetime, end: dt.datetime) -> None:
    assert submission_window(listing) == (start, end)


def test_windows_spanning_dst_changes_are_an_hour_short_or_long() -> None:
    spring_start, spring_end = submission_window(D(2021, 3, 16))
    autumn_start, autumn_end = submission_window(D(2021, 11, 9))
    assert spring_end - spring_start == dt.timedelta(hours=71)
    assert autumn_end - autumn_start == dt.timedelta(hours=73)


def test_a_holidays_submissions_roll_into_the_next_listing() -> None:
    holidays = {THANKSGIVING_2026}
    assert submission_window(D(2026, 11, 25), holidays) == (
        utc(2026, 11, 23, 19),
        utc(2026, 11, 24, 19),
    )
    # Friday's listing takes Thursday's submissions too: Tuesday 14:00 to Thursday 14:00 EST.
    assert submission_window(D(2026, 11, 27), holidays) == (
        utc(2026, 11, 24, 19),
        utc(2026, 11, 26, 19),
    )


def test_year_end_holidays_make_one_long_window_into_january() -> None:
    assert submission_window(D(2026, 12, 30), YEAR_END) == (
        utc(2026, 12, 28, 19),
        utc(2026, 12, 29, 19),
    )
    # Monday 2027-01-04 holds Tuesday 14:00 to Friday 14:00 EST (12-31 and 01-01 included).
    assert submission_window(D(2027, 1, 4), YEAR_END) == (
        utc(2026, 12, 29, 19),
        utc(2027, 1, 1, 19),
    )


def test_windows_tile_time_without_gaps_or_overlaps() -> None:
    holidays = YEAR_END | {THANKSGIVING_2026, D(2026, 7, 3)}
    day, previous_end = D(2026, 1, 2), submission_window(D(2026, 1, 1))[1]
    while day <= D(2027, 1, 8):
        if is_listing_day(day, holidays):
            start, end = submission_window(day, holidays)
            assert start == previous_end, day
            assert start < end < announcement_time(day), day
            previous_end = end
        day += dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("day", "expected"),
    [(D(2021, 4, 10), D(2021, 4, 9)), (D(2021, 4, 11), D(2021, 4, 9))],
)
def test_no_window_on_a_weekend(day: dt.date, expected: dt.date) -> None:
    with pytest.raises(NoListing) as caught:
        submission_window(day)
    assert (caught.value.date, caught.value.nearest) == (day, expected)


def test_no_window_on_a_holiday() -> None:
    with pytest.raises(NoListing) as caught:
        submission_window(THANKSGIVING_2026, {THANKSGIVING_2026})
    assert str(caught.value) == (
        "arXiv has no listing on Thursday 2026-11-26 (arXiv holiday); "
        "the nearest earlier listing is Wednesday 2026-11-25."
    )


@pytest.mark.parametrize(
    ("listing", "announced"),
    [
        (D(2021, 4, 12), utc(2021, 4, 12, 0)),  # Sunday 20:00 EDT
        (D(2021, 4, 13), utc(2021, 4, 13, 0)),  # Monday 20:00 EDT
        (D(2021, 3, 15), utc(2021, 3, 15, 0)),  # Sunday 2021-03-14, the day DST starts
        (D(2021, 3, 12), utc(2021, 3, 12, 1)),  # Thursday 20:00 EST
        (D(2021, 11, 8), utc(2021, 11, 8, 1)),  # Sunday 2021-11-07, the day DST ends
        (D(2026, 3, 9), utc(2026, 3, 9, 0)),
        (D(2026, 11, 2), utc(2026, 11, 2, 1)),
        (D(2027, 1, 4), utc(2027, 1, 4, 1)),
    ],
)
def test_announcement_time(listing: dt.date, announced: dt.datetime) -> None:
    assert announcement_time(listing) == announced
    assert announcement_time(listing).tzinfo is UTC


# --- today, yesterday and the latest listing --------------------------------------------------


@pytest.mark.parametrize(
    ("now", "today", "yesterday"),
    [
        (utc(2021, 4, 13, 2, 0), D(2021, 4, 12), D(2021, 4, 11)),  # 22:00 EDT the day before
        (utc(2021, 4, 13, 3, 59), D(2021, 4, 12), D(2021, 4, 11)),
        (utc(2021, 4, 13, 4, 0), D(2021, 4, 13), D(2021, 4, 12)),  # midnight EDT
        (utc(2021, 1, 5, 4, 30), D(2021, 1, 4), D(2021, 1, 3)),  # 23:30 EST
        (utc(2021, 1, 5, 5, 0), D(2021, 1, 5), D(2021, 1, 4)),  # midnight EST
        (utc(2027, 1, 1, 3, 0), D(2026, 12, 31), D(2026, 12, 30)),  # New Year's Eve in ET
        (et(2021, 4, 13, 23, 59), D(2021, 4, 13), D(2021, 4, 12)),  # an ET-aware now
    ],
)
def test_today_and_yesterday_are_eastern(
    now: dt.datetime, today: dt.date, yesterday: dt.date
) -> None:
    assert (today_et(now), yesterday_et(now)) == (today, yesterday)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        today_et(dt.datetime(2021, 4, 13, 12))


@pytest.mark.parametrize(
    ("now", "latest"),
    [
        (et(2021, 4, 12, 11, 0), D(2021, 4, 12)),  # Monday morning
        (et(2021, 4, 12, 19, 59), D(2021, 4, 12)),
        (et(2021, 4, 12, 20, 0), D(2021, 4, 13)),  # Tuesday's listing is out at 20:00
        (et(2021, 4, 16, 21, 0), D(2021, 4, 16)),  # Friday evening: nothing new
        (et(2021, 4, 17, 12, 0), D(2021, 4, 16)),  # Saturday
        (et(2021, 4, 18, 19, 59), D(2021, 4, 16)),  # Sunday before the announcement
        (et(2021, 4, 18, 20, 0), D(2021, 4, 19)),  # Sunday 20:00: Monday's listing
        (et(2021, 3, 14, 20, 30), D(2021, 3, 15)),  # the evening DST started
        (et(2026, 11, 1, 20, 0), D(2026, 11, 2)),  # the evening DST ended
    ],
)
def test_latest_listing(now: dt.datetime, latest: dt.date) -> None:
    assert latest_listing(now.astimezone(UTC)) == latest


def test_latest_listing_around_year_end_holidays() -> None:
    assert latest_listing(et(2026, 12, 31, 21, 0), YEAR_END) == D(2026, 12, 30)
    assert latest_listing(et(2027, 1, 3, 19, 59), YEAR_END) == D(2026, 12, 30)
    assert latest_listing(et(2027, 1, 3, 20, 0), YEAR_END) == D(2027, 1, 4)


# --- resolving what a user typed --------------------------------------------------------------

TUESDAY_NOON = et(2021, 4, 13, 12, 0).astimezone(UTC)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("2021-04-12", D(2021, 4, 12)),
        ("2021-4-9", D(2021, 4, 9)),
        (" 2021-04-09 ", D(2021, 4, 9)),
        ("today", D(2021, 4, 13)),
        ("TODAY", D(2021, 4, 13)),
        ("Yesterday", D(2021, 4, 12)),
        ("1991-08-14", ARXIV_START),
    ],
)
def test_resolve_date(word: str, expected: dt.date) -> None:
    assert resolve_date(word, TUESDAY_NOON) == expected


@pytest.mark.parametrize(
    ("word", "message"),
    [
        ("20210412", "`20210412` is not a date: expected YYYY-MM-DD, today or yesterday."),
        ("12/04/2021", "`12/04/2021` is not a date: expected YYYY-MM-DD, today or yesterday."),
        ("tomorrow", "`tomorrow` is not a date: expected YYYY-MM-DD, today or yesterday."),
        ("2021-02-30", "`2021-02-30` is not a real date: expected YYYY-MM-DD, today or yesterday."),
        ("0000-01-01", "`0000-01-01` is not a real date: expected YYYY-MM-DD, today or yesterday."),
        (
            "1991-08-13",
            "1991-08-13 is before arXiv began; its first listing is Wednesday 1991-08-14.",
        ),
        (
            "2021-04-14",
            "The listing of Wednesday 2021-04-14 is not out yet: arXiv announces it on "
            "Tuesday 2021-04-13 at 20:00 ET (2021-04-14 00:00 UTC). "
            "The latest listing is Tuesday 2021-04-13.",
        ),
        (
            "2021-04-17",
            "2021-04-17 is in the future; the latest listing is Tuesday 2021-04-13.",
        ),
        (
            "9999-12-31",
            "The listing of Friday 9999-12-31 is not out yet: arXiv announces it on "
            "Thursday 9999-12-30 at 20:00 ET (9999-12-31 01:00 UTC). "
            "The latest listing is Tuesday 2021-04-13.",
        ),
    ],
)
def test_resolve_date_errors(word: str, message: str) -> None:
    with pytest.raises(DateError) as caught:
        resolve_date(word, TUESDAY_NOON)
    assert not isinstance(caught.value, NoListing)
    assert str(caught.value) == message


def test_tomorrows_listing_is_accepted_once_announced() -> None:
    evening = et(2021, 4, 13, 20, 0).astimezone(UTC)
    assert resolve_date("2021-04-14", evening) == D(2021, 4, 14)


def test_today_on_a_weekend_names_the_nearest_earlier_listing() -> None:
    saturday = et(2021, 4, 10, 15, 0).astimezone(UTC)
    with pytest.raises(NoListing) as caught:
        resolve_date("today", saturday)
    assert str(caught.value) == (
        "arXiv has no listing on Saturday 2021-04-10 (weekends and holidays have none); "
        "the nearest earlier listing is Friday 2021-04-09."
    )
    assert (caught.value.date, caught.value.nearest) == (D(2021, 4, 10), D(2021, 4, 9))
    assert isinstance(caught.value, DateError)


def test_yesterday_on_monday_is_sunday() -> None:
    monday_morning = et(2021, 4, 12, 9, 0).astimezone(UTC)
    with pytest.raises(NoListing) as caught:
        resolve_date("yesterday", monday_morning)
    assert (caught.value.date, caught.value.nearest) == (D(2021, 4, 11), D(2021, 4, 9))


def test_today_follows_eastern_time_not_utc() -> None:
    # 02:00 UTC on Saturday is still Friday evening in New York: Friday has a listing.
    assert resolve_date("today", utc(2021, 4, 10, 2, 0)) == D(2021, 4, 9)
    # 02:00 UTC on Monday is Sunday 22:00 in New York: Monday's listing is out, so it is today.
    assert resolve_date("today", utc(2021, 4, 12, 2, 0)) == D(2021, 4, 12)


@pytest.mark.parametrize(
    ("now", "today", "yesterday"),
    [
        (et(2021, 4, 11, 19, 59), None, None),  # Sunday before the announcement: no listing
        (et(2021, 4, 11, 20, 0), D(2021, 4, 12), None),  # Sunday 20:00: Monday's is out
        (et(2021, 4, 13, 12, 0), D(2021, 4, 13), D(2021, 4, 12)),  # Tuesday noon
        (et(2021, 4, 13, 20, 30), D(2021, 4, 14), D(2021, 4, 13)),  # Wednesday's is out
        (et(2021, 4, 16, 21, 0), D(2021, 4, 16), D(2021, 4, 15)),  # Friday evening: nothing new
        (et(2026, 11, 25, 21, 0), D(2026, 11, 25), D(2026, 11, 24)),  # eve of a holiday listing
    ],
)
def test_today_and_yesterday_follow_announcements(
    now: dt.datetime, today: dt.date | None, yesterday: dt.date | None
) -> None:
    utc_now = now.astimezone(UTC)
    holidays = {D(2026, 11, 26)}
    for word, expected in (("today", today), ("yesterday", yesterday)):
        if expected is None:
            with pytest.raises(NoListing):
                resolve_date(word, utc_now, holidays)
        else:
            assert resolve_date(word, utc_now, holidays) == expected


def test_a_past_holiday_has_no_listing() -> None:
    now = et(2026, 12, 1, 12, 0).astimezone(UTC)
    with pytest.raises(NoListing) as caught:
        resolve_date("2026-11-26", now, {THANKSGIVING_2026})
    assert caught.value.nearest == D(2026, 11, 25)
    assert resolve_date("2026-11-26", now) == THANKSGIVING_2026


def test_new_years_day_holiday() -> None:
    now = et(2027, 1, 2, 12, 0).astimezone(UTC)
    with pytest.raises(NoListing) as caught:
        resolve_date("2027-01-01", now, YEAR_END)
    assert str(caught.value) == (
        "arXiv has no listing on Friday 2027-01-01 (arXiv holiday); "
        "the nearest earlier listing is Wednesday 2026-12-30."
    )
