"""Posting a digest to one channel through the ledger: once, resumable, with a clear outcome."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from bot.delivery import post_thread
from bot.ledger import Claim, ClaimLost, Ledger, categories_key
from bot.models import Digest
from bot.ports import Adapter, Delivery

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    ok: bool
    message: str
    delivery: Delivery | None = None
    skipped: bool = False


async def deliver(
    adapter: Adapter,
    ledger: Ledger,
    workspace: str,
    channel: str,
    digest: Digest,
    *,
    force: bool = False,
) -> Outcome:
    """Claim, post the missing parts of the thread, record each message, finish the claim."""
    claim = ledger.claim(
        adapter.name, workspace, channel, digest.date, digest.categories, force=force
    )
    if claim is None:
        return Outcome(
            True,
            f"already posted Hot Papers {digest.date} to {channel} (use --force to post it again)",
            skipped=True,
        )

    async def record(part: str, message_id: str, thread_id: str | None) -> None:
        ledger.record(claim, part, message_id, thread_id)

    started = time.perf_counter()
    try:
        delivery = await post_thread(adapter, channel, digest, already=claim.parts,
                                     thread_id=claim.thread_id, on_posted=record)  # fmt: skip
    except ClaimLost:  # frozen past the lease: another instance finishes the thread
        return Outcome(True, f"another instance took over Hot Papers {digest.date} to {channel}",
                       skipped=True)  # fmt: skip
    except (Exception, asyncio.CancelledError) as exc:  # free the claim for the next run at once
        ledger.release(claim, f"interrupted: {type(exc).__name__}")
        raise
    ledger.finish(claim, ok=delivery.ok, error=delivery.error)
    outcome = _outcome(delivery, claim, digest, channel)
    duration = round(time.perf_counter() - started, 3)
    log.info("%s: %s in %.1f s", adapter.name, outcome.message, duration, extra={
        "channel": channel, "duration": duration,
        "digest_key": f"{digest.date} {categories_key(digest.categories)}"})  # fmt: skip
    return outcome


def _outcome(delivery: Delivery, claim: Claim, digest: Digest, channel: str) -> Outcome:
    if not delivery.ok:
        return Outcome(False, f"could not post to {channel}: {delivery.error}", delivery)
    verb = "resumed" if claim.resumed else "posted"
    return Outcome(
        True,
        f"{verb} Hot Papers {digest.date} to {channel}: header and {len(digest.entries)} replies",
        delivery,
    )
