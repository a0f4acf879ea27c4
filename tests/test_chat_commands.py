"""``/hotpapers`` on Slack and on Discord: one suite, every form, through the real SDKs.

Each test runs once per platform (``chat`` is parametrised): Slack's text and Discord's typed
options go through their platform's translation into the one ``CommandHandler``, and the suite
checks the core's reply (kind and words, the same on both), that the platform showed exactly its
translation of it to the asker, and what was posted in the channel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.command_hints import help_text
from bot.commands import CommandError, Query, WeekQuery, parse_command
from bot.handler import NO_SUBSCRIPTIONS, NOT_IN_CHANNEL, SOMETHING_WRONG
from bot.ports import ReplyKind
from bot.service import UserError
from bot.store import Store
from bot.subscription_commands import (
    NEEDS_DAY,
    NEEDS_TIME,
    NO_WEEKLY,
    REFUSAL,
    SubscriptionHandler,
)
from bot.subscriptions import SubscriptionStore
from tests.chat_drivers import CHATS, NOW, Chat, Form
from tests.factories import make_digest

DIGEST = Form("cs.CL 2021-04-12 top=2", {"category": "cs.CL", "date": "2021-04-12", "top": 2})
DEFAULT = Form("2021-04-12", {"date": "2021-04-12"})
INVITES = {
    "slack": "invite me with `/invite @Hot Papers`",
    "discord": "give me the View Channel, Send Messages, Create Public Threads and Send "
    "Messages in Threads permissions here",
}
MANAGERS = {"slack": "workspace admins and owners",
            "discord": "members with the Manage Channels permission"}  # fmt: skip


@pytest.fixture(params=sorted(CHATS))
async def chat(request: pytest.FixtureRequest) -> AsyncIterator[Chat]:
    async with CHATS[request.param]() as driver:
        yield driver


async def ask(chat: Chat, form: Form, *, manager: bool = True) -> tuple[ReplyKind, str]:
    """Send ``form``; check the asker saw exactly the platform's rendering of the core's
    replies; return the final reply's kind and text."""
    before = len(chat.handler.replies)
    seen = await chat.ask(form, manager=manager)
    replies = chat.handler.replies[before:]
    assert seen == chat.shown(replies)
    return replies[-1].kind, replies[-1].text


async def test_a_digest_is_posted_as_a_thread(chat: Chat) -> None:
    kind, text = await ask(chat, DIGEST)
    assert (kind, text) == (
        ReplyKind.POSTED,
        "Posted Hot Papers 2021-04-12 (2 papers in cs.CL) in its thread.",
    )
    assert chat.service.queries == [Query(("cs.CL",), dt.date(2021, 4, 12), 2)]
    header, *replies = chat.thread()
    assert "Hot Papers 2021-04-12" in str(header)
    assert len(replies) == 2 and "Paper number 1: a study" in str(replies[0])
    working = chat.handler.replies[0]
    assert (working.kind, working.text) == (
        ReplyKind.WORKING,
        "Looking up Hot Papers for cs.CL on 2021-04-12 (top 2); the thread follows here.",
    )


async def test_defaults_fill_what_is_not_given(chat: Chat) -> None:
    await ask(chat, DEFAULT)
    assert chat.service.queries == [Query(("cs.CL",), dt.date(2021, 4, 12), 10)]


async def test_help_names_the_forms_this_platform_uses(chat: Chat) -> None:
    kind, text = await ask(chat, Form("help", {"action": "help"}))
    assert (kind, text) == (
        ReplyKind.HELP,
        help_text(options=chat.platform == "discord", max_top=50),
    )
    assert chat.thread() == [] and chat.service.queries == []


@pytest.mark.parametrize(
    ("form", "text"),
    [
        (Form("cs.CLL 2021-04-12", {"category": "cs.CLL", "date": "2021-04-12"}),
         "cs.CLL 2021-04-12"),
        (Form("cs.CL 2021-04-10", {"category": "cs.CL", "date": "2021-04-10"}),
         "cs.CL 2021-04-10"),
        (Form("2031-01-01", {"date": "2031-01-01"}), "2031-01-01"),
        (Form("subscribe cs.CL at 25:00", {"action": "subscribe", "category": "cs.CL",
                                            "time": "25:00"}), "subscribe cs.CL at 25:00"),
    ],
    ids=["unknown-category", "weekend", "future", "bad-time"],
)  # fmt: skip
async def test_bad_input_gets_the_parsers_reply_and_nothing_else(
    chat: Chat, form: Form, text: str
) -> None:
    with pytest.raises(CommandError) as expected:
        parse_command(text, now=NOW, default_categories=["cs.CL"], default_top=10)
    assert await ask(chat, form) == (ReplyKind.INVALID, str(expected.value))
    assert chat.thread() == [] and chat.service.queries == []


