"""Leader election: exactly one ``hotpapers run`` instance holds the scheduler.

With PostgreSQL, the leader is the instance holding a session-level advisory lock
(``pg_try_advisory_lock``) on a dedicated connection kept open (never a pooled one: a pooler in
transaction mode would break session locks). When the leader dies or its connection drops,
PostgreSQL releases the lock and a follower, which retries every ``INTERVAL`` seconds, takes over
within a minute. The leader re-checks that it still holds the lock before each job; if two ever
believed they led (a partition), the ledger's unique claims still let only one post.

The lock is scoped to the deployment: advisory locks are per database, and the key is derived from
the schema the connection works in (``current_schema()``, set by ``search_path``), so deployments in
separate schemas of one database never wait on each other's leader.

With SQLite there is one instance by construction: it always leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from bot.advisory import lock_key
from bot.clock import Clock
from bot.tables import describe_db_error

log = logging.getLogger(__name__)

#: Seconds between a follower's attempts (and the leader's own re-checks).
INTERVAL = 15.0
#: A job trusts a verdict this recent (seconds) instead of asking the database again.
MAX_AGE = 5.0
CONNECT_TIMEOUT = 5

_HELD = text(
    "SELECT count(*) > 0 FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND pid = pg_backend_pid() AND classid = :hi AND objid = :lo AND objsubid = 1"
)


class Leader(Protocol):
    is_leader: bool

    async def check(self, *, force: bool = False) -> bool:
        """Whether this instance leads now (trying to become the leader when it does not)."""
        ...

    async def release(self) -> None: ...

    def status(self) -> dict[str, Any]: ...


class AlwaysLeader:
    """A single instance (SQLite): leader from the start, for good."""

    is_leader = True

    async def check(self, *, force: bool = False) -> bool:
        return True

    async def release(self) -> None:
        return None

    def status(self) -> dict[str, Any]:
        return {"kind": "single", "leader": True}


class PostgresLeader:
    """The advisory-lock leader on its own PostgreSQL connection (blocking calls in a thread).

    ``key`` is the lock's key; by default ``lock_key()`` of the connection's schema."""

    def __init__(
        self, url: str, clock: Clock, *, key: int | None = None, max_age: float = MAX_AGE
    ) -> None:
        self.key = key
        self.clock = clock
        self.max_age = max_age
        self.is_leader = False
        self.backend_pid: int | None = None
        self.last_error: str | None = None
        self._engine = create_engine(
            url, poolclass=NullPool, connect_args={"connect_timeout": CONNECT_TIMEOUT}
        )
        self._conn: Connection | None = None
        self._checked_at: float | None = None
        self._lock = asyncio.Lock()

    async def check(self, *, force: bool = False) -> bool:
        async with self._lock:
            fresh = self._checked_at is not None and (
                self.clock.monotonic() - self._checked_at < self.max_age
            )
            if force or not fresh:
                self.is_leader = await asyncio.to_thread(self._check_blocking)
                self._checked_at = self.clock.monotonic()
            return self.is_leader

    def _check_blocking(self) -> bool:
        try:
            conn = self._connection()
            if self.key is None:
                self.key = lock_key(str(conn.execute(text("SELECT current_schema()")).scalar()))
            if self.is_leader:
                params = {"hi": (self.key >> 32) & 0xFFFFFFFF, "lo": self.key & 0xFFFFFFFF}
                held = bool(conn.execute(_HELD, params).scalar())
            else:
                held = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                         {"k": self.key}).scalar())  # fmt: skip
        except SQLAlchemyError as exc:
            self.last_error = describe_db_error(exc)
            log.warning("leader election: lost the database connection (%s)", self.last_error)
            self._drop()
            return False
        if held != self.is_leader:
            log.info("leader election: this instance %s the scheduler",
                     "now holds" if held else "no longer holds")  # fmt: skip
        self.last_error = None
        return held

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self._drop()
            conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self._conn = conn
            self.backend_pid = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._conn.close()
        self._conn = None
        self.backend_pid = None

    async def release(self) -> None:
        """Give the lock up (closing the session releases it) so a follower takes over now."""
        async with self._lock:
            await asyncio.to_thread(self._release_blocking)

    def _release_blocking(self) -> None:
        self._drop()
        self._engine.dispose()
        self.is_leader = False

    def status(self) -> dict[str, Any]:
        return {"kind": "postgresql", "leader": self.is_leader, "error": self.last_error}


def make_leader(database_url: str, clock: Clock) -> Leader:
    """PostgreSQL: compete for the advisory lock; anything else: a single instance."""
    if make_url(database_url).get_backend_name() == "postgresql":
        return PostgresLeader(database_url, clock)
    return AlwaysLeader()


class Elected(Protocol):
    def set_leader(self, leading: bool) -> None: ...

    async def lead(self) -> None: ...


class LeadershipLoop:
    """Every ``interval`` seconds: ask for (or confirm) the lock, then tell the scheduler.

    Paced by the event loop's own timer, not the injected clock: it is a heartbeat, not a
    business time (tests call ``tick()``; a fake clock would make ``run()`` spin).
    """

    def __init__(
        self, leader: Leader, scheduler: Elected, interval: float = INTERVAL,
        on_change: Callable[[bool], Awaitable[None]] | None = None,
    ) -> None:  # fmt: skip
        self.leader = leader
        self.scheduler = scheduler
        self.interval = interval
        self.on_change = on_change
        self.leading = False

    async def tick(self) -> bool:
        """One round: gain or lose the jobs, and pick up subscription changes as the leader.

        ``on_change`` (what only the leader runs, like the Discord gateway) starts before the
        jobs are built, and stops after they are dropped."""
        leading = await self.leader.check(force=True)
        changed, self.leading = leading != self.leading, leading
        if changed and leading and self.on_change is not None:
            await self.on_change(True)
        if leading:  # every job built (new leader), or kept in step with the store
            await self.scheduler.lead()
        else:
            self.scheduler.set_leader(False)
        if changed and not leading and self.on_change is not None:
            await self.on_change(False)
        return leading

    async def round(self) -> None:
        """``tick()``, logging a failure (the database away...) instead of raising it."""
        try:
            await self.tick()
        except Exception:  # the next round retries
            log.exception("leader election round failed")

    async def run(self) -> None:
        """Rounds forever, every ``interval`` seconds, the first one after a pause."""
        while True:
            await asyncio.sleep(self.interval)
            await self.round()
