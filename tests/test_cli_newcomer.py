"""The README's path from a fresh clone, as a newcomer walks it: what each mistake prints."""

from __future__ import annotations

import datetime as dt
import logging
import re
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hotpapers.cli import hoist_global_flags
from hotpapers.cli_common import State
from tests.cli_runner import run_cli
from tests.fake_slack import FakeSlack
from tests.threaded import served

ROOT = Path(__file__).resolve().parents[1]
SATURDAY = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)


def unavailable(request: httpx.Request) -> httpx.Response:
    return httpx.Response(503)


@pytest.fixture(autouse=True)
def sources_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every source answers 503 at once: the tests here are about everything else."""
    monkeypatch.setattr(State, "transport", httpx.MockTransport(unavailable))
    monkeypatch.setenv("HOTPAPERS_HTTP_RETRIES", "0")


@pytest.fixture(autouse=True)
def logging_restored() -> Iterator[None]:
    """``hotpapers -q`` sets the root level to ERROR; later tests' caplog needs it back."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    root.setLevel(level)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)


@pytest.fixture
def fake_slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    with served(lambda: FakeSlack().start()) as fake:
        monkeypatch.setenv("HOTPAPERS_SLACK_API_URL", fake.api_url)
        yield fake


def test_global_flags_work_after_the_command(monkeypatch, capsys) -> None:
    code, out, err = run_cli(monkeypatch, capsys, "digest", "--demo", "--top", "1", "-q")
    assert (code, err) == (0, "")
    assert out.startswith("Hot Papers 2021-04-12 · ")
    assert hoist_global_flags(["post", "--verbose", "--channel", "c", "--", "-q"]) == [
        "--verbose", "post", "--channel", "c", "--", "-q",
    ]  # fmt: skip


def test_check_with_a_copied_env_example(monkeypatch, capsys) -> None:
    (Path.cwd() / ".env").write_text((ROOT / ".env.example").read_text())
    code, out, err = run_cli(monkeypatch, capsys, "check")
    assert code == 1  # the sources are down, nothing else
    lines = out.splitlines()
    assert lines[:2] == [
        "✓ configuration: valid",
        f"✓ database: sqlite:///{Path.cwd() / 'xdg' / 'hotpapers' / 'hotpapers.sqlite3'}"
        ", schema 0007",
    ]
    assert lines[2].startswith("✗ arXiv: HTTP 503 after 1 attempt")
    assert lines[-2:] == [
        "– Slack: skipped: SLACK_BOT_TOKEN not set",
        "– Discord: skipped: DISCORD_TOKEN not set",
    ]


@pytest.mark.parametrize(
    ("variables", "mode", "asked"),
    [
        ({"SLACK_APP_TOKEN": "xapp-1-test"}, "Socket Mode", ["auth.test", "apps.connections.open"]),
        ({"SLACK_SIGNING_SECRET": "sign", "HOTPAPERS_PORT": "8080"},
         "HTTP mode at POST /slack/events on port 8080", ["auth.test"]),
    ],
)  # fmt: skip
def test_check_says_how_slack_commands_will_be_answered(
    monkeypatch, capsys, fake_slack, variables: dict[str, str], mode: str, asked: list[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    for key, value in variables.items():
        monkeypatch.setenv(key, value)
    code, out, _ = run_cli(monkeypatch, capsys, "check")
    assert code == 1
    assert f"✓ Slack: authenticated as hotpapers in Fake; {mode}" in out.splitlines()
    assert [c.method for c in fake_slack.calls] == asked


def test_check_multi_workspace_has_no_single_token_to_test(monkeypatch, capsys) -> None:
    monkeypatch.setenv("SLACK_CLIENT_ID", "111.222")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "client-secret")
    _, out, _ = run_cli(monkeypatch, capsys, "check")
    assert "– Slack: skipped: multi-workspace install, no single SLACK_BOT_TOKEN to test" in out


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("HOTPAPERS_DATABASE_URL", "mysql://bot:pw@db/hotpapers",
         "HOTPAPERS_DATABASE_URL: expected sqlite:///path/to/file.sqlite3 or "
         "postgresql+psycopg://user:password@host/db"),
        ("SLACK_BOT_TOKEN", "xapp-1-A0-xyz",
         "SLACK_BOT_TOKEN: expected a bot token (xoxb-...); this is an app-level token "
         "(xapp-...), which goes in SLACK_APP_TOKEN"),
        ("HOTPAPERS_DEFAULT_CATEGORIES", "cs.CLL",
         "HOTPAPERS_DEFAULT_CATEGORIES: unknown arXiv category 'cs.CLL'; did you mean cs.CL, "
         "cs.CC, cs.CE?"),
    ],
)  # fmt: skip
def test_check_with_bad_config_is_one_line_exit_2(
    monkeypatch, capsys, key: str, value: str, message: str
) -> None:
    monkeypatch.setenv(key, value)
    assert run_cli(monkeypatch, capsys, "check") == (
        2, "", f"error: invalid configuration: {message}\n",
    )  # fmt: skip


