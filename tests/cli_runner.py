"""Running the ``hotpapers`` CLI in-process as a user would, with an injected clock."""

from __future__ import annotations

import datetime as dt
import sys

import pytest

from bot.clock import FakeClock
from hotpapers import cli

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def run_cli(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *args: str,
    now: dt.datetime = NOW,
) -> tuple[int, str, str]:
    """``hotpapers ARGS``: (exit code, stdout, stderr), settings read afresh."""
    monkeypatch.setattr(sys, "argv", ["hotpapers", *args])
    monkeypatch.setattr(cli.State, "settings", None)
    monkeypatch.setattr(cli.State, "clock", FakeClock(now))
    code = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
