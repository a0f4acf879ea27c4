"""arXiv's LaTeX made readable: ``Przemys{\\l}aw`` -> ``Przemysław``, ``$\\pm 5\\%$`` -> ``±5%``.

arXiv serves titles, author names and abstracts as their authors typed them, in LaTeX. Readers of
a chat message should see the text, not the markup, so every such string goes through
``pylatexenc`` (a maintained LaTeX-to-Unicode converter) once, where the digest is built.

Three things pylatexenc alone gets wrong for this input, handled here:

- a bare ``%`` ("improves by 5% on ...") is a comment to LaTeX and would swallow the rest of the
  line, and a bare ``&`` or ``#`` is markup, so these are escaped first;
- a sign opening a math span keeps the source's space (``$\\pm 5$`` as ``± 5``): it is unary;
- a malformed or unknown construct must never crash a digest nor leave a ``\\command`` behind:
  a parse failure falls back to stripping commands and braces, and any command that survives is
  removed.

Text with none of ``\\ $ { } ~`` is returned unchanged (most titles), so plain text is never
altered by LaTeX rules it never asked for.
"""

from __future__ import annotations

import logging
import re
from functools import cache

from pylatexenc.latex2text import LatexNodes2Text

from bot.models import Paper, Post, Signals

log = logging.getLogger(__name__)

_TRIGGERS = re.compile(r"[\\${}~]")
# Characters LaTeX reads as markup but abstracts use as text ("5% faster", "Q&A", "#1").
_BARE_SPECIAL = re.compile(r"(?<!\\)([%&#])")
# A sign opening a math span is unary ("$\pm 5\%$" is ±5%), not "± 5%".
_LEADING_SIGN = re.compile(r"(\$\s*)\\(pm|mp|sim|approx|leq?|geq?|lesssim|gtrsim|times)\s+")
_COMMAND = re.compile(r"\\(?:[A-Za-z]+\*?|.)")
_CITATION = re.compile(r"\s*<cit\.>")
# A post is converted only when it quotes LaTeX commands (a feed posting raw titles): plain
# posts keep their "$5", "50%" and "~/notes" untouched.
_QUOTES_LATEX = re.compile(r"\\[A-Za-z]{2,}|\\[\"'`^~][A-Za-z{]|\{\\")


@cache
def _converter() -> LatexNodes2Text:
    return LatexNodes2Text(math_mode="text", strict_latex_spaces=False)


def _fallback(text: str) -> str:
    """Commands and braces removed: what is left of markup pylatexenc could not read."""
    return _COMMAND.sub("", text).replace("{", "").replace("}", "").replace("$", "")


def latex_to_text(text: str) -> str:
    """Unicode text for a LaTeX string, with no ``\\command`` left in it (see the module doc)."""
    if not _TRIGGERS.search(text):
        return text
    source = _LEADING_SIGN.sub(r"\1\\\2{}", _BARE_SPECIAL.sub(r"\\\1", text))
    try:
        converted = _converter().latex_to_text(source)
    except Exception as exc:  # pylatexenc raises many kinds on odd input; none may sink a digest
        log.debug("LaTeX not understood (%s): falling back to stripping commands", exc)
        converted = _fallback(source)
    converted = _CITATION.sub("", converted)
    if "\\" in converted:
        converted = _fallback(converted)
    return converted.replace("\xa0", " ")


def paper_text(paper: Paper) -> Paper:
    """``paper`` with its title, authors and abstract as text."""
    return paper.model_copy(
        update={
            "title": " ".join(latex_to_text(paper.title).split()),
            "authors": tuple(" ".join(latex_to_text(a).split()) for a in paper.authors),
            "abstract": latex_to_text(paper.abstract),
        }
    )


def post_text(post: Post) -> Post:
    """``post`` with LaTeX it quotes (a feed posting raw titles) as text; others untouched."""
    if not _QUOTES_LATEX.search(post.text):
        return post
    return post.model_copy(update={"text": latex_to_text(post.text)})


def signals_text(signals: Signals) -> Signals:
    """``signals`` with the provided summaries (HF ai_summary, S2 TLDR) as text."""
    texts = {"hf_ai_summary": signals.hf_ai_summary, "tldr": signals.tldr}
    update = {key: latex_to_text(text) for key, text in texts.items() if text}
    return signals.model_copy(update=update) if update else signals
