"""The bundled arXiv holiday calendar: its data, its rule, the setting, and what users see."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.config import ConfigError, Settings, load_settings
from bot.holidays import bundled_holidays, calendar_data, listing_removed_by, merged_holidays
from tests.cli_runner import run_cli

D = dt.date


def test_the_file_names_its_source_and_when_it_was_transcribed() -> None:
    data = calendar_data()
    assert "https://info.arxiv.org/help/availability.html" in data["source"]
    assert data["transcribed"] == "2026-12-03"
    assert {c["basis"] for c in data["closures"]} == {"listed", "observed", "reconstructed"}
    years = {D.fromisoformat(c["date"]).year for c in data["closures"]}
    assert years >= set(range(2021, 2027))


def test_arxivs_2023_list_is_there_word_for_word() -> None:
    listed = [c["date"] for c in calendar_data()["closures"] if c["basis"] == "listed"]
    assert listed == [
        "2023-01-16", "2023-06-14", "2023-06-19", "2023-07-04",
        "2023-09-04", "2023-11-23", "2023-12-25", "2023-12-27",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("closure", "listing"),
    [
        (D(2023, 7, 4), D(2023, 7, 5)),  # Tuesday: that evening's announcement is deferred
        (D(2023, 11, 23), D(2023, 11, 24)),  # Thanksgiving Thursday: no Friday listing
        (D(2026, 6, 19), D(2026, 6, 22)),  # Friday: Sunday's announcement, Monday's listing
        (D(2025, 12, 24), D(2025, 12, 25)),
        (D(2026, 1, 4), D(2026, 1, 5)),  # a Sunday closure
        (D(2026, 1, 3), None),  # a Saturday changes nothing
    ],
)
def test_a_closure_removes_the_listing_its_announcement_would_have_made(
    closure: dt.date, listing: dt.date | None
) -> None:
    assert listing_removed_by(closure) == listing


def test_observed_empty_feeds_are_holidays() -> None:
    # rss.arxiv.org served empty feeds for these listing dates.
    assert {D(2023, 7, 5), D(2026, 6, 22)} <= bundled_holidays()
    assert all(d.weekday() < 5 for d in bundled_holidays())


def test_settings_hold_the_bundled_calendar_with_no_setting() -> None:
    holidays = Settings(_env_file=None).holidays
    assert D(2025, 12, 25) in holidays and D(2026, 11, 27) in holidays
    assert holidays == sorted(bundled_holidays())


def test_the_setting_extends_and_corrects_the_calendar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTPAPERS_HOLIDAYS", "2030-01-02, -2025-12-25")
    holidays = Settings(_env_file=None).holidays
    assert D(2030, 1, 2) in holidays and D(2025, 12, 25) not in holidays
    assert D(2025, 12, 26) in holidays
    assert merged_holidays([]) == sorted(bundled_holidays())


def test_a_bad_holiday_is_one_line_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTPAPERS_HOLIDAYS", "christmas")
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None)
    assert str(caught.value) == (
        "invalid configuration: HOTPAPERS_HOLIDAYS: 'christmas' is not a date: expected "
        "YYYY-MM-DD to add a holiday, -YYYY-MM-DD to remove a bundled one"
    )


def test_digest_on_an_arxiv_holiday_says_so_with_no_setting(monkeypatch, capsys) -> None:
    code, out, err = run_cli(monkeypatch, capsys, "digest", "--date", "2025-12-25")
    assert (code, out) == (2, "")
    assert err == (
        "error: arXiv has no listing on Thursday 2025-12-25 (arXiv holiday); "
        "the nearest earlier listing is Wednesday 2025-12-24.\n"
    )


def test_digest_of_a_future_date_is_one_line_and_fails(monkeypatch, capsys) -> None:
    code, out, err = run_cli(monkeypatch, capsys, "digest", "--date", "2027-03-03")
    assert (code, out) == (2, "")
    assert err == (
        "error: The listing of Wednesday 2027-03-03 is not out yet: arXiv announces it on "
        "Tuesday 2027-03-02 at 20:00 ET (2027-03-03 01:00 UTC). "
        "The latest listing is Thursday 2026-11-26.\n"
    )


def test_today_on_sunday_evening_is_mondays_listing(monkeypatch, capsys) -> None:
    sunday_evening = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # Sunday 21:00 EST
    code, out, err = run_cli(
        monkeypatch, capsys, "digest", "--date", "today", "--offline", now=sunday_evening
    )
    # Monday's listing, looked up (and not in the empty store), not "Sunday has no listing".
    assert (code, out) == (1, "")
    assert err == (
        "error: nothing stored for 2026-11-30 (cs.AI cs.CL cs.LG) and --offline forbids "
        "fetching; run once without --offline, or try --demo\n"
    )
