"""The one ``/hotpapers`` handler: ``answer(request, conversation) -> Reply``, for every platform.

It owns everything a command means: parsing (text or typed options, ``bot.commands``), help,
validation, the shared on-demand builds (``bot.ondemand``), posting the digest thread through the
conversation's adapter, and the subscription commands (``bot.subscription_commands``). A
platform only translates: its native event becomes a ``Request``, the ``Reply`` becomes its
native message (``bot.ports``).

Answers in flight are known here (``spawn`` and ``in_flight``), so a stopping process lets them
finish their threads (``drain``) whatever platform they came from.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine, Sequence
from typing import Any, Protocol

from bot.channel_voices import Voices, count, voice_for
from bot.clock import Clock
from bot.command_hints import help_text
from bot.commands import (
    CommandError,
    HelpRequest,
    PaperQuery,
    Query,
    SearchQuery,
    ShowSettings,
    WeekQuery,
    parse_for,
)
from bot.config import MAX_TOP, Settings
from bot.delivery import post_thread
from bot.ondemand import DigestProvider, SharedDigests, drain_tasks
from bot.ports import Conversation, Refusal, Reply, ReplyKind, Request
from bot.service import UserError
from bot.subscription_commands import SubscriptionRequest

log = logging.getLogger(__name__)

SOMETHING_WRONG = (
    "Something went wrong while answering `/hotpapers`; the error was logged. "
    "Please try again later."
)
NO_SUBSCRIPTIONS = (
    "Daily digests are not managed from chat on this deployment: the operator runs "
    "`hotpapers subscribe --platform {platform} --channel {channel} --time HH:MM`."
)
NO_TALK = "Paper lookups, search and paper buttons are not available on this deployment."
NOT_IN_CHANNEL = (
    "I can't post in this channel because I'm not in it: {invite}, then run the command again."
)


class Subscriptions(Protocol):
    """``bot.subscription_commands.SubscriptionHandler``'s surface."""

    async def handle(
        self, platform: str, workspace_id: str, channel_id: str, user_id: str,
        request: SubscriptionRequest, *, allowed: bool, managers: str,
    ) -> Reply: ...  # fmt: skip


class Talker(Protocol):
    """``bot.talk.Talk``'s surface: ``paper``, ``search`` and the paper buttons."""

    async def paper(self, arxiv_id: str) -> Reply: ...

    async def search(self, words: Sequence[str]) -> Reply: ...

    async def press(self, value: str) -> Reply: ...


