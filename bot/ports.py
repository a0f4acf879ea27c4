"""The core's ports: what the core asks of a chat platform, and what a platform asks of the core.

Outbound, ``Adapter``: post a digest's header, one reply per paper in its thread, a plain notice;
its limits and capabilities are attributes. A refusal is a ``DeliveryError`` whose ``refusal``
says what kind it is, so the core decides what to tell people without reading platform words.

Inbound, ``Request`` -> ``bot.handler.CommandHandler.answer`` -> ``Reply``: one use of
``/hotpapers``, free of platform types, and what to answer it with. ``Conversation`` is what the
core needs of the place the request came from (an adapter posting there, who may manage it).

Everything here is data or a protocol: adapters implement them, the core uses them, and this
module imports nothing of either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

from bot.models import Digest, Entry


class Refusal(StrEnum):
    """Why a platform refused a message, in the core's words."""

    NOT_IN_CHANNEL = "not_in_channel"  # the bot is not in the channel, or cannot see it
    NO_PERMISSION = "no_permission"  # it is there but may not post (permissions, restrictions)
    UNAVAILABLE = "unavailable"  # the platform did not answer, or kept rate limiting
    AUTH = "auth"  # the token is missing, revoked or lacks a scope
    INVALID = "invalid"  # the message itself was refused
    OTHER = "other"


class DeliveryError(Exception):
    """The platform refused a message for a reason that retrying now will not fix.

    ``code`` is the platform's word for it (``not_in_channel``, ``missing_permissions``...),
    ``refusal`` its kind; the message is one line for the log and the delivery record, never
    containing a secret.
    """

    def __init__(self, code: str, message: str, refusal: Refusal = Refusal.OTHER) -> None:
        super().__init__(message)
        self.code = code
        self.refusal = refusal

    @property
    def message(self) -> str:
        return str(self)

    def record(self) -> str:
        """``code: message``, the form the delivery ledger stores."""
        return f"{self.code}: {self}"


@dataclass
class Delivery:
    """The outcome of posting one digest to one channel.

    ``message_ids`` maps a part of the thread ("header", "1", "2", ...) to the platform's id for
    the message that carries it; ``thread_id`` is where the replies go; ``failure`` is the
    refusal that stopped the thread, if one did.
    """

    platform: str
    channel: str
    thread_id: str | None = None
    message_ids: dict[str, str] = field(default_factory=dict)
    failure: DeliveryError | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


class ThreadSink(Protocol):
    """Called after each message is posted, so a ledger can record it before the next one."""

    async def __call__(self, part: str, message_id: str, thread_id: str | None) -> None: ...


class Adapter(Protocol):
    """A chat platform's way of posting. ``name`` is the platform's word ("slack", "discord").

    Capabilities are attributes: ``max_message_chars`` (the longest message it can post),
    ``post_concurrency`` (how many channels may post at once: sized so that the platform's own
    published limits, which the adapter keeps, are what bounds a fan-out).
    """

    name: str
    max_message_chars: int
    post_concurrency: int

    async def post_header(self, channel: str, digest: Digest) -> tuple[str, str]:
        """Post the header; return (message id, thread id for the replies)."""
        ...

    async def post_entry(self, channel: str, thread_id: str, digest: Digest, entry: Entry) -> str:
        """Post one paper as a reply in the thread; return its message id."""
        ...

    async def post_text(self, channel: str, text: str) -> str:
        """Post one plain line (for "no listing today" and similar notices)."""
        ...


@dataclass(frozen=True)
class Found:
    """What a platform already holds of a digest's thread: its id, and each part's message id."""

    thread_id: str | None = None
    parts: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class ThreadReader(Protocol):
    """A capability of adapters whose platform can be asked what a thread already holds.

    Every message an adapter posts carries the digest's tag and its part (``bot.delivery.tag_of``;
    Slack: message metadata; Discord: a nonce and the embed's footer), so after a crash the core
    asks before posting anything of an interrupted thread, and adopts what is there: a message
    the platform accepted whose id never reached the ledger is not posted twice.
    """

    async def find_posted(self, channel: str, digest: Digest, thread_id: str | None) -> Found:
        """The thread of ``digest`` in ``channel`` as the platform holds it (``thread_id``: the
        ledger's, when it has one). Raises ``DeliveryError`` when the platform cannot say."""
        ...


