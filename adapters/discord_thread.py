"""Posting a digest's messages to Discord once: deterministic nonces, and reading a thread back.

Every message of a thread is sent with a ``nonce`` derived from the digest's tag and the part, and
``enforce_nonce``: Discord answers a repeat within a few minutes with the message it already has
instead of a second one, which covers a restart right after a crash. For a resume after longer,
``find_posted`` reads the thread (``GET /channels/{thread}/messages``) and recognises the bot's
own messages by their embeds (each paper's footer names its arXiv id and the listing date; the
header is the message the thread was started from). A header whose thread the ledger never saw is
looked for among the channel's latest messages: the bot's message with this digest's exact header
embed and its thread.
"""

from __future__ import annotations

import hashlib
from typing import Any

import discord

from adapters.discord_embeds import header_embed, thread_name
from bot.delivery import tag_of
from bot.models import Digest
from bot.ports import Found

HISTORY_LIMIT = 100  # one page: a thread holds at most 51 of the bot's messages


def nonce(digest: Digest, part: str, channel: str) -> int:
    """A positive 63-bit integer, the same for the same digest (listing, categories and length),
    part and channel (the header's channel, a reply's thread) on every instance: the same thread
    asked for twice within Discord's nonce window (a retry, or two people asking at once) is one
    thread. The channel is part of it because Discord checks a nonce per author, not per
    channel: without it, a fan-out's second channel got the first channel's header back."""
    key = f"{tag_of(digest)}|{len(digest.thread_entries)}|{part}|{channel}"
    raw = hashlib.sha256(key.encode()).digest()
    return int.from_bytes(raw[:8], "big") & (2**63 - 1)


def _embed(message: dict[str, Any]) -> dict[str, Any]:
    embeds = message.get("embeds") or []
    return embeds[0] if embeds and isinstance(embeds[0], dict) else {}


def _mine(message: dict[str, Any], bot_id: int | None) -> bool:
    author = message.get("author") or {}
    return bot_id is not None and str(author.get("id")) == str(bot_id)


async def find_posted(
    client: discord.Client, channel: str, digest: Digest, thread_id: str | None
) -> Found:
    """``bot.ports.ThreadReader.find_posted`` for Discord (HTTP errors are the caller's)."""
    bot_id = client.user.id if client.user else client.application_id
    if thread_id is None:
        thread_id = await _find_header(client, channel, digest, bot_id)
        if thread_id is None:
            return Found()
    by_paper = {e.paper.arxiv_id: str(e.rank) for e in digest.thread_entries}
    date = digest.date.isoformat()
    parts = {"header": thread_id}  # a thread started from a message has that message's id
    for message in await _messages(client, thread_id):
        footer = str((_embed(message).get("footer") or {}).get("text") or "")
        arxiv_id, _, rest = footer.removeprefix("arXiv:").partition(" · ")
        part = by_paper.get(arxiv_id)
        if _mine(message, bot_id) and footer.startswith("arXiv:") and rest.endswith(date) and part:
            parts.setdefault(part, str(message["id"]))
    return Found(thread_id, parts)


async def _messages(client: discord.Client, channel: str) -> list[dict[str, Any]]:
    """The latest messages of a channel or thread, newest first, as Discord's JSON."""
    return [dict(m) for m in await client.http.logs_from(int(channel), HISTORY_LIMIT)]


async def _find_header(
    client: discord.Client, channel: str, digest: Digest, bot_id: int | None
) -> str | None:
    expected = header_embed(digest)
    for message in await _messages(client, channel):
        embed, thread = _embed(message), message.get("thread") or {}
        same = all(embed.get(key) == expected.get(key) for key in ("title", "description"))
        if _mine(message, bot_id) and same and thread.get("name") == thread_name(digest):
            return str(thread.get("id") or message["id"])
    return None
