"""``bot.voice``: a channel's reactions as a bounded boost in the ranking, explained in the why."""

from __future__ import annotations

import pytest

from bot.models import Signals
from bot.ranking import Weights, rank_hot
from bot.render import why_sentence
from bot.voice import Reacted, Voice, shaped_note, title_keywords
from tests.factories import make_paper

RIEDL = make_paper(1, arxiv_id="2104.04039", title="Plug-and-Blend: Controllable Story Generation",
                   authors=("Zhiyu Lin", "Mark Riedl"), primary_category="cs.CL")  # fmt: skip
QA = make_paper(2, arxiv_id="2104.05001", title="Scaling Retrieval for Question Answering",
                authors=("Ann Other",), primary_category="cs.CL")  # fmt: skip
STORY = make_paper(3, arxiv_id="2104.05002", title="Interactive Story Generation with Commonsense",
                   authors=("Mark Riedl", "Bo Person"), primary_category="cs.CL")  # fmt: skip
VISION = make_paper(4, arxiv_id="2104.05003", title="Segmenting Everything in Video",
                    authors=("Cy Person",), primary_category="cs.CV")  # fmt: skip
QUIET = make_paper(5, arxiv_id="2104.05004", title="Another Story Generation Benchmark",
                   authors=("Mark Riedl",), primary_category="cs.CL")  # fmt: skip
SIGNALS = {
    QA.arxiv_id: Signals(hf_upvotes=36),  # 2 · √36 = 12
    STORY.arxiv_id: Signals(hf_upvotes=25),  # 10
    VISION.arxiv_id: Signals(hf_upvotes=16),  # 8
    QUIET.arxiv_id: Signals(),  # no attention: never hot, whatever the channel likes
}
PAPERS = [QA, STORY, VISION, QUIET]


def voice(people: int = 3, weight: float = 1.0) -> Voice:
    reacted = Reacted(RIEDL.arxiv_id, people, RIEDL.title, RIEDL.authors, "cs.CL")
    return Voice.of([reacted], weight)


def ranked(v: Voice | None) -> list[tuple[str, float, str]]:
    entries = rank_hot(PAPERS, [], SIGNALS, Weights(), top=10, voice=v).entries
    return [(e.paper.arxiv_id, e.score, e.why) for e in entries]


def test_title_keywords_leave_out_words_that_name_no_topic() -> None:
    assert title_keywords(RIEDL.title) == ("plug-and-blend", "controllable", "story", "generation")
    assert title_keywords("Large Language Models for Data") == ()


def test_without_a_voice_attention_alone_ranks() -> None:
    assert [arxiv_id for arxiv_id, _, _ in ranked(None)] == [
        QA.arxiv_id, STORY.arxiv_id, VISION.arxiv_id
    ]  # fmt: skip


def test_the_documented_boost_reorders_and_is_explained() -> None:
    # STORY: author 1 + keyword 1/2 + category 1/4 -> affinity 1: 10 · (1 + 0.5) = 15.
    # QA: only the category: affinity 0.25: 12 · (1 + 0.5 · 0.25) = 13.5. VISION: nothing.
    assert ranked(voice()) == [
        (STORY.arxiv_id, 15.0, "25 upvotes on Hugging Face; this channel reacted to work by "
         "Mark Riedl and papers about story"),
        (QA.arxiv_id, 13.5, "36 upvotes on Hugging Face; this channel reacted to cs.CL papers"),
        (VISION.arxiv_id, 8.0, "16 upvotes on Hugging Face"),
    ]  # fmt: skip
    entries = rank_hot(PAPERS, [], SIGNALS, Weights(), top=10, voice=voice()).entries
    assert entries[0].breakdown == {"huggingface": 10.0, "channel": 5.0}
    assert shaped_note(voice(), entries) == (
        "Your reactions shaped this digest: #1 and #2 moved up for work by Mark Riedl, papers "
        "about story and cs.CL papers."
    )


def test_one_person_is_a_third_of_the_signal_and_the_weight_scales_it() -> None:
    # One person: author strength 1/3, keyword 1/3 · 1/2, category 1/3 · 1/4 -> 0.5833...
    one = dict((a, s) for a, s, _ in ranked(voice(people=1)))
    assert one[STORY.arxiv_id] == pytest.approx(10 * (1 + 0.5 * (1 / 3 + 1 / 6 + 1 / 12)), 0.01)
    assert ranked(voice(weight=0.0)) == ranked(None)
    doubled = dict((a, s) for a, s, _ in ranked(voice(weight=2.0)))
    assert doubled[STORY.arxiv_id] == 20.0  # at most 1 + 0.5 · w: bounded by the weight


def test_hot_papers_stay_hot_and_a_boost_makes_no_paper_hot() -> None:
    ids = [arxiv_id for arxiv_id, _, _ in ranked(voice())]
    assert QUIET.arxiv_id not in ids  # the channel's favourite author, but no attention
    assert VISION.arxiv_id in ids  # matched nothing: still hot, score unchanged
    hot = rank_hot(PAPERS, [], SIGNALS, Weights(), top=10, voice=voice())
    assert hot.hot_count == rank_hot(PAPERS, [], SIGNALS, Weights(), top=10).hot_count == 3


def test_the_people_who_reacted_are_shown_on_the_paper_again() -> None:
    reacted = Voice.of([Reacted(QA.arxiv_id, 4, QA.title, QA.authors, "cs.CL")], 1.0)
    entry = rank_hot(PAPERS, [], SIGNALS, Weights(), top=10, voice=reacted).entries[0]
    assert (entry.paper.arxiv_id, entry.reactions) == (QA.arxiv_id, 4)
    assert why_sentence(entry) == (
        "36 upvotes on Hugging Face; this channel reacted to work by Ann Other and papers about "
        "scaling. 4 people here reacted."
    )
    assert reacted.reacted(VISION.arxiv_id) == 0


def test_a_voice_with_no_people_is_empty_and_says_nothing() -> None:
    empty = Voice.of([Reacted(QA.arxiv_id, 0, QA.title, QA.authors, "cs.CL")], 1.0)
    assert empty.people == () and empty.boost(QA) is None
    entries = rank_hot(PAPERS, [], SIGNALS, Weights(), top=10, voice=empty).entries
    assert shaped_note(empty, entries) is None


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "slack", "discord"])
def test_every_format_shows_the_reactions_and_the_note(fmt: str) -> None:
    from hotpapers.formats import format_digest
    from tests.factories import make_digest, make_entry

    note = "Your reactions shaped this digest: #1 moved up for work by Mark Riedl."
    entry = make_entry(
        1,
        why="16 upvotes on Hugging Face; this channel reacted to work by Mark Riedl",
        reactions=4,
        breakdown={"huggingface": 8.0, "channel": 4.0},
    )
    out = format_digest(make_digest(0, entries=(entry,), notes=(note,)), fmt)
    assert note in out
    assert "this channel reacted to work by Mark Riedl" in out
    if fmt == "json":
        assert '"reactions": 4' in out and '"channel": 4.0' in out
    else:
        assert "4 people here reacted." in out
