"""Ranking: the documented formula, exact scores, quoted posts, and properties under hypothesis."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import Settings
from bot.models import Paper, Post, Signals
from bot.ranking import Weights, posts_value, rank, rank_hot, select_quotes
from tests.factories import make_paper, make_post

A, B, C = "2104.04001", "2104.04002", "2104.04003"
UTC = dt.UTC


def post(post_id: str, author: str, arxiv_id: str = A, **kw: object) -> Post:
    """A Bluesky post with zero engagement unless told otherwise."""
    data: dict[str, object] = {
        "likes": 0,
        "reposts": 0,
        "replies": 0,
        "quotes": 0,
        "text": f"{post_id} text",
    }
    data.update(kw)
    return make_post(1, arxiv_id, post_id=post_id, author=author, **data)


def unknown(post_id: str, author: str, arxiv_id: str = A, **kw: object) -> Post:
    return make_post(
        1,
        arxiv_id,
        post_id=post_id,
        author=author,
        text=f"{post_id} text",
        likes=None,
        reposts=None,
        replies=None,
        quotes=None,
        **kw,
    )


def scores(entries: list) -> list[tuple[str, float]]:
    return [(e.paper.arxiv_id, e.score) for e in entries]


PAPERS = [make_paper(1), make_paper(2), make_paper(3)]


WINDOW = [make_paper(n) for n in range(1, 11)]


def test_worked_example() -> None:
    """The module docstring's example, number for number."""
    feed = [post(f"f{p.arxiv_id}", "arxivbot", arxiv_id=p.arxiv_id, likes=3) for p in WINDOW[1:]]
    posts = [
        *feed,
        post("fA", "arxivbot", likes=60),
        post("a1", "alice", likes=10, reposts=2, replies=1),
        post("b1", "bob", likes=3),
        post("c1", "carol", likes=500, reposts=90, is_repost=True, repost_of="a1"),
        post("d1", "dave", arxiv_id=B, likes=5),
    ]
    signals = {A: Signals(hf_upvotes=16, hn_points=100)}

    ranking = rank_hot(WINDOW, posts, signals, Weights(), top=10)

    entries = ranking.entries
    assert [(e.rank, e.paper.arxiv_id, e.score, e.breakdown, e.post_count) for e in entries] == [
        (1, A, 33.88, {"posts": 6.16, "reach": 2.72, "huggingface": 8.0, "hackernews": 17.0}, 3),
        (2, B, 2.79, {"posts": 2.79}, 2),
    ]
    assert ranking.hot_count == 2
    assert [e.why for e in entries] == [
        "discussed by 2 people on Bluesky, shared by 1 feed account on Bluesky, "
        "16 upvotes on Hugging Face, 100 points on Hacker News",
        "discussed by 1 person on Bluesky",
    ]
    assert entries[0].signals == Signals(hf_upvotes=16, hn_points=100)
    assert [p.post_id for p in entries[0].posts] == ["fA", "a1", "b1"]
    assert all(e.summary == "" for e in entries)


def test_a_feed_is_found_by_breadth_not_by_name() -> None:
    # The same account posting about 4 of 10 papers is a reader (below broad_min_papers 5);
    # about 5 of them it is a feed, and its routine posts stop making papers hot.
    def routine(k: int) -> list[Post]:
        papers = WINDOW[:k]
        return [post(f"r{n}", "keen", arxiv_id=p.arxiv_id, likes=3) for n, p in enumerate(papers)]

    assert rank_hot(WINDOW, routine(4), {}, Weights(), top=20).hot_count == 4
    assert rank_hot(WINDOW, routine(5), {}, Weights(), top=20).hot_count == 0
    # On 40 papers, 20% is 8: posting about 7 still reads as a person.
    forty = [make_paper(n) for n in range(1, 41)]
    seven = [post(f"s{n}", "keen", arxiv_id=p.arxiv_id, likes=3) for n, p in enumerate(forty[:7])]
    assert rank_hot(forty, seven, {}, Weights(), top=50).hot_count == 7
    assert rank_hot(forty, seven, {}, Weights(broad_share=0.1), top=50).hot_count == 0


