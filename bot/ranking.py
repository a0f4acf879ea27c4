"""Rank a day's papers by attention, keeping the breakdown that explains each score.

Pure: no I/O, no clock. The seed post summed retweets and favorites over every search hit,
retweet objects included, so a popular tweet counted once per retweet; and one aggregator
account decided most of its ranking. Here:

**Posts term.** Only posts whose ``arxiv_ids`` include the paper count, each (platform,
post_id) once. Only original posts score: a post with ``is_repost`` or ``repost_of`` set adds
nothing. Hacker News stories (platform ``"hackernews"``) are left out of this term, as HN is
scored through its signals. Each post is worth::

    v = 1 + ln(1 + likes + 2·reposts + quotes + replies)

where an unknown (``None``) count counts 0; a post whose counts are *all* unknown (the demo's
quoted tweets) is worth 0: it is shown, not scored. An account's (platform, author) values for
one paper are summed and capped at ``account_cap``, so an aggregator posting a paper three
times cannot beat three different people. The default cap, 6, is reached by one post with
about 150 interactions: past that, breadth (more people) counts, not one account's reach.
``posts = weights.posts · Σ_accounts min(Σ v, cap)``.

**Signal terms.** ``huggingface = weights.huggingface · ln(1 + hf_upvotes)`` (upvotes only;
comments are shown, not scored); ``hackernews = weights.hackernews · ln(1 + hn_points)``;
``citations = weights.citations · ln(1 + citations)``, only with ``use_citations`` (dates
older than the social sources' reach); ``reported = weights.reported · ln(1 + reported_reposts
+ reported_likes)``, for sources that only give totals (the seed's Twitter sums).

**Score.** ``score`` = the sum of the unrounded terms, rounded to 2 decimals. ``breakdown``
holds the non-zero terms, each rounded to 2 decimals on its own, so the parts may add up to a
value that differs from ``score`` in the last digit. A paper whose score is 0 or below
``weights.min_score`` is not hot and is left out. Order: score (as shown, 2 decimals)
descending, then the number of distinct accounts that posted it, descending, then arxiv_id.

Worked example (``tests/test_ranking.py::test_worked_example``), default weights
(posts 1, huggingface 1.5, hackernews 1, account_cap 6, min_score 1):

- paper A: alice posts it (10 likes, 2 reposts, 1 reply): 1 + ln(16) = 3.77;
  bob (3 likes): 1 + ln(4) = 2.39; an aggregator posts it seven times with no engagement:
  7 · 1 = 7.00, capped to 6.00; carol's repost of alice's post: 0. posts = 12.16.
  20 HF upvotes: 1.5 · ln(21) = 4.57. 99 HN points: ln(100) = 4.61.
  score = 21.33 (the rounded parts add up to 21.34).
- paper B: dave posts it (5 likes): 1 + ln(6) = 2.79. score = 2.79.
- paper C: no attention, not hot.

Result: [A (rank 1, 21.33), B (rank 2, 2.79)].

**Quoted posts.** Up to ``max_quotes`` per paper, highest engagement first (ties: earlier
``created_at``, then post id); posts whose counts are all unknown follow, in input order;
reposts come last and only when their original is not among the paper's posts. A post with
the same normalised text by the same author as a shown one is skipped, as is a repost with
the text of a shown post. HN stories are not quoted (the entry links them through hn_url).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.config import Settings
from bot.models import Entry, Paper, Post, Signals

HACKERNEWS = "hackernews"
TERMS = ("posts", "huggingface", "hackernews", "citations", "reported")
_VERSION = re.compile(r"v\d+$")
_URL = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class Weights:
    """How much each kind of attention weighs; read from settings (``HOTPAPERS_WEIGHT_*``)."""

    posts: float = 1.0
    huggingface: float = 1.5
    hackernews: float = 1.0
    citations: float = 1.0
    reported: float = 1.0
    account_cap: float = 6.0
    min_score: float = 1.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Weights:
        return cls(
            posts=settings.weight_posts,
            huggingface=settings.weight_hf,
            hackernews=settings.weight_hn,
            citations=settings.weight_citations,
            reported=settings.weight_reported,
            account_cap=settings.account_cap,
            min_score=settings.min_score,
        )


@dataclass(frozen=True)
class _Scored:
    paper: Paper
    score: float
    terms: dict[str, float]
    linked: tuple[Post, ...]
    signals: Signals
    accounts: int
    originals: int


def base_id(arxiv_id: str) -> str:
    """An arXiv id without its version suffix (``2104.04052v2`` -> ``2104.04052``)."""
    return _VERSION.sub("", arxiv_id.strip())


def is_original(post: Post) -> bool:
    """A post of its own, not a repost of someone else's."""
    return not post.is_repost and post.repost_of is None


def engagement(post: Post) -> int:
    """likes + 2·reposts + quotes + replies, unknown counts as 0 (reposts spread a post most)."""
    likes, reposts, quotes, replies = (
        max(0, n or 0) for n in (post.likes, post.reposts, post.quotes, post.replies)
    )
    return likes + 2 * reposts + quotes + replies


def counts_known(post: Post) -> bool:
    return any(n is not None for n in (post.likes, post.reposts, post.quotes, post.replies))


def post_value(post: Post) -> float:
    """1 + ln(1 + engagement) for a scored post; 0 for a repost, an HN story or unknown counts."""
    if not is_original(post) or post.platform == HACKERNEWS or not counts_known(post):
        return 0.0
    return 1.0 + math.log1p(engagement(post))


def _account(post: Post) -> tuple[str, str]:
    return post.platform, post.author.casefold()