async def test_a_weekend_names_the_nearest_listing(chat: Chat) -> None:
    _, text = await ask(chat, Form("2021-04-10", {"date": "2021-04-10"}))
    assert "2021-04-09" in text


@pytest.mark.parametrize(
    ("outcome", "kind", "text"),
    [
        (UserError("arXiv did not answer; try again in a few minutes."), ReplyKind.UNAVAILABLE,
         "arXiv did not answer; try again in a few minutes."),
        (make_digest(0), ReplyKind.EMPTY,
         "No paper in cs.CL on 2021-04-12 (top 10) got any attention yet."),
        (RuntimeError("boom"), ReplyKind.FAILED, SOMETHING_WRONG),
    ],
    ids=["source-unavailable", "no-attention", "a-bug"],
)  # fmt: skip
async def test_a_digest_that_cannot_be_built_is_explained(
    chat: Chat, outcome: object, kind: ReplyKind, text: str
) -> None:
    chat.service.outcome = outcome  # type: ignore[assignment]
    assert await ask(chat, DEFAULT) == (kind, text)
    assert chat.thread() == []


async def test_a_channel_the_bot_is_not_in_says_how_to_invite_it(chat: Chat) -> None:
    chat.refuse_posts()
    kind, text = await ask(chat, DIGEST)
    invite = INVITES[chat.platform]
    assert (kind, text) == (ReplyKind.NOT_IN_CHANNEL, NOT_IN_CHANNEL.format(invite=invite))
    assert chat.thread() == []


async def test_subscriptions_without_a_handler_point_at_the_cli(chat: Chat) -> None:
    kind, text = await ask(chat, Form("unsubscribe", {"action": "unsubscribe"}))
    expected = NO_SUBSCRIPTIONS.format(platform=chat.platform, channel=chat.channel)
    assert (kind, text) == (ReplyKind.SUBSCRIPTION, expected)


@pytest.fixture(params=sorted(CHATS))
async def subscribing(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Chat, SubscriptionStore]]:
    store = Store(f"sqlite:///{tmp_path / 'subs.sqlite3'}")
    subs = SubscriptionStore(store, FakeClock(NOW))
    async with CHATS[request.param](SubscriptionHandler(subs, FakeClock(NOW))) as driver:
        yield driver, subs
    store.close()


SUBSCRIBE = Form(
    "subscribe cs.CL at 09:00 Europe/Berlin top=3",
    {"action": "subscribe", "category": "cs.CL", "time": "09:00 Europe/Berlin", "top": 3},
)


async def test_managers_subscribe_others_are_refused_anyone_reads_settings(
    subscribing: tuple[Chat, SubscriptionStore],
) -> None:
    chat, subs = subscribing
    refused = await ask(chat, SUBSCRIBE, manager=False)
    managers = MANAGERS[chat.platform]
    assert refused == (ReplyKind.REFUSED, REFUSAL.format(managers=managers))
    assert subs.list_all() == []

    kind, text = await ask(chat, SUBSCRIBE)
    assert kind is ReplyKind.SUBSCRIPTION
    assert text == (
        "Subscribed: this channel gets Hot Papers for cs.CL at 09:00 Europe/Berlin, top 3, on "
        "every arXiv listing day. Next: Wednesday 2021-04-14 09:00 Europe/Berlin (the listing "
        "of Wednesday 2021-04-14)."
    )
    (sub,) = subs.list_all()
    assert (sub.platform, sub.workspace, sub.channel) == (
        chat.platform, chat.workspace, chat.channel
    )  # fmt: skip
    assert (sub.categories, sub.time, sub.tz, sub.top) == (
        ("cs.CL",), dt.time(9, 0), "Europe/Berlin", 3
    )  # fmt: skip

    kind, text = await ask(chat, Form("settings", {"action": "settings"}), manager=False)
    assert kind is ReplyKind.SUBSCRIPTION
    assert text.startswith("This channel gets Hot Papers for cs.CL at 09:00 Europe/Berlin, top 3.")
    assert chat.thread() == []


