"""Shared fixtures: an isolated environment (no stray .env, no real tokens), a fresh store."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.logs import CHATTY, LIBRARIES, RedactingFilter
from bot.store import Store

# PostgreSQL's fixtures (postgres_database, admin, url) for every test that asks for them.
pytest_plugins = ["tests.postgres"]

_KEYS = ("SLACK_", "DISCORD_", "HOTPAPERS_")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never see the developer's tokens, .env or data folder."""
    for key in list(os.environ):
        if key.startswith(_KEYS) and not key.startswith("HOTPAPERS_TEST_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """A test that configures logging (``hotpapers -q`` sets ERROR) leaves no trace for the next
    one's ``caplog``: levels are put back and the handlers ``setup_logging`` added are removed."""
    root = logging.getLogger()
    names = (*LIBRARIES, *CHATTY)
    levels = {name: logging.getLogger(name).level for name in names}
    root_level, handlers = root.level, list(root.handlers)
    yield
    for handler in list(root.handlers):
        ours = any(isinstance(f, RedactingFilter) for f in handler.filters)
        if ours and handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(root_level)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'test.sqlite3'}")
    yield s
    s.close()
