"""The parts behind ``paper``, ``search`` and the buttons: parsing both forms, button values,
search words and ranking, and third-party text made inert."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.buttons import Action, Button, buttons_for, read_button
from bot.commands import CommandError, PaperQuery, SearchQuery, from_options, parse_command
from bot.paper_card import neutral
from bot.ports import Options
from bot.search import find, search_words
from bot.stored_papers import Listed

NOW = dt.datetime(2021, 4, 13, 16, 0, tzinfo=dt.UTC)
DEFAULTS = {"now": NOW, "default_categories": ["cs.CL"], "default_top": 10}


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("2104.04015", "2104.04015"),
        ("2104.04015v3", "2104.04015"),
        ("arXiv:2104.04015", "2104.04015"),
        ("https://arxiv.org/abs/2104.04015v2", "2104.04015"),
        ("math.GT/0309136", "math/0309136"),
        ("hep-th/9901001v1", "hep-th/9901001"),
    ],
)
def test_paper_takes_any_form_of_an_id_typed_or_as_text(words: str, expected: str) -> None:
    assert parse_command(f"paper {words}", **DEFAULTS) == PaperQuery(expected)
    assert from_options(Options(action="paper", query=words), **DEFAULTS) == PaperQuery(expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("paper", "`paper` needs an arXiv id after it, e.g. `/hotpapers paper 2104.04015`."),
        ("paper 2104.04015 2104.04016",
         "`paper` takes one arXiv id (you wrote `2104.04015 2104.04016`), e.g. `/hotpapers paper "
         "2104.04015`; to find papers by words, use `/hotpapers search anomaly detection`."),
        ("paper 2113.00001",
         "`2113.00001` is not an arXiv id: write it like `2104.04015`, `2104.04015v2` or "
         "`math/0309136`, e.g. `/hotpapers paper 2104.04015`."),
        ("search", "`search` needs words to look for, e.g. `/hotpapers search anomaly detection`."),
    ],
)  # fmt: skip
def test_paper_and_search_mistakes(text: str, message: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse_command(text, **DEFAULTS)
    assert str(caught.value) == message


def test_search_keeps_its_words_even_help() -> None:
    assert parse_command("search help desk", **DEFAULTS) == SearchQuery(("help", "desk"))
    typed = from_options(Options(action="search", query="help desk"), **DEFAULTS)
    assert typed == SearchQuery(("help", "desk"))


def test_button_values_round_trip_and_anything_else_is_old() -> None:
    more, abstract = buttons_for("math/0309136")
    assert more.value == "hp:more:math/0309136:v1"
    assert abstract.value == "hp:abstract:math/0309136:v1"
    assert (more.label, abstract.label) == ("More like this", "Full abstract")
    assert read_button(more.value) == Button(Action.MORE, "math/0309136")
    for old in ("hp:more:2104.04015:v0", "hp:more:2104.04015v2:v1", "hp:share:2104.04015:v1",
                "hp:more:2104.04015", "x" * 101, "", "hp:more:not-an-id:v1"):  # fmt: skip
        assert read_button(old) is None, old


def test_search_words_fold_case_and_accents_and_drop_fillers() -> None:
    assert search_words(["The", "Müller", "of", "LLM-based", "agents,", "agents"]) == (
        "muller", "llm-based", "agents",
    )  # fmt: skip
    assert search_words(["of", "the", "!!"]) == ()


def _listed(arxiv_id: str, title: str, authors: list[str], abstract: str = "") -> Listed:
    record = {"arxiv_id": arxiv_id, "title": title, "authors": authors, "abstract": abstract,
              "primary_category": "cs.CL"}  # fmt: skip
    return Listed(dt.date(2021, 4, 12), record)


def test_search_ranks_matched_words_then_where_then_attention() -> None:
    listed = [
        _listed("1", "Graph networks", ["A"], "about agents"),  # 2 words, title + abstract
        _listed("2", "Agents", ["Graph Person"]),  # 2 words, title + authors: 5 vs 4
        _listed("3", "Agents at scale", ["B"]),  # 1 word
        _listed("4", "More agents", ["C"]),  # 1 word, more attention than 3
        _listed("5", "Nothing here", ["D"]),
        _listed("6", "Paragraphs", ["E"]),  # "graph" only inside a word: no match
    ]
    scores = {"3": 1.0, "4": 2.0}
    hits = find(listed, ("graph", "agents"), lambda _d, items: {
        item.arxiv_id: scores.get(item.arxiv_id, 0.0) for item in items})  # fmt: skip
    assert [(h.listed.arxiv_id, h.matched, h.relevance, h.score) for h in hits] == [
        ("2", 2, 5, 0.0), ("1", 2, 4, 0.0), ("4", 1, 3, 2.0), ("3", 1, 3, 1.0),
    ]  # fmt: skip


def test_neutral_text_can_neither_link_nor_ping() -> None:
    text = neutral("Hi <!channel> @everyone [x](https://evil) `code` a|b &amp;\nnext", 200)
    assert text == ("Hi ‹!channel› @\u200beveryone (x)(https://evil) 'code' a¦b +amp; next")
    assert neutral("x" * 50, 10) == "x" * 9 + "…"


def test_the_longest_card_fits_one_discord_message() -> None:
    from bot.models import Entry, Post
    from bot.paper_card import card_text
    from tests.factories import make_paper

    paper = make_paper(1, title="T" * 400, authors=tuple("A" * 300 for _ in range(40)),
                       categories=tuple(f"cs.{c}" for c in "ABCDEFGHIJ"))  # fmt: skip
    posts = tuple(
        Post(platform="bluesky", post_id=str(n), author="h" * 300, author_name="N" * 300,
             text="x" * 3000, url="https://bsky.app/" + "p" * 300, arxiv_ids=(paper.arxiv_id,))
        for n in range(3)
    )  # fmt: skip
    entry = Entry(rank=1, paper=paper, score=99.5, breakdown={"posts": 99.5}, posts=posts,
                  post_count=40, why="w" * 1000)  # fmt: skip
    assert len(card_text(paper, entry, dt.date(2021, 4, 12))) <= 2000


def test_stored_papers_find_an_id_in_sql_and_keep_the_newest_listing(tmp_path: Path) -> None:
    from bot.store import Store
    from bot.stored_papers import StoredPapers

    store = Store(f"sqlite:///{tmp_path}/hp.sqlite3")
    at = dt.datetime(2021, 5, 1, tzinfo=dt.UTC)
    old = {"arxiv_id": "math/0309136", "title": "Old", "primary_category": "math.GT"}
    store.put_snapshot("arxiv", dt.date(2021, 4, 20), "math.GT", {"papers": [old]}, at)
    store.put_snapshot("arxiv", dt.date(2021, 4, 21), "*", {"papers": [old | {"title": "New"}]},
                       at)  # fmt: skip
    stored = StoredPapers(store)
    found = stored.find("math/0309136")
    assert found is not None and (found.date, found.record["title"]) == (
        dt.date(2021, 4, 21),
        "New",
    )
    assert stored.find("2104.0401") is None  # a prefix of the demo's 2104.04015 is no match
    assert stored.find("2104.04015") is not None  # the bundled demo listing
    assert [p.arxiv_id for p in stored.listing_papers(dt.date(2021, 4, 20))] == ["math/0309136"]
    assert len(stored.listing_papers(dt.date(2021, 4, 12))) == 11  # the demo day
