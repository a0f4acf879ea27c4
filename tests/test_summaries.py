"""Summaries: the extractive fallback on realistic abstracts, and the optional model over HTTP."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest

from bot.clock import FakeClock
from bot.config import Settings
from bot.models import Entry, Signals
from bot.sources.llm import SYSTEM_PROMPT
from bot.summaries import (
    MemorySummaryCache,
    Summarizer,
    clamp_words,
    clean_summary,
    extractive_summary,
    split_sentences,
    stands_alone,
)
from tests.factories import make_entry, make_paper

RETRIEVAL = (
    "Large language models are increasingly used as general-purpose assistants, yet their factual\n"
    "reliability remains poorly understood. We study how retrieval interacts with in-context "
    "learning across 14 question answering benchmarks. We propose RAFT-Lite, a lightweight "
    "fine-tuning recipe that teaches models to ignore distracting passages. On Natural Questions, "
    "RAFT-Lite improves exact match by 7.2 points over the strongest baseline, e.g. Llama-2 with "
    "standard retrieval. Our analysis shows that gains concentrate on multi-hop questions. Code "
    "and data are released."
)
ATTRIBUTION = (
    "Instance attribution methods, e.g. influence functions, explain a prediction by the training "
    "examples that caused it (Koh et al. 2017). Prior work (Pezeshkpour et al., 2021) compared "
    "them only on small models, i.e. fewer than 1B parameters. We present a benchmark of 6 "
    "attribution methods on models up to 7B parameters. Simple cosine similarity of embeddings "
    "outperforms influence functions on 4 of 5 tasks and is 3.1x faster. See Fig. 2 for details."
)
LONG_FIRST = (
    "We revisit the problem of learning robust visual representations from uncurated web-scale "
    "image-text pairs under distribution shift, label noise, long-tailed class frequencies, "
    "adversarial corruptions, and limited compute budgets, and we argue that the prevailing "
    "practice of scaling contrastive pretraining without any explicit treatment of these factors "
    "leaves substantial performance on the table for downstream tasks that matter in practice. "
    "We propose a fix."
)
PLAIN = (
    "Graph neural networks are widely used for molecules. Message passing has known limits. "
    "This paper studies those limits in detail. The analysis covers many architectures."
)


def test_extractive_picks_first_then_contribution_and_result_sentences() -> None:
    assert extractive_summary(RETRIEVAL) == (
        "Large language models are increasingly used as general-purpose assistants, yet their "
        "factual reliability remains poorly understood. We propose RAFT-Lite, a lightweight "
        "fine-tuning recipe that teaches models to ignore distracting passages. On Natural "
        "Questions, RAFT-Lite improves exact match by 7.2 points over the strongest baseline, "
        "e.g. Llama-2 with standard retrieval."
    )


def test_extractive_does_not_split_abbreviations_or_decimals() -> None:
    assert extractive_summary(ATTRIBUTION) == (
        "Instance attribution methods, e.g. influence functions, explain a prediction by the "
        "training examples that caused it (Koh et al. 2017). We present a benchmark of 6 "
        "attribution methods on models up to 7B parameters. Simple cosine similarity of "
        "embeddings outperforms influence functions on 4 of 5 tasks and is 3.1x faster."
    )
    assert split_sentences("Shown by J. Smith and vs. BERT in Fig. 3. Done. Next one 3.1.") == [
        "Shown by J. Smith and vs. BERT in Fig. 3.",
        "Done.",
        "Next one 3.1.",
    ]
    assert split_sentences("It works, i.e. It generalises; U.S. Data too. Table 1. We win!") == [
        "It works, i.e. It generalises; U.S. Data too.",
        "Table 1.",
        "We win!",
    ]


def test_extractive_without_cues_keeps_the_opening_sentences() -> None:
    assert extractive_summary(PLAIN) == (
        "Graph neural networks are widely used for molecules. Message passing has known limits. "
        "This paper studies those limits in detail."
    )


def test_extractive_respects_the_budgets() -> None:
    assert extractive_summary(PLAIN, max_chars=90) == (
        "Graph neural networks are widely used for molecules. Message passing has known limits."
    )
    assert extractive_summary(RETRIEVAL, max_sentences=2) == (
        "Large language models are increasingly used as general-purpose assistants, yet their "
        "factual reliability remains poorly understood. We propose RAFT-Lite, a lightweight "
        "fine-tuning recipe that teaches models to ignore distracting passages."
    )
    assert extractive_summary(RETRIEVAL, max_chars=140) == (
        "Large language models are increasingly used as general-purpose assistants, yet their "
        "factual reliability remains poorly understood."
    )
    for text in (RETRIEVAL, ATTRIBUTION, LONG_FIRST, PLAIN):
        for budget in (40, 120, 250, 400):
            assert len(extractive_summary(text, max_chars=budget)) <= budget


def test_extractive_clamps_a_long_first_sentence_at_a_word() -> None:
    summary = extractive_summary(LONG_FIRST)
    assert summary == (
        "We revisit the problem of learning robust visual representations from uncurated "
        "web-scale image-text pairs under distribution shift, label noise, long-tailed class "
        "frequencies, adversarial corruptions, and limited compute budgets, and we argue that "
        "the prevailing practice of scaling contrastive pretraining without any explicit "
        "treatment of these factors leaves substantial performance on the table…"
    )
    assert len(summary) == 400
    assert extractive_summary(LONG_FIRST, max_chars=30) == "We revisit the problem of…"
    assert extractive_summary("") == ""
    assert extractive_summary("   \n ") == ""


def test_clamp_words_and_clean_summary() -> None:
    assert clamp_words("alpha beta gamma", 11) == "alpha beta…"
    assert clamp_words("alpha beta gamma", 10) == "alpha…"
    assert clamp_words("Supercalifragilistic", 6) == "Super…"
    assert clean_summary('  Summary:  "A new\n\nmodel beats   all."  ') == "A new model beats all."
    clamped = clean_summary("TL;DR: " + "word " * 200)
    assert (clamped, len(clamped)) == (("word " * 100).strip() + "…", 500)


# --- the summarizer ------------------------------------------------------------------------

KEY = "sk-test-SECRET-42"
BASE = "https://llm.example/v1/"


def llm_settings(**kw: object) -> Settings:
    data: dict[str, object] = {"llm_base_url": BASE, "llm_model": "tiny-1", "llm_api_key": KEY}
    data.update(kw)
    return Settings(_env_file=None, **data)


def completion(text: str) -> httpx.Response:
    return httpx.Response(200, json={"choices": [{"message": {"content": text}}]})


class Recorder:
    """An OpenAI-compatible endpoint that answers from a list and remembers every request."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def entry(n: int, **signals: object) -> Entry:
    paper = make_paper(n, title=f"Paper  number {n}:\n a study", abstract=RETRIEVAL)
    return make_entry(n, paper=paper, signals=Signals.model_validate(signals), summary="")