def test_breadth_counts_the_whole_window_not_a_filtered_selection() -> None:
    feed = [post(f"f{n}", "arxivbot", arxiv_id=p.arxiv_id, likes=3) for n, p in enumerate(WINDOW)]
    chosen = WINDOW[:2]
    # Seen through two papers alone the feed covers 2: a person. In its window it is a feed.
    assert rank_hot(chosen, feed, {}, Weights(), top=5).hot_count == 2
    assert rank_hot(chosen, feed, {}, Weights(), top=5, window_papers=WINDOW).hot_count == 0


def test_sources_are_calibrated_against_each_other() -> None:
    ten_people = [post(f"p{n}", f"reader{n}", arxiv_id=C, likes=10) for n in range(10)]
    signals = {A: Signals(hf_upvotes=300), B: Signals(hn_points=400)}
    entries = rank(PAPERS, ten_people, signals, Weights(), top=5)
    # A top-10 HF day and a front-page HN story each weigh what ten people discussing weigh.
    assert scores(entries) == [(A, 34.64), (B, 34.0), (C, 33.98)]
    one = rank(PAPERS, [], {A: Signals(hf_upvotes=1), B: Signals(hn_points=1)}, Weights(), top=5)
    assert scores(one) == [(A, 2.0), (B, 1.7)]


def test_weights_from_settings() -> None:
    config = Settings(
        _env_file=None,
        weight_posts=2,
        weight_hf=3,
        weight_hn=0.5,
        weight_citations=4,
        weight_reported=0.25,
        account_cap=5,
        min_score=0,
        broad_share=0.5,
        broad_min_papers=3,
    )
    assert Weights.from_settings(config) == Weights(2, 3, 0.5, 4, 0.25, 5, 0, 0.5, 3)


def test_weights_scale_their_terms() -> None:
    weights = Weights(posts=2, huggingface=1, hackernews=0.5)
    signals = {A: Signals(hf_upvotes=6, hn_points=99)}
    [entry] = rank(PAPERS[:1], [post("x", "alice", likes=5)], signals, weights, top=5)
    # posts 2 · (1 + ln 6); HF 1 · √6; HN 0.5 · √99.
    assert entry.breakdown == {"posts": 5.58, "huggingface": 2.45, "hackernews": 4.97}
    assert entry.score == 13.01


def test_reposts_add_nothing_and_duplicates_count_once() -> None:
    base = [post("a1", "alice", likes=3)]
    noisy = base + [
        post("a1", "alice", likes=3),  # the same post seen twice (two searches)
        post("r1", "bob", likes=900, reposts=900, is_repost=True),
        post("r2", "carol", likes=900, repost_of="a1"),
    ]
    assert scores(rank(PAPERS, noisy, {}, Weights(), top=5)) == [(A, 2.39)]
    [entry] = rank(PAPERS, noisy, {}, Weights(), top=5)
    assert entry.post_count == 1


def test_same_post_id_on_two_platforms_is_two_posts() -> None:
    posts = [post("1", "alice", likes=3), post("1", "alice", likes=3, platform="x")]
    assert scores(rank(PAPERS, posts, {}, Weights(), top=5)) == [(A, 4.77)]


def test_account_cap_beats_an_aggregator_with_three_people() -> None:
    aggregator = [post(f"g{i}", "aggregator", likes=50) for i in range(3)]
    people = [post(f"p{i}", f"person{i}", arxiv_id=B, likes=50) for i in range(3)]
    # Each post is worth 1 + ln(51) = 4.93; every account is capped at 3.
    entries = rank(PAPERS, aggregator + people, {}, Weights(account_cap=3), top=5)
    assert scores(entries) == [(B, 9.0), (A, 3.0)]
    entries = rank(PAPERS, aggregator + people, {}, Weights(account_cap=10), top=5)
    assert scores(entries) == [(B, 14.8), (A, 10.0)]