async def test_a_subscribe_changes_only_what_it_names(
    subscribing: tuple[Chat, SubscriptionStore],
) -> None:
    chat, subs = subscribing
    first = Form("subscribe cs.CL", {"action": "subscribe", "category": "cs.CL"})
    assert await ask(chat, first) == (ReplyKind.INVALID, NEEDS_TIME)  # a new one needs a time
    await ask(chat, SUBSCRIBE)  # cs.CL at 09:00 Europe/Berlin, top 3
    settings = Form(
        "subscribe include=llm,agents exclude=survey notify=on",
        {"action": "subscribe", "include": "llm,agents", "exclude": "survey", "notify": "on"},
    )
    kind, _ = await ask(chat, settings)
    assert kind is ReplyKind.SUBSCRIPTION
    moved = Form("subscribe cs.AI at 07:30", {"action": "subscribe", "category": "cs.AI",
                                              "time": "07:30"})  # fmt: skip
    kind, text = await ask(chat, moved)
    assert text.startswith(
        "Updated the subscription: this channel gets Hot Papers for cs.AI at 07:30 "
        "Europe/Berlin, top 3, only papers mentioning llm or agents, without survey, with a "
        "line on arXiv holidays, on every arXiv listing day."
    )
    (sub,) = subs.list_all()
    assert (sub.categories, sub.time, sub.tz, sub.top) == (
        ("cs.AI",), dt.time(7, 30), "Europe/Berlin", 3
    )  # fmt: skip
    assert (sub.include, sub.exclude, sub.notify_no_listing) == (
        ("llm", "agents"),
        ("survey",),
        True,
    )

    clash = Form("subscribe exclude=LLM", {"action": "subscribe", "exclude": "LLM"})
    kind, text = await ask(chat, clash)  # against the kept include=llm
    assert (kind, text) == (
        ReplyKind.INVALID,
        "`llm` cannot be both included and excluded; drop it from one of them "
        "(`include=none` or `exclude=none` clears a filter).",
    )
    cleared = Form("subscribe include=none notify=off",
                   {"action": "subscribe", "include": "none", "notify": "off"})  # fmt: skip
    await ask(chat, cleared)
    (sub,) = subs.list_all()
    assert (sub.include, sub.exclude, sub.notify_no_listing) == ((), ("survey",), False)
    assert (sub.categories, sub.time, sub.tz, sub.top) == (
        ("cs.AI",), dt.time(7, 30), "Europe/Berlin", 3
    )  # fmt: skip
    assert chat.thread() == []


async def test_catching_fire_is_set_per_channel_from_chat(
    subscribing: tuple[Chat, SubscriptionStore],
) -> None:
    chat, subs = subscribing
    await ask(chat, SUBSCRIBE)  # cs.CL at 09:00 Europe/Berlin, top 3
    (sub,) = subs.list_all()
    assert sub.catching_fire_days is None  # the deployment's HOTPAPERS_CATCHING_FIRE_DAYS
    five = Form("subscribe catching=5", {"action": "subscribe", "catching": "5"})
    kind, text = await ask(chat, five)
    assert (kind, text.split(", on every")[0]) == (
        ReplyKind.SUBSCRIPTION,
        "Updated the subscription: this channel gets Hot Papers for cs.CL at 09:00 "
        "Europe/Berlin, top 3, Catching fire from the last 5 listing days",
    )
    assert subs.list_all()[0].catching_fire_days == 5
    off = Form("subscribe catching=off", {"action": "subscribe", "catching": "off"})
    kind, text = await ask(chat, off)
    assert "top 3, no Catching fire, on every arXiv listing day" in text
    (sub,) = subs.list_all()
    assert (sub.catching_fire_days, sub.top, sub.time) == (0, 3, dt.time(9, 0))


# -- the weekly roundup: /hotpapers week, and a channel's weekly subscription --------------------

WEEK = Form("week cs.CL top=2", {"action": "week", "category": "cs.CL", "top": 2})