def posts_value(linked: Sequence[Post], account_cap: float) -> float:
    """Σ over accounts of min(Σ of that account's post values, account_cap)."""
    per_account: dict[tuple[str, str], list[float]] = {}
    for post in linked:
        per_account.setdefault(_account(post), []).append(post_value(post))
    # fsum is exact, so the score does not depend on the order the posts came in.
    return math.fsum(min(math.fsum(values), account_cap) for values in per_account.values())


def _log_count(count: int | None) -> float:
    return math.log1p(max(0, count or 0))


def score_terms(
    linked: Sequence[Post], signals: Signals, weights: Weights, *, use_citations: bool = False
) -> dict[str, float]:
    """Every term of the score, unrounded, in ``TERMS`` order."""
    reported = (signals.reported_reposts or 0) + (signals.reported_likes or 0)
    return {
        "posts": weights.posts * posts_value(linked, weights.account_cap),
        "huggingface": weights.huggingface * _log_count(signals.hf_upvotes),
        "hackernews": weights.hackernews * _log_count(signals.hn_points),
        "citations": weights.citations * _log_count(signals.citations) if use_citations else 0.0,
        "reported": weights.reported * _log_count(reported),
    }


def _posts_by_paper(posts: Sequence[Post]) -> dict[str, tuple[Post, ...]]:
    """Posts grouped by the (version-less) arXiv ids they link, each (platform, post_id) once."""
    grouped: dict[str, dict[tuple[str, str], Post]] = {}
    for post in posts:
        for arxiv_id in post.arxiv_ids:
            grouped.setdefault(base_id(arxiv_id), {}).setdefault(
                (post.platform, post.post_id), post
            )
    return {arxiv_id: tuple(by_key.values()) for arxiv_id, by_key in grouped.items()}


def _score_paper(
    paper: Paper, linked: tuple[Post, ...], signals: Signals, weights: Weights, use_citations: bool
) -> _Scored:
    originals = [p for p in linked if is_original(p) and p.platform != HACKERNEWS]
    terms = score_terms(linked, signals, weights, use_citations=use_citations)
    return _Scored(
        paper=paper,
        score=math.fsum(terms.values()),
        terms=terms,
        linked=linked,
        signals=signals,
        accounts=len({_account(p) for p in originals}),
        originals=len(originals),
    )


def rank(
    papers: Sequence[Paper],
    posts: Sequence[Post],
    signals: Mapping[str, Signals],
    weights: Weights,
    *,
    top: int,
    use_citations: bool = False,
    max_quotes: int = 3,
) -> list[Entry]:
    """The ``top`` hot papers as entries ranked 1..N (see the module docstring for the formula)."""
    if top < 1:
        raise ValueError("top must be at least 1")
    by_paper = _posts_by_paper(posts)
    scored: list[_Scored] = []
    seen: set[str] = set()
    for paper in papers:
        key = base_id(paper.arxiv_id)
        if key in seen:
            continue
        seen.add(key)
        paper_signals = signals.get(paper.arxiv_id) or signals.get(key) or Signals()
        item = _score_paper(paper, by_paper.get(key, ()), paper_signals, weights, use_citations)
        shown_score = round(item.score, 2)
        if shown_score > 0 and shown_score >= weights.min_score:
            scored.append(item)
    scored.sort(key=lambda s: (-round(s.score, 2), -s.accounts, s.paper.arxiv_id))
    return [_entry(n, item, max_quotes) for n, item in enumerate(scored[:top], start=1)]


def _entry(rank_number: int, item: _Scored, max_quotes: int) -> Entry:
    breakdown = {name: round(item.terms[name], 2) for name in TERMS}
    return Entry(
        rank=rank_number,
        paper=item.paper,
        score=round(item.score, 2),
        breakdown={name: value for name, value in breakdown.items() if value},
        signals=item.signals,
        posts=select_quotes(item.linked, max_quotes),
        post_count=item.originals,
        summary="",
    )


def normalised_text(text: str) -> str:
    """Text without links, case or spacing differences: what makes two posts "the same"."""
    return " ".join(_URL.sub(" ", text).casefold().split())


def _quote_order(post: Post, position: int) -> tuple[int, int, int, int, float, str, str, int]:
    repost = 0 if is_original(post) else 1
    if not counts_known(post):
        return (repost, 1, 0, 0, 0.0, "", "", position)
    created = post.created_at
    when = created.timestamp() if created else 0.0
    return (repost, 0, -engagement(post), created is None, when, post.post_id, post.platform, 0)


def select_quotes(linked: Sequence[Post], limit: int) -> tuple[Post, ...]:
    """The posts worth quoting for one paper, without repeats (see the module docstring)."""
    candidates = [p for p in linked if p.platform != HACKERNEWS]
    present = {(p.platform, p.post_id) for p in candidates if is_original(p)}
    ordered = sorted(enumerate(candidates), key=lambda pair: _quote_order(pair[1], pair[0]))
    shown: list[Post] = []
    texts: set[str] = set()
    author_texts: set[tuple[str, str, str]] = set()
    reposted: set[tuple[str, str]] = set()
    for _, post in ordered:
        if len(shown) >= limit:
            break
        text = normalised_text(post.text)
        platform, author = _account(post)
        if not is_original(post):
            original = (post.platform, post.repost_of or "")
            if original in present or original in reposted or text in texts:
                continue
            if post.repost_of:
                reposted.add(original)
        if (platform, author, text) in author_texts:
            continue
        shown.append(post)
        texts.add(text)
        author_texts.add((platform, author, text))
    return tuple(shown)