def test_unknown_counts_are_shown_not_scored() -> None:
    posts = [unknown("t2", "ak"), unknown("t1", "someone")]
    signals = {A: Signals(reported_reposts=4026, reported_likes=306)}
    [entry] = rank(PAPERS, posts, signals, Weights(), top=5)
    assert (entry.score, entry.breakdown, entry.post_count) == (8.37, {"reported": 8.37}, 2)
    assert [p.post_id for p in entry.posts] == ["t2", "t1"]
    assert rank(PAPERS, posts, {}, Weights(), top=5) == []


def test_hacker_news_scores_through_signals_only() -> None:
    story = post("hn1", "pg", platform="hackernews", likes=400)
    signals = {A: Signals(hn_points=400, hn_url="https://news.ycombinator.com/item?id=1")}
    [entry] = rank(PAPERS, [story], signals, Weights(), top=5)
    assert (entry.score, entry.breakdown, entry.post_count, entry.posts) == (
        34.0,
        {"hackernews": 34.0},
        0,
        (),
    )


def test_citations_count_only_when_asked() -> None:
    signals = {A: Signals(citations=54, hf_upvotes=0)}
    assert rank(PAPERS, [], signals, Weights(), top=5) == []
    [entry] = rank(PAPERS, [], signals, Weights(), top=5, use_citations=True)
    assert (entry.score, entry.breakdown) == (4.01, {"citations": 4.01})


def test_min_score_and_no_attention() -> None:
    lone = [post("a1", "alice")]  # one post, no engagement: 1 + ln 1 = 1.0
    assert scores(rank(PAPERS, lone, {}, Weights(), top=5)) == [(A, 1.0)]
    assert rank(PAPERS, lone, {}, Weights(min_score=1.5), top=5) == []
    assert rank(PAPERS, [], {B: Signals(hf_upvotes=0)}, Weights(min_score=0), top=5) == []


def test_ties_break_by_accounts_then_id() -> None:
    posts = [
        post("c1", "carol", arxiv_id=C),
        post("c2", "carol", arxiv_id=C),  # one account, 1 + 1 = 2.0
        post("b1", "bob", arxiv_id=B),
        post("b2", "bea", arxiv_id=B),  # two accounts, 1 + 1 = 2.0
        post("a1", "alice", arxiv_id=A),
        post("a2", "alice", arxiv_id=A),  # one account, 2.0
    ]
    entries = rank(PAPERS, posts, {}, Weights(), top=5)
    assert scores(entries) == [(B, 2.0), (A, 2.0), (C, 2.0)]


def test_top_limits_and_numbers_contiguously() -> None:
    papers = [make_paper(n) for n in range(1, 8)]
    posts = [
        post(f"p{n}", f"user{n}", arxiv_id=p.arxiv_id, likes=n)
        for n, p in enumerate(papers, start=1)
    ]
    entries = rank(papers, posts, {}, Weights(), top=3)
    assert [(e.rank, e.paper.arxiv_id) for e in entries] == [
        (1, "2104.04007"),
        (2, "2104.04006"),
        (3, "2104.04005"),
    ]
    with pytest.raises(ValueError, match="top must be at least 1"):
        rank(papers, posts, {}, Weights(), top=0)


def test_versioned_ids_and_duplicate_papers() -> None:
    posts = [post("a1", "alice", arxiv_id=A + "v2", likes=3)]
    papers = [make_paper(1), make_paper(1, title="Duplicate listing")]
    [entry] = rank(papers, posts, {}, Weights(), top=5)
    assert (entry.paper.title, entry.score) == ("Paper number 1: a study", 2.39)


def at(minute: int) -> dt.datetime:
    return dt.datetime(2021, 4, 12, 12, minute, tzinfo=UTC)


def test_quotes_order_by_engagement_then_time_then_id() -> None:
    posts = [
        post("low", "u1", likes=1, created_at=at(1)),
        post("late", "u2", likes=5, created_at=at(9)),
        post("b-early", "u3", likes=5, created_at=at(2)),
        post("a-early", "u4", likes=5, created_at=at(2)),
        post("top", "u5", reposts=3, created_at=at(30)),
    ]
    shown = select_quotes(posts, 4)
    assert [p.post_id for p in shown] == ["top", "a-early", "b-early", "late"]