async def test_a_week_is_posted_as_one_thread(chat: Chat) -> None:
    kind, text = await ask(chat, WEEK)
    assert (kind, text) == (
        ReplyKind.POSTED,
        "Posted Hot Papers, week of 2021-04-12 to 2021-04-13 (2 papers in cs.CL) in its thread.",
    )
    # NOW is Tuesday 2021-04-13 12:00 UTC: the latest listing is Tuesday's.
    assert chat.service.queries == [WeekQuery(("cs.CL",), dt.date(2021, 4, 13), 2)]
    header, *replies = chat.thread()
    assert "Hot Papers, week of 2021-04-12 to 2021-04-13" in str(header)
    assert "Hot Papers 2021-04-13" not in str(header)
    assert len(replies) == 2 and "Paper number 1: a study" in str(replies[0])
    assert "Paper number 2: a study" in str(replies[1])
    working = chat.handler.replies[0]
    assert (working.kind, working.text) == (
        ReplyKind.WORKING,
        "Looking up Hot Papers for cs.CL the week up to 2021-04-13 (top 2); the thread follows "
        "here.",
    )


async def test_a_week_with_bad_input_posts_nothing(chat: Chat) -> None:
    bad = Form("week cs.CLL", {"action": "week", "category": "cs.CLL"})
    with pytest.raises(CommandError) as expected:
        parse_command("week cs.CLL", now=NOW, default_categories=["cs.CL"], default_top=10)
    assert await ask(chat, bad) == (ReplyKind.INVALID, str(expected.value))
    assert str(expected.value).startswith("Unknown category `cs.CLL`. Did you mean")
    assert chat.thread() == [] and chat.service.queries == []

    nothing = "nothing stored for the week of 2021-04-12 to 2021-04-13 (cs.CL)"
    chat.service.outcome = UserError(nothing)
    assert await ask(chat, WEEK) == (ReplyKind.UNAVAILABLE, nothing)
    assert chat.thread() == []


WEEKLY = Form(
    "subscribe week friday 16:00 Europe/Berlin cs.CL",
    {"action": "subscribe", "week_day": "friday", "time": "16:00 Europe/Berlin",
     "category": "cs.CL"},
)  # fmt: skip


async def test_a_channel_has_a_daily_and_a_weekly_subscription(
    subscribing: tuple[Chat, SubscriptionStore],
) -> None:
    chat, subs = subscribing
    no_day = Form("subscribe week 16:00", {"action": "subscribe", "time": "16:00"})
    if chat.platform == "slack":  # Discord's week_day option is the weekly switch itself
        assert await ask(chat, no_day) == (ReplyKind.INVALID, NEEDS_DAY)
    await ask(chat, SUBSCRIBE)  # the daily one: cs.CL at 09:00 Europe/Berlin, top 3
    assert await ask(chat, WEEKLY) == (
        ReplyKind.SUBSCRIPTION,
        "Subscribed: this channel gets the weekly Hot Papers roundup for cs.CL every Friday at "
        "16:00 Europe/Berlin, top 10. Next: Friday 2021-04-16 16:00 Europe/Berlin (the week up "
        "to the listing of Friday 2021-04-16).",
    )
    daily, weekly = subs.list_all()
    assert (daily.week_day, daily.time, daily.top) == (None, dt.time(9, 0), 3)
    assert (weekly.week_day, weekly.time, weekly.tz, weekly.categories) == (
        4, dt.time(16, 0), "Europe/Berlin", ("cs.CL",)
    )  # fmt: skip

    kind, text = await ask(chat, Form("settings", {"action": "settings"}), manager=False)
    assert text.splitlines() == [
        "This channel gets Hot Papers for cs.CL at 09:00 Europe/Berlin, top 3. Next: Wednesday "
        "2021-04-14 09:00 Europe/Berlin (the listing of Wednesday 2021-04-14). Change it with "
        "`/hotpapers subscribe ...`, stop it with `/hotpapers unsubscribe`.",
        "This channel gets the weekly Hot Papers roundup for cs.CL every Friday at 16:00 "
        "Europe/Berlin, top 10. Next: Friday 2021-04-16 16:00 Europe/Berlin (the week up to the "
        "listing of Friday 2021-04-16). Change it with `/hotpapers subscribe week ...`, stop it "
        "with `/hotpapers unsubscribe week`.",
    ]

    stop = Form("unsubscribe week", {"action": "unsubscribe", "week_day": "friday"})
    assert await ask(chat, stop) == (
        ReplyKind.SUBSCRIPTION,
        "Unsubscribed: this channel no longer gets the weekly Hot Papers roundup (cs.CL every "
        "Friday at 16:00 Europe/Berlin, top 10).",
    )
    assert [s.week_day for s in subs.list_all()] == [None]  # the daily one stays
    assert await ask(chat, stop) == (ReplyKind.SUBSCRIPTION, NO_WEEKLY)
    assert chat.thread() == []
