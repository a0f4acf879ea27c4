"""The PostgreSQL database of the scale-out tests, and a fresh schema per test in it.

``HOTPAPERS_TEST_POSTGRES_URL`` names the database to use (the tests work in schemas of their
own in it and drop them after). Without it, the test session creates a dedicated database,
``hotpapers_test_<random>``, on the local server (``postgres@127.0.0.1:5432``, what ``.ci/run``
starts) and drops it at the end: nothing is written into an existing database unasked.

A server that cannot be reached skips these tests with the reason, except in CI (``CI`` set),
where that is a failure: CI must run them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

ENV = "HOTPAPERS_TEST_POSTGRES_URL"
LOCAL_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# Read at import: the autouse ``clean_env`` fixture removes every HOTPAPERS_* variable per test.
GIVEN = os.environ.get(ENV, "")


def _unreachable(url: str, exc: Exception) -> None:
    where = f"{make_url(url).host}:{make_url(url).port or 5432}"
    reason = f"PostgreSQL not reachable at {where} ({type(exc).__name__}); set {ENV} to run these"
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI runs them: .ci/run starts the local server)")
    pytest.skip(reason)


def _engine(url: str, **kw: object) -> Engine:
    engine = create_engine(url, connect_args={"connect_timeout": 3}, **kw)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        engine.dispose()
        _unreachable(url, exc)
    return engine


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """The URL of the database the tests may use, created (and dropped) when not given."""
    if GIVEN:
        _engine(GIVEN).dispose()
        yield GIVEN
        return
    server = _engine(LOCAL_SERVER, isolation_level="AUTOCOMMIT")
    name = f"hotpapers_test_{secrets.token_hex(4)}"
    with server.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(LOCAL_SERVER).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        server.dispose()


@pytest.fixture(scope="module")
def admin(postgres_database: str) -> Iterator[Engine]:
    engine = _engine(postgres_database)
    yield engine
    engine.dispose()


def schema_url(admin: Engine, schema: str) -> str:
    """``admin``'s database with ``schema`` as the search_path of every connection."""
    base = admin.url.render_as_string(hide_password=False)
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture
def url(admin: Engine) -> Iterator[str]:
    """A fresh schema for this test, as the search_path of every connection to ``url``."""
    schema = f"hp_test_{secrets.token_hex(6)}"
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    yield schema_url(admin, schema)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
