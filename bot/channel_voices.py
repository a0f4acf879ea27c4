"""Where the core meets ``bot.reactions`` (the channel's voice), off the event loop.

``Voices`` is ``bot.reactions.Reactions``'s asynchronous surface: its database work runs on the
store's own threads (``Store.run``), like the ledger's, so a burst of reactions or a fan-out's
channels never block the platform connections. ``count`` and ``voice_for`` are what the one
command handler (``bot.handler``) and the scheduler (``bot.jobs``) call: a reaction never
crashes a platform's event loop, and a digest is built for everyone when the store cannot say
what the channel reacted to.
"""

from __future__ import annotations

import logging
from typing import Protocol

from bot.store_error import StoreError
from bot.voice import Voice

log = logging.getLogger(__name__)


class Voices(Protocol):
    """Count a reaction; say what a channel's reactions say (``bot.reactions.Reactions``)."""

    async def arecord(
        self, platform: str, workspace: str, channel: str, message_id: str, delta: int
    ) -> int | None: ...

    async def avoice(self, platform: str, workspace: str, channel: str) -> Voice | None: ...


async def count(
    voices: Voices | None, platform: str, workspace: str, channel: str, message_id: str,
    delta: int,
) -> int | None:  # fmt: skip
    """A reaction added (``delta`` 1) or removed (-1) on a message in a channel: the paper's new
    count when it is on one of this bot's paper messages, else ``None``. Never raises."""
    if voices is None:
        return None
    try:
        return await voices.arecord(platform, workspace, channel, message_id, delta)
    except Exception:  # a reaction is never worth a crash of the platform's event loop
        log.exception("%s: could not count a reaction in %s", platform, channel)
        return None


async def voice_for(
    voices: Voices | None, platform: str, workspace: str, channel: str
) -> Voice | None:
    """The channel's reactions for its digest; without them (or the store) everyone's digest."""
    if voices is None:
        return None
    try:
        return await voices.avoice(platform, workspace, channel)
    except StoreError as exc:
        log.warning("%s: reactions of %s unavailable: %s", platform, channel, exc)
        return None