def test_discord_invite_with_a_non_numeric_app_id(monkeypatch, capsys) -> None:
    monkeypatch.setenv("HOTPAPERS_DISCORD_APP_ID", "hotpapers")
    code, out, err = run_cli(monkeypatch, capsys, "discord-invite")
    assert (code, out) == (2, "")
    assert err.startswith("error: invalid configuration: HOTPAPERS_DISCORD_APP_ID: expected the ")


def test_backfill_accepts_today_and_yesterday(monkeypatch, capsys) -> None:
    code, out, _ = run_cli(
        monkeypatch, capsys, "backfill", "--from", "yesterday", "--to", "today", "--offline",
        "-c", "cs.CL", now=SATURDAY,
    )  # fmt: skip
    # Friday 2026-11-27 has no listing: arXiv closes on Thanksgiving (the bundled calendar).
    assert code == 0
    assert out.splitlines() == [
        "2026-11-27: skipped, Friday 2026-11-27 has no arXiv listing",
        "2026-11-28: skipped, Saturday 2026-11-28 has no arXiv listing",
        "backfill 2026-11-27..2026-11-28: 0 built, 2 skipped (no listing), 0 failed",
    ]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-11-26", "2026-12-01",
         "error: the listing of Monday 2026-11-30 is not out yet; the latest is Thursday "
         "2026-11-26: end --to there\n"),
        ("1991-01-01", "1991-01-02",
         "error: --from: 1991-01-01 is before arXiv's first listing (1991-08-14)\n"),
        ("last week", "today",
         "error: --from: `last week` is not a date: expected YYYY-MM-DD, today or yesterday.\n"),
    ],
)  # fmt: skip
def test_backfill_refuses_what_cannot_be_built(
    monkeypatch, capsys, start: str, end: str, message: str
) -> None:
    args = ("backfill", "--from", start, "--to", end)
    assert run_cli(monkeypatch, capsys, *args) == (2, "", message)


def test_backfill_progress_lines_are_printed_as_they_are(monkeypatch, capsys) -> None:
    """On a terminal, rich neither wraps a line, colours its dates nor reads [..] as markup."""
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setenv("COLUMNS", "60")
    code, out, _ = run_cli(
        monkeypatch, capsys, "backfill", "--from", "2021-04-13", "--to", "2021-04-13",
        "--offline", "-c", "cs.CV",
    )  # fmt: skip
    assert code == 1
    line = (
        "2021-04-13: failed: nothing stored for 2021-04-13 (cs.CV) and --offline forbids "
        "fetching; run once without --offline, or try --demo"
    )
    plain = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", out)
    assert line in plain.replace("\r", "\n").splitlines()
    assert f"\x1b[2K{line}" in out  # rich clears the bar's line, then the text, uncoloured


def test_run_on_a_busy_port_is_one_line(monkeypatch, capsys) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        monkeypatch.setenv("HOTPAPERS_PORT", str(port))
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")  # no app token: post-only
        code, out, err = run_cli(monkeypatch, capsys, "run", "--host", "127.0.0.1")
    assert (code, out) == (1, "")
    lines = err.splitlines()
    assert lines[0].endswith(
        " WARNING hotpapers: slack: post-only: /hotpapers gets no answer until SLACK_APP_TOKEN "
        "(Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode) is set"
    )
    assert lines[-1] == (
        f"error: cannot serve HTTP on 127.0.0.1:{port} (Address already in use); "
        "stop what uses that port or set HOTPAPERS_PORT"
    )
    assert not any("Traceback" in line for line in lines)


def test_version(monkeypatch, capsys) -> None:
    from bot import __version__

    assert run_cli(monkeypatch, capsys, "--version") == (0, f"hotpapers {__version__}\n", "")
