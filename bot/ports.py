"""The Adapter protocol: how a digest reaches a channel as a thread."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from bot.models import Digest, Entry


@dataclass
class Delivery:
    """The outcome of posting one digest to one channel.

    ``message_ids`` maps a part of the thread ("header", "1", "2", ...) to the platform's id for
    the message that carries it; ``thread_id`` is where the replies go.
    """

    platform: str
    channel: str
    thread_id: str | None = None
    message_ids: dict[str, str] = field(default_factory=dict)
    ok: bool = True
    error: str | None = None


class ThreadSink(Protocol):
    """Called after each message is posted, so a ledger can record it before the next one."""

    async def __call__(self, part: str, message_id: str, thread_id: str | None) -> None: ...


class Adapter(Protocol):
    """A chat platform. ``name`` is the platform's word ("slack", "discord", "console")."""

    name: str
    max_message_chars: int

    async def post_header(self, channel: str, digest: Digest) -> tuple[str, str]:
        """Post the header; return (message id, thread id for the replies)."""
        ...

    async def post_entry(self, channel: str, thread_id: str, digest: Digest, entry: Entry) -> str:
        """Post one paper as a reply in the thread; return its message id."""
        ...

    async def post_text(self, channel: str, text: str) -> str:
        """Post one plain line (for "no listing today" and similar notices)."""
        ...


class DeliveryError(Exception):
    """The platform refused a message for a reason that retrying will not fix.

    ``code`` is the platform's word for it (``not_in_channel``, ``missing_permissions``...);
    the message is one line for the log and the delivery record, never containing a secret.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
