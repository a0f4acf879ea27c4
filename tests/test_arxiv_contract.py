"""The parser and source against arXiv responses recorded in ../shared/fixtures/arxiv_api.

Both serialisations are covered: the 2016 backend (``legacy2016_*``) and today's (``arxivpy_*``).
The values asserted were read from the files. Skipped where ../shared/fixtures is absent.
"""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest

from bot.clock import FakeClock
from bot.sources.arxiv import ArxivSource
from bot.sources.arxiv_parse import ArxivRejected, Feed, parse_feed
from bot.sources.http import SourceError
from tests.factories import fixture_path

UTC = dt.UTC
AEW10 = "Proceedings of Workshop AEW10: Concepts in Information Theory and Communications"


def recorded(name: str) -> Feed:
    return parse_feed(fixture_path("arxiv_api", name).read_bytes())


def test_unknown_well_formed_id_is_an_empty_feed() -> None:
    parsed = recorded("arxivpy_id_0000.0000_s0_m100_8b51d9633a68.body.xml")
    assert (parsed.total_results, parsed.start_index, parsed.items_per_page) == (0, 0, 100)
    assert parsed.papers == []


@pytest.mark.parametrize(
    "name",
    [
        "arxivpy_id_1707.08567_s0_m100_6a1afebfc6a3.body.xml",
        "arxivpy_id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.body.xml",  # bad id dropped
    ],
)
def test_34_author_proceedings_with_a_non_ascii_name(name: str) -> None:
    parsed = recorded(name)
    assert parsed.total_results == 1
    (paper,) = parsed.papers
    assert (paper.arxiv_id, paper.version, paper.title) == ("1707.08567", 1, AEW10)
    assert (paper.primary_category, paper.categories) == ("cs.IT", ("cs.IT",))
    assert len(paper.authors) == 34
    assert paper.authors[:2] == ("Kees A. Schouhamer Immink", "Stan Baggen")
    assert paper.authors[32:] == ("Dirk Wübben", "Hirosuke Yamamoto")
    assert (
        paper.comment == "44 pages, editors for the proceedings: Yanling Chen and A. J. Han Vinck"
    )
    assert (paper.journal_ref, paper.doi) == (None, None)
    assert paper.published == dt.datetime(2017, 7, 27, 8, 18, 33, tzinfo=UTC)
    assert paper.abstract.startswith('The 10th Asia-Europe workshop in "Concepts in Information')


def test_versioned_id_request() -> None:
    (paper,) = recorded("arxivpy_id_2104.12255v1_s0_m100_6ae69987ffe1.body.xml").papers
    assert (paper.arxiv_id, paper.version, paper.title) == ("2104.12255", 1, "0")
    assert (paper.primary_category, paper.categories) == ("cs.CR", ("cs.CR",))
    assert paper.authors == ("Quan Thoi Minh Nguyen",)
    assert paper.comment is None
    assert paper.published == dt.datetime(2021, 4, 20, 16, 7, 14, tzinfo=UTC)
    assert paper.abstract.startswith("What is the funniest number in cryptography? 0. ")
    assert paper.pdf_url == "https://arxiv.org/pdf/2104.12255v1"


def test_old_style_id_with_affiliations_comment_and_journal_ref() -> None:
    (paper,) = recorded("arxivpy_id_astro-ph_0601001_s0_m100_3150dca9dc76.body.xml").papers
    assert (paper.arxiv_id, paper.version) == ("astro-ph/0601001", 1)
    assert paper.title == (
        "Frequency of Hot Jupiters and Very Hot Jupiters from the OGLE-III Transit Surveys "
        "Toward the Galactic Bulge and Carina"
    )
    assert (paper.primary_category, paper.categories) == ("astro-ph", ("astro-ph",))
    assert paper.authors == ("Andrew Gould", "Susan Dorsher", "B. Scott Gaudi", "Andrzej Udalski")
    assert paper.journal_ref == "ActaAstron.56:1-50,2006"
    assert paper.comment is not None
    assert paper.comment.startswith("62 pages including 16 figures and 9 tables.")
    assert paper.abstract.startswith("We derive the frequencies of hot Jupiters (HJs)")
    assert "V_max<17.5" in paper.abstract
    assert paper.abs_url == "https://arxiv.org/abs/astro-ph/0601001"


