"""Posting a digest as a thread through any adapter, resuming where a previous attempt stopped.

Every message is tagged with ``tag_of(digest)`` and its part ("header", "1", "2"...): adapters
carry the tag to their platform (Slack's message metadata, Discord's nonce and embed footer), so
an interrupted thread can be read back and adopted (``bot.ports.ThreadReader``).
"""

from __future__ import annotations

import logging

from bot.categories import categories_key
from bot.models import Digest
from bot.ports import Adapter, Delivery, DeliveryError, ThreadSink

log = logging.getLogger(__name__)


def tag_of(digest: Digest) -> str:
    """The digest's identity on a platform: its listing date and categories (``2021-04-12 cs.CL
    cs.LG``; a weekly roundup's ends in ``week``), the same key as the ledger's."""
    return f"{digest.date.isoformat()} {categories_key(digest.ledger_categories)}"


async def _ignore(part: str, message_id: str, thread_id: str | None) -> None:
    return None


async def post_thread(
    adapter: Adapter,
    channel: str,
    digest: Digest,
    *,
    already: dict[str, str] | None = None,
    thread_id: str | None = None,
    on_posted: ThreadSink = _ignore,
) -> Delivery:
    """Post the header (unless ``already`` has it) and each missing paper reply, in order.

    ``already`` maps parts already posted ("header", "1", ...) to message ids, from the ledger;
    ``on_posted`` is awaited after every message so a crash loses at most the message in flight.
    A ``DeliveryError`` stops the thread and is reported in the returned ``Delivery``.
    """
    done = dict(already or {})
    delivery = Delivery(platform=adapter.name, channel=channel, thread_id=thread_id)
    delivery.message_ids = done
    try:
        if "header" not in done or not delivery.thread_id:
            message_id, delivery.thread_id = await adapter.post_header(channel, digest)
            done["header"] = message_id
            await on_posted("header", message_id, delivery.thread_id)
        for entry in digest.thread_entries:
            part = str(entry.rank)
            if part in done:
                continue
            message_id = await adapter.post_entry(channel, delivery.thread_id, digest, entry)
            done[part] = message_id
            await on_posted(part, message_id, delivery.thread_id)
    except DeliveryError as exc:
        log.warning("%s: delivery to %s failed: %s", adapter.name, channel, exc,
                    extra={"channel": channel})  # fmt: skip
        delivery.failure = exc
    return delivery
