"""Source answers as stored in snapshots, and back: what ``bot.digest`` writes and reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.models import Paper, Post, Signals, Snapshot, SourceStatus
from bot.sources.base import AttentionSource, Collected


@dataclass(frozen=True)
class Day:
    """One listing day's data as ``DigestBuilder.gather`` found it, before any filter."""

    date: dt.date
    papers: list[Paper]
    posts: list[Post]
    signals: dict[str, Signals]
    sources: dict[str, SourceStatus]
    use_citations: bool


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


def used_status(
    collected: Collected, *, requests: int = 0, from_snapshot: bool = False
) -> SourceStatus:
    """An answer that was used: ok, or degraded with why when it came with problems."""
    note = "; ".join(collected.problems) or None
    return SourceStatus(ok=True, requests=requests, from_snapshot=from_snapshot, note=note)


def request_count(source: AttentionSource) -> int:
    http = getattr(source, "http", None)
    return int(getattr(http, "requests", 0))


def merge_collected(collected: Sequence[Collected]) -> tuple[list[Post], dict[str, Signals]]:
    posts: list[Post] = []
    signals: dict[str, Signals] = {}
    for c in collected:
        posts.extend(c.posts)
        for arxiv_id, sig in c.signals.items():
            signals[arxiv_id] = signals[arxiv_id].merged(sig) if arxiv_id in signals else sig
    return posts, signals
