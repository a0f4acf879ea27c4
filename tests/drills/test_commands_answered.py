"""Random ``/hotpapers`` texts through Slack's real command path: each one answered, sensibly.

``test_commands_fuzz`` proves the parser never raises anything but a ``CommandError`` (10,000
texts in a deep run, ``tests/budget.py``); this drill closes the rest of "always answer": what
Bolt runs after the ack (``SlashCommand`` in front of the core's ``CommandHandler``) turns
whatever the parser says into replies. Each text must get at least one ephemeral reply, never the
"Something went wrong" of an unexpected exception, every reply non-empty, within Slack's size,
escaped (the user's ``<!channel>`` is shown, not sent), and answering a query with the digest it
asked for.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack_app import SlashCommand
from adapters.slack_blocks import MAX_FALLBACK_TEXT, escape_mrkdwn
from adapters.slack_client import ChannelPacer
from bot.clock import FakeClock
from bot.commands import Query
from bot.config import Settings
from bot.handler import SOMETHING_WRONG, CommandHandler
from bot.models import Digest
from tests.budget import examples
from tests.drills.test_commands_fuzz import WORDS
from tests.factories import make_digest

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
TEXTS = st.one_of(
    st.text(max_size=300),
    st.lists(WORDS, max_size=12).map(" ".join),
    st.lists(WORDS, min_size=200, max_size=600).map(" ".join),  # up to Slack's ~4,000 chars
)


class NoAttention:
    """Every query answered with a digest of no entry: the handler replies and posts nothing."""

    def __init__(self) -> None:
        self.queries: list[Query] = []

    async def digest_for(self, query: Query) -> Digest:
        self.queries.append(query)
        return make_digest(0, date=query.date, categories=tuple(query.categories))


async def answer(text: str) -> tuple[list[dict[str, Any]], list[Query]]:
    clock = FakeClock(NOW)
    config = Settings(_env_file=None)  # type: ignore[call-arg]
    service = NoAttention()
    command = SlashCommand(CommandHandler(config, service, clock), clock, ChannelPacer(clock))
    replies: list[dict[str, Any]] = []

    async def respond(**reply: Any) -> None:
        replies.append(reply)

    slash = {"text": text, "team_id": "T1", "channel_id": "C1", "user_id": "U1"}
    client = AsyncWebClient(token="xoxb-drill", base_url="http://127.0.0.1:9/")  # never asked
    await command(slash, respond, client)
    return replies, service.queries


@pytest.mark.drill
@settings(
    max_examples=examples(1_000, 150), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(text=TEXTS)
@example(text="cs.CL 2021-04-12 top 5")  # a query, answered with its own date and top
@example(text="cs.XX <!channel> @everyone")  # an error echoing the user's text, escaped
def test_every_text_gets_an_escaped_answer_and_never_something_went_wrong(text: str) -> None:
    replies, queries = asyncio.run(answer(text))
    assert replies, "no answer"
    for reply in replies:
        assert reply["response_type"] == "ephemeral"
        assert reply["text"].strip()
        assert reply["text"] != escape_mrkdwn(SOMETHING_WRONG)
        assert len(reply["text"]) <= MAX_FALLBACK_TEXT
        assert "<" not in reply["text"] and ">" not in reply["text"]  # escaped: &lt; &gt;
    if queries:  # a query: "Looking up ...", then the outcome of the very query parsed
        query = queries[0]
        assert len(replies) == 2 and replies[0]["text"].startswith("Looking up Hot Papers for ")
        assert replies[1]["text"].startswith("No paper in ")
        assert f"on {query.date.isoformat()} (top {query.top})" in replies[1]["text"]
