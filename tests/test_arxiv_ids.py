"""Finding arXiv ids in links and text: every form posts use, one normalised form out."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sources.arxiv_ids import extract_arxiv_ids, normalise_arxiv_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://arxiv.org/abs/2104.04015", "2104.04015"),
        ("https://arxiv.org/abs/2104.04015v2", "2104.04015"),
        ("http://arxiv.org/pdf/2104.04015v3.pdf", "2104.04015"),
        ("https://arxiv.org/pdf/2104.04015", "2104.04015"),
        ("https://arxiv.org/html/2401.00001v1", "2401.00001"),
        ("https://www.arxiv.org/abs/2104.04015", "2104.04015"),
        ("http://export.arxiv.org/abs/2104.04015", "2104.04015"),
        ("arxiv.org/abs/2104.04015?context=cs.CL", "2104.04015"),
        ("https://www.alphaxiv.org/abs/2310.06825", "2310.06825"),
        ("https://alphaxiv.org/overview/2310.06825v1", "2310.06825"),
        ("https://huggingface.co/papers/2305.18290", "2305.18290"),
        ("arXiv:2104.04015", "2104.04015"),
        ("ARXIV: 2104.04015v1", "2104.04015"),
        ("https://arxiv.org/abs/1706.03762", "1706.03762"),
        ("https://arxiv.org/abs/0704.0001", "0704.0001"),
        ("https://arxiv.org/abs/astro-ph/0601001", "astro-ph/0601001"),
        ("https://arxiv.org/pdf/astro-ph/0601001v2.pdf", "astro-ph/0601001"),
        ("arXiv:math.GT/0309136", "math/0309136"),
        ("https://arxiv.org/abs/math.GT/0309136v1", "math/0309136"),
        ("https://arxiv.org/abs/cond-mat.mes-hall/0309136", "cond-mat/0309136"),
        ("arXiv:hep-th/9901001", "hep-th/9901001"),
    ],
)
def test_each_form_gives_the_bare_id(text: str, expected: str) -> None:
    assert extract_arxiv_ids(f"Read this: {text} (great)") == (expected,)
    assert normalise_arxiv_id(text) == expected


def test_many_ids_deduped_in_order_of_appearance() -> None:
    text = (
        "https://arxiv.org/pdf/2104.04015v2.pdf vs arXiv:1706.03762 and again "
        "https://arxiv.org/abs/2104.04015 then https://huggingface.co/papers/2305.18290"
    )
    assert extract_arxiv_ids(text) == ("2104.04015", "1706.03762", "2305.18290")


@pytest.mark.parametrize(
    "text",
    [
        "version 2104.04015 of the app",  # bare number: no arXiv context
        "https://fakearxiv.org/abs/2104.04015",  # not arxiv.org
        "https://arxiv.org/abs/2104.0401…",  # a tweet's truncated link: 4 digits after 2014
        "https://arxiv.org/abs/2113.00001",  # month 13
        "arXiv:1412.00001",  # 5 digits before 2015
        "arXiv:0612.0001",  # new style before April 2007
        "https://arxiv.org/abs/foo/0601001",  # no such archive
        "https://arxiv.org/abs/astro-ph/0613001",  # month 13, old style
        "https://arxiv.org/abs/2104.040151",  # six digits
        "https://arxiv.org/list/cs.CL/recent",
        "",
    ],
)
def test_no_id_where_none_can_be(text: str) -> None:
    assert extract_arxiv_ids(text) == ()
    assert normalise_arxiv_id(text) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2104.04015", "2104.04015"),
        ("2104.04015v12", "2104.04015"),
        (" 2104.04015 ", "2104.04015"),
        ("2104.04015.pdf", "2104.04015"),
        ("math.GT/0309136", "math/0309136"),
        ("ASTRO-PH/0601001v1", "astro-ph/0601001"),
        ("nonsense", None),
        ("2104", None),
    ],
)
def test_normalise_accepts_a_bare_id(raw: str, expected: str | None) -> None:
    assert normalise_arxiv_id(raw) == expected


@given(
    st.integers(15, 99),
    st.integers(1, 12),
    st.integers(0, 99999),
    st.integers(0, 30),
    st.text(max_size=30),
)
def test_any_modern_id_survives_any_surroundings(
    year: int, month: int, number: int, version: int, noise: str
) -> None:
    arxiv_id = f"{year:02d}{month:02d}.{number:05d}"
    suffix = f"v{version}" if version else ""
    text = f"{noise} https://arxiv.org/abs/{arxiv_id}{suffix} {noise}"
    assert arxiv_id in extract_arxiv_ids(text)
    assert normalise_arxiv_id(arxiv_id + suffix) == arxiv_id
