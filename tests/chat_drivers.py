"""Drive ``/hotpapers`` through a real platform SDK against its loopback fake, the same way for
Slack and Discord, so one parametrised suite (``tests/test_chat_commands.py``) covers both.

Each driver starts the production translation (Bolt's app on an aiohttp server; discord.py's
gateway client) in front of one real ``bot.handler.CommandHandler``, sends a command in its
platform's own form (Slack's text, Discord's typed options), and reads back what the asker saw
(ephemeral replies) and what the channel got (the thread's messages), from the fake's records.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.discord_bot import DiscordBot
from adapters.slack_app import build_slack_app, slack_routes
from bot.clock import Clock, FakeClock
from bot.commands import Query, WeekQuery
from bot.config import Settings
from bot.handler import CommandHandler, Subscriptions, Talker
from bot.models import Digest, Week
from bot.ports import Conversation, Reply, Request
from bot.weekly import week_days
from tests.factories import make_digest
from tests.fake_discord import FakeDiscord, point_gateway_at, serving
from tests.fake_slack import FakeSlack

NOW = dt.datetime(2021, 4, 13, 12, 0, tzinfo=dt.UTC)
SECRET = "test-signing-secret"
TOKEN = "xoxb-single-workspace"
MANAGER_PERMISSIONS = "2251799813685247"  # every permission, Manage Channels included
#: Slack gives every slash command its own trigger_id: two commands never share a body (the same
#: body and timestamp twice is a replay, which the endpoint acknowledges and ignores).
TRIGGERS = (f"{n}.2.3" for n in itertools.count(1))


@dataclass(frozen=True)
class Form:
    """One command as each platform's user types it: Slack's text, Discord's options."""

    text: str
    options: dict[str, Any]

    def discord_options(self) -> list[dict[str, Any]]:
        return [
            {"name": name, "type": 4 if name == "top" else 3, "value": value}
            for name, value in self.options.items()
        ]


class FakeService:
    """``DigestService``'s surface: a digest of ``query.top`` papers, or ``outcome`` (raised when
    an exception). ``release`` holds a build back until set."""

    def __init__(self) -> None:
        self.queries: list[Query | WeekQuery] = []
        self.outcome: Digest | Exception | None = None
        self.release = asyncio.Event()
        self.release.set()

    async def digest_for(self, query: Query | WeekQuery) -> Digest:
        self.queries.append(query)
        await self.release.wait()
        if isinstance(self.outcome, Exception):
            raise self.outcome
        if self.outcome is not None:
            return self.outcome
        if isinstance(query, WeekQuery):
            days = week_days(query.date)
            week = Week(start=days[0], end=query.date, days=days)
            return make_digest(query.top, categories=query.categories, date=query.date, week=week)
        return make_digest(query.top, categories=query.categories, date=query.date)


