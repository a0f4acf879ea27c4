"""Exactly once by reconciliation: a message the platform accepted but the ledger never recorded
is read back from the platform and adopted, not posted again.

The window is opened on purpose: the ledger refuses to record one part (as a database gone
mid-thread, or a kill between the platform's answer and the write, would leave it), the run
stops, and the next run must finish the thread with every paper exactly once.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from adapters.slack import SlackAdapter, make_slack_adapter
from adapters.slack_thread import MAX_PAGES
from bot.clock import FakeClock
from bot.config import Settings
from bot.ledger import Claim, Ledger
from bot.posting import Posted, deliver
from bot.store import Store, StoreError
from tests.factories import make_digest
from tests.fake_slack import FakeSlack, fake_slack_fixture  # noqa: F401 (the fixture)

NOW = dt.datetime(2021, 4, 13, 12, 0, tzinfo=dt.UTC)


class LosingLedger(Ledger):
    """Refuses, once, to record ``lose``: the platform has the message, the ledger does not."""

    def __init__(self, *args: object, lose: str, **kw: object) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self.lose: str | None = lose

    def record(
        self, claim: Claim, part: str, message_id: str, thread_id: str | None,
        arxiv_id: str | None = None,
    ) -> None:  # fmt: skip
        if part == self.lose:
            self.lose = None
            raise StoreError("the database is unavailable (connection refused)")
        super().record(claim, part, message_id, thread_id, arxiv_id)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def adapter(fake_slack: FakeSlack, clock: FakeClock) -> SlackAdapter:
    settings = Settings(_env_file=None, slack_api_url=fake_slack.api_url, slack_bot_token="xoxb-t")
    return make_slack_adapter(settings, clock)


def papers_in(fake: FakeSlack, channel: str) -> list[str]:
    """The arXiv ids of the replies in the channel's thread(s), in order, as Slack holds them."""
    return [
        m["metadata"]["event_payload"]["arxiv_id"]
        for m in fake.messages.get(channel, [])
        if m.get("thread_ts")
    ]


@pytest.mark.parametrize("lost", ["header", "1", "3", "5"])
async def test_a_message_the_ledger_lost_is_adopted_not_posted_twice(
    fake_slack: FakeSlack, adapter: SlackAdapter, clock: FakeClock, tmp_path: Path, lost: str
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hp.db'}")
    digest = make_digest(5)
    first = LosingLedger(store, "a", clock, lose=lost)
    with pytest.raises(StoreError):
        await deliver(adapter, first, "T1", "C1", digest)
    posted_before = len(fake_slack.posts)
    assert posted_before == (1 if lost == "header" else int(lost) + 1)

    outcome = await deliver(adapter, Ledger(store, "b", clock), "T1", "C1", digest)
    store.close()
    assert outcome.status is Posted.RESUMED
    headers = [m for m in fake_slack.messages["C1"] if "thread_ts" not in m]
    assert len(headers) == 1  # no orphan header above the thread
    assert papers_in(fake_slack, "C1") == [e.paper.arxiv_id for e in digest.entries]
    assert {m["thread_ts"] for m in fake_slack.messages["C1"] if "thread_ts" in m} == {
        headers[0]["ts"]
    }
    reads = [c.method for c in fake_slack.calls if c.method.startswith("conversations.")]
    # The thread is read back once; a header the ledger never saw is found in the history first.
    expected = ["conversations.replies"]
    assert reads == (["conversations.history", *expected] if lost == "header" else expected)
    assert len(fake_slack.posts) == 1 + len(digest.entries)


async def test_a_done_thread_is_never_read_back(
    fake_slack: FakeSlack, adapter: SlackAdapter, clock: FakeClock, store: Store
) -> None:
    ledger = Ledger(store, "a", clock)
    assert (await deliver(adapter, ledger, "T1", "C1", make_digest(2))).status is Posted.POSTED
    assert (await deliver(adapter, ledger, "T1", "C1", make_digest(2))).status is Posted.ALREADY
    assert [c.method for c in fake_slack.calls] == ["chat.postMessage"] * 3


async def test_another_digest_in_the_channel_is_not_adopted(
    fake_slack: FakeSlack, adapter: SlackAdapter, clock: FakeClock, store: Store
) -> None:
    other = make_digest(2, categories=("cs.LG",))
    await deliver(adapter, Ledger(store, "x", clock), "T1", "C1", other)  # cs.LG, done
    digest = make_digest(2)
    with pytest.raises(StoreError):
        await deliver(adapter, LosingLedger(store, "a", clock, lose="header"), "T1", "C1", digest)
    await deliver(adapter, Ledger(store, "b", clock), "T1", "C1", digest)
    tags = [m["metadata"]["event_payload"]["digest"] for m in fake_slack.messages["C1"]]
    assert tags == ["2021-04-12 cs.LG"] * 3 + ["2021-04-12 cs.CL"] * 3


async def test_a_platform_that_cannot_be_read_falls_back_to_the_ledger(
    fake_slack: FakeSlack, adapter: SlackAdapter, clock: FakeClock, store: Store, caplog
) -> None:
    digest = make_digest(3)
    with pytest.raises(StoreError):
        await deliver(adapter, LosingLedger(store, "a", clock, lose="2"), "T1", "C1", digest)
    # Slack keeps rate limiting the read past the client's retries: the thread cannot be read.
    fake_slack.rate_limit(MAX_PAGES, method="conversations.replies", retry_after=0)
    outcome = await deliver(adapter, Ledger(store, "b", clock), "T1", "C1", digest)
    assert outcome.ok
    # Reply 2 was accepted but never recorded, and could not be read back: it is there twice.
    assert papers_in(fake_slack, "C1") == ["2104.04001", "2104.04002", "2104.04002", "2104.04003"]
    assert "could not read back the thread in C1" in caplog.text
