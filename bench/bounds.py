"""Lower bounds, computed from the limits the fakes enforce (``bench.limits.LIMITS``) and the
answers they send (``bench.fakes``): what no client could beat against these fakes.

Digest: arXiv's pages come one after another (one connection, 3 s x ``arxiv_scale`` apart), then
Semantic Scholar's batches (it needs the listing's ids, 1 / s); the window-scoped sources
(Bluesky, Hacker News, Hugging Face) need no listing, so their chains run from the start:
``max(arxiv + s2, bluesky, hn, hf)``, each chain the latency of its answers' sizes.

Fan-out: ``slack_allowed_s`` / ``discord_allowed_s`` are the least time the buckets allow for a
set of threads (exact for token buckets: the first ``burst`` at once, then one per ``1/rate``),
plus the round trips a thread cannot overlap.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping

from bench.day import Day, atom_feed
from bench.fakes import HF_LISTED, bluesky_page, hf_items
from bench.limits import LIMITS, Latency, Limit

ARXIV_PAGE, BLUESKY_PAGE, S2_BATCH, HF_PAGE = 2000, 100, 500, 100


def _chain(latencies: list[float], interval: float) -> float:
    """Requests one after another, starts at least ``interval`` apart: the last one's end."""
    if not latencies:
        return 0.0
    return sum(max(interval, lat) for lat in latencies[:-1]) + latencies[-1]


def _json_size(data: object) -> int:
    return len(json.dumps(data).encode())


def digest_chains(day: Day, latency: Latency, arxiv_scale: float) -> dict[str, float]:
    """Each source's shortest chain of requests for ``day`` (seconds)."""
    n = len(day.papers)
    arxiv = [
        latency.of(len(atom_feed(day.papers, start, ARXIV_PAGE)))
        for start in range(0, max(n, 1), ARXIV_PAGE)
    ]
    s2_batch = [{"externalIds": {"ArXiv": day.papers[0]["id"]}, "citationCount": 0}]
    s2 = [latency.of(_json_size(s2_batch * min(S2_BATCH, n - i))) for i in range(0, n, S2_BATCH)]
    session = {"accessJwt": "bench-access", "refreshJwt": "bench-refresh"}
    bluesky = [latency.of(_json_size(session))] + [
        latency.of(_json_size(bluesky_page(day, offset, BLUESKY_PAGE)))
        for offset in range(0, max(len(day.posts), 1), BLUESKY_PAGE)
    ]
    items = hf_items(day)
    hf = [
        latency.of(_json_size(items[p * HF_PAGE : (p + 1) * HF_PAGE]))
        for p in range(HF_LISTED // HF_PAGE + 1)
    ]
    hn = {"hits": day.hn_hits[:100], "nbHits": len(day.hn_hits), "nbPages": 1, "hitsPerPage": 100}
    arxiv_s = _chain(arxiv, LIMITS["arxiv"].period * arxiv_scale)
    return {
        "arxiv": arxiv_s,
        "arxiv_then_semantic_scholar": arxiv_s + _chain(s2, LIMITS["semantic_scholar_key"].period),
        "bluesky": _chain(bluesky, 0.0),
        "hackernews": latency.of(_json_size(hn)),
        "huggingface": _chain(hf, 0.0),
    }


def digest_bound(day: Day, latency: Latency, arxiv_scale: float) -> float:
    chains = digest_chains(day, latency, arxiv_scale)
    return max(v for k, v in chains.items() if k != "arxiv")


def bucket_time(messages: int, limit: Limit) -> float:
    """Least seconds to send ``messages`` through ``limit`` (a full bucket or a fresh window)."""
    if limit.kind == "bucket":
        return max(0, messages - limit.burst) / limit.rate
    windows = math.ceil(messages / limit.calls)  # fixed / sliding: `calls` per `period`
    return max(0, windows - 1) * limit.period


def slack_allowed_s(channels_per_workspace: Mapping[str, int], per_thread: int,
                    latency: float) -> float:  # fmt: skip
    """Every workspace in parallel; in one, its bucket and each channel's bind together: the
    larger of the two times, plus the header's round trip (replies need its ``ts``) and the
    last reply's."""
    channel = bucket_time(per_thread, LIMITS["slack_channel"])
    worst = max(
        (bucket_time(n * per_thread, LIMITS["slack_workspace"]) for n in
         channels_per_workspace.values()), default=0.0,
    )  # fmt: skip
    return max(worst, channel) + 2 * latency


def discord_requests(channels: int, per_thread: int) -> int:
    """The requests a thread needs at least: the header, the thread, the replies in it."""
    return channels * (per_thread + 1)


def discord_allowed_s(channels: int, per_thread: int, latency: float) -> float:
    """The global bucket over every request, or one thread's replies through its channel's
    messages bucket (5 / 5 s), whichever is longer; plus header, thread and last reply trips."""
    total = bucket_time(discord_requests(channels, per_thread), LIMITS["discord_global"])
    replies = bucket_time(per_thread - 1, LIMITS["discord_channel_messages"])
    return max(total, replies) + 3 * latency


def rate_vs_allowed(messages: int, wall_s: float, allowed_s: float) -> float | None:
    """Achieved messages / s over the allowed messages / s (= allowed time / wall time)."""
    if messages == 0 or wall_s <= 0:
        return None
    return (messages / wall_s) / (messages / allowed_s)