# -- inbound: one use of /hotpapers ---------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """A command given as typed fields (Discord's slash-command options): no text to parse.

    ``categories`` holds codes separated by spaces (``cs.CL cs.LG``); ``time`` is ``HH:MM`` with
    an optional zone (``09:00 Europe/Berlin``), for ``subscribe``, like ``include``, ``exclude``
    ``notify`` and ``reactions``. ``None`` means not given.
    """

    action: str | None = None
    categories: str | None = None
    date: str | None = None
    top: int | None = None
    time: str | None = None
    include: str | None = None  # keywords separated by commas; "none" clears the filter
    exclude: str | None = None
    notify: str | None = None  # "on" or "off": a line in the channel on arXiv holidays
    catching: str | None = None  # "Catching fire": listing days back, "on" or "off"
    #: The weekly roundup's weekday (``friday``): with ``subscribe`` the weekly subscription, with
    #: ``unsubscribe`` (any day) stopping it.
    week_day: str | None = None
    query: str | None = None  # for paper: an arXiv id; for search: the words
    reactions: str | None = None  # "on" or "off": count reactions here (``bot.reactions``)


@dataclass(frozen=True)
class Request:
    """One ``/hotpapers`` use: where it came from, who asked, and what they asked.

    ``text`` is what followed ``/hotpapers`` (platforms with a text argument, already un-wrapped
    of the platform's own markup); ``options`` replaces it on platforms with typed options.
    """

    platform: str
    workspace: str
    channel: str
    user: str
    text: str = ""
    options: Options | None = None


class ReplyKind(StrEnum):
    """What an answer is, so a platform can choose how to show it (tests assert on it too)."""

    WORKING = "working"  # the request is understood; a digest is on its way
    HELP = "help"
    INVALID = "invalid"  # the request could not be understood or is out of range
    POSTED = "posted"  # the digest thread is in the channel
    EMPTY = "empty"  # no paper of that listing got attention
    UNAVAILABLE = "unavailable"  # a source or the store could not answer; try later
    NOT_IN_CHANNEL = "not_in_channel"
    NOT_POSTED = "not_posted"  # the platform refused the thread for another reason
    SUBSCRIPTION = "subscription"  # subscribe, unsubscribe or settings answered
    REFUSED = "refused"  # the user may not change the channel's subscription
    FAILED = "failed"  # a bug: logged, and the user told so
    PAPER = "paper"  # one paper: its card, or its full abstract
    RESULTS = "results"  # a list of papers: search results, "more like this"


@dataclass(frozen=True)
class Reply:
    """The answer for the person who asked (ephemeral on every platform).

    ``text`` uses only what every platform shows alike: plain words and ``code`` spans, with the
    user's own words quoted so they can ping nobody. ``delivery`` is the posted thread, if any.
    """

    kind: ReplyKind
    text: str
    delivery: Delivery | None = None


class Conversation(Protocol):
    """The place a request came from, as its platform sees it."""

    @property
    def adapter(self) -> Adapter:
        """Posts into the request's channel (a digest thread)."""
        ...

    @property
    def how_to_invite(self) -> str:
        """How to let the bot post in the channel ("invite me with `/invite @Hot Papers`")."""
        ...

    @property
    def managers(self) -> str:
        """Who may change the channel's subscription, in words ("workspace admins and owners")."""
        ...

    async def may_manage(self) -> bool:
        """Whether the person who asked may change the channel's subscription."""
        ...

    async def progress(self, reply: Reply) -> None:
        """Show ``reply`` (``WORKING``) at once, before the digest is built and posted."""
        ...