async def run(settings: Settings, recorder: Recorder, entries: list[Entry], **kw: object):
    clock = FakeClock()
    async with httpx.AsyncClient(transport=httpx.MockTransport(recorder)) as client:
        summarizer = Summarizer(settings, client, clock, **kw)  # type: ignore[arg-type]
        return await summarizer.summarize(entries), clock


EXTRACTIVE = extractive_summary(RETRIEVAL)


async def test_preference_order_and_exact_request() -> None:
    recorder = Recorder(completion("  It makes retrieval\n robust.  "))
    entries = [
        entry(1, hf_ai_summary="HF says: fast.", tldr="S2 says: slow."),
        entry(2, tldr=" S2 says:\n slow. "),
        entry(3),
    ]
    result, clock = await run(llm_settings(), recorder, entries)

    assert [e.summary for e in result] == [
        "HF says: fast.",
        "S2 says: slow.",
        "It makes retrieval robust.",
    ]
    assert [e.model_copy(update={"summary": ""}) for e in result] == entries
    [request] = recorder.requests
    assert (request.method, str(request.url)) == ("POST", "https://llm.example/v1/chat/completions")
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "model": "tiny-1",
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {
                "role": "user",
                "content": "Title: Paper number 3: a study\n\nAbstract: "
                + " ".join(RETRIEVAL.split()),
            },
        ],
        "max_tokens": 160,
        "temperature": 0.2,
    }
    assert clock.sleeps == []


async def test_no_key_sends_no_authorization() -> None:
    recorder = Recorder(completion("Short."))
    result, _ = await run(llm_settings(llm_api_key=None), recorder, [entry(1)])
    assert result[0].summary == "Short."
    assert "authorization" not in recorder.requests[0].headers


async def test_cache_hit_sends_no_second_request() -> None:
    recorder = Recorder(completion("Cached words."))
    cache = MemorySummaryCache()
    first, _ = await run(llm_settings(), recorder, [entry(1)], cache=cache)
    second, _ = await run(llm_settings(), recorder, [entry(1)], cache=cache)
    assert first[0].summary == second[0].summary == "Cached words."
    assert len(recorder.requests) == 1
    assert cache.items == {("2104.04001", "tiny-1"): "Cached words."}
    other_model, _ = await run(llm_settings(llm_model="big-2"), recorder, [entry(1)], cache=cache)
    assert len(recorder.requests) == 2


async def test_without_llm_settings_everything_is_extractive() -> None:
    recorder = Recorder(completion("never"))
    for config in (llm_settings(llm_base_url=None), llm_settings(llm_model=None)):
        result, _ = await run(config, recorder, [entry(1), entry(2, tldr="TLDR.")])
        assert [e.summary for e in result] == [EXTRACTIVE, "TLDR."]
    summarizer = Summarizer(llm_settings(), None, FakeClock())
    assert not summarizer.uses_llm
    assert recorder.requests == []


