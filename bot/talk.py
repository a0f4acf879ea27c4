"""A digest you can talk to: ``/hotpapers paper``, ``/hotpapers search`` and the paper buttons.

``Talk`` answers them for every platform, as ``Reply`` values the platforms only translate (an
ephemeral message on Slack, an ephemeral interaction answer on Discord); none of them posts in
the channel. A paper is looked up in the stored digests first (``bot.stored_papers``), its
attention ranked exactly as a digest ranks it (``bot.ranking.rank_hot`` over the posts and
signals held for its listing date); a paper in no stored digest is fetched from arXiv by id,
with the attention held for it anywhere. "More like this" asks Semantic Scholar's
Recommendations API (``bot.sources.recommendations``). Every outside request is bounded by the
source deadline (``HOTPAPERS_SOURCE_DEADLINE``) like a digest's sources, and a service that does
not answer in time is one short reply saying so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Sequence
from typing import Protocol

from bot import calendar, demo
from bot.buttons import OLD_BUTTON, Action, read_button
from bot.clock import Clock
from bot.command_hints import quote
from bot.config import Settings
from bot.digest import SOCIAL_REACH
from bot.latex import paper_text, post_text
from bot.models import Entry, Paper
from bot.paper_card import abstract_text, card_text, neutral, recommendations_text
from bot.ports import Reply, ReplyKind
from bot.ranking import rank_hot
from bot.search import MAX_RESULTS, find, search_words
from bot.sources.budget import bounded
from bot.sources.http import SourceError
from bot.sources.recommendations import NotKnown, Recommendation
from bot.store import Store
from bot.stored_papers import Listed, StoredPapers
from bot.weights import Weights

log = logging.getLogger(__name__)

SEARCH_TITLE_CHARS = 110  # ten results and their links fit one Discord message
NO_WORDS = "`search` needs words to look for, e.g. `/hotpapers search anomaly detection`."
S2_DOWN = "Semantic Scholar didn't answer ({reason}); try again in a few minutes."
S2_UNKNOWN = (
    "Semantic Scholar doesn't know arXiv:{id} yet (new papers take a few days to appear "
    "there); try again later."
)
S2_NONE = "Semantic Scholar has no recommendations for arXiv:{id} yet."
S2_OFF = '"More like this" asks Semantic Scholar, which this deployment runs without (offline).'
ARXIV_DOWN = "arXiv didn't answer ({reason}); try again in a few minutes."


class PaperLookup(Protocol):
    """``bot.sources.arxiv.ArxivSource``'s id lookup."""

    async def by_ids(self, ids: Sequence[str]) -> list[Paper]: ...


class Recommender(Protocol):
    """``bot.sources.recommendations.RecommendationsSource``."""

    async def for_paper(self, arxiv_id: str, limit: int = ...) -> list[Recommendation]: ...


class Unavailable(Exception):
    """A service did not answer; ``str(exc)`` is the reply."""


