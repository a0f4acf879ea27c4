"""Who is a reader and who is a feed, and what each one's posts are worth to a paper.

Split from ``bot.ranking`` (see its docstring for the formulas): breadth is found in the window's
own data, an account's share of the window's papers, never from a list of handles that would
age. Pure: no I/O, no clock.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING

from bot.models import Post
from bot.quotes import HACKERNEWS, account, counts_known, engagement, is_original

if TYPE_CHECKING:
    from bot.weights import Weights

_VERSION = re.compile(r"v\d+$")
Account = tuple[str, str]


def base_id(arxiv_id: str) -> str:
    """An arXiv id without its version suffix (``2104.04052v2`` -> ``2104.04052``)."""
    return _VERSION.sub("", arxiv_id.strip())


def scored_post(post: Post) -> bool:
    """An original social post: what can score (a repost adds nothing; HN scores by points)."""
    return is_original(post) and post.platform != HACKERNEWS


def post_value(post: Post) -> float:
    """A person's post: 1 + ln(1 + engagement); 0 for a repost, an HN story or unknown counts."""
    if not scored_post(post) or not counts_known(post):
        return 0.0
    return 1.0 + math.log1p(engagement(post))


def reach_value(post: Post, usual: float) -> float:
    """A broad account's post: only the engagement beyond that account's usual (median)."""
    if not scored_post(post) or not counts_known(post):
        return 0.0
    return max(0.0, math.log1p(engagement(post)) - math.log1p(usual))


def broad_accounts(
    posts: Sequence[Post], paper_ids: Collection[str], weights: Weights
) -> dict[Account, float]:
    """Accounts posting about a large share of the window's papers, with their median engagement.

    The threshold is ``max(broad_min_papers, broad_share · papers in the window)``, so on a small
    selection one reader posting about three papers stays a reader.
    """
    window = set(paper_ids)
    covered: dict[Account, set[str]] = {}
    counts: dict[Account, dict[str, int]] = {}
    for post in posts:
        if not scored_post(post):
            continue
        ids = {base_id(i) for i in post.arxiv_ids} & window
        if not ids:
            continue
        covered.setdefault(account(post), set()).update(ids)
        if counts_known(post):
            counts.setdefault(account(post), {})[post.post_id] = engagement(post)
    threshold = max(weights.broad_min_papers, weights.broad_share * len(window))
    return {
        who: float(statistics.median(counts.get(who, {}).values() or [0]))
        for who, ids in covered.items()
        if len(ids) >= threshold
    }


def _capped_sums(values: Mapping[Account, list[float]], cap: float) -> float:
    # fsum is exact, so the score does not depend on the order the posts came in.
    return math.fsum(min(math.fsum(v), cap) for v in values.values())


def posts_value(
    linked: Sequence[Post], account_cap: float, broad: Mapping[Account, float] | None = None
) -> float:
    """Σ over people (non-broad accounts) of min(Σ of that account's post values, account_cap)."""
    broad = broad or {}
    per_account: dict[Account, list[float]] = {}
    for post in linked:
        if account(post) not in broad:
            per_account.setdefault(account(post), []).append(post_value(post))
    return _capped_sums(per_account, account_cap)


def reach_by_account(
    linked: Sequence[Post], cap: float, broad: Mapping[Account, float]
) -> dict[Account, float]:
    """Each feed's reach on one paper: its posts' values beyond its usual, capped like a person."""
    per_account: dict[Account, list[float]] = {}
    for post in linked:
        who = account(post)
        if who in broad:
            per_account.setdefault(who, []).append(reach_value(post, broad[who]))
    return {who: min(math.fsum(v), cap) for who, v in per_account.items()}