def test_search_page_with_cross_lists_dois_and_unwrapped_paragraphs() -> None:
    parsed = recorded("arxivpy_q_testing_s0_m10_bc5a6c384fe9.body.xml")
    assert (parsed.total_results, parsed.start_index, parsed.items_per_page) == (214881, 0, 10)
    assert [(p.arxiv_id, p.version) for p in parsed.papers] == [
        ("2202.12139", 1), ("2405.13786", 1), ("2005.14124", 2), ("2204.08348", 3),
        ("2302.03287", 3), ("1202.4527", 1), ("2503.05378", 2), ("1205.1866", 1),
        ("2502.07719", 2), ("1812.11470", 1),
    ]  # fmt: skip
    fuzzing, chatgpt = parsed.papers[2], parsed.papers[4]
    assert fuzzing.categories == ("cs.SE", "cs.CR", "cs.LG")
    assert chatgpt.title == "ChatGPT and Software Testing Education: Promises & Perils"
    assert chatgpt.categories == ("cs.SE", "cs.HC")
    assert chatgpt.authors == (
        "Sajed Jalil", "Suzzana Rafi", "Thomas D. LaToza", "Kevin Moran", "Wing Lam",
    )  # fmt: skip
    assert chatgpt.doi == "10.1109/ICSTW58534.2023.00078"
    assert chatgpt.published == dt.datetime(2023, 2, 7, 6, 41, 2, tzinfo=UTC)
    assert chatgpt.updated == dt.datetime(2023, 3, 11, 21, 3, 9, tzinfo=UTC)
    review = parsed.papers[9].abstract
    assert "\n" not in review
    assert "community as a whole. Objective. In this systematic review" in review


def test_legacy_2016_id_list_feed() -> None:
    parsed = recorded("legacy2016_id_list_1111.2011v2.xml")
    assert (parsed.total_results, parsed.start_index, parsed.items_per_page) == (1, 0, 10)
    (paper,) = parsed.papers
    assert (paper.arxiv_id, paper.version) == ("1111.2011", 2)
    assert paper.title == (
        "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    )
    assert paper.primary_category == "cond-mat.str-el"
    assert paper.categories == ("cond-mat.str-el", "cond-mat.stat-mech")
    assert paper.authors == ("James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic")
    assert paper.doi == "10.1103/PhysRevB.85.115117"
    assert paper.journal_ref == "Phys. Rev. B 85, 115117 (2012)"
    assert paper.comment == "8 pages, 3 figures. Published version"
    assert paper.published == dt.datetime(2011, 11, 8, 18, 48, 36, tzinfo=UTC)
    assert paper.updated == dt.datetime(2012, 4, 2, 12, 38, 54, tzinfo=UTC)
    assert paper.abstract.startswith(
        "Theoretical description of anisotropic systems, such as layered superconductors and"
    )
    assert paper.abstract.endswith("the theory describing a single node.")


def test_legacy_2016_search_pages() -> None:
    parsed = recorded("legacy2016_search_au_del_maestro.xml")
    assert (parsed.total_results, parsed.start_index, parsed.items_per_page) == (31, 0, 10)
    assert [(p.arxiv_id, p.version) for p in parsed.papers] == [
        ("1201.4869", 1), ("cond-mat/0412498", 1), ("cond-mat/0603029", 1), ("1005.5383", 1),
        ("1303.6954", 2), ("1312.6177", 1), ("1412.6529", 2), ("cond-mat/0607501", 2),
        ("cond-mat/0702661", 2), ("0807.2873", 1),
    ]  # fmt: skip
    assert parsed.papers[6].categories == ("cond-mat.quant-gas", "quant-ph")

    (paper,) = recorded("legacy2016_search_au_del_maestro_AND_ti_checkerboard.xml").papers
    assert paper.title == (
        "From stripe to checkerboard order on the square lattice in the presence of quenched "
        "disorder"
    )
    assert paper.authors == ("Adrian Del Maestro", "Bernd Rosenow", "Subir Sachdev")
    assert paper.categories == ("cond-mat.str-el", "cond-mat.supr-con")
    assert paper.comment == "10 pages, 11 figures; added reference"


def test_invalid_id_error_feed_is_refused_clearly() -> None:
    with pytest.raises(
        ArxivRejected, match=r"^arXiv rejected the query: incorrect id format for abc$"
    ):
        recorded("arxivpy_id_abc_s0_m100_b79c8dcf6bc3.body.xml")


def replay(name: str) -> httpx.MockTransport:
    """Serve a recording (status, body re-encoded as arxiv.py's conftest does) to any request."""
    recording = json.loads(fixture_path("arxiv_api", name).read_text(encoding="utf-8"))
    body = recording["body"].encode("latin-1")
    return httpx.MockTransport(lambda _: httpx.Response(recording["status_code"], content=body))


async def test_recorded_http_400_reaches_the_caller_as_arxivs_reason() -> None:
    client = httpx.AsyncClient(transport=replay("arxivpy_id_abc_s0_m100_b79c8dcf6bc3.json"))
    source = ArxivSource(client, clock=FakeClock())
    window = (dt.datetime(2021, 4, 9, 18, tzinfo=UTC), dt.datetime(2021, 4, 12, 18, tzinfo=UTC))
    with pytest.raises(
        SourceError, match=r"^arXiv rejected the query: incorrect id format for abc$"
    ):
        await source.papers(dt.date(2021, 4, 12), ["cs.CL"], window=window)
    assert source.requests == 1


async def test_recorded_batch_with_a_bad_id_returns_the_good_one() -> None:
    transport = replay("arxivpy_id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.json")
    source = ArxivSource(httpx.AsyncClient(transport=transport), clock=FakeClock())
    papers = await source.by_ids(["0808.05394", "1707.08567"])
    assert [(p.arxiv_id, p.title) for p in papers] == [("1707.08567", AEW10)]
