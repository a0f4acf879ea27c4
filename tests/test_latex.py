"""LaTeX to text: real arXiv-style titles, names and abstracts, and no command ever survives."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.latex import latex_to_text, paper_text, post_text, signals_text
from bot.models import Signals
from tests.factories import make_paper, make_post

COMMAND = re.compile(r"\\[A-Za-z]")

TABLE = [
    (r"Przemys{\l}aw Biecek", "Przemysław Biecek"),
    (r"Jan Schl\"uter", "Jan Schlüter"),
    (r"Accuracy within $\pm 5\%$ of experts", "Accuracy within ±5% of experts"),
    (r"G\"{o}del, Escher, Bach", "Gödel, Escher, Bach"),
    (r"\'{E}cole Polytechnique F\'ed\'erale", "École Polytechnique Fédérale"),
    (r"Ale\v{s} \v{Z}abokrtsk\'y", "Aleš Žabokrtský"),
    (r"S{\o}ren Hauberg", "Søren Hauberg"),
    (r"\AA{}ngstr\"om-scale", "Ångström-scale"),
    (r"$\mathcal{O}(n \log n)$ attention", "𝒪(n log n) attention"),
    (r"$\alpha$-divergence for \textit{robust} RL", "α-divergence for robust RL"),
    (r"{BERT} meets \textbf{GPT}", "BERT meets GPT"),
    (r"5% better on Q&A, see \#3", "5% better on Q&A, see #3"),
    (r"We scale to $10^{12}$ tokens~\cite{kaplan}.", "We scale to 10^12 tokens."),
    (r"error $x \pm 0.5$", "error x ± 0.5"),
    ("No markup at all: 5% & #1 stay", "No markup at all: 5% & #1 stay"),
]


@pytest.mark.parametrize(("source", "text"), TABLE)
def test_real_arxiv_inputs(source: str, text: str) -> None:
    assert latex_to_text(source) == text


def test_paper_text_converts_title_authors_and_abstract() -> None:
    paper = make_paper(
        1,
        title=r"Robust {LLMs}:\\ a \emph{study}",
        authors=(r"Przemys{\l}aw Biecek", r"Jan Schl\"uter"),
        abstract=r"Errors drop by $\pm 5\%$ overall.",
    )
    assert paper_text(paper).model_dump(include={"title", "authors", "abstract"}) == {
        "title": "Robust LLMs: a study",
        "authors": ("Przemysław Biecek", "Jan Schlüter"),
        "abstract": "Errors drop by ±5% overall.",
    }


FRAGMENTS = [
    r"\textbf{", "}", "{", r"\emph", r"$\alpha$", "$", r"\href{https://x.y}{z}", r"\cite{a,b}",
    r"\begin{equation}", r"\end{equation}", r"\\", "\\", r"\"u", r"\'", r"\unknownmacro",
    r"\url{", "%", "&", "#", "~", r"\left(", r"\frac{1}{2}", r"\verb|x|", " word ", "5", r"\l",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=5), max_size=12))
def test_no_latex_command_survives(parts: list[str]) -> None:
    out = latex_to_text("".join(parts))
    assert not COMMAND.search(out), out


def test_posts_are_converted_only_when_they_quote_latex() -> None:
    feed = make_post(1, text=r"New paper: \textsc{TinyTalk} by Schl\"uter")
    plain = make_post(2, text=r"Costs $5, 50% off, see ~/notes and C:\ drive")
    assert post_text(feed).text == "New paper: TinyTalk by Schlüter"
    assert post_text(plain) is plain


def test_provided_summaries_are_converted() -> None:
    signals = Signals(hf_ai_summary=r"Loss drops by $\le 2\%$.", tldr=r"\emph{Fast}.", hn_points=3)
    assert signals_text(signals) == Signals(
        hf_ai_summary="Loss drops by ≤2%.", tldr="Fast.", hn_points=3
    )
    assert signals_text(Signals(hn_points=3)) == Signals(hn_points=3)
