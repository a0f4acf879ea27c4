"""The store (SQLAlchemy 2): source snapshots, the delivery ledger, subscriptions, cached summaries.

SQLite in the user's data folder by default; PostgreSQL by URL for several instances. Every write
is one transaction: a failure leaves what was stored before, never half of a new thing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import (
    create_engine,
    delete,
    event,
    select,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot import demo
from bot.models import Snapshot
from bot.store_error import StoreError
from bot.tables import (
    SnapshotRow,
    SummaryRow,
    describe_db_error,
)

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")
#: Threads of ``Store.run``: SQLite takes one writer at a time (more threads would only wait on
#: its lock); a server database serves concurrent transactions.
SQLITE_THREADS = 1
SERVER_THREADS = 8


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _prepare_sqlite(url: str) -> None:
    """Create the SQLite file's folder. Not for a ``file:`` URI (``?uri=true``, e.g. read-only
    ``mode=ro``): SQLite opens those as given, and they never create anything."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    if parsed.query.get("uri") == "true" or parsed.database.startswith("file:"):
        return
    Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()


class Store:
    """All persistent state. ``Store(url)`` migrates the schema to this code's revision first
    (``bot.migrate``: created when new, upgraded when older, refused when newer)."""

    def __init__(self, url: str, *, create: bool = True, busy_timeout_ms: int = 5000) -> None:
        """``busy_timeout_ms``: how long SQLite waits for another process's lock before saying
        the database is locked (``HOTPAPERS_SQLITE_BUSY_TIMEOUT_MS``)."""
        self.url = url
        try:
            _prepare_sqlite(url)
            self.engine = create_engine(url, future=True, pool_pre_ping=True)
        except (SQLAlchemyError, OSError, ValueError) as exc:
            raise StoreError(f"cannot open the database: {exc}") from None
        if self.engine.dialect.name == "sqlite":
            _sqlite_pragmas(self.engine, busy_timeout_ms)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        sqlite = self.engine.dialect.name == "sqlite"
        self._executor = ThreadPoolExecutor(SQLITE_THREADS if sqlite else SERVER_THREADS,
                                            thread_name_prefix="store")  # fmt: skip
        if create:
            from bot import migrate  # imports this module: loaded once the models exist

            try:
                with self._guard():
                    migrate.upgrade(self.engine)
            except BaseException:
                self.engine.dispose()  # no connection left for the garbage collector to close
                raise

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        self.engine.dispose()

    def spawn(self, call: Callable[[], object]) -> None:
        """Start ``call()`` on the store's threads without waiting for it (``bot.write_batch``)."""
        self._executor.submit(call)

    async def run(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``call(*args, **kwargs)`` (blocking database work) on the store's own threads, so the
        event loop answers slash commands while a fan-out writes its ledger. The call runs to its
        end even when the caller is cancelled (a message's record still lands)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(call, *args, **kwargs))

    def schema_status(self) -> tuple[str | None, str | None]:
        """``(revision, problem)`` for ``/healthz`` and ``hotpapers check``: see
        ``bot.migrate.schema_problem``."""
        from bot import migrate

        return migrate.schema_problem(self.engine)

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except (OperationalError, SQLAlchemyError) as exc:
            if isinstance(exc, IntegrityError):
                raise
            raise StoreError(describe_db_error(exc)) from None

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._guard(), self._sessions.begin() as session:
            yield session

    # -- snapshots ---------------------------------------------------------------------------
    def get_snapshot(self, source: str, date: dt.date, scope: str = "") -> Snapshot | None:
        """The stored snapshot, else the bundled one (the demo date), else ``None``."""
        with self.session() as s:
            row = s.scalars(
                select(SnapshotRow).where(
                    SnapshotRow.source == source,
                    SnapshotRow.date == date,
                    SnapshotRow.scope == scope,
                )
            ).first()
            if row is not None:
                return Snapshot(
                    row.source, row.date, row.scope, json.loads(row.payload), _utc(row.fetched_at)
                )
        return demo.bundled_snapshot(source, date, scope)

    def put_snapshot(
        self,
        source: str,
        date: dt.date,
        scope: str,
        payload: dict[str, Any],
        fetched_at: dt.datetime,
    ) -> None:
        """Store (or replace) what a source returned, atomically."""
        text = json.dumps(payload, default=str, sort_keys=True)
        with self.session() as s:
            s.execute(
                delete(SnapshotRow).where(
                    SnapshotRow.source == source,
                    SnapshotRow.date == date,
                    SnapshotRow.scope == scope,
                )
            )
            s.add(
                SnapshotRow(
                    source=source, date=date, scope=scope, payload=text, fetched_at=fetched_at
                )
            )

    def snapshot_sources(self, date: dt.date) -> list[str]:
        """Names of the sources with anything stored (or bundled) for ``date``."""
        with self.session() as s:
            names = set(s.scalars(select(SnapshotRow.source).where(SnapshotRow.date == date)))
        return sorted(names | set(demo.bundled_sources(date)))

    # -- summaries ---------------------------------------------------------------------------
    def get_summary(self, arxiv_id: str, model: str) -> str | None:
        with self.session() as s:
            return s.scalars(
                select(SummaryRow.text).where(
                    SummaryRow.arxiv_id == arxiv_id, SummaryRow.model == model
                )
            ).first()

    def put_summary(self, arxiv_id: str, model: str, text: str) -> None:
        with self.session() as s:
            s.execute(
                delete(SummaryRow).where(SummaryRow.arxiv_id == arxiv_id, SummaryRow.model == model)
            )
            s.add(SummaryRow(arxiv_id=arxiv_id, model=model, text=text))
