"""``/hotpapers search <words>``: the papers of the stored digests that match, best first.

A paper matches when one of the words starts a word of its title, authors or abstract (case and
accents aside). Matches are ranked by relevance (how many of the words it matches; then where:
a word in the title counts 3, in the authors 2, in the abstract 1) and then by the attention the
paper got on its listing date, as its digest ranked it (``bot.ranking.rank_hot`` over the held
posts and signals of that date). At most ``MAX_RESULTS`` are shown.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.stored_papers import Listed

MAX_RESULTS = 10
MAX_WORDS = 10
#: How many of the best relevance matches get their attention looked up, for the final order.
RANKED_CANDIDATES = 30
WHERE = (("title", 3), ("authors", 2), ("abstract", 1))
_WORD = re.compile(r"[\w][\w+.-]*")
_IGNORED = frozenset({"a", "an", "and", "for", "in", "of", "on", "the", "to", "with"})


@dataclass(frozen=True)
class Hit:
    """One match: the paper as listed, its relevance, and (after ranking) its attention score."""

    listed: Listed
    matched: int
    relevance: int
    score: float = 0.0


def fold(text: str) -> str:
    """Lower case without accents (``Müller`` finds ``muller``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def search_words(words: Sequence[str]) -> tuple[str, ...]:
    """The words searched for: folded, deduplicated, without the smallest filler words."""
    found: list[str] = []
    for word in words:
        for token in _WORD.findall(fold(word)):
            token = token.strip(".-")
            if token and token not in _IGNORED and token not in found:
                found.append(token)
    return tuple(found[:MAX_WORDS])


def _fields(record: dict[str, object]) -> dict[str, str]:
    authors = record.get("authors")
    names = " ".join(str(a) for a in authors) if isinstance(authors, list) else ""
    return {
        "title": fold(str(record.get("title") or "")),
        "authors": fold(names),
        "abstract": fold(str(record.get("abstract") or "")),
    }


def match(listed: Listed, patterns: Sequence[re.Pattern[str]]) -> Hit | None:
    """The hit ``listed`` is for ``patterns`` (one per word), or ``None``."""
    fields = _fields(listed.record)
    matched = relevance = 0
    for pattern in patterns:
        found = [weight for name, weight in WHERE if pattern.search(fields[name])]
        if found:
            matched += 1
            relevance += sum(found)
    return Hit(listed, matched, relevance) if matched else None


def find(
    listed: Sequence[Listed],
    words: Sequence[str],
    attention: Callable[[dt.date, list[Listed]], dict[str, float]],
) -> list[Hit]:
    """The best ``MAX_RESULTS`` hits of ``words`` in ``listed``: relevance, then attention.

    ``attention(date, papers)`` gives the attention score of papers listed on ``date``."""
    patterns = [re.compile(r"(?<!\w)" + re.escape(word)) for word in words]
    hits = [hit for item in listed if (hit := match(item, patterns)) is not None]
    hits.sort(key=lambda h: (-h.matched, -h.relevance))
    candidates = hits[:RANKED_CANDIDATES]
    by_date: dict[dt.date, list[Listed]] = {}
    for hit in candidates:
        by_date.setdefault(hit.listed.date, []).append(hit.listed)
    scores: dict[str, float] = {}
    for date, papers in by_date.items():
        scores.update(attention(date, papers))
    ranked = [
        Hit(h.listed, h.matched, h.relevance, scores.get(h.listed.arxiv_id, 0.0))
        for h in candidates
    ]
    ranked.sort(key=lambda h: (-h.matched, -h.relevance, -h.score, h.listed.arxiv_id))
    return ranked[:MAX_RESULTS]
