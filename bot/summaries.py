"""One to three sentences per paper: from Hugging Face, Semantic Scholar, a model, or the abstract.

Order of preference for each entry: ``signals.hf_ai_summary``, then ``signals.tldr`` (Semantic
Scholar), then, when ``HOTPAPERS_LLM_BASE_URL`` and ``HOTPAPERS_LLM_MODEL`` are set, an
OpenAI-compatible ``POST {base}/chat/completions`` (cached per paper and model), and finally an
extractive summary of the abstract. Any failure of the model (HTTP error, timeout, malformed
JSON, empty text, spent time budget) falls back to the extractive summary: a digest never waits
on, or breaks because of, an optional service. Failures are logged once per digest, never with
the key.

The extractive summary keeps whole sentences of the abstract, in their original order: always
the first (it says what the paper is about) unless it only announces what follows, then the
sentences that score best while they fit ``max_chars`` and ``max_sentences`` and stand alone: a
sentence opening with a connective, an enumeration, a pronoun or a demonstrative ("However,",
"First,", "This", "These") is taken only right after the sentence it leans on, and one that only
announces ("The problem is twofold.", "... as follows:") never. A sentence scores 2 for each
contribution phrase ("we propose", "we present", "we introduce", "we show", "we demonstrate",
"we find", "we develop"), 1 for each result word ("achiev", "outperform", "surpass", "state-of-
the-art", "improv", "significantly", "results", "%") and 1 if it has a number; ties go to the
earlier sentence. Sentences split at ``.``, ``!`` or ``?`` followed by a space and a capital, a
digit or an opening quote or bracket, but not after "e.g.", "i.e.", "et al.", "Fig.", "vs." and
the like, nor after an initial ("J. Smith"); "3.1" never splits, as no space follows the point.
When the first sentence alone is longer than the budget it is cut at a word boundary and ends
with an ellipsis.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from typing import Protocol

import httpx

from bot.clock import Clock
from bot.config import Settings
from bot.latex import latex_to_text
from bot.models import Entry, Paper, Signals
from bot.render import ELLIPSIS
from bot.sources.llm import ChatCompletions, SummaryFailed

log = logging.getLogger(__name__)

SUMMARY_LIMIT = 500
LLM_CONCURRENCY = 4

# Words that end with a period without ending a sentence ("et al. (2020)", "Fig. 3").
_ABBREVIATIONS = frozenset(
    {
        "al", "approx", "cf", "ch", "dr", "eq", "eqs", "fig", "figs", "jr", "mr", "mrs", "ms",
        "no", "nos", "pp", "prof", "ref", "refs", "resp", "sec", "secs", "sr", "st", "tab",
        "vol", "vs", "viz",
    }
)  # fmt: skip
_DOTTED = re.compile(r"^(?:[a-z]\.){2,}$", re.IGNORECASE)  # e.g. i.e. U.S.
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*$")
_SENTENCE_START = re.compile(r"^[\"'(\[]*[A-Z0-9$\\]")
# What the paper contributes weighs 2; a result word or a number weighs 1.
_CONTRIBUTION_CUES = (
    "we propose", "we present", "we introduce", "we show", "we demonstrate", "we find",
    "we develop",
)  # fmt: skip
_RESULT_CUES = (
    "achiev", "outperform", "surpass", "state-of-the-art", "state of the art", "improv",
    "significantly", "results", "%",
)  # fmt: skip
_NUMBER = re.compile(r"\d")
# Openers that lean on the sentence before: connectives, enumerations, pronouns and demonstratives.
_DANGLING = re.compile(
    r"^[\"'(\[]*(?:"
    r"(?:first|second|third|fourth|finally|lastly|next|then|however|moreover|furthermore|"
    r"additionally|also|thus|therefore|hence|consequently|specifically|similarly|likewise|"
    r"instead|nevertheless|nonetheless|besides|meanwhile|accordingly|otherwise|still|yet|"
    r"secondly|thirdly|firstly|here|further)\b"
    r"|in (?:addition|particular|contrast|turn|doing so|this (?:work|paper|way)|these)\b"
    r"|to (?:this|that) end\b|to do (?:so|this)\b|to address (?:this|these|it)\b"
    r"|on the other hand\b|as a result\b|for (?:this|that|these) reasons?\b|by doing so\b"
    r"|(?:this|these|that|those|it|its|they|their|them|such|both|each|the former|the latter)\b"
    r")",
    re.IGNORECASE,
)
_ANNOUNCES = re.compile(r"(?:[:;]$|\b(?:two|three|four)-?fold\.?$|\bas follows\b)", re.IGNORECASE)
_LABEL = re.compile(r"^(?:summary|tl;?dr)\s*:\s*", re.IGNORECASE)


def _ends_sentence(token: str, next_token: str) -> bool:
    """Whether a sentence ends after ``token`` (decimals never reach here: no space after)."""
    if not _SENTENCE_END.search(token) or not _SENTENCE_START.match(next_token):
        return False
    word = token.rstrip("\"')]").lstrip("\"'([")
    if word.endswith("."):
        stem = word[:-1].casefold()
        initial = len(stem) == 1 and stem.isalpha()  # "J. Smith"
        if stem in _ABBREVIATIONS or _DOTTED.match(word) or initial:
            return False
    return True


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` with whitespace collapsed; abbreviations don't split."""
    tokens = text.split()
    sentences: list[str] = []
    current: list[str] = []
    for index, token in enumerate(tokens):
        current.append(token)
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        if not following or _ends_sentence(token, following):
            sentences.append(" ".join(current))
            current = []
    return sentences


