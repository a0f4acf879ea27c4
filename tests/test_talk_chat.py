"""A digest you can talk to, end to end on Slack and on Discord through the real SDKs.

``/hotpapers paper``, ``/hotpapers search`` and the two paper buttons, each run once per
platform (``chat`` is parametrised) against the loopback fakes: the command or the press goes in
as the platform sends it (Slack's slash command and ``block_actions`` over HTTP, signed; Discord's
application command and component interaction over the gateway), the one core answers, and the
suite checks exactly what the asker saw and that nothing at all was posted in the channel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.buttons import OLD_BUTTON
from bot.clock import Clock
from bot.config import Settings
from bot.models import Paper
from bot.ports import ReplyKind
from bot.sources.http import SourceError
from bot.sources.recommendations import RecommendationsSource
from bot.store import Store
from bot.talk import Talk
from tests.chat_drivers import CHATS, Chat, Form
from tests.test_source_recommendations import ANSWER

S2 = "https://s2.test/recommendations/v1"
DAY = dt.date(2021, 4, 13)  # a stored listing besides the bundled demo one (2021-04-12)
CUTPASTE = "CutPaste: Self-Supervised Learning for Anomaly Detection and Localization"
CARD = (
    f"{CUTPASTE}\n"
    "Chun-Liang Li, Kihyuk Sohn, Jinsung Yoon, Tomas Pfister · cs.CV · listed 2021-04-12\n"
    "https://arxiv.org/abs/2104.04015 · pdf https://arxiv.org/pdf/2104.04015\n"
    "Attention: score 8.4 = reported reposts+likes 8.4 (1 post · 4026 retweets · "
    "306 favorites)\n"
    "4026 retweets and 306 favorites on Twitter.\n"
    "Discussed in:\n"
    '- AK (@\u200bak92501) on X: "CutPaste: Self-Supervised Learning for Anomaly Detection and '
)


class FakeArxiv:
    """``ArxivSource.by_ids``: one old-style paper known; ``down`` makes it fail."""

    def __init__(self) -> None:
        self.asked: list[list[str]] = []
        self.down = False

    async def by_ids(self, ids: Sequence[str]) -> list[Paper]:
        self.asked.append(list(ids))
        if self.down:
            raise SourceError("HTTP 503 after 4 attempts")
        known = Paper(arxiv_id="math/0309136", version=2, title="A knot <@U1> theory paper",
                      authors=("W. Thurston",), abstract="Knots.", primary_category="math.GT",
                      categories=("math.GT",))  # fmt: skip
        return [known] if "math/0309136" in ids else []


def stored_listing(store: Store) -> None:
    """2021-04-13 in cs.CL: two anomaly papers, one discussed on Bluesky by two people."""
    papers = [
        {"arxiv_id": "2104.05001", "title": "Anomaly detection for language models",
         "authors": ["Grace Hopper"], "abstract": "We detect anomalies.",
         "primary_category": "cs.CL", "categories": ["cs.CL"]},
        {"arxiv_id": "2104.05002", "title": "Anomaly detection in speech",
         "authors": ["Alan Turing"], "abstract": "Speech anomalies.",
         "primary_category": "cs.CL", "categories": ["cs.CL"]},
    ]  # fmt: skip
    posts = [
        {"platform": "bluesky", "post_id": f"p{n}", "author": f"reader{n}.bsky.social",
         "author_name": f"Reader {n}", "text": f"Read this https://arxiv.org/abs/2104.05002 ({n})",
         "url": f"https://bsky.app/profile/reader{n}.bsky.social/post/p{n}",
         "arxiv_ids": ["2104.05002"], "likes": 3, "reposts": 0}
        for n in (1, 2)
    ]  # fmt: skip
    at = dt.datetime(2021, 4, 14, tzinfo=dt.UTC)
    store.put_snapshot("arxiv", DAY, "cs.CL", {"papers": papers}, at)
    store.put_snapshot("bluesky", DAY, "", {"posts": posts, "signals": {}}, at)


class Deployment:
    """What the chats' ``Talk`` is made of: a store, a fake arXiv, a mocked Semantic Scholar."""

    def __init__(self, tmp_path: Path) -> None:
        self.store = Store(f"sqlite:///{tmp_path}/hp.sqlite3")
        stored_listing(self.store)
        self.arxiv = FakeArxiv()
        self.s2: list[httpx.Request] = []
        self.s2_answer: httpx.Response | Exception = httpx.Response(200, json=ANSWER)

    def _s2(self, request: httpx.Request) -> httpx.Response:
        self.s2.append(request)
        if isinstance(self.s2_answer, Exception):
            raise self.s2_answer
        return self.s2_answer

    def talk(self, settings: Settings, clock: Clock) -> Talk:
        config = settings.model_copy(update={"s2_recommendations_url": S2, "http_retries": 1})
        client = httpx.AsyncClient(transport=httpx.MockTransport(self._s2))
        recommendations = RecommendationsSource(client, config, clock)
        return Talk(config, self.store, clock, arxiv=self.arxiv, recommendations=recommendations)


