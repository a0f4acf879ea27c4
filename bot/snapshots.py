"""What a digest build reads and writes: snapshots and cached summaries (``SnapshotStore``, which
``bot.store.Store`` is), and ``BundledStore``, the demo's: the bundled 2021-04-12 snapshot in
memory, with no database, so ``hotpapers digest --demo`` loads neither SQLAlchemy nor Alembic and
never touches ``HOTPAPERS_DATABASE_URL``."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Protocol, cast

from bot import demo
from bot.models import Snapshot
from bot.trends import AttentionSeries, MemorySeries


class SnapshotStore(Protocol):
    def get_snapshot(self, source: str, date: dt.date, scope: str = "") -> Snapshot | None: ...

    def put_snapshot(
        self, source: str, date: dt.date, scope: str, payload: dict[str, Any],
        fetched_at: dt.datetime,
    ) -> None: ...  # fmt: skip

    def snapshot_sources(self, date: dt.date) -> list[str]: ...

    def get_summary(self, arxiv_id: str, model: str) -> str | None: ...

    def put_summary(self, arxiv_id: str, model: str, text: str) -> None: ...


class BundledStore:
    """The bundled snapshots, plus whatever a build puts, for this process only."""

    def __init__(self) -> None:
        self._snapshots: dict[tuple[str, dt.date, str], Snapshot] = {}
        self._summaries: dict[tuple[str, str], str] = {}

    def get_snapshot(self, source: str, date: dt.date, scope: str = "") -> Snapshot | None:
        found = self._snapshots.get((source, date, scope))
        return found if found is not None else demo.bundled_snapshot(source, date, scope)

    def put_snapshot(
        self, source: str, date: dt.date, scope: str, payload: dict[str, Any],
        fetched_at: dt.datetime,
    ) -> None:  # fmt: skip
        stored = json.loads(json.dumps(payload, default=str))  # as the database would keep it
        self._snapshots[(source, date, scope)] = Snapshot(source, date, scope, stored, fetched_at)

    def snapshot_sources(self, date: dt.date) -> list[str]:
        names = {source for source, day, _ in self._snapshots if day == date}
        return sorted(names | set(demo.bundled_sources(date)))

    def get_summary(self, arxiv_id: str, model: str) -> str | None:
        return self._summaries.get((arxiv_id, model))

    def put_summary(self, arxiv_id: str, model: str, text: str) -> None:
        self._summaries[(arxiv_id, model)] = text

    def close(self) -> None:
        return None


def attention_series(store: SnapshotStore) -> AttentionSeries:
    """The attention series beside ``store``: the database's ``hp_attention``, or for the
    demo's in-memory store (``--demo``, no database), this process's memory."""
    if isinstance(store, BundledStore):
        return MemorySeries()
    from bot.series import Series  # SQLAlchemy: only where there is a database
    from bot.store import Store

    return Series(cast(Store, store))
