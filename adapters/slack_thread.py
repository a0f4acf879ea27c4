"""Reading a digest's thread back from Slack: the messages the bot tagged with message metadata.

Every message the bot posts carries ``metadata`` (``event_type`` ``hotpapers_message``, and in
its payload the digest's tag, the part and the paper's arXiv id). After a crash the core asks
``find_posted``: the thread's replies (``conversations.replies``) when the ledger knows the
header's ``ts``, else the channel's recent history (``conversations.history``) for a header whose
``ts`` never reached the ledger. Both need the ``channels:history`` and ``groups:history`` scopes
(public and private channels), and read at most ``MAX_PAGES`` pages of 200 messages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack_errors import slack_errors
from bot.delivery import tag_of
from bot.models import Digest, Entry
from bot.ports import Found

#: The event type of the message metadata on every message the bot posts.
TAG_EVENT = "hotpapers_message"
MAX_PAGES = 5
PAGE = 200


def metadata(digest: Digest, part: str, entry: Entry | None = None) -> dict[str, Any]:
    """The message metadata of one part of a digest's thread."""
    payload = {"digest": tag_of(digest), "part": part}
    if entry is not None:
        payload["arxiv_id"] = entry.paper.arxiv_id
    return {"event_type": TAG_EVENT, "event_payload": payload}


def part_of(message: dict[str, Any], digest: Digest) -> str | None:
    """The part of ``digest`` that ``message`` carries, or ``None`` (another digest, another app,
    a paper that is not at that rank any more)."""
    meta = message.get("metadata")
    if not isinstance(meta, dict) or meta.get("event_type") != TAG_EVENT:
        return None
    payload = meta.get("event_payload")
    if not isinstance(payload, dict) or payload.get("digest") != tag_of(digest):
        return None
    part = str(payload.get("part", ""))
    if part == "header":
        return part
    ranks = {str(e.rank): e.paper.arxiv_id for e in digest.thread_entries}
    return part if ranks.get(part) == payload.get("arxiv_id") else None


async def find_posted(
    client: AsyncWebClient, channel: str, digest: Digest, thread_id: str | None
) -> Found:
    """``bot.ports.ThreadReader.find_posted`` for Slack."""
    with slack_errors(channel, f"read back the thread in {channel}"):
        if thread_id is None:
            thread_id = await _find_header(client, channel, digest)
            if thread_id is None:
                return Found()
        return Found(thread_id, await _thread_parts(client, channel, digest, thread_id))


Page = Callable[[str | None], Awaitable[Any]]


async def _pages(page: Page) -> AsyncIterator[list[dict[str, Any]]]:
    """The messages of up to ``MAX_PAGES`` pages, each asked for with the previous cursor."""
    cursor = None
    for _ in range(MAX_PAGES):
        answer = await page(cursor)
        yield [m for m in answer.get("messages") or [] if isinstance(m, dict)]
        cursor = (answer.get("response_metadata") or {}).get("next_cursor")
        if not answer.get("has_more") or not cursor:
            return


async def _find_header(client: AsyncWebClient, channel: str, digest: Digest) -> str | None:
    """The newest message of the channel carrying this digest's header tag (history is newest
    first, so a recent crash's header is on the first page)."""

    def page(cursor: str | None) -> Awaitable[Any]:
        return client.conversations_history(
            channel=channel, limit=PAGE, include_all_metadata=True, cursor=cursor
        )

    async for messages in _pages(page):
        for message in messages:
            if part_of(message, digest) == "header":
                return str(message["ts"])
    return None


async def _thread_parts(
    client: AsyncWebClient, channel: str, digest: Digest, thread_id: str
) -> dict[str, str]:
    def page(cursor: str | None) -> Awaitable[Any]:
        return client.conversations_replies(
            channel=channel, ts=thread_id, limit=PAGE, include_all_metadata=True, cursor=cursor
        )

    parts: dict[str, str] = {}
    async for messages in _pages(page):
        for message in messages:
            part = part_of(message, digest)
            if part is not None and part not in parts:
                parts[part] = str(message["ts"])
    return parts
