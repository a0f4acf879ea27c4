"""Shared fixtures: an isolated environment (no stray .env, no real tokens), a fresh store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import Store

_KEYS = ("SLACK_", "DISCORD_", "HOTPAPERS_")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never see the developer's tokens, .env or data folder."""
    for key in list(os.environ):
        if key.startswith(_KEYS):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'test.sqlite3'}")
    yield s
    s.close()
