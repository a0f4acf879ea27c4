from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.ledger import Ledger, categories_key
from bot.store import Store, StoreError

D = dt.date(2026, 11, 20)
T0 = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


def test_snapshot_round_trip(store: Store) -> None:
    assert store.get_snapshot("bluesky", D, "") is None
    store.put_snapshot("bluesky", D, "", {"posts": [{"a": 1}], "signals": {}}, T0)
    snap = store.get_snapshot("bluesky", D, "")
    assert snap is not None
    assert snap.payload == {"posts": [{"a": 1}], "signals": {}}
    assert snap.fetched_at == T0 and not snap.bundled
    store.put_snapshot("bluesky", D, "", {"posts": []}, T0 + dt.timedelta(hours=1))
    again = store.get_snapshot("bluesky", D, "")
    assert again is not None and again.payload == {"posts": []}
    assert store.snapshot_sources(D) == ["bluesky"]


def test_demo_snapshot_is_known_to_every_store(store: Store) -> None:
    snap = store.get_snapshot("arxiv", dt.date(2021, 4, 12), "cs.CL")
    assert snap is not None and snap.bundled and snap.scope == "*"
    assert len(snap.payload["papers"]) == 11
    assert store.snapshot_sources(dt.date(2021, 4, 12)) == ["arxiv", "x"]


def test_default_path_is_created(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "db.sqlite3"
    Store(f"sqlite:///{path}").close()
    assert path.exists()


def test_read_only_database_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "ro.sqlite3"
    store = Store(f"sqlite:///{path}")
    store.put_snapshot("x", D, "", {"posts": []}, T0)
    store.close()
    # A read-only file (root ignores file modes, so open it read-only through SQLite's URI too).
    os.chmod(path, 0o444)
    ro = Store(f"sqlite:///file:{path}?mode=ro&uri=true", create=False)
    try:
        with pytest.raises(StoreError, match="read-only"):
            ro.put_snapshot("x", D, "", {"posts": [1]}, T0)
        snap = ro.get_snapshot("x", D, "")
        assert snap is not None and snap.payload == {"posts": []}  # nothing lost
    finally:
        ro.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ro.sqlite3"]  # no stray "file:" folder


def test_locked_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite3"
    store = Store(f"sqlite:///{path}", busy_timeout_ms=0)  # refused at once, not after 5 s
    holder = sqlite3.connect(path, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="locked"):
            store.put_snapshot("x", D, "", {"posts": []}, T0)
    finally:
        holder.rollback()
        holder.close()
        store.close()


def test_ledger_claims_once_and_resumes(store: Store) -> None:
    clock = FakeClock(T0)
    a = Ledger(store, "instance-a", clock)
    b = Ledger(store, "instance-b", clock)
    claim = a.claim("slack", "T1", "C1", D, ["cs.LG", "cs.CL"])
    assert claim is not None and claim.parts == {}
    assert b.claim("slack", "T1", "C1", D, ["cs.CL", "cs.LG"]) is None  # live claim elsewhere
    a.record(claim, "header", "111.1", "111.1")
    a.record(claim, "1", "111.2", "111.1")
    # instance a dies; after the lease, b takes over and sees what was posted
    clock.advance(11 * 60)
    resumed = b.claim("slack", "T1", "C1", D, ["cs.CL", "cs.LG"])
    assert resumed is not None and resumed.resumed
    assert resumed.parts == {"header": "111.1", "1": "111.2"} and resumed.thread_id == "111.1"
    b.finish(resumed, ok=True)
    assert a.claim("slack", "T1", "C1", D, ["cs.CL", "cs.LG"]) is None  # done
    assert b.status("slack", "T1", "C1", D, ["cs.LG", "cs.CL"]) == ("done", None, 2)
    forced = a.claim("slack", "T1", "C1", D, ["cs.CL", "cs.LG"], force=True)
    assert forced is not None and forced.parts == {} and forced.thread_id is None


def test_failed_delivery_is_retried(store: Store) -> None:
    ledger = Ledger(store, "a", FakeClock(T0))
    claim = ledger.claim("discord", "G", "42", D, ["cs.CL"])
    assert claim is not None
    ledger.finish(claim, ok=False, error="missing_permissions: ...")
    assert ledger.status("discord", "G", "42", D, ["cs.CL"]) == (
        "failed",
        "missing_permissions: ...",
        0,
    )
    assert ledger.claim("discord", "G", "42", D, ["cs.CL"]) is not None


def test_categories_key_is_canonical() -> None:
    assert categories_key(["cs.LG", "cs.CL", "cs.LG"]) == "cs.CL cs.LG"