@pytest.fixture
def deployment(tmp_path: Path) -> Deployment:
    return Deployment(tmp_path)


@pytest.fixture(params=sorted(CHATS))
async def chat(request: pytest.FixtureRequest, deployment: Deployment) -> AsyncIterator[Chat]:
    async with CHATS[request.param](talk=deployment.talk) as driver:
        yield driver


def paper(words: str) -> Form:
    return Form(f"paper {words}", {"action": "paper", "query": words})


def search(words: str) -> Form:
    return Form(f"search {words}", {"action": "search", "query": words})


async def ask(chat: Chat, form: Form) -> tuple[ReplyKind, str]:
    """Send ``form``: the asker saw exactly the platform's rendering of the one reply, and the
    channel got nothing."""
    before = len(chat.handler.replies)
    seen = await chat.ask(form)
    replies = chat.handler.replies[before:]
    assert len(replies) == 1 and seen == chat.shown(replies)
    assert chat.thread() == [] and chat.service.queries == []
    return replies[0].kind, replies[0].text


async def press(chat: Chat, value: str) -> tuple[ReplyKind, str]:
    before = len(chat.handler.replies)
    seen = await chat.press(value)
    replies = chat.handler.replies[before:]
    assert len(replies) == 1 and seen == chat.shown(replies)
    assert chat.thread() == []
    return replies[0].kind, replies[0].text


def previews_suppressed(chat: Chat, expected: bool) -> None:
    """Discord shows link lists without a preview per link (SUPPRESS_EMBEDS)."""
    if chat.platform == "discord":
        assert chat.flags == [68 if expected else 64]  # type: ignore[attr-defined]


@pytest.mark.parametrize("given", ["2104.04015", "2104.04015v3", "arXiv:2104.04015"])
async def test_paper_card_from_the_stored_digest(chat: Chat, given: str) -> None:
    kind, text = await ask(chat, paper(given))
    assert kind is ReplyKind.PAPER and text.startswith(CARD)
    assert text.endswith("https://twitter.com/ak92501/status/1381412371474874370")
    previews_suppressed(chat, True)


async def test_paper_card_of_a_stored_listing_ranks_it_like_its_digest(chat: Chat) -> None:
    kind, text = await ask(chat, paper("2104.05002"))
    assert (kind, text) == (ReplyKind.PAPER, (
        "Anomaly detection in speech\n"
        "Alan Turing · cs.CL · listed 2021-04-13\n"
        "https://arxiv.org/abs/2104.05002 · pdf https://arxiv.org/pdf/2104.05002\n"
        "Attention: score 4.8 = posts 4.8 (2 posts)\n"
        "Discussed by 2 people on Bluesky.\n"
        "Discussed in:\n"
        "- Reader 1 (@\u200breader1.bsky.social) on Bluesky: \"Read this "
        "https://arxiv.org/abs/2104.05002 (1)\" https://bsky.app/profile/reader1.bsky.social/post/p1\n"
        "- Reader 2 (@\u200breader2.bsky.social) on Bluesky: \"Read this "
        "https://arxiv.org/abs/2104.05002 (2)\" https://bsky.app/profile/reader2.bsky.social/post/p2"
    ))  # fmt: skip


async def test_an_old_style_id_in_no_digest_is_fetched_from_arxiv(
    chat: Chat, deployment: Deployment
) -> None:
    kind, text = await ask(chat, paper("math.GT/0309136v2"))
    assert deployment.arxiv.asked == [["math/0309136"]]
    assert (kind, text) == (ReplyKind.PAPER, (
        "A knot ‹@\u200bU1› theory paper\n"
        "W. Thurston · math.GT\n"
        "https://arxiv.org/abs/math/0309136 · pdf https://arxiv.org/pdf/math/0309136v2\n"
        "Attention: none recorded in what I hold for it (no posts, upvotes or points).\n"
        "(Not in a digest I hold: fetched from arXiv; attention from my snapshots.)"
    ))  # fmt: skip


