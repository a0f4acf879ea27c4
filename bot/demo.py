"""The bundled demo snapshot: the 2021-04-12 listing, made from the seed blog post.

Every store knows it: a query for 2021-04-12 is answered from it with no network and no tokens.
Built by ``scripts/make_demo_snapshot.py``.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from importlib import resources
from typing import Any

from bot.models import Snapshot

DEMO_DATE = dt.date(2021, 4, 12)
_FILES = {DEMO_DATE: "demo-2021-04-12.json"}


@cache
def _load(date: dt.date) -> dict[str, Any]:
    name = _FILES[date]
    text = resources.files("bot.data").joinpath(name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def is_bundled(date: dt.date) -> bool:
    return date in _FILES


def bundled_sources(date: dt.date) -> list[str]:
    return sorted(_load(date)["snapshots"]) if date in _FILES else []


def bundled_categories(date: dt.date) -> list[str]:
    return list(_load(date)["categories"]) if date in _FILES else []


def bundled_snapshot(source: str, date: dt.date, scope: str) -> Snapshot | None:
    """The bundled snapshot of ``source`` for ``date``: an exact scope, or the all-papers one."""
    if date not in _FILES:
        return None
    data = _load(date)
    snap = data["snapshots"].get(source)
    if snap is None or snap["scope"] not in (scope, "*"):
        return None
    fetched = dt.datetime.fromisoformat(data["fetched_at"])
    return Snapshot(source, date, snap["scope"], snap["payload"], fetched, bundled=True)