class CommandHandler:
    """``/hotpapers`` in the core: ``digests`` builds (``bot.service.DigestService``),
    ``subscriptions`` answers the subscription commands (``None``: the CLI manages them),
    ``talk`` answers ``paper``, ``search`` and the paper buttons (``bot.talk.Talk``),
    ``voices`` counts reactions and shapes a channel's digest by them (``None``: never)."""

    def __init__(
        self, settings: Settings, digests: DigestProvider, clock: Clock, *,
        subscriptions: Subscriptions | None = None, talk: Talker | None = None,
        voices: Voices | None = None,
    ) -> None:  # fmt: skip
        self.settings = settings
        self.clock = clock
        self.digests = SharedDigests(digests, clock)
        self.subscriptions = subscriptions
        self.talk = talk
        self.voices = voices
        self._in_flight: set[asyncio.Task[Any]] = set()

    # -- answers in flight ---------------------------------------------------------------------
    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        """Run ``work`` (a platform's answer to one request) as a task known to ``drain``."""
        task = asyncio.create_task(work, name=name)
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        return task

    @contextlib.asynccontextmanager
    async def in_flight(self) -> AsyncIterator[None]:
        """Make the current task (an answer the platform's SDK started) known to ``drain``."""
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._in_flight.discard(task)

    @property
    def answering(self) -> int:
        """How many answers are in flight."""
        return len(self._in_flight)

    async def drain(self, seconds: float) -> None:
        """Answers in flight get ``seconds`` to finish, then are cancelled (clean shutdown)."""
        await drain_tasks(self._in_flight, seconds)

    # -- one request ---------------------------------------------------------------------------
    async def answer(self, request: Request, conversation: Conversation) -> Reply:
        """The reply for ``request``; a digest is posted to its channel on the way. Never raises
        (but for cancellation): a bug is logged and answered with ``FAILED``."""
        try:
            return await self._answer(request, conversation)
        except Exception:
            log.exception("%s: /hotpapers %r failed", request.platform, request.options or
                          request.text)  # fmt: skip
            return Reply(ReplyKind.FAILED, SOMETHING_WRONG)

    async def _answer(self, request: Request, conversation: Conversation) -> Reply:
        given = request.options if request.options is not None else request.text
        try:
            command = parse_for(self.settings, given, now=self.clock.now())
        except CommandError as exc:
            return Reply(ReplyKind.INVALID, str(exc))
        if isinstance(command, HelpRequest):
            typed = request.options is not None
            return Reply(ReplyKind.HELP, help_text(options=typed, max_top=MAX_TOP))
        if isinstance(command, Query | WeekQuery):
            return await self._digest(request, command, conversation)
        if isinstance(command, PaperQuery | SearchQuery):
            if self.talk is None:
                return Reply(ReplyKind.UNAVAILABLE, NO_TALK)
            if isinstance(command, PaperQuery):
                return await self.talk.paper(command.arxiv_id)
            return await self.talk.search(command.words)
        return await self._subscription(request, command, conversation)

    async def press(self, platform: str, value: str) -> Reply:
        """The ONE answer to a paper button, for every platform: ``value`` is what the button
        carried (``bot.buttons``). Only the person who pressed sees it; nothing is posted.
        Never raises (but for cancellation): a bug is logged and answered with ``FAILED``."""
        try:
            if self.talk is None:
                return Reply(ReplyKind.UNAVAILABLE, NO_TALK)
            return await self.talk.press(value)
        except Exception:
            log.exception("%s: button %r failed", platform, value[:120])
            return Reply(ReplyKind.FAILED, SOMETHING_WRONG)

    async def _digest(
        self, request: Request, query: Query | WeekQuery, conversation: Conversation
    ) -> Reply:
        when = "the week up to" if isinstance(query, WeekQuery) else "on"
        what = f"{', '.join(query.categories)} {when} {query.date.isoformat()} (top {query.top})"
        voice = await voice_for(self.voices, request.platform, request.workspace, request.channel)
        build = self.digests.start(query, voice)  # under way (or joined) while progress goes out
        working = f"Looking up Hot Papers for {what}; the thread follows here."
        await conversation.progress(Reply(ReplyKind.WORKING, working))
        try:
            digest = await asyncio.shield(build)  # this answer cancelled: the build goes on
        except UserError as exc:  # the service's words for the user ("arXiv did not answer")
            return Reply(ReplyKind.UNAVAILABLE, str(exc))
        if not digest.entries:
            return Reply(ReplyKind.EMPTY, f"No paper in {what} got any attention yet.")
        delivery = await post_thread(conversation.adapter, request.channel, digest)
        failure = delivery.failure
        if failure is None:
            count = len(digest.entries)
            papers = "paper" if count == 1 else "papers"
            text = (
                f"Posted {digest.title} ({count} {papers} in "
                f"{', '.join(digest.categories)}) in its thread."
            )
            return Reply(ReplyKind.POSTED, text, delivery)
        if failure.refusal is Refusal.NOT_IN_CHANNEL:
            invite = conversation.how_to_invite
            return Reply(ReplyKind.NOT_IN_CHANNEL, NOT_IN_CHANNEL.format(invite=invite), delivery)
        return Reply(ReplyKind.NOT_POSTED, f"I couldn't post the digest: {failure}", delivery)

    async def reaction(
        self, platform: str, workspace: str, channel: str, message_id: str, delta: int
    ) -> int | None:
        """A reaction added (``delta`` 1) or removed (-1) on a message, as every platform's
        adapter reports it: counted by ``bot.reactions`` when it is on one of this bot's paper
        messages (the paper's new count), else ignored (``None``). Never raises."""
        return await count(self.voices, platform, workspace, channel, message_id, delta)

    async def _subscription(
        self, request: Request, command: SubscriptionRequest, conversation: Conversation
    ) -> Reply:
        if self.subscriptions is None:
            text = NO_SUBSCRIPTIONS.format(platform=request.platform, channel=request.channel)
            return Reply(ReplyKind.SUBSCRIPTION, text)
        # Anyone may read the settings: the platform is asked only for a change.
        allowed = isinstance(command, ShowSettings) or await conversation.may_manage()
        return await self.subscriptions.handle(
            request.platform, request.workspace, request.channel, request.user, command,
            allowed=allowed, managers=conversation.managers,
        )  # fmt: skip