class Talk:
    """The answers; ``arxiv`` and ``recommendations`` are ``None`` where nothing may be fetched
    (``--offline``, the demo): then only what the store holds is answered."""

    def __init__(
        self, settings: Settings, store: Store, clock: Clock, *,
        arxiv: PaperLookup | None = None, recommendations: Recommender | None = None,
    ) -> None:  # fmt: skip
        self.settings = settings
        self.clock = clock
        self.stored = StoredPapers(store)
        self.arxiv = arxiv
        self.recommendations = recommendations
        # Every paper asked about gets its score, however small (a digest hides the small ones).
        self.weights = dataclasses.replace(Weights.from_settings(settings), min_score=0.0)

    # -- /hotpapers paper ----------------------------------------------------------------------
    async def paper(self, arxiv_id: str) -> Reply:
        """The card of ``arxiv_id`` (already normalised by the parser)."""
        listed = self.stored.find(arxiv_id)
        if listed is not None:
            paper = paper_text(listed.paper())
            entry = self._ranked(listed.date, [paper]).get(arxiv_id)
            return Reply(ReplyKind.PAPER, card_text(paper, entry, listed.date))
        try:
            fetched = await self._fetch(arxiv_id)
        except Unavailable as exc:
            return Reply(ReplyKind.UNAVAILABLE, str(exc))
        if fetched is None:
            return Reply(ReplyKind.INVALID, self._unknown(arxiv_id))
        return Reply(ReplyKind.PAPER, card_text(fetched, self._held_entry(fetched), None))

    def _unknown(self, arxiv_id: str) -> str:
        fetched = " and arXiv has no paper with that id" if self.arxiv is not None else ""
        return (
            f"I found no paper {quote(arxiv_id)}: it is in none of the digests I hold{fetched}. "
            "Check the id (e.g. `/hotpapers paper 2104.04015`), or search by words with "
            "`/hotpapers search <words>`."
        )

    async def _fetch(self, arxiv_id: str) -> Paper | None:
        if self.arxiv is None:
            return None
        deadline = self.settings.source_deadline
        try:
            found = await bounded(self.clock, deadline, self.arxiv.by_ids([arxiv_id]))
        except SourceError as exc:
            log.warning("arxiv: paper lookup of %s failed: %s", arxiv_id, exc)
            raise Unavailable(ARXIV_DOWN.format(reason=exc)) from None
        return paper_text(found[0]) if found else None

    async def _paper(self, arxiv_id: str) -> tuple[Paper | None, Listed | None]:
        listed = self.stored.find(arxiv_id)
        if listed is not None:
            return paper_text(listed.paper()), listed
        return await self._fetch(arxiv_id), None

    def _ranked(self, date: dt.date, papers: list[Paper]) -> dict[str, Entry]:
        """The entries of ``papers`` (listed on ``date``) as that date's digest ranks them."""
        held = self.stored.held(date)
        announced = calendar.announcement_time(date)
        use_citations = not demo.is_bundled(date) and self.clock.now() - announced > SOCIAL_REACH
        ranking = rank_hot(
            papers, [post_text(p) for p in held.posts], held.signals or {}, self.weights,
            top=len(papers), use_citations=use_citations,
            window_papers=self.stored.listing_papers(date) or papers,
        )  # fmt: skip
        return {entry.paper.arxiv_id: entry for entry in ranking.entries}

    def _held_entry(self, paper: Paper) -> Entry | None:
        """The attention held for a paper of no stored listing, from any date's snapshots."""
        held = self.stored.held(None, {paper.arxiv_id})
        posts = [post_text(p) for p in held.posts]
        ranking = rank_hot([paper], posts, held.signals or {}, self.weights, top=1)
        return ranking.entries[0] if ranking.entries else None

    # -- /hotpapers search ---------------------------------------------------------------------
    async def search(self, words: Sequence[str]) -> Reply:
        wanted = search_words(words)
        if not wanted:
            return Reply(ReplyKind.INVALID, NO_WORDS)
        listed = self.stored.listed()
        hits = find(listed, wanted, self._scores)
        shown = quote(" ".join(wanted))
        if not hits:
            dates = sorted({item.date for item in listed})
            span = f", listed {dates[0]} to {dates[-1]}" if dates else ""
            return Reply(ReplyKind.EMPTY, (
                f"No paper in the digests I hold matches {shown} ({len(listed)} papers{span}). "
                "Try other or fewer words, or look up one paper with "
                "`/hotpapers paper <arXiv id>`."
            ))  # fmt: skip
        more = " (the best 10)" if len(hits) >= MAX_RESULTS else ""
        lines = [f"Papers matching {shown} in the digests I hold, best first{more}:"]
        for number, hit in enumerate(hits, 1):
            paper = paper_text(hit.listed.paper())
            title = neutral(paper.title, SEARCH_TITLE_CHARS) or paper.arxiv_id
            lines.append(
                f"{number}. {title} ({hit.listed.date.isoformat()}, score {hit.score:.1f}) "
                f"{paper.abs_url}"
            )
        return Reply(ReplyKind.RESULTS, "\n".join(lines))

    def _scores(self, date: dt.date, listed: list[Listed]) -> dict[str, float]:
        papers = [paper_text(item.paper()) for item in listed]
        return {key: entry.score for key, entry in self._ranked(date, papers).items()}

    # -- the buttons ---------------------------------------------------------------------------
    async def press(self, value: str) -> Reply:
        """A paper button's answer; ``value`` is what the platform carried for it."""
        button = read_button(value)
        if button is None:
            return Reply(ReplyKind.INVALID, OLD_BUTTON)
        if button.action is Action.MORE:
            return await self._more_like(button.arxiv_id)
        try:
            paper, _ = await self._paper(button.arxiv_id)
        except Unavailable as exc:
            return Reply(ReplyKind.UNAVAILABLE, str(exc))
        if paper is None:
            return Reply(ReplyKind.INVALID, self._unknown(button.arxiv_id))
        return Reply(ReplyKind.PAPER, abstract_text(paper))

    async def _more_like(self, arxiv_id: str) -> Reply:
        if self.recommendations is None:
            return Reply(ReplyKind.UNAVAILABLE, S2_OFF)
        listed = self.stored.find(arxiv_id)
        title = paper_text(listed.paper()).title if listed is not None else f"arXiv:{arxiv_id}"
        deadline = self.settings.source_deadline
        try:
            items = await bounded(self.clock, deadline, self.recommendations.for_paper(arxiv_id))
        except NotKnown:
            return Reply(ReplyKind.EMPTY, S2_UNKNOWN.format(id=arxiv_id))
        except SourceError as exc:
            log.warning("semantic_scholar: recommendations for %s failed: %s", arxiv_id, exc)
            return Reply(ReplyKind.UNAVAILABLE, S2_DOWN.format(reason=exc))
        if not items:
            return Reply(ReplyKind.EMPTY, S2_NONE.format(id=arxiv_id))
        return Reply(ReplyKind.RESULTS, recommendations_text(title, items))
