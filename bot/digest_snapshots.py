"""Source answers as stored in snapshots, and back: what ``bot.digest`` writes and reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.models import Paper, Post, Signals
from bot.sources.base import Collected
from bot.store import Snapshot


def papers_of(snap: Snapshot, categories: Sequence[str]) -> list[Paper]:
    papers = [Paper.model_validate(p) for p in snap.payload["papers"]]
    if snap.scope == "*":
        wanted = set(categories)
        papers = [p for p in papers if wanted & set(p.categories or (p.primary_category,))]
    return papers


def payload_of(collected: Collected) -> dict[str, Any]:
    extra = {"problems": collected.problems} if collected.problems else {}
    return extra | {
        "posts": [p.model_dump(mode="json") for p in collected.posts],
        "signals": {
            k: v.model_dump(mode="json", exclude_none=True) for k, v in collected.signals.items()
        },
    }


def collected_of(snap: Snapshot) -> Collected:
    return Collected(
        posts=[Post.model_validate(p) for p in snap.payload.get("posts", [])],
        signals={k: Signals.model_validate(v) for k, v in snap.payload.get("signals", {}).items()},
        problems=[str(p) for p in snap.payload.get("problems", [])],
    )