def test_quotes_skip_duplicates_reposts_and_stories() -> None:
    original = post("o1", "alice", likes=10, text="Look: https://arxiv.org/abs/2104.04001")
    posts = [
        original,
        post("o2", "alice", likes=9, text="look:   https://arxiv.org/abs/2104.04001v1"),
        post("o3", "bob", likes=8, text="Look: https://arxiv.org/abs/2104.04001"),
        post("r1", "carol", likes=99, repost_of="o1", text="Look"),
        post("r2", "dan", likes=7, is_repost=True, text="Fresh words"),
        post("r3", "erin", likes=6, repost_of="gone", text="Fresh words again"),
        post("r4", "fay", likes=5, repost_of="gone", text="Fresh words again!"),
        post("r5", "gus", likes=4, is_repost=True, text="LOOK: https://x.example"),
        post("hn", "pg", platform="hackernews", likes=1000),
    ]
    assert [p.post_id for p in select_quotes(posts, 10)] == ["o1", "o3", "r2", "r3"]
    assert [p.post_id for p in select_quotes(posts, 2)] == ["o1", "o3"]
    assert select_quotes(posts, 0) == ()


def test_known_counts_quoted_before_unknown_ones() -> None:
    posts = [unknown("u2", "x"), post("k", "y"), unknown("u1", "z")]
    assert [p.post_id for p in select_quotes(posts, 3)] == ["k", "u2", "u1"]


# --- properties ------------------------------------------------------------------------------

IDS = [A, B, C]
AUTHORS = ["alice", "bob", "carol", "aggregator"]
COUNT = st.none() | st.integers(min_value=0, max_value=5000)


@st.composite
def post_lists(draw: st.DrawFn) -> list[Post]:
    size = draw(st.integers(min_value=0, max_value=14))
    posts = []
    for n in range(size):
        posts.append(
            Post(
                platform=draw(st.sampled_from(["bluesky", "x", "hackernews"])),
                post_id=f"p{n}",
                author=draw(st.sampled_from(AUTHORS)),
                text=draw(st.sampled_from(["same text", "other text", f"text {n}"])),
                url=f"https://example.org/{n}",
                arxiv_ids=tuple(draw(st.lists(st.sampled_from(IDS), min_size=1, max_size=2))),
                likes=draw(COUNT),
                reposts=draw(COUNT),
                replies=draw(COUNT),
                quotes=draw(COUNT),
                created_at=at(draw(st.integers(min_value=0, max_value=3))),
                is_repost=draw(st.booleans()) and draw(st.booleans()),
                repost_of=draw(st.none() | st.sampled_from(["p0", "p1", "elsewhere"])),
            )
        )
    return posts


SIGNALS = st.dictionaries(
    st.sampled_from(IDS),
    st.builds(Signals, hf_upvotes=COUNT, hn_points=COUNT, citations=COUNT, reported_likes=COUNT),
)
WEIGHTS = st.builds(
    Weights,
    posts=st.floats(0, 3),
    huggingface=st.floats(0, 3),
    hackernews=st.floats(0, 3),
    citations=st.floats(0, 3),
    reported=st.floats(0, 3),
    account_cap=st.floats(0.5, 5),
    min_score=st.floats(0, 4),
)
PROPERTY = settings(max_examples=80, deadline=None)


def summary_of(entries: list) -> list[tuple]:
    return [(e.rank, e.paper.arxiv_id, e.score, e.breakdown, e.post_count) for e in entries]


def by_paper(entries: list) -> dict[str, tuple]:
    return {e.paper.arxiv_id: (e.score, e.breakdown, e.post_count) for e in entries}


