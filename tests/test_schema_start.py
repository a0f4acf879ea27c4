"""What an operator sees of the schema: start-up migrates an old database and /healthz reports
its revision; a broken one makes /healthz and ``hotpapers check`` non-OK; a newer one stops
``run``, ``post`` and ``subscribe`` with one line; ``hotpapers db upgrade`` and ``db current``."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from bot import migrate
from bot.clock import FakeClock
from bot.config import Settings
from tests.cli_runner import run_cli
from tests.test_runtime import MONDAY_0900_30, get_health, started

NEWER = (
    "error: the database's schema (0099) is newer than this hotpapers knows (0007): upgrade "
    "hotpapers, or set HOTPAPERS_DATABASE_URL to another database\n"
)


@pytest.fixture
def database(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bot.sqlite3'}"


def at_revision(database: str, revision: str) -> None:
    engine = create_engine(database)
    with engine.begin() as connection:
        command.upgrade(migrate.config(connection), revision)
    engine.dispose()


def sql(database: str, statement: str) -> None:
    engine = create_engine(database)
    with engine.begin() as connection:
        connection.execute(text(statement))
    engine.dispose()


async def test_an_old_database_is_migrated_at_start_and_healthz_reports_it(database: str) -> None:
    at_revision(database, "0001")
    settings = Settings(_env_file=None, database_url=database)
    runtime = await started(settings, FakeClock(MONDAY_0900_30))
    try:
        status, body = await get_health(runtime)
    finally:
        await runtime.stop()
    assert status == 200
    assert body["database"] == {"ok": True, "schema": "0007", "error": None}


async def test_a_broken_database_makes_healthz_non_ok(database: str) -> None:
    settings = Settings(_env_file=None, database_url=database)
    runtime = await started(settings, FakeClock(MONDAY_0900_30))
    try:
        sql(database, "ALTER TABLE hp_subscriptions DROP COLUMN notify_no_listing")
        status, body = await get_health(runtime)
    finally:
        await runtime.stop()
    assert status == 503
    assert body["status"] == "degraded"
    assert body["database"] == {
        "ok": False,
        "schema": "0007",
        "error": "database error: no such column: hp_subscriptions.notify_no_listing",
    }


def test_check_fails_on_a_broken_database(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    at_revision(database, "head")
    sql(database, "ALTER TABLE hp_deliveries DROP COLUMN thread_id")
    monkeypatch.setenv("HOTPAPERS_DATABASE_URL", database)
    from hotpapers.checks import check_database

    result = check_database(database)
    assert result.line == (
        "✗ database: schema 0007: database error: no such column: hp_deliveries.thread_id"
    )


@pytest.mark.parametrize(
    "args",
    [
        ("run",),
        ("post", "--platform", "console", "--channel", "demo", "--demo"),
        ("subscribe", "--platform", "console", "--channel", "demo", "--time", "09:00"),
        ("db", "current"),
        ("db", "upgrade"),
    ],
)
def test_a_newer_database_stops_each_command_with_one_line(
    args: tuple[str, ...], database: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    at_revision(database, "head")
    sql(database, "UPDATE alembic_version SET version_num = '0099'")
    monkeypatch.setenv("HOTPAPERS_DATABASE_URL", database)
    code, out, err = run_cli(monkeypatch, capsys, *args)
    assert (code, out, err) == (1, "", NEWER)


def test_db_upgrade_and_current(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOTPAPERS_DATABASE_URL", database)
    assert run_cli(monkeypatch, capsys, "db", "current") == (
        0, "none (empty, or made before migrations): the next start upgrades it to 0007\n", "",
    )  # fmt: skip
    at_revision(database, "0001")
    assert run_cli(monkeypatch, capsys, "db", "current") == (
        0, "0001 (behind 0007): the next start, or hotpapers db upgrade, upgrades it\n", "",
    )  # fmt: skip
    code, out, _ = run_cli(monkeypatch, capsys, "db", "upgrade")
    assert (code, out) == (0, "Upgraded the database schema from 0001 to 0007.\n")
    assert run_cli(monkeypatch, capsys, "db", "upgrade") == (
        0, "The database schema is already at 0007, the latest.\n", "",
    )  # fmt: skip
    assert run_cli(monkeypatch, capsys, "db", "current") == (0, "0007 (the latest)\n", "")


async def test_healthz_is_non_ok_while_the_database_is_unreachable_and_ok_once_it_is_back(
    database: str, tmp_path: Path
) -> None:
    """A database gone for a while (here: locked by another process, refused at once): /healthz
    says so with 503, and is 200 again as soon as the database answers, with no restart."""
    import sqlite3

    settings = Settings(_env_file=None, database_url=database, sqlite_busy_timeout_ms=0)
    runtime = await started(settings, FakeClock(MONDAY_0900_30))
    try:
        holder = sqlite3.connect(tmp_path / "bot.sqlite3", timeout=0, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            during, body = await get_health(runtime)
        finally:
            holder.close()
        after, again = await get_health(runtime)
    finally:
        await runtime.stop()
    assert (during, body["status"], body["database"]["ok"]) == (503, "degraded", False)
    assert "locked" in body["database"]["error"]
    assert (after, again["database"]) == (200, {"ok": True, "schema": "0007", "error": None})
