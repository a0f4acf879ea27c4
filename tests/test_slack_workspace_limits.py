"""Slack's limits kept by the production adapters against a fake that enforces them.

The loopback fake answers 429 + ``Retry-After`` to a message less than 1 s after the channel's
previous one, and to one beyond a workspace's messages-per-minute; every wait is on the
``FakeClock`` the fake also reads (no sleeping). Through ``SlackAdapters`` (one adapter per
workspace token, one HTTP session), many channels of two workspaces post at once.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from adapters.slack_pool import SlackAdapters
from adapters.slack_rate import WorkspaceBudget, channels_in_flight
from bot.clock import FakeClock
from bot.config import Settings
from bot.ledger import Ledger
from bot.posting import Posted, deliver
from bot.store import Store
from tests.factories import make_digest
from tests.fake_slack import FakeSlack, fake_slack_fixture  # noqa: F401 (the fixture)

CHANNELS = {f"C{n:04d}": f"T{n % 2}" for n in range(12)}  # 6 channels in each of 2 workspaces
TOP = 4  # 5 messages a thread: 30 a workspace


async def fan_out(
    fake: FakeSlack, store: Store, clock: FakeClock, per_minute: int
) -> SlackAdapters:
    settings = Settings(_env_file=None, slack_api_url=fake.api_url)
    pool = SlackAdapters(settings, clock, token_of=lambda ws: "xoxb-" + ws, per_minute=per_minute)
    ledger, digest = Ledger(store, "host", clock), make_digest(TOP)

    async def one(channel: str, workspace: str) -> Posted:
        adapter = await pool.for_workspace(workspace)
        return (await deliver(adapter, ledger, workspace, channel, digest)).status

    try:
        statuses = await asyncio.gather(*(one(c, ws) for c, ws in CHANNELS.items()))
    finally:
        await pool.close()
    assert set(statuses) == {Posted.POSTED}
    posts = [c for c in fake.calls_to("chat.postMessage") if c.ok]
    assert Counter(p.body["channel"] for p in posts) == {c: TOP + 1 for c in CHANNELS}
    return pool


async def test_the_budget_keeps_both_limits_without_a_429(
    fake_slack: FakeSlack, store: Store
) -> None:
    clock = FakeClock()
    fake_slack.limit_channels(clock, 1.0)
    fake_slack.limit_workspaces(clock, per_minute=20)  # 30 messages a workspace need 2 minutes
    await fan_out(fake_slack, store, clock, per_minute=20)
    # Neither limit is crossed by the bot's own pacing: 60 messages, 2 workspaces at 20 a minute.
    # The fake clock is shared, so another task's sleep can move a request's arrival past its
    # turn (like network jitter): a rare 429 from that is waited out, never a failure.
    assert fake_slack.limited <= 2


async def test_a_workspace_limit_lower_than_configured_is_learnt_from_429s(
    fake_slack: FakeSlack, store: Store
) -> None:
    clock = FakeClock()
    fake_slack.limit_channels(clock, 1.0)
    fake_slack.limit_workspaces(clock, per_minute=20)
    settings = Settings(_env_file=None, slack_api_url=fake_slack.api_url)
    pool = SlackAdapters(settings, clock, token_of=lambda ws: "xoxb-" + ws, per_minute=25)
    ledger, digest = Ledger(store, "host", clock), make_digest(TOP)
    adapters = {c: await pool.for_workspace(ws) for c, ws in CHANNELS.items()}
    outcomes = await asyncio.gather(
        *(deliver(adapters[c], ledger, ws, c, digest) for c, ws in CHANNELS.items())
    )
    budgets = pool.budgets()
    await pool.close()
    assert {o.status for o in outcomes} == {Posted.POSTED}  # every 429 waited out and retried
    assert fake_slack.limited > 0
    posts = [c for c in fake_slack.calls_to("chat.postMessage") if c.ok]
    assert Counter(p.body["channel"] for p in posts) == {c: TOP + 1 for c in CHANNELS}
    assert set(budgets) == {"T0", "T1"}
    # Learnt from 429s: every workspace that met one shrank its budget below the setting. (The
    # fake clock is shared: one workspace's waits can spread another's posts enough that it never
    # crosses its limit, so "every workspace met a 429" would depend on the interleaving.)
    assert any(b.limited > 0 for b in budgets.values())
    assert all(b.calls < 25 for b in budgets.values() if b.limited > 0)


def test_slots_per_workspace_follow_the_budget() -> None:
    assert channels_in_flight(300) == 6  # 5 a second, a channel at 1 a second, and one waiting
    assert channels_in_flight(60) == 2
    budget = WorkspaceBudget(300, FakeClock(), "T1")
    budget.rate_limited(30)
    assert (budget.calls, budget.limited) == (270, 1)
    assert budget.next_start() >= FakeClock().monotonic() + 30
    for _ in range(50):
        budget.rate_limited(1)
    assert budget.calls == 30  # never below a tenth of the setting


async def test_instances_share_each_workspace_budget() -> None:
    """Slack's limit is per app per workspace: N instances keep 1/N each."""
    pool = SlackAdapters(Settings(_env_file=None), FakeClock(), token_of=lambda ws: "xoxb-" + ws,
                         per_minute=300)  # fmt: skip
    first = await pool.for_workspace("T1")
    assert first is await pool.for_workspace("T1")  # one adapter (and session) per token
    pool.share(3)
    later = await pool.for_workspace("T2")
    assert {ws: b.calls for ws, b in pool.budgets().items()} == {"T1": 100, "T2": 100}
    assert first.client.session is later.client.session  # one HTTP session for every workspace
    pool.share(1)
    assert {b.calls for b in pool.budgets().values()} == {300}
    await pool.close()


async def test_slash_command_threads_post_through_their_workspace_adapter() -> None:
    """A busy workspace's ``/hotpapers`` threads and its scheduled posts go through one adapter:
    one budget, one session, one 429 learning (the bench's 100 commands in one workspace drew
    440 429s when each answer posted through Bolt's client alone)."""
    from slack_sdk.web.async_client import AsyncWebClient

    from adapters.slack_app import SlashCommand
    from adapters.slack_client import ChannelPacer
    from bot.ports import Reply, ReplyKind

    clock = FakeClock()
    tokens = {"T1": "xoxb-T1"}
    pool = SlackAdapters(Settings(_env_file=None), clock, token_of=tokens.get, per_minute=300)
    seen: list[object] = []

    class Handler:
        async def answer(self, request: object, conversation: object) -> Reply:
            seen.append(getattr(conversation, "adapter"))  # noqa: B009
            return Reply(ReplyKind.HELP, "help")

    async def respond(**_: object) -> None:
        return None

    slash = SlashCommand(Handler(), clock, ChannelPacer(clock), pool.for_workspace)  # type: ignore[arg-type]
    client = AsyncWebClient(token="xoxb-T1")  # Bolt's per-request client; nothing is sent
    for team in ("T1", "T9"):  # T9: no token known, so Bolt's client posts its thread
        command = {"team_id": team, "channel_id": "C0123456789", "user_id": "U1", "text": "help"}
        await slash(command, respond, client)
    scheduled = await pool.for_workspace("T1")
    assert seen[0] is scheduled and scheduled.budget is pool.budget("T1")
    assert getattr(seen[1], "client") is client and getattr(seen[1], "budget") is None  # noqa: B009
    await pool.close()
