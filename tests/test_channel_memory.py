"""A channel's memory across days, through the real posting path (``bot.posting.deliver``, the
ledger) against the fake Slack and the console: a paper already featured in the channel is not
repeated unless rising, and then it is marked so (tests/trend_days.py)."""

from __future__ import annotations

import datetime as dt
import io

from adapters.console import ConsoleAdapter
from adapters.discord_embeds import thread_payloads as discord_payloads
from adapters.slack import SlackAdapter, make_slack_adapter
from bot.clock import FakeClock
from bot.ledger import Ledger
from bot.memory import featured
from bot.posting import Posted, deliver
from bot.store import Store
from tests.fake_slack import FakeSlack, fake_slack_fixture  # noqa: F401 (the fixture)
from tests.test_slack_adapter import settings_for
from tests.trend_days import A2, A3, B1, BUILT, C1, MON, TUE, WED, build_days


def replies(fake: FakeSlack, thread: str) -> list[str]:
    return [p["text"] for p in fake.posts if p.get("thread_ts") == thread]


def first_section(post: dict[str, object]) -> list[str]:
    blocks = post["blocks"]
    assert isinstance(blocks, list)
    return [b["text"]["text"] for b in blocks if b["type"] in ("header", "section")][:2]


async def test_a_repeated_paper_is_posted_only_when_rising_and_marked(
    store: Store, fake_slack: FakeSlack
) -> None:
    digests = await build_days(store)
    clock = FakeClock(BUILT[TUE])
    adapter: SlackAdapter = make_slack_adapter(settings_for(fake_slack.api_url), clock)
    ledger = Ledger(store, "test", clock)
    outcomes = {}
    for day in (TUE, WED):
        clock.set(BUILT[day])
        outcomes[day] = await deliver(adapter, ledger, "T1", "C1", digests[day])
    assert [o.status for o in outcomes.values()] == [Posted.POSTED, Posted.POSTED]
    tue, wed = (o.delivery.thread_id for o in outcomes.values() if o.delivery)
    assert replies(fake_slack, tue) == [
        f"1. Paper {A2} (score 2.0)", f"2. Paper {B1} (score 4.0)", f"3. Paper {C1} (score 3.0)",
    ]  # fmt: skip
    # Wednesday: B1 again, because it is rising; C1 (+0 in 24 h) is not repeated.
    assert replies(fake_slack, wed) == [
        f"1. Paper {A3} (score 2.0)", f"2. Paper {B1} (score 15.0)",
    ]  # fmt: skip
    b1 = [p for p in fake_slack.posts if p.get("thread_ts") == wed][1]
    assert first_section(b1) == [
        "Catching fire",
        f"*2. <https://arxiv.org/abs/{B1}|Paper {B1}>*\nAda Lovelace\n_cs.CL_\n"
        "Discussed by 15 people on Bluesky.\n"
        "_listed 2026-11-16 · featured here on 2026-11-17, rising (+11 in 24 h)_",
    ]
    # What the ledger knows of the channel: every paper with the listing it was featured in.
    assert featured(store, "slack", "T1", "C1", WED, [A2, B1, C1, A3]) == {
        A2: TUE, B1: TUE, C1: TUE
    }  # fmt: skip
    thursday = WED + dt.timedelta(days=1)
    assert featured(store, "slack", "T1", "C1", thursday, [A3, B1]) == {A3: WED, B1: TUE}
    # Another channel has no memory: it gets Wednesday whole.
    other = await deliver(adapter, ledger, "T1", "C2", digests[WED])
    assert [e.paper.arxiv_id for e in other.digest.thread_entries] == [A3, B1, C1]


async def test_the_console_thread_remembers_too(store: Store) -> None:
    digests = await build_days(store)
    out = io.StringIO()
    console = ConsoleAdapter(out)
    ledger = Ledger(store, "test", FakeClock(BUILT[WED]))
    for day in (MON, TUE, WED):
        await deliver(console, ledger, "local", "#papers", digests[day])
    wednesday = out.getvalue().split("[#papers] Hot Papers 2026-11-18")[1]
    assert f"Paper {C1}" not in wednesday
    assert "featured here on 2026-11-17, rising (+11 in 24 h)" in wednesday
    # Posting Wednesday again (--force) forgets nothing of the earlier days, and nothing of itself.
    again = await deliver(console, ledger, "local", "#papers", digests[WED], force=True)
    assert [e.paper.arxiv_id for e in again.digest.thread_entries] == [A3, B1]


async def test_discord_shows_the_catching_fire_header_above_the_section(store: Store) -> None:
    wednesday = (await build_days(store))[WED]
    payloads = discord_payloads(wednesday)
    assert [p.get("content") for p in payloads] == [None, None, "**Catching fire**", None]
    b1 = payloads[2]["embeds"][0]
    assert "*listed 2026-11-16 · rising (+11 in 24 h)*" in b1["description"]
    assert all(p["allowed_mentions"] == {"parse": []} for p in payloads)
