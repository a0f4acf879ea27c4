"""Schema migrations: a new database at head, 0.1.0's and older databases upgraded on open, a
newer or unmigratable one refused in one line, the models and the revisions in agreement.

Each test runs on SQLite and on PostgreSQL (a fresh schema; skipped when no server is reachable
outside CI)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine

from bot import migrate
from bot.store import Store
from bot.store_error import StoreError
from bot.tables import Base

ALL_TABLES = [
    "alembic_version", "hp_attention", "hp_deliveries", "hp_delivery_messages", "hp_fanout",
    "hp_instances", "hp_reactions",
    "hp_snapshots",
    "hp_subscriptions", "hp_summaries", "slack_bots", "slack_installations",
    "slack_oauth_states",
]  # fmt: skip
NEWER = (
    "the database's schema (0099) is newer than this hotpapers knows (0007): upgrade hotpapers, "
    "or set HOTPAPERS_DATABASE_URL to another database"
)


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db.sqlite3'}"
    return str(request.getfixturevalue("url"))


@pytest.fixture
def engine(db: str) -> Iterator[Engine]:
    made = create_engine(db)
    yield made
    made.dispose()


def upgrade_to(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        command.upgrade(migrate.config(connection), revision)


def sql(engine: Engine, *statements: str) -> None:
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def tables(engine: Engine) -> list[str]:
    return sorted(inspect(engine).get_table_names())


def test_a_new_database_is_created_at_head(db: str, engine: Engine) -> None:
    store = Store(db)
    try:
        assert store.schema_status() == ("0007", None)
    finally:
        store.close()
    assert tables(engine) == ALL_TABLES
    assert migrate.head() == "0007"


def test_the_migrated_schema_is_the_models_and_slack_s_own_tables(db: str, engine: Engine) -> None:
    Store(db).close()
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": migrate.include_object, "compare_type": True}
        )
        assert compare_metadata(context, Base.metadata) == []
    # Slack's tables exactly as slack_sdk's own create_tables() makes them.
    ours = inspect(engine)
    reference = create_engine("sqlite://")
    SQLAlchemyInstallationStore(client_id="x", engine=reference).metadata.create_all(reference)
    SQLAlchemyOAuthStateStore(expiration_seconds=1, engine=reference).metadata.create_all(reference)
    theirs = inspect(reference)
    for name in ("slack_bots", "slack_installations", "slack_oauth_states"):

        def shape(insp: object, table: str) -> list[tuple[str, str, bool]]:
            cols = insp.get_columns(table)  # type: ignore[attr-defined]
            return [(c["name"], str(c["type"]).split("(")[0], c["nullable"]) for c in cols]

        assert [c[0] for c in shape(ours, name)] == [c[0] for c in shape(theirs, name)]
        assert [c[2] for c in shape(ours, name)] == [c[2] for c in shape(theirs, name)]
        indexes = [(i["name"], i["column_names"]) for i in theirs.get_indexes(name)]
        assert [(i["name"], i["column_names"]) for i in ours.get_indexes(name)] == indexes
    reference.dispose()


def test_a_database_at_the_initial_revision_is_upgraded_on_open(db: str, engine: Engine) -> None:
    upgrade_to(engine, "0001")
    assert "ix_hp_snapshots_date" not in [i["name"] for i in inspect(engine).get_indexes(
        "hp_snapshots")]  # fmt: skip
    store = Store(db)
    try:
        assert store.schema_status() == ("0007", None)
    finally:
        store.close()
    assert "ix_hp_snapshots_date" in [i["name"] for i in inspect(engine).get_indexes(
        "hp_snapshots")]  # fmt: skip


def test_a_database_made_by_0_1_0_create_all_is_adopted_with_its_rows(
    db: str, engine: Engine
) -> None:
    upgrade_to(engine, "0001")  # exactly 0.1.0's create_all ...
    sql(
        engine,
        "DROP TABLE alembic_version",  # ... which had no alembic_version
        "DROP TABLE slack_bots",  # and Slack's tables only with OAuth
        "INSERT INTO hp_summaries (arxiv_id, model, text) VALUES ('2104.04015', 'm', 'kept')",
    )
    store = Store(db)
    try:
        assert store.schema_status() == ("0007", None)
        assert store.get_summary("2104.04015", "m") == "kept"
    finally:
        store.close()
    assert tables(engine) == ALL_TABLES


def test_an_unknown_table_shape_is_refused_in_one_line_and_left_alone(
    db: str, engine: Engine
) -> None:
    upgrade_to(engine, "0001")
    sql(engine, "DROP TABLE alembic_version",
        "ALTER TABLE hp_subscriptions DROP COLUMN notify_no_listing")  # fmt: skip
    with pytest.raises(StoreError) as caught:
        Store(db)
    assert str(caught.value) == (
        "the database cannot be migrated to schema 0007: table hp_subscriptions has no column "
        "notify_no_listing: it was not made by hotpapers 0.1.0, so it cannot be adopted"
    )
    assert "hp_summaries" in tables(engine)  # nothing dropped


def test_a_database_newer_than_the_code_is_refused(db: str, engine: Engine) -> None:
    Store(db).close()
    sql(engine, "UPDATE alembic_version SET version_num = '0099'")
    with pytest.raises(migrate.SchemaError) as caught:
        Store(db)
    assert str(caught.value) == NEWER


def test_a_dropped_column_makes_the_schema_status_a_problem(db: str, engine: Engine) -> None:
    store = Store(db)
    try:
        sql(engine, "ALTER TABLE hp_deliveries DROP COLUMN error")
        revision, problem = store.schema_status()
    finally:
        store.close()
    assert revision == "0007"
    assert problem is not None and problem.startswith("database error: ")
    assert "error" in problem


def test_two_instances_starting_together_migrate_once(url: str) -> None:
    """PostgreSQL (several instances): the second waits on the advisory lock, then finds the
    schema done. (SQLite has one instance by construction.)"""
    db = url
    results: list[migrate.Upgrade | Exception] = []
    gate = threading.Barrier(2)

    def start() -> None:
        own = create_engine(db)
        gate.wait()
        try:
            results.append(migrate.upgrade(own))
        except Exception as exc:
            results.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=start, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results) == 2, "an instance is still waiting: the migrations deadlocked"
    assert all(isinstance(r, migrate.Upgrade) for r in results), results
    assert sorted(r.changed for r in results if isinstance(r, migrate.Upgrade)) == [False, True]
    engine = create_engine(db)
    assert tables(engine) == ALL_TABLES
    engine.dispose()