@pytest.mark.parametrize(
    ("form", "kind", "text"),
    [
        (paper("2104.99999"), ReplyKind.INVALID,
         "I found no paper `2104.99999`: it is in none of the digests I hold and arXiv has no "
         "paper with that id. Check the id (e.g. `/hotpapers paper 2104.04015`), or search by "
         "words with `/hotpapers search <words>`."),
        (paper("2104.0401"), ReplyKind.INVALID,
         "`2104.0401` is not an arXiv id: write it like `2104.04015`, `2104.04015v2` or "
         "`math/0309136`, e.g. `/hotpapers paper 2104.04015`."),
        (Form("paper", {"action": "paper"}), ReplyKind.INVALID,
         "`paper` needs an arXiv id after it, e.g. `/hotpapers paper 2104.04015`."),
        (search("zebra"), ReplyKind.EMPTY,
         "No paper in the digests I hold matches `zebra` (13 papers, listed 2021-04-12 to "
         "2021-04-13). Try other or fewer words, or look up one paper with "
         "`/hotpapers paper <arXiv id>`."),
        (Form("search", {"action": "search"}), ReplyKind.INVALID,
         "`search` needs words to look for, e.g. `/hotpapers search anomaly detection`."),
    ],
    ids=["unknown-id", "truncated-id", "no-id", "no-hits", "no-words"],
)  # fmt: skip
async def test_bad_input_is_one_short_reply(
    chat: Chat, form: Form, kind: ReplyKind, text: str
) -> None:
    assert await ask(chat, form) == (kind, text)
    previews_suppressed(chat, False)


async def test_arxiv_down_is_said_plainly(chat: Chat, deployment: Deployment) -> None:
    deployment.arxiv.down = True
    assert await ask(chat, paper("2104.99999")) == (
        ReplyKind.UNAVAILABLE,
        "arXiv didn't answer (HTTP 503 after 4 attempts); try again in a few minutes.",
    )


async def test_search_ranks_by_relevance_then_attention(chat: Chat) -> None:
    kind, text = await ask(chat, search("Anomaly detection"))
    assert (kind, text) == (ReplyKind.RESULTS, (
        "Papers matching `anomaly detection` in the digests I hold, best first:\n"
        "1. CutPaste: Self-Supervised Learning for Anomaly Detection and Localization "
        "(2021-04-12, score 8.4) https://arxiv.org/abs/2104.04015\n"
        "2. Anomaly detection in speech (2021-04-13, score 4.8) https://arxiv.org/abs/2104.05002\n"
        "3. Anomaly detection for language models (2021-04-13, score 0.0) "
        "https://arxiv.org/abs/2104.05001"
    ))  # fmt: skip
    previews_suppressed(chat, True)


async def test_search_by_author(chat: Chat) -> None:
    _, text = await ask(chat, search("turing"))
    assert text.splitlines()[1:] == [
        "1. Anomaly detection in speech (2021-04-13, score 4.8) https://arxiv.org/abs/2104.05002"
    ]


async def test_full_abstract_button(chat: Chat) -> None:
    kind, text = await press(chat, "hp:abstract:2104.04015:v1")
    assert kind is ReplyKind.PAPER
    assert text.startswith(f"{CUTPASTE}\nWe aim at constructing a high performance model")
    assert text.endswith("without annotations during training.\nhttps://arxiv.org/abs/2104.04015")
    previews_suppressed(chat, True)


async def test_more_like_this_button(chat: Chat, deployment: Deployment) -> None:
    kind, text = await press(chat, "hp:more:2104.04015:v1")
    assert [r.url.path for r in deployment.s2] == [
        "/recommendations/v1/papers/forpaper/arXiv:2104.04015"
    ]
    assert (kind, text) == (ReplyKind.RESULTS, (
        f"More like {CUTPASTE} (Semantic Scholar recommendations):\n"
        "1. PaDiM: a Patch Distribution Modeling Framework (Thomas Defard, Aleksandr Setkov, "
        "2020) https://arxiv.org/abs/2011.08785\n"
        "2. Deep One-Class ‹@\u200bU1› (x)(https://evil.example) "
        "https://www.semanticscholar.org/paper/b2"
    ))  # fmt: skip
    previews_suppressed(chat, True)


async def test_more_like_this_when_semantic_scholar_does_not_answer(
    chat: Chat, deployment: Deployment
) -> None:
    deployment.s2_answer = httpx.ConnectTimeout("no answer")
    assert await press(chat, "hp:more:2104.04015:v1") == (
        ReplyKind.UNAVAILABLE,
        "Semantic Scholar didn't answer (timed out after 20 s after 2 attempts); try again in a "
        "few minutes.",
    )


@pytest.mark.parametrize(
    "value", ["hp:more:2104.04015:v0", "hp:like:2104.04015:v1", "paper-2104.04015", ""]
)
async def test_a_button_of_an_old_message_version(chat: Chat, value: str) -> None:
    assert await press(chat, value) == (ReplyKind.INVALID, OLD_BUTTON)


async def test_an_old_slack_action_id_is_an_old_button(chat: Chat) -> None:
    if chat.platform != "slack":
        pytest.skip("Slack's action ids; Discord carries only the custom_id")
    seen: Any = await chat.press("hp:more:2104.04015:v1", action_id="more_like_this")  # type: ignore[call-arg]
    assert seen == [OLD_BUTTON.replace("<", "&lt;").replace(">", "&gt;")]