class RecordingHandler(CommandHandler):
    """The real handler, keeping each reply it gave (progress included) for the suite to check
    against what the platform showed."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.replies: list[Reply] = []

    async def answer(self, request: Request, conversation: Conversation) -> Reply:
        recorder = self

        class Recorded:
            adapter = conversation.adapter
            how_to_invite = conversation.how_to_invite
            managers = conversation.managers
            may_manage = conversation.may_manage

            async def progress(self, reply: Reply) -> None:
                recorder.replies.append(reply)
                await conversation.progress(reply)

        reply = await super().answer(request, Recorded())
        self.replies.append(reply)
        return reply

    async def press(self, platform: str, value: str) -> Reply:
        reply = await super().press(platform, value)
        self.replies.append(reply)
        return reply


#: Makes the ``Talk`` a chat answers ``paper``, ``search`` and the buttons with, from the chat's
#: settings and clock (``None``: a deployment without them).
TalkFactory = Callable[[Settings, Clock], Talker]


class Chat(Protocol):
    platform: str
    channel: str
    workspace: str
    handler: RecordingHandler
    service: FakeService

    async def ask(self, form: Form, *, manager: bool = True) -> list[str]:
        """Send the command; once answered, the texts the asker saw, in order."""
        ...

    async def press(self, value: str) -> list[str]:
        """Press a paper button carrying ``value``; once answered, the texts the presser saw."""
        ...

    def thread(self) -> list[dict[str, Any]]:
        """The messages posted in the channel (and its thread), in order."""
        ...

    def shown(self, replies: Sequence[Reply]) -> list[str]:
        """What this platform shows the asker for ``replies`` (its translation rule)."""
        ...

    def refuse_posts(self) -> None:
        """Make the channel refuse the bot: it is not in it."""
        ...


def make_handler(
    settings: Settings, subscriptions: Subscriptions | None, talk: TalkFactory | None = None
) -> RecordingHandler:
    clock = FakeClock(NOW)
    return RecordingHandler(settings, FakeService(), clock, subscriptions=subscriptions,
                            talk=talk(settings, clock) if talk else None)  # fmt: skip


@dataclass
class SlackChat:
    fake: FakeSlack
    handler: RecordingHandler
    client: TestClient
    platform: str = "slack"
    channel: str = "C1"
    workspace: str = "T111"

    @property
    def service(self) -> FakeService:
        return self.handler.digests._service  # type: ignore[return-value]

    async def ask(self, form: Form, *, manager: bool = True) -> list[str]:
        self.fake.admins = {"U42"} if manager else set()
        start = len(self.fake.responses)
        body = urlencode({
            "command": "/hotpapers", "text": form.text, "team_id": self.workspace,
            "team_domain": "fake", "channel_id": self.channel, "channel_name": "papers",
            "user_id": "U42", "user_name": "ada", "response_url": self.fake.response_url("1"),
            "trigger_id": next(TRIGGERS), "api_app_id": "A111",
        })  # fmt: skip
        response = await self.client.post("/slack/events", data=body, headers=signed(body))
        assert response.status == 200 and await response.text() == ""  # the ack, at once
        await self.handler.drain(10)  # the answer, in its own task, is done
        return [r["text"] for r in self.fake.responses[start:]]

    async def press(self, value: str, *, action_id: str = "hotpapers_more") -> list[str]:
        """A ``block_actions`` payload as Slack POSTs it (form field ``payload``), signed."""
        start = len(self.fake.responses)
        body = urlencode({"payload": json.dumps(block_actions(
            self.fake.response_url("b"), value, action_id, channel=self.channel,
            workspace=self.workspace,
        ))})  # fmt: skip
        response = await self.client.post("/slack/events", data=body, headers=signed(body))
        assert response.status == 200 and await response.text() == ""  # the ack, at once
        await self.handler.drain(10)
        answers = self.fake.responses[start:]
        for answer in answers:  # for the presser only; the paper message stays as it is
            assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
        return [answer["text"] for answer in answers]

    def thread(self) -> list[dict[str, Any]]:
        return [p for p in self.fake.posts if p["channel"] == self.channel]

    def shown(self, replies: Sequence[Reply]) -> list[str]:
        from adapters.slack_app import SILENT
        from adapters.slack_blocks import escape_mrkdwn

        return [escape_mrkdwn(r.text) for r in replies if r.kind not in SILENT]

    def refuse_posts(self) -> None:
        self.fake.fail_channel(self.channel, "not_in_channel")


@dataclass
class DiscordChat:
    fake: FakeDiscord
    handler: RecordingHandler
    bot: DiscordBot
    platform: str = "discord"
    channel: str = "2000"
    seen: list[str] = field(default_factory=list)
    flags: list[int] = field(default_factory=list)

    @property
    def workspace(self) -> str:
        return self.fake.guild_id

    @property
    def service(self) -> FakeService:
        return self.handler.digests._service  # type: ignore[return-value]

    async def ask(self, form: Form, *, manager: bool = True) -> list[str]:
        permissions = MANAGER_PERMISSIONS if manager else "0"
        payload = self.fake.interaction(form.discord_options(), permissions=permissions)
        return await self._exchange(payload)

    async def press(self, value: str) -> list[str]:
        """A component interaction (a button pressed on a paper message) over the gateway."""
        return await self._exchange(self.fake.component_interaction(value, channel_id=self.channel))

    async def _exchange(self, payload: dict[str, Any]) -> list[str]:
        """Send an interaction over the gateway; the follow-ups once its answer is complete."""
        start = len(self.fake.requests)
        await self.fake.send_interaction(payload)
        done = f"/webhooks/{self.fake.app_id}/{payload['token']}"
        await self.fake.wait_for(lambda f: any(r.path == done for r in f.requests[start:]))
        requests = self.fake.requests[start:]
        assert requests[0].json == {"type": 5, "data": {"flags": 64}}  # deferred, ephemeral
        return self._followups(requests, done)

    def _followups(self, requests: Sequence[Any], done: str) -> list[str]:
        """The follow-ups' texts: ephemeral (64), pinging no one; link lists without previews
        (+4, SUPPRESS_EMBEDS), kept in ``flags`` for the suite to check."""
        followups = [r.json for r in requests if r.path == done]
        for body in followups:
            assert body["allowed_mentions"] == {"parse": []} and body["flags"] in (64, 68)
        self.flags = [body["flags"] for body in followups]
        return [body["content"] for body in followups]

    def thread(self) -> list[dict[str, Any]]:
        return [
            r.json for r in self.fake.posts()
            if r.path.startswith("/channels/") and r.path.endswith("/messages")
        ]  # fmt: skip

    def shown(self, replies: Sequence[Reply]) -> list[str]:
        from adapters.discord_commands import reply_text

        return [reply_text(replies[-1])]  # deferred: "thinking", then the one follow-up

    def refuse_posts(self) -> None:
        self.fake.gone.add(self.channel)  # Discord answers 404 Unknown Channel


def signed(body: str, *, secret: str = SECRET, age: int = 0) -> dict[str, str]:
    """Slack's signature: HMAC-SHA256 of ``v0:{ts}:{body}`` (Bolt checks it against time.time())."""
    ts = str(int(time.time()) - age)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
    }


