"""Rank a day's papers by attention beyond the background, keeping the breakdown and the why.

Pure: no I/O, no clock. The seed post summed retweets and favorites over every search hit, so a
popular tweet counted once per retweet, one aggregator account decided most of its order, and a
quiet day was padded with papers nobody discussed. Here:

**Who is a person, who is a feed.** Only original posts count (a repost adds nothing), each
(platform, post_id) once; Hacker News stories score through their signals, not as posts. An
account whose original posts cover at least ``broad_share`` of the window's papers, and at least
``broad_min_papers`` of them, is *broad*: an aggregator, a bot, a publisher feed. It is found in
the window's own data, never by handle. Its routine post is background, not a reader.

**Posts term (people).** A non-broad account's post is worth ``v = 1 + ln(1 + e)`` with
``e = likes + 2·reposts + quotes + replies`` (unknown counts are 0; a post whose counts are *all*
unknown, as in the demo, is shown, not scored). One account's values for one paper are summed and
capped at ``account_cap``. ``posts = weights.posts · Σ_people min(Σ v, cap)``.

**Reach term (broad accounts).** A broad account's post counts only for the engagement it drew
beyond that account's usual: ``r = max(0, ln(1 + e) − ln(1 + median e of its window posts))``,
capped per account like people. A feed's routine "New paper: ..." post is worth 0.
``reach = weights.posts · Σ_broad min(Σ r, cap)``.

**Signal terms, calibrated.** An upvote or a point is a lighter act than a post, and one person
posting is worth 1 to 3. So counts are square-rooted and weighted so that the anchors of each
source meet: ``huggingface = weights.huggingface · √upvotes``, ``hackernews = weights.hackernews ·
√points``; with the defaults (2.0, 1.7) a top-10 Hugging Face day (300 upvotes: 34.6) and a
front-page Hacker News story (400 points: 34.0) each equal ten people discussing the paper with
about ten interactions each (10 · (1 + ln 11) = 34.0), and one upvote (2.0) or point (1.7) equals
about one person's post. ``citations = weights.citations · ln(1 + citations)``, only with
``use_citations`` (dates older than the social sources reach); ``reported = weights.reported ·
ln(1 + reported_reposts + reported_likes)`` for sources that give only totals (the demo's sums).

**Hot.** ``score`` = the sum of the unrounded terms, rounded to 2 decimals; ``breakdown`` holds
the non-zero terms, each rounded on its own. A paper is hot when its score is above 0 and at
least ``min_score``: a paper whose only attention is a feed's routine post scores 0 and is not.
``rank_hot`` returns at most ``top`` entries (fewer when fewer are hot, never padded) and
``hot_count``. Order: score (2 decimals) descending, then distinct people, then arxiv_id.

Worked example (``tests/test_ranking.py::test_worked_example``), default weights, a window of 10
papers (a feed account is broad when it posts about 5 or more of them):

- the feed "arxivbot" posts every paper with 3 likes (its median): each post is worth
  ln 4 − ln 4 = 0. On paper A its post drew 60 likes: ln 61 − ln 4 = 2.72 (reach).
- paper A: alice posts it (10 likes, 2 reposts, 1 reply): 1 + ln 16 = 3.77; bob (3 likes):
  1 + ln 4 = 2.39; carol's repost of alice's post: 0. posts = 6.16. 16 HF upvotes: 2 · 4 = 8.00.
  100 HN points: 1.7 · 10 = 17.00. score = 6.16 + 2.72 + 8.00 + 17.00 = 33.88.
- paper B: dave posts it (5 likes): 1 + ln 6 = 2.79; score 2.79.
- papers C to J: only the feed's routine post, worth 0: not hot.

Result: [A (rank 1, 33.88), B (rank 2, 2.79)], hot_count 2 of 10.
A's why: "discussed by 2 people on Bluesky, shared by 1 feed account on Bluesky,
16 upvotes on Hugging Face, 100 points on Hacker News".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot.breadth import (
    Account,
    base_id,
    broad_accounts,
    posts_value,
    reach_by_account,
    scored_post,
)
from bot.models import Entry, Paper, Post, Signals
from bot.quotes import account, normalised_text, select_quotes
from bot.voice import Voice, why_suffix
from bot.weights import Weights
from bot.why import why_line

__all__ = [
    "TERMS",
    "Ranking",
    "Weights",
    "base_id",
    "broad_accounts",
    "normalised_text",
    "posts_value",
    "rank",
    "rank_hot",
    "select_quotes",
]

TERMS = ("posts", "reach", "huggingface", "hackernews", "citations", "reported")


@dataclass(frozen=True)
class Ranking:
    """The hot entries shown (at most ``top``) and how many papers were hot in all."""

    entries: list[Entry]
    hot_count: int
    #: Every paper with any attention (a rounded score above 0), hot or not: the trend series.
    scores: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class _Scored:
    paper: Paper
    score: float
    terms: dict[str, float]
    linked: tuple[Post, ...]
    signals: Signals
    people: int
    originals: int
    why: str
    reacted: int = 0  # people of the channel who reacted to it (``bot.voice``)


def _sqrt_count(count: int | None) -> float:
    return math.sqrt(max(0, count or 0))


def _log_count(count: int | None) -> float:
    return math.log1p(max(0, count or 0))


def score_terms(
    linked: Sequence[Post],
    signals: Signals,
    weights: Weights,
    *,
    use_citations: bool = False,
    broad: Mapping[Account, float] | None = None,
) -> dict[str, float]:
    """Every term of the score, unrounded, in ``TERMS`` order."""
    broad = broad or {}
    reported = (signals.reported_reposts or 0) + (signals.reported_likes or 0)
    reach = reach_by_account(linked, weights.account_cap, broad)
    return {
        "posts": weights.posts * posts_value(linked, weights.account_cap, broad),
        "reach": weights.posts * math.fsum(reach.values()),
        "huggingface": weights.huggingface * _sqrt_count(signals.hf_upvotes),
        "hackernews": weights.hackernews * _sqrt_count(signals.hn_points),
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
    paper: Paper,
    linked: tuple[Post, ...],
    signals: Signals,
    weights: Weights,
    use_citations: bool,
    broad: Mapping[Account, float],
) -> _Scored:
    originals = [p for p in linked if scored_post(p)]
    terms = score_terms(linked, signals, weights, use_citations=use_citations, broad=broad)
    people: dict[str, set[str]] = {}
    for post in originals:
        if account(post) not in broad:
            people.setdefault(post.platform, set()).add(account(post)[1])
    feeds: dict[str, int] = {}
    for (platform, _), value in reach_by_account(linked, weights.account_cap, broad).items():
        if value > 0:
            feeds[platform] = feeds.get(platform, 0) + 1
    return _Scored(
        paper=paper,
        score=math.fsum(terms.values()),
        terms=terms,
        linked=linked,
        signals=signals,
        people=sum(len(names) for names in people.values()),
        originals=len(originals),
        why=why_line({p: len(n) for p, n in people.items()}, feeds, signals, terms),
    )


def rank_hot(
    papers: Sequence[Paper],
    posts: Sequence[Post],
    signals: Mapping[str, Signals],
    weights: Weights,
    *,
    top: int,
    use_citations: bool = False,
    max_quotes: int = 3,
    window_papers: Sequence[Paper] | None = None,
    voice: Voice | None = None,
) -> Ranking:
    """The ``top`` hot papers ranked 1..N and how many were hot (see the module docstring).

    ``window_papers`` is the whole listing when ``papers`` is a filtered part of it: breadth is
    a share of the window, not of one channel's keyword selection. ``voice``: the channel's
    reactions (``bot.voice``), which boost the hot papers it matches and are shown on them.
    """
    if top < 1:
        raise ValueError("top must be at least 1")
    population = {base_id(p.arxiv_id) for p in (window_papers or papers)}
    broad = broad_accounts(posts, population, weights)
    by_paper = _posts_by_paper(posts)
    scored: list[_Scored] = []
    scores: dict[str, float] = {}
    seen: set[str] = set()
    for paper in papers:
        key = base_id(paper.arxiv_id)
        if key in seen:
            continue
        seen.add(key)
        paper_signals = signals.get(paper.arxiv_id) or signals.get(key) or Signals()
        linked = by_paper.get(key, ())
        item = _score_paper(paper, linked, paper_signals, weights, use_citations, broad)
        shown_score = round(item.score, 2)
        if shown_score > 0:
            scores[key] = shown_score
        if shown_score > 0 and shown_score >= weights.min_score:
            scored.append(_voiced(item, voice) if voice is not None else item)
    scored.sort(key=lambda s: (-round(s.score, 2), -s.people, s.paper.arxiv_id))
    entries = [_entry(n, item, max_quotes) for n, item in enumerate(scored[:top], start=1)]
    return Ranking(entries=entries, hot_count=len(scored), scores=scores)


def rank(
    papers: Sequence[Paper],
    posts: Sequence[Post],
    signals: Mapping[str, Signals],
    weights: Weights,
    **options: Any,
) -> list[Entry]:
    """The entries of ``rank_hot`` alone (``options``: its keyword arguments)."""
    return rank_hot(papers, posts, signals, weights, **options).entries


def _voiced(item: _Scored, voice: Voice) -> _Scored:
    """A hot paper with the channel's boost (``bot.voice``): the ``channel`` term, the why."""
    reacted = voice.reacted(base_id(item.paper.arxiv_id))
    boost = voice.boost(item.paper)
    if boost is None:
        return replace(item, reacted=reacted)
    term = boost.term(item.score, voice.weight)
    why = "; ".join(part for part in (item.why, why_suffix(boost)) if part)
    terms = {**item.terms, "channel": term}
    return replace(item, score=item.score + term, terms=terms, why=why, reacted=reacted)


def _entry(rank_number: int, item: _Scored, max_quotes: int) -> Entry:
    breakdown = {name: round(item.terms.get(name, 0.0), 2) for name in (*TERMS, "channel")}
    return Entry(
        rank=rank_number,
        paper=item.paper,
        score=round(item.score, 2),
        breakdown={name: value for name, value in breakdown.items() if value},
        signals=item.signals,
        posts=select_quotes(item.linked, max_quotes),
        post_count=item.originals,
        summary="",
        why=item.why,
        reactions=item.reacted,
    )
