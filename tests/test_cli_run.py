"""``hotpapers subscribe / subscriptions / unsubscribe`` as a user runs them: exact output."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.cli_runner import run_cli

TUESDAY_NOON = dt.datetime(2021, 4, 13, 12, 0, tzinfo=dt.UTC)
C = "C0123456789"  # a Slack channel id


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    return run_cli(monkeypatch, capsys, *args, now=TUESDAY_NOON)


def test_subscribe_list_update_unsubscribe(monkeypatch, capsys) -> None:
    code, out, err = run(
        monkeypatch, capsys, "subscribe", "--platform", "slack", "--channel", C, "--time", "09:00",
        "--tz", "Europe/Berlin", "--category", "cs.CL", "--category", "cs.LG",
        "--top", "5", "--workspace", "T111", "--include", "llm", "--exclude", "survey",
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert out == (
        f"Subscribed slack:T111:{C}: cs.CL, cs.LG at 09:00 Europe/Berlin, top 5, only "
        "papers mentioning llm, without survey.\n"
        "Next post: Wednesday 2021-04-14 09:00 Europe/Berlin (the listing of Wednesday "
        "2021-04-14).\n"
    )
    code, out, _ = run(monkeypatch, capsys, "subscribe", "--platform", "console", "--channel",
                       "general", "--time", "21:30", "--tz", "America/New_York")  # fmt: skip
    assert out.splitlines()[0] == (
        "Subscribed console:default:general: cs.CL, cs.LG, cs.AI at 21:30 America/New_York, top 10."
    )
    code, out, _ = run(monkeypatch, capsys, "subscribe", "--platform", "slack", "--channel", C,
                       "--workspace", "T111", "--time", "7:15", "--tz", "UTC",
                       "--notify-no-listing")  # fmt: skip
    assert out.splitlines()[0] == (
        f"Updated slack:T111:{C}: cs.CL, cs.LG, cs.AI at 07:15 UTC, top 10, "
        "with a line on arXiv holidays."
    )
    code, out, _ = run(monkeypatch, capsys, "subscriptions")
    assert (code, out) == (0, (
        "console:default:general  cs.CL, cs.LG, cs.AI at 21:30 America/New_York, top 10  next: "
        "Tuesday 2021-04-13 21:30 America/New_York (the listing of Wednesday 2021-04-14)\n"
        f"slack:T111:{C}  cs.CL, cs.LG, cs.AI at 07:15 UTC, top 10, with a line on arXiv "
        "holidays  next: Wednesday 2021-04-14 07:15 UTC (the listing of Wednesday 2021-04-14)\n"
    ))  # fmt: skip
    code, out, _ = run(monkeypatch, capsys, "unsubscribe", "--platform", "slack", "--channel",
                       "C0123456789", "--workspace", "T111")  # fmt: skip
    assert (code, out) == (0, f"Unsubscribed slack:T111:{C} (cs.CL, cs.LG, cs.AI at 07:15 "
                              "UTC, top 10, with a line on arXiv holidays).\n")  # fmt: skip
    code, out, _ = run(monkeypatch, capsys, "subscriptions", "--all", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["platform"], r["active"], r["notify_no_listing"]) for r in rows] == [
        ("console", True, False), ("slack", False, True),
    ]  # fmt: skip
    assert rows[1] == {
        "id": 1, "platform": "slack", "workspace": "T111", "channel": C,
        "categories": ["cs.CL", "cs.LG", "cs.AI"], "top": 10, "time": "07:15", "tz": "UTC",
        "include": [], "exclude": [], "active": False, "notify_no_listing": True,
        "next_post": None, "catching_fire_days": None, "week_day": None, "reactions": True,
    }  # fmt: skip
    # What the text listing shows as "next:", in the subscription's own zone.
    assert rows[0]["next_post"] == "2021-04-13T21:30:00-04:00"


def test_no_subscriptions_says_how_to_add_one(monkeypatch, capsys) -> None:
    assert run(monkeypatch, capsys, "subscriptions") == (0, (
        "No subscriptions. Add one with: hotpapers subscribe --platform slack "
        "--channel C0123456789 --time 09:00 --tz Europe/Berlin\n"
    ), "")  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--platform", "irc", "--channel", C, "--time", "09:00"],
         "error: unknown --platform 'irc'; choose slack, discord, console\n"),
        (["--platform", "slack", "--channel", C, "--time", "25:00"],
         "error: '25:00' is not a time: use HH:MM on a 24-hour clock, e.g. 09:00\n"),
        (["--platform", "slack", "--channel", C, "--time", "09:00", "--tz", "Berlin"],
         "error: unknown time zone 'Berlin' (use an IANA name like Europe/Berlin)\n"),
        (["--platform", "slack", "--channel", C, "--time", "09:00", "--top", "99"],
         "error: --top must be between 1 and 50\n"),
        (["--platform", "slack", "--channel", C, "--time", "09:00", "--category", "cs.XX"],
         "error: unknown arXiv category 'cs.XX'."),
        (["--platform", "slack", "--channel", "C0123456789", "--time", "09:00", "--include", "llm",
          "--exclude", "LLM"],
         "error: llm cannot be both included and excluded; drop it from one of them "
         "(include=none or exclude=none clears a filter).\n"),
        (["--platform", "slack", "--channel", "C0123456789", "--time", "09:00", "--include",
          "<!here>"],
         "error: --include takes up to 20 words of at most 40 letters, digits, spaces or -+./#, "
         "separated by commas: include=llm,agents or exclude=survey (include=none clears it) "
         "(you wrote !here).\n"),
    ],
)  # fmt: skip
def test_subscribe_rejects_bad_input(monkeypatch, capsys, args: list[str], message: str) -> None:
    code, out, err = run(monkeypatch, capsys, "subscribe", *args)
    assert (code, out) == (2, "")
    assert err.startswith(message)
    assert run(monkeypatch, capsys, "subscriptions")[1].startswith("No subscriptions.")


def test_unsubscribe_without_a_subscription(monkeypatch, capsys) -> None:
    assert run(monkeypatch, capsys, "unsubscribe", "--platform", "discord", "--channel", "42") == (
        1, "", "error: discord:default:42 has no active subscription (see hotpapers "
        "subscriptions)\n",
    )  # fmt: skip


def test_run_help_names_the_port_and_shutdown(monkeypatch, capsys) -> None:
    code, out, _ = run(monkeypatch, capsys, "run", "--help")
    assert code == 0
    flat = " ".join(out.split())
    assert "HOTPAPERS_PORT, until SIGTERM or Ctrl-C" in flat
    assert "--no-scheduler" in flat


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["subscribe", "--platform", "slack", "--channel", "general", "--time", "09:00"],
         "error: --channel: 'general' is not a Slack channel id: use the id at the bottom of the "
         "channel's details (C followed by capitals and digits, e.g. C0123456789), not its name\n"),
        (["subscribe", "--platform", "discord", "--channel", "abc", "--time", "09:00"],
         "error: --channel: 'abc' is not a Discord channel id: use its snowflake of 17-20 digits "
         "(Developer Mode, then right-click the channel, Copy Channel ID)\n"),
        (["post", "--platform", "slack", "--channel", "c0123456789", "--demo"],
         "error: --channel: 'c0123456789' is not a Slack channel id: use the id at the bottom of "
         "the channel's details (C followed by capitals and digits, e.g. C0123456789), not its "
         "name\n"),
        (["post", "--platform", "discord", "--channel", "1234", "--demo"],
         "error: --channel: '1234' is not a Discord channel id: use its snowflake of 17-20 digits "
         "(Developer Mode, then right-click the channel, Copy Channel ID)\n"),
    ],
)  # fmt: skip
def test_channel_ids_are_checked_per_platform(
    monkeypatch, capsys, args: list[str], message: str
) -> None:
    assert run(monkeypatch, capsys, *args) == (2, "", message)
    assert run(monkeypatch, capsys, "subscriptions")[1].startswith("No subscriptions.")


def test_valid_ids_and_any_console_name_are_accepted(monkeypatch, capsys) -> None:
    accepted = [("slack", "G01ABCDEF2"), ("slack", "D0123456789"),
                ("discord", "123456789012345678"), ("console", "my demo")]  # fmt: skip
    for platform, channel in accepted:
        code, out, err = run(monkeypatch, capsys, "subscribe", "--platform", platform,
                             "--channel", channel, "--time", "09:00")  # fmt: skip
        assert (code, err) == (0, ""), err
        assert out.startswith(f"Subscribed {platform}:default:{channel}: ")


def test_subscribe_no_reactions_turns_the_channels_voice_off(monkeypatch, capsys) -> None:
    args = ("subscribe", "--platform", "slack", "--channel", C, "--time", "09:00",
            "--workspace", "T111")  # fmt: skip
    code, out, _ = run(monkeypatch, capsys, *args, "--no-reactions")
    assert (code, out.splitlines()[0]) == (
        0, f"Subscribed slack:T111:{C}: cs.CL, cs.LG, cs.AI at 09:00 UTC, top 10, reactions off."
    )  # fmt: skip
    code, out, _ = run(monkeypatch, capsys, "subscriptions", "--json")
    assert json.loads(out)["reactions"] is False
    run(monkeypatch, capsys, *args)  # without the flag: on again
    code, out, _ = run(monkeypatch, capsys, "subscriptions", "--json")
    assert json.loads(out)["reactions"] is True