def block_actions(
    response_url: str, value: str, action_id: str, *, channel: str, workspace: str
) -> dict[str, Any]:
    """A button pressed on one of the bot's messages, as Slack sends ``block_actions``."""
    return {
        "type": "block_actions", "api_app_id": "A111", "token": "verification-token",
        "team": {"id": workspace, "domain": "fake"}, "user": {"id": "U42", "name": "ada",
        "team_id": workspace}, "container": {"type": "message", "message_ts": "1618300000.000002",
        "channel_id": channel, "is_ephemeral": False}, "trigger_id": next(TRIGGERS),
        "channel": {"id": channel, "name": "papers"}, "response_url": response_url,
        "message": {"type": "message", "ts": "1618300000.000002", "bot_id": "B111",
                    "text": "1. A paper", "thread_ts": "1618300000.000001"},
        "actions": [{"type": "button", "action_id": action_id,
                     "block_id": "hp_buttons_2104.04015", "value": value,
                     "text": {"type": "plain_text", "text": "More like this"},
                     "action_ts": "1618300100.000001"}],
    }  # fmt: skip


@asynccontextmanager
async def slack_chat(
    subscriptions: Subscriptions | None = None, talk: TalkFactory | None = None
) -> AsyncIterator[SlackChat]:
    async with FakeSlack() as fake:
        settings = Settings(
            _env_file=None, slack_api_url=fake.api_url, slack_bot_token=TOKEN,
            slack_signing_secret=SECRET, default_categories=["cs.CL"],
        )  # fmt: skip
        handler = make_handler(settings, subscriptions, talk)
        web_app = web.Application()
        clock = handler.clock
        web_app.add_routes(slack_routes(build_slack_app(settings, handler, clock=clock), settings))
        client = TestClient(TestServer(web_app))
        await client.start_server()
        try:
            yield SlackChat(fake, handler, client)
        finally:
            await client.close()


@asynccontextmanager
async def discord_chat(
    subscriptions: Subscriptions | None = None, talk: TalkFactory | None = None
) -> AsyncIterator[DiscordChat]:
    async with serving() as fake:
        fake.add_text_channel(2000)
        point_gateway_at(fake)
        settings = fake.settings(default_categories=["cs.CL"])
        handler = make_handler(settings, subscriptions, talk)
        bot = DiscordBot(settings, handler, client_options={"guild_ready_timeout": 0})
        await bot.start()
        try:
            async with asyncio.timeout(10):
                await bot.client.wait_until_ready()
            yield DiscordChat(fake, handler, bot)
        finally:
            await bot.close()


CHATS = {"slack": slack_chat, "discord": discord_chat}
