"""Posting a digest as a thread through any adapter, resuming where a previous attempt stopped."""

from __future__ import annotations

import logging

from bot.models import Digest
from bot.ports import Adapter, Delivery, DeliveryError, ThreadSink

log = logging.getLogger(__name__)


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
        for entry in digest.entries:
            part = str(entry.rank)
            if part in done:
                continue
            message_id = await adapter.post_entry(channel, delivery.thread_id, digest, entry)
            done[part] = message_id
            await on_posted(part, message_id, delivery.thread_id)
    except DeliveryError as exc:
        log.warning("%s: delivery to %s failed: %s", adapter.name, channel, exc,
                    extra={"channel": channel})  # fmt: skip
        delivery.ok = False
        delivery.error = f"{exc.code}: {exc}"
    return delivery
