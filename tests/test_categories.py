"""The arXiv taxonomy as data: lookups, wildcards, "did you mean" and autocomplete."""

from __future__ import annotations

import re

import pytest

from bot.categories import (
    ARCHIVES,
    CATEGORIES,
    canonical,
    close_matches,
    expand,
    is_category,
    suggest,
)


def test_the_taxonomy_is_complete_and_well_formed() -> None:
    assert len(CATEGORIES) == 155
    code_shape = re.compile(r"[a-z]+(-[a-z]+)?(\.([A-Z]{2}|[a-z]+(-[a-z]+)?))?")
    for code, name in CATEGORIES.items():
        assert code_shape.fullmatch(code), code
        assert name and name == name.strip(), code
    assert len({code.lower() for code in CATEGORIES}) == len(CATEGORIES)
    singles = {c for c in CATEGORIES if "." not in c}
    assert singles == {
        "gr-qc",
        "hep-ex",
        "hep-lat",
        "hep-ph",
        "hep-th",
        "math-ph",
        "nucl-ex",
        "nucl-th",
        "quant-ph",
    }


@pytest.mark.parametrize(
    ("archive", "count"),
    [
        ("cs", 40),
        ("math", 32),
        ("stat", 6),
        ("physics", 22),
        ("astro-ph", 6),
        ("cond-mat", 9),
        ("q-bio", 10),
        ("q-fin", 9),
        ("econ", 3),
        ("eess", 4),
        ("nlin", 5),
    ],
)
def test_archive_sizes(archive: str, count: int) -> None:
    assert len(ARCHIVES[archive]) == count


def test_well_known_names() -> None:
    assert CATEGORIES["cs.CL"] == "Computation and Language"
    assert CATEGORIES["cs.LG"] == "Machine Learning"
    assert CATEGORIES["stat.ML"] == "Machine Learning"
    assert CATEGORIES["cond-mat.str-el"] == "Strongly Correlated Electrons"
    assert CATEGORIES["hep-th"] == "High Energy Physics - Theory"
    assert CATEGORIES["q-bio.NC"] == "Neurons and Cognition"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("cs.CL", "cs.CL"),
        ("cs.cl", "cs.CL"),
        ("CS.CL", "cs.CL"),
        (" stat.ml ", "stat.ML"),
        ("COND-MAT.STR-EL", "cond-mat.str-el"),
        ("Hep-Th", "hep-th"),
        ("cs.XX", None),
        ("cs", None),
        ("", None),
    ],
)
def test_canonical_and_is_category(typed: str, expected: str | None) -> None:
    assert canonical(typed) == expected
    assert is_category(typed) is (expected is not None)


def test_expand_archives_and_wildcards() -> None:
    every_cs = list(ARCHIVES["cs"])
    assert expand("cs.*") == every_cs
    assert expand("cs") == every_cs
    assert expand("CS.*") == every_cs
    assert every_cs[:3] == ["cs.AI", "cs.AR", "cs.CC"]
    assert expand("astro-ph.*") == [
        "astro-ph.CO",
        "astro-ph.EP",
        "astro-ph.GA",
        "astro-ph.HE",
        "astro-ph.IM",
        "astro-ph.SR",
    ]
    assert expand("cs.lg") == ["cs.LG"]
    assert expand("hep-th") == ["hep-th"]
    assert expand("hep-th.*") == []
    assert expand("nope.*") == []
    assert expand("cs.XX") == []
    assert expand("*") == []


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("cs.XX", ["cs.AI", "cs.AR", "cs.CC"]),  # equally close: alphabetical
        ("cs.CLL", ["cs.CL", "cs.CC", "cs.CE"]),
        ("lg", ["cs.LG"]),  # the subject alone
        ("CV", ["cs.CV", "math.CV"]),
        ("vision", ["cs.CV"]),  # a word of the name
        ("machine learning", ["cs.LG", "stat.ML"]),
        ("quant-hp", ["quant-ph"]),
        ("banana", []),
        ("", []),
    ],
)
def test_close_matches(typed: str, expected: list[str]) -> None:
    assert close_matches(typed) == expected


def test_close_matches_respects_n() -> None:
    assert close_matches("cs.XX", n=1) == ["cs.AI"]


def test_suggest_orders_code_prefix_then_subject_then_name() -> None:
    assert suggest("cs.c", limit=3) == [
        ("cs.CC", "Computational Complexity"),
        ("cs.CE", "Computational Engineering, Finance, and Science"),
        ("cs.CG", "Computational Geometry"),
    ]
    by_lg = suggest("lg")
    assert by_lg[0] == ("cs.LG", "Machine Learning")
    assert all("lg" in name.lower() for _, name in by_lg[1:])  # Algorithms, Algebra...
    assert suggest("VISION") == [("cs.CV", "Computer Vision and Pattern Recognition")]
    assert [code for code, _ in suggest("machine")] == ["cs.LG", "stat.ML"]
    assert suggest("cl")[0] == ("cs.CL", "Computation and Language")


def test_suggest_never_exceeds_the_limit() -> None:
    assert len(suggest("")) == 25
    assert suggest("")[0] == ("cs.AI", "Artificial Intelligence")
    assert len(suggest("a")) == 25
    assert len(suggest("cs", limit=5)) == 5
    assert suggest("cs", limit=0) == []
    assert suggest("zzz") == []