@PROPERTY
@given(post_lists(), SIGNALS, WEIGHTS, st.integers(1, 4), st.booleans())
def test_ranks_contiguous_and_scores_non_increasing(
    posts: list[Post], signals: dict[str, Signals], weights: Weights, top: int, cites: bool
) -> None:
    entries = rank(PAPERS, posts, signals, weights, top=top, use_citations=cites)
    assert [e.rank for e in entries] == list(range(1, len(entries) + 1))
    assert len(entries) <= top
    assert all(a.score >= b.score for a, b in zip(entries, entries[1:], strict=False))
    assert all(e.score >= weights.min_score and e.score > 0 for e in entries)
    assert all(len(e.posts) <= 3 and e.summary == "" for e in entries)


@PROPERTY
@given(post_lists(), SIGNALS, WEIGHTS, st.randoms(use_true_random=False))
def test_deterministic_under_shuffling(
    posts: list[Post], signals: dict[str, Signals], weights: Weights, rnd: random.Random
) -> None:
    first = rank(PAPERS, posts, signals, weights, top=3)
    shuffled_posts, shuffled_papers = list(posts), list(PAPERS)
    rnd.shuffle(shuffled_posts)
    rnd.shuffle(shuffled_papers)
    again = rank(shuffled_papers, shuffled_posts, signals, weights, top=3)
    assert summary_of(again) == summary_of(first)
    if all(p.likes is not None for p in posts):  # unknown counts keep the input order
        assert [e.posts for e in again] == [e.posts for e in first]


@PROPERTY
@given(post_lists(), SIGNALS, WEIGHTS, st.sampled_from(IDS), COUNT, st.booleans())
def test_adding_a_repost_never_changes_a_score(
    posts: list[Post],
    signals: dict[str, Signals],
    weights: Weights,
    target: str,
    likes: int | None,
    flagged: bool,
) -> None:
    repost = Post(
        platform="bluesky",
        post_id="new-repost",
        author="newcomer",
        text="rt",
        url="https://example.org/rt",
        arxiv_ids=(target,),
        likes=likes,
        reposts=likes,
        is_repost=flagged,
        repost_of=None if flagged else "p0",
    )
    before = rank(PAPERS, posts, signals, weights, top=3)
    after = rank(PAPERS, [*posts, repost], signals, weights, top=3)
    assert summary_of(after) == summary_of(before)


@PROPERTY
@given(post_lists(), st.integers(1, 8), COUNT, st.floats(0.5, 5))
def test_an_account_adds_at_most_the_cap(
    posts: list[Post], k: int, likes: int | None, cap: float
) -> None:
    linked = [p for p in posts if A in p.arxiv_ids]
    extra = [
        Post(
            platform="x",
            post_id=f"spam{i}",
            author="spammer",
            text="new paper!",
            url=f"https://example.org/s{i}",
            arxiv_ids=(A,),
            likes=likes,
            reposts=likes,
        )
        for i in range(k)
    ]
    gain = posts_value([*linked, *extra], cap) - posts_value(linked, cap)
    assert 0 <= gain <= cap + 1e-9
    weights = Weights(account_cap=cap, min_score=0)
    before = by_paper(rank(PAPERS, posts, {}, weights, top=3)).get(A, (0.0,))[0]
    after = by_paper(rank(PAPERS, [*posts, *extra], {}, weights, top=3)).get(A, (0.0,))[0]
    assert after - before <= cap + 0.01


def test_paper_type_is_kept() -> None:
    paper = Paper(arxiv_id=A, title="T", primary_category="cs.CL")
    [entry] = rank([paper], [post("a", "alice")], {}, Weights(), top=1)
    assert entry.paper is paper


@PROPERTY
@given(st.integers(5, 40), st.integers(0, 50), st.floats(0, 3))
def test_routine_feed_posts_never_make_a_paper_hot(size: int, likes: int, min_score: float) -> None:
    window = [make_paper(n) for n in range(1, size + 1)]
    feed = [post(f"f{n}", "feed", arxiv_id=p.arxiv_id, likes=likes) for n, p in enumerate(window)]
    assert rank_hot(window, feed, {}, Weights(min_score=min_score), top=50).hot_count == 0
