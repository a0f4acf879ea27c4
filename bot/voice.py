"""The channel's voice in the ranking: what a channel reacted to shapes what it sees next.

Pure: no I/O. ``bot.reactions`` counts the people who reacted to each paper the bot posted in a
channel and keeps the paper's authors, title and categories; ``Voice.of`` turns those rows into
the channel's profile, and ``bot.ranking.rank_hot`` asks ``Voice.boost`` for every hot paper.

**Profile.** A reacted paper with ``n`` people counts ``min(1, n / FULL_AT)`` (``FULL_AT`` = 3:
three people reacting is a full signal, one is a third of it). Each of its features (every
author, every title keyword, its primary category) gets the sum of the strengths of the reacted
papers that have it, capped at 1.

**Affinity.** A paper's affinity to the channel is ``a = min(1, A + K / 2 + C / 4)``: ``A`` the
strongest of its authors, ``K`` the strongest of its title keywords, ``C`` its primary
category's strength. Authors weigh most (the channel follows them), keywords half, the
category a quarter (in a one-category channel it says little).

**Boost.** ``channel = score · BOOST · w · a`` (``BOOST`` = 0.5; ``w`` is
``HOTPAPERS_CHANNEL_REACTION_WEIGHT``, default 1.0): at most half the paper's own score at the
default weight, so attention stays what ranks a digest and a channel's taste only reorders it.
Only papers already hot are boosted (a boost never makes a paper hot) and a boost never lowers a
score (hot papers stay hot). The term is the breakdown's ``channel``; the paper's ``why`` says
what it matched ("this channel reacted to work by Jane Doe").

Example: the channel reacted 3 times to a paper by Jane Doe titled "Sparse Routers" (cs.CL). A
new paper by Jane Doe on "Routers for dialogue" with score 10 gets ``A = 1``, ``K = 1``
(``routers``), ``C = 1``: ``a = 1``, ``channel = 10 · 0.5 · 1 · 1 = 5``, score 15.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.models import Entry, Paper
from bot.render import join_words

FULL_AT = 3
BOOST = 0.5
KEYWORD_SHARE = 0.5
CATEGORY_SHARE = 0.25
_WORD = re.compile(r"[a-z][a-z0-9-]{3,}")
#: Title words that say nothing about a paper's topic.
_STOP = (
    "with from that this their these those into over under using towards toward via than "
    "when where which while what about more less very most much also only other such both "
    "each many paper study approach approaches method methods model models modeling learning "
    "based large language neural network networks deep data task tasks framework analysis "
    "efficient effective improving improved through across between without within beyond "
    "does can your make makes made rethinking revisiting understanding benchmark"
)
STOPWORDS = frozenset(_STOP.split())


def title_keywords(title: str) -> tuple[str, ...]:
    """The words of a title that name its topic: lowercase, 4+ letters, no stopwords."""
    words = _WORD.findall(title.lower())
    return tuple(dict.fromkeys(w for w in words if w not in STOPWORDS))


def author_key(name: str) -> str:
    return " ".join(name.lower().split())


@dataclass(frozen=True)
class Reacted:
    """One paper a channel reacted to: how many people, and its features."""

    arxiv_id: str
    people: int
    title: str = ""
    authors: tuple[str, ...] = ()
    category: str = ""


@dataclass(frozen=True)
class Boost:
    """What ``Voice.boost`` found for one paper: the affinity and the words for its why."""

    affinity: float
    reasons: tuple[str, ...]

    def term(self, score: float, weight: float) -> float:
        return score * BOOST * weight * self.affinity


def _strengths(pairs: Iterable[tuple[str, float]]) -> tuple[tuple[str, float], ...]:
    total: dict[str, float] = {}
    for key, strength in pairs:
        total[key] = min(1.0, total.get(key, 0.0) + strength)
    return tuple(sorted(total.items()))


@dataclass(frozen=True)
class Voice:
    """A channel's reactions for its next digests (hashable: digests are cached by it)."""

    weight: float
    people: tuple[tuple[str, int], ...] = ()  # arxiv_id -> people here who reacted
    authors: tuple[tuple[str, float], ...] = ()  # author key -> strength
    keywords: tuple[tuple[str, float], ...] = ()
    categories: tuple[tuple[str, float], ...] = ()
    names: tuple[tuple[str, str], ...] = ()  # author key -> the name as written

    @classmethod
    def of(cls, reacted: Iterable[Reacted], weight: float) -> Voice:
        rows = [r for r in reacted if r.people > 0]
        strength = {r.arxiv_id: min(1.0, r.people / FULL_AT) for r in rows}
        names = {author_key(a): a for r in rows for a in r.authors}
        return cls(
            weight=weight,
            people=tuple(sorted((r.arxiv_id, r.people) for r in rows)),
            authors=_strengths(
                (author_key(a), strength[r.arxiv_id]) for r in rows for a in r.authors
            ),  # fmt: skip
            keywords=_strengths(
                (w, strength[r.arxiv_id]) for r in rows for w in title_keywords(r.title)
            ),  # fmt: skip
            categories=_strengths((r.category, strength[r.arxiv_id]) for r in rows if r.category),
            names=tuple(sorted(names.items())),
        )

    def reacted(self, arxiv_id: str) -> int:
        """How many people here reacted to this paper (0: none, or unknown)."""
        return dict(self.people).get(arxiv_id, 0)

    def boost(self, paper: Paper) -> Boost | None:
        """The paper's affinity to this channel (``None``: nothing matched, or weight 0)."""
        if self.weight <= 0:
            return None
        author, who = _best((author_key(a) for a in paper.authors), dict(self.authors))
        keyword, word = _best(title_keywords(paper.title), dict(self.keywords))
        category = dict(self.categories).get(paper.primary_category, 0.0)
        affinity = min(1.0, author + KEYWORD_SHARE * keyword + CATEGORY_SHARE * category)
        if affinity <= 0:
            return None
        reasons = []
        if author:
            reasons.append(f"work by {dict(self.names).get(who, who)}")
        if keyword:
            reasons.append(f"papers about {word}")
        if category and not reasons:
            reasons.append(f"{paper.primary_category} papers")
        return Boost(affinity, tuple(reasons))


def _best(keys: Iterable[str], strengths: Mapping[str, float]) -> tuple[float, str]:
    """The strongest of ``keys`` in ``strengths`` (first one on a tie) and its strength."""
    found = [(strengths[k], k) for k in keys if k in strengths]
    if not found:
        return 0.0, ""
    return max(found, key=lambda item: item[0])


def why_suffix(boost: Boost) -> str:
    """The words the paper's why gains: "this channel reacted to work by Jane Doe"."""
    return "this channel reacted to " + " and ".join(boost.reasons)


def shaped_note(voice: Voice, entries: Sequence[Entry]) -> str | None:
    """The header's line when the channel's reactions moved papers of this digest: "Your
    reactions shaped this digest: #1 and #3 moved up for work by Jane Doe and papers about
    routers." (``None`` when no paper shown was boosted)."""
    ranks: list[str] = []
    reasons: dict[str, None] = {}
    for entry in entries:
        boost = voice.boost(entry.paper) if entry.breakdown.get("channel") else None
        if boost is not None:
            ranks.append(f"#{entry.rank}")
            reasons.update(dict.fromkeys(boost.reasons))
    if not ranks:
        return None
    return (
        f"Your reactions shaped this digest: {join_words(ranks)} moved up for "
        f"{join_words(list(reasons))}."
    )