@pytest.mark.parametrize(
    ("answers", "attempts", "reason"),
    [
        ([httpx.Response(500, text=KEY)], 2, "HTTP 500 after 2 attempts"),
        ([httpx.ReadTimeout("slow")], 2, "timed out after 15 s after 2 attempts"),
        ([httpx.Response(401, json={"error": KEY})], 1, "HTTP 401"),
        ([httpx.Response(200, text="<html>oops</html>")], 1, "malformed JSON"),
        ([httpx.Response(200, json={"choices": []})], 1, "unexpected response shape"),
        ([completion("   \n ")], 1, "empty text"),
        ([httpx.ConnectError("refused")], 2, "connection failed (ConnectError) after 2 attempts"),
    ],
)
async def test_failures_fall_back_and_log_once_without_the_key(
    answers: list, attempts: int, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    recorder = Recorder(*answers)
    result, _ = await run(llm_settings(), recorder, [entry(1), entry(2)])

    assert [e.summary for e in result] == [EXTRACTIVE, EXTRACTIVE]
    assert len(recorder.requests) == 2 * attempts
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == [
        f"LLM summaries failed for 2 of 2 papers ({reason}); used extractive summaries"
    ]
    assert KEY not in caplog.text


async def test_failed_papers_are_not_cached() -> None:
    cache = MemorySummaryCache()
    await run(llm_settings(), Recorder(httpx.Response(500)), [entry(1)], cache=cache)
    assert cache.items == {}


async def test_retry_honours_retry_after_on_the_injected_clock() -> None:
    recorder = Recorder(httpx.Response(429, headers={"Retry-After": "7"}), completion("Done."))
    result, clock = await run(llm_settings(), recorder, [entry(1)])
    assert result[0].summary == "Done."
    assert clock.sleeps == [7.0]


async def test_time_budget_stops_new_requests(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    calls: list[httpx.Request] = []

    def slow_model(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        clock.advance(40)
        return completion(f"Model summary {len(calls)}.")

    entries = [entry(n) for n in range(1, 7)]
    async with httpx.AsyncClient(transport=httpx.MockTransport(slow_model)) as client:
        result = await Summarizer(llm_settings(), client, clock, budget=100).summarize(entries)

    # Requests start while the budget lasts: at 0, 40 and 80 s; at 120 s it is spent.
    assert len(calls) == 3
    assert [e.summary for e in result] == [
        "Model summary 1.",
        "Model summary 2.",
        "Model summary 3.",
        EXTRACTIVE,
        EXTRACTIVE,
        EXTRACTIVE,
    ]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "LLM summaries failed for 3 of 6 papers (time budget spent); used extractive summaries"
    ]


async def test_at_most_four_requests_in_flight() -> None:
    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        started.append(clock.monotonic())
        in_flight += 1
        peak = max(peak, in_flight)
        for _ in range(20):
            await asyncio.sleep(0)
        in_flight -= 1
        return completion("Fine.")

    entries = [entry(n) for n in range(1, 10)]
    clock = FakeClock()
    started: list[float] = []
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        result = await Summarizer(llm_settings(), client, clock).summarize(entries)
    assert [e.summary for e in result] == ["Fine."] * 9
    assert peak == 4
    # Five requests a second: five start at once, the sixth when the first is a second old.
    assert started == [1000.0] * 5 + [1001.0] * 4
    assert clock.sleeps == [1.0]


TWOFOLD = (
    "Large language models still hallucinate facts. The problem is twofold. First, we present "
    "a benchmark of 5,000 questions. Second, we propose a decoding method that cuts errors by "
    "30%. This improves factuality significantly. We release code and data."
)


def test_extractive_never_starts_mid_argument() -> None:
    # "First, ..." and "Second, ..." lean on the announcement, "This ..." on "Second, ...":
    # none of them can be shown without what they lean on.
    assert extractive_summary(TWOFOLD) == (
        "Large language models still hallucinate facts. We release code and data."
    )


def test_a_leaning_sentence_follows_the_one_it_leans_on() -> None:
    text = (
        "We study retrieval for code. To this end, we propose a new index that improves recall "
        "by 12%. However, latency grows. These results hold on 3 benchmarks."
    )
    assert extractive_summary(text) == (
        "We study retrieval for code. To this end, we propose a new index that improves recall "
        "by 12%. However, latency grows."
    )


def test_an_abstract_opening_with_an_announcement_starts_at_a_real_sentence() -> None:
    text = "The problem is twofold. We propose X. It works."
    assert extractive_summary(text) == "We propose X. It works."


@pytest.mark.parametrize(
    ("sentence", "alone"),
    [
        ("However, it fails.", False),
        ("First, we present a benchmark.", False),
        ("This improves recall.", False),
        ("These results hold.", False),
        ("The problem is twofold.", False),
        ("Our contributions are the following:", False),
        ("In addition, we release code.", False),
        ("Thistle plants grow fast.", True),
        ("Itemized costs drop by 5%.", True),
        ("We propose a method.", True),
    ],
)
def test_stands_alone(sentence: str, alone: bool) -> None:
    assert stands_alone(sentence) is alone
