"""Catching fire from the command line: ``hotpapers digest --catching-fire-days N`` and the
subscription's own ``--catching-fire-days`` (tests/trend_days.py's three days, stored)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest

from bot.store import Store
from tests.cli_runner import run_cli
from tests.trend_days import A3, B1, C1, build_days

WEDNESDAY_4PM = dt.datetime(2026, 11, 18, 16, 0, tzinfo=dt.UTC)


@pytest.fixture
def stored(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'hp.sqlite3'}"
    monkeypatch.setenv("HOTPAPERS_DATABASE_URL", url)
    return url


def test_digest_catching_fire_days_reaches_back_as_asked(
    stored: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store(stored)
    try:
        asyncio.run(build_days(store))
    finally:
        store.close()

    def digest(*extra: str) -> dict[str, object]:
        code, out, err = run_cli(monkeypatch, capsys, "digest", "--date", "2026-11-18",
                                 "--category", "cs.CL", "--offline", "--format", "json", *extra,
                                 now=WEDNESDAY_4PM)  # fmt: skip
        assert (code, err) == (0, "")
        return json.loads(out)  # type: ignore[no-any-return]

    default = digest()  # HOTPAPERS_CATCHING_FIRE_DAYS: 3
    assert [p["arxiv_id"] for p in default["papers"]] == [A3]  # type: ignore[union-attr,index]
    late = default["catching_fire"]
    assert [(p["arxiv_id"], p["section"], p["listing_date"], p["trend"]) for p in late] == [  # type: ignore[union-attr,index]
        (B1, "catching_fire", "2026-11-16",
         {"first_seen": "2026-11-17", "days_hot": 2, "delta_24h": 11.0}),
        (C1, "catching_fire", "2026-11-16",
         {"first_seen": "2026-11-17", "days_hot": 2, "delta_24h": 0.0}),
    ]  # fmt: skip
    assert digest("--catching-fire-days", "1")["catching_fire"] == []  # Tuesday's only
    assert digest("--catching-fire-days", "0")["catching_fire"] == []
    monkeypatch.setenv("HOTPAPERS_CATCHING_FIRE_DAYS", "0")
    assert digest()["catching_fire"] == []
    assert len(digest("--catching-fire-days", "2")["catching_fire"]) == 2  # type: ignore[arg-type]


def test_subscribe_sets_the_channels_catching_fire(
    stored: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(monkeypatch, capsys, "subscribe", "--platform", "console", "--channel",
                           "#papers", "--time", "09:00", "--category", "cs.CL",
                           "--catching-fire-days", "5")  # fmt: skip
    assert (code, out.splitlines()[0]) == (
        0, "Subscribed console:default:#papers: cs.CL at 09:00 UTC, top 10, Catching fire from "
        "the last 5 listing days.",
    )  # fmt: skip
    code, out, _ = run_cli(monkeypatch, capsys, "subscriptions", "--json")
    assert json.loads(out)["catching_fire_days"] == 5
    code, _, err = run_cli(monkeypatch, capsys, "subscribe", "--platform", "console", "--channel",
                           "#papers", "--time", "09:00", "--catching-fire-days", "11")  # fmt: skip
    assert code == 2 and "--catching-fire-days" in err
