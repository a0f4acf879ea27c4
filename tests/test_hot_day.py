"""Issue 13's "done when", on a realistic day (tests/hot_day.py): no padding, calibrated sources,
a header worth reading, no operator hints and no LaTeX in anything a reader sees."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from adapters.discord_embeds import thread_payloads as discord_payloads
from adapters.slack_blocks import thread_payloads as slack_payloads
from bot.clock import FakeClock
from bot.config import Settings, env_name
from bot.digest import DigestBuilder
from bot.models import Digest
from bot.ranking import Weights
from bot.store import Store
from bot.summaries import Summarizer
from hotpapers.formats import FORMATS, digest_json, format_digest
from tests import hot_day
from tests.hot_day import BROAD, DATE, HF_300, HN_400, MILD, NOW
from tests.test_digest import FakeArxiv, FakeAttention

# A command (\\textsc, \\l), an accent (\\"u), a braced command or math opening on a command.
LATEX = re.compile(r"\\[A-Za-z]|\\[\"'`^~]|\{\\|\$\\")


async def build(store: Store, top: int) -> Digest:
    attention = [
        FakeAttention("bluesky", hot_day.social()),
        FakeAttention("huggingface", hot_day.huggingface()),
        FakeAttention("hackernews", hot_day.hackernews()),
        FakeAttention("x", skip="no credentials (set HOTPAPERS_X_BEARER_TOKEN)"),
        FakeAttention("semantic_scholar", error="HTTP 429 after 4 attempts"),
    ]
    clock = FakeClock(NOW)
    builder = DigestBuilder(
        store=store,
        clock=clock,
        papers_source=FakeArxiv(hot_day.PAPERS),
        attention=attention,  # type: ignore[arg-type]
        weights=Weights(),
        summarize=Summarizer(Settings(_env_file=None), None, clock).summarize,
    )
    return await builder.build(DATE, ["cs.CL"], top=top)


def strings(value: Any) -> Iterator[str]:
    """Every string a JSON document holds, decoded (so "\\n" is a new line, not a command)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


async def test_top_20_returns_only_papers_with_real_attention(store: Store) -> None:
    digest = await build(store, 20)
    # The aggregator's routine post reached all 44 papers; 7 got attention beyond it.
    assert (digest.total_papers, digest.hot_count) == (44, 7)
    assert [e.paper.arxiv_id for e in digest.entries] == [BROAD, HF_300, HN_400, *MILD]
    payload = digest_json(digest)
    assert (payload["hot_count"], len(payload["papers"])) == (7, 7)


async def test_calibrated_sources_rank_above_mild_mentions(store: Store) -> None:
    digest = await build(store, 20)
    assert [(e.paper.arxiv_id, e.score, e.breakdown) for e in digest.entries] == [
        (BROAD, 112.05, {"posts": 112.05}),
        (HF_300, 34.64, {"huggingface": 34.64}),
        (HN_400, 34.0, {"hackernews": 34.0}),
        *((arxiv_id, 8.82, {"posts": 8.82}) for arxiv_id in MILD),
    ]
    assert [e.why for e in digest.entries[:4]] == [
        "discussed by 26 people on Bluesky",
        "300 upvotes on Hugging Face",
        "400 points on Hacker News",
        "discussed by 3 people on Bluesky",
    ]


async def test_no_chat_payload_names_a_setting_or_credentials(store: Store) -> None:
    digest = await build(store, 20)
    wire = json.dumps([*slack_payloads(digest), *discord_payloads(digest)], ensure_ascii=False)
    for word in ("credentials", "token"):
        assert word not in wire.casefold()
    for field in Settings.model_fields:
        assert env_name(field) not in wire
    assert "HOTPAPERS_" not in wire
    # What changes the meaning of the digest is said, in a reader's words.
    note = "Semantic Scholar unavailable today: ranked by Bluesky, Hugging Face and Hacker News."
    assert digest.notes == (note,)
    assert note in wire


async def test_the_slack_header_names_the_top_three(store: Store) -> None:
    digest = await build(store, 20)
    header = slack_payloads(digest)[0]
    assert header["blocks"][1]["text"]["text"].splitlines() == [
        "7 hot papers of 44 new in cs.CL, ranked by posts, Hugging Face upvotes and Hacker News "
        "points. One reply per paper in this thread.",
        f"1. <https://arxiv.org/abs/{BROAD}|Sparse Mixture-of-Experts Language Models at 10^12 "
        "Parameters>",
        f"2. <https://arxiv.org/abs/{HF_300}|TinyTalk: Distilling Dialogue into 1B Models>",
        f"3. <https://arxiv.org/abs/{HN_400}|Why ≈90% of Benchmarks Leak>",
        "_Semantic Scholar unavailable today: ranked by Bluesky, Hugging Face and Hacker News._",
    ]
    assert header["blocks"][2]["elements"][0]["text"] == (
        "Sources: arXiv, Bluesky, Hugging Face, Hacker News"
    )


@pytest.mark.parametrize("fmt", FORMATS)
async def test_no_latex_command_survives_into_any_output(store: Store, fmt: str) -> None:
    out = format_digest(await build(store, 20), fmt)
    texts = [out] if fmt in ("text", "markdown") else list(strings(json.loads(out)))
    for text in texts:
        assert not LATEX.search(text), (fmt, text)
    for text in ("Przemysław Nowak", "Jan Schlüter", "Aleš Horák"):
        assert text in out or fmt in ("slack", "discord")  # chat shows the first authors only
    assert "±5%" in out or "TinyTalk distills dialogue into 1B models with ≤2% loss." in out


async def test_summaries_stand_alone_and_provided_ones_win(store: Store) -> None:
    digest = await build(store, 20)
    summaries = {e.paper.arxiv_id: e.summary for e in digest.entries}
    assert summaries[BROAD] == (
        "Scaling laws for sparse models remain unclear. We propose a router that keeps accuracy "
        "within ±5% of dense models while using 4x less compute. Experiments on 12 tasks show "
        "consistent gains."
    )
    assert summaries[HF_300] == "TinyTalk distills dialogue into 1B models with ≤2% loss."