def cue_score(sentence: str) -> int:
    """How much a sentence reads as a contribution (2 a cue) or a result (1 a cue or number)."""
    lowered = sentence.casefold()
    points = sum(2 for cue in _CONTRIBUTION_CUES if cue in lowered)
    points += sum(1 for cue in _RESULT_CUES if cue in lowered)
    return points + (1 if _NUMBER.search(sentence) else 0)


def clamp_words(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, cut at a word boundary with an ellipsis."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    cut = text[: limit - 1]
    if " " in cut and not text[limit - 1].isspace():
        cut = cut.rsplit(" ", 1)[0]  # drop the partial last word
    return cut.rstrip(" ,;:-–—([") + ELLIPSIS


def announces(sentence: str) -> bool:
    """A sentence that only sets up what follows ("The problem is twofold.", "...as follows:")."""
    return bool(_ANNOUNCES.search(sentence.strip()))


def stands_alone(sentence: str) -> bool:
    """Whether a sentence reads on its own, without the one before it ("However, ...", "This
    ...", "First, ..." do not), and says something of its own (an announcement does not)."""
    return not _DANGLING.match(sentence.strip()) and not announces(sentence)


def extractive_summary(abstract: str, *, max_chars: int = 400, max_sentences: int = 3) -> str:
    """1 to ``max_sentences`` whole sentences of the abstract within ``max_chars``, in order.

    Every sentence shown stands alone or directly follows the sentence it leans on: a summary
    never starts mid-argument ("The problem is twofold. First, we present ...").
    """
    sentences = split_sentences(abstract)
    if not sentences:
        return ""
    lead = 0
    if announces(sentences[0]):
        lead = next((i for i, text in enumerate(sentences) if stands_alone(text)), 0)
    if len(sentences[lead]) > max_chars:
        return clamp_words(sentences[lead], max_chars)
    chosen = {lead}
    length = len(sentences[lead])
    ranked = sorted(
        (i for i in range(len(sentences)) if i != lead),
        key=lambda i: (-cue_score(sentences[i]), i),
    )
    for _ in range(2):  # a second pass takes sentences whose antecedent the first pass chose
        for index in ranked:
            text = sentences[index]
            fits = length + 1 + len(text) <= max_chars
            readable = stands_alone(text) or (index - 1 in chosen and not announces(text))
            if len(chosen) < max_sentences and index not in chosen and fits and readable:
                chosen.add(index)
                length += 1 + len(text)
    return " ".join(sentences[i] for i in sorted(chosen))


def clean_summary(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """One paragraph of text (no LaTeX), no "Summary:" label or wrapping quotes, at most
    ``limit`` characters."""
    flat = _LABEL.sub("", " ".join(latex_to_text(text).split()))
    if len(flat) >= 2 and flat[0] == flat[-1] and flat[0] in "\"'":
        flat = flat[1:-1].strip()
    return clamp_words(flat, limit)


def provided_summary(signals: Signals) -> str:
    """Hugging Face's ai_summary, else Semantic Scholar's TLDR, cleaned; "" when neither."""
    for text in (signals.hf_ai_summary, signals.tldr):
        cleaned = clean_summary(text or "")
        if cleaned:
            return cleaned
    return ""


class SummaryCache(Protocol):
    """Model-written summaries by (arXiv id, model), so a paper costs one request per model."""

    def get(self, arxiv_id: str, model: str) -> str | None: ...

    def put(self, arxiv_id: str, model: str, text: str) -> None: ...


class MemorySummaryCache:
    """A ``SummaryCache`` in a dict: for one process, and for tests."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], str] = {}

    def get(self, arxiv_id: str, model: str) -> str | None:
        return self.items.get((arxiv_id, model))

    def put(self, arxiv_id: str, model: str, text: str) -> None:
        self.items[(arxiv_id, model)] = text


class Summarizer:
    """Sets ``Entry.summary`` on every entry, by the order of preference in the module docstring."""

    def __init__(
        self,
        settings: Settings,
        client: httpx.AsyncClient | None,
        clock: Clock,
        cache: SummaryCache | None = None,
        timeout: float = 15.0,
        budget: float = 60.0,
    ) -> None:
        self.clock = clock
        self.cache: SummaryCache = cache if cache is not None else MemorySummaryCache()
        self.budget = budget
        self.model = settings.llm_model or ""
        self._llm: ChatCompletions | None = None
        if client is not None and ChatCompletions.configured(settings):
            self._llm = ChatCompletions(client, settings, clock, timeout=timeout)

    @property
    def uses_llm(self) -> bool:
        return self._llm is not None

    async def summarize(self, entries: Sequence[Entry]) -> list[Entry]:
        """Copies of ``entries`` with ``summary`` set; never raises for a failing model."""
        deadline = self.clock.monotonic() + self.budget
        gate = asyncio.Semaphore(LLM_CONCURRENCY)
        failures: list[str] = []
        texts = await asyncio.gather(
            *(
                self._summary(entry.paper, entry.signals, gate, deadline, failures)
                for entry in entries
            )
        )
        if failures:
            log.warning(
                "LLM summaries failed for %d of %d papers (%s); used extractive summaries",
                len(failures),
                len(entries),
                ", ".join(sorted(set(failures))),
            )
        return [e.model_copy(update={"summary": t}) for e, t in zip(entries, texts, strict=True)]

    async def _summary(
        self,
        paper: Paper,
        signals: Signals,
        gate: asyncio.Semaphore,
        deadline: float,
        failures: list[str],
    ) -> str:
        provided = provided_summary(signals)
        if provided:
            return provided
        if self.uses_llm and paper.abstract.strip():
            try:
                return await self._model_summary(paper, gate, deadline)
            except SummaryFailed as exc:
                failures.append(str(exc))
        return extractive_summary(paper.abstract)

    async def _model_summary(self, paper: Paper, gate: asyncio.Semaphore, deadline: float) -> str:
        cached = self.cache.get(paper.arxiv_id, self.model)
        if cached:
            return cached
        async with gate:
            remaining = deadline - self.clock.monotonic()
            if remaining <= 0:
                raise SummaryFailed("time budget spent")
            try:
                async with asyncio.timeout(remaining):
                    text = await self._request(paper)
            except TimeoutError:
                raise SummaryFailed("time budget spent") from None
        self.cache.put(paper.arxiv_id, self.model, text)
        return text

    async def _request(self, paper: Paper) -> str:
        assert self._llm is not None
        text = clean_summary(await self._llm.complete(paper))
        if not text:
            raise SummaryFailed("empty text")
        return text
