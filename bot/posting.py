"""Posting a digest to one channel through the ledger: once, resumable, with a typed outcome."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from enum import StrEnum

from bot.delivery import post_thread, tag_of
from bot.ledger import Claim, ClaimLost, Ledger
from bot.models import Digest
from bot.ports import Adapter, Delivery, DeliveryError, ThreadReader

log = logging.getLogger(__name__)


class Posted(StrEnum):
    """How a ``deliver`` call ended."""

    POSTED = "posted"  # the whole thread, now
    RESUMED = "resumed"  # the rest of a thread an earlier attempt began
    ALREADY = "already"  # the ledger has it (done, or claimed by another owner): nothing sent
    TAKEN_OVER = "taken_over"  # this owner froze past its lease; another finishes the thread
    FAILED = "failed"  # the platform refused a message: ``delivery.failure`` says why


@dataclass(frozen=True)
class Outcome:
    """``deliver``'s result: what happened (``status``), to which channel, with what."""

    status: Posted
    channel: str
    digest: Digest
    delivery: Delivery | None = None

    @property
    def ok(self) -> bool:
        return self.status is not Posted.FAILED

    @property
    def skipped(self) -> bool:
        """Nothing was sent because someone else has (or had) this thread."""
        return self.status in (Posted.ALREADY, Posted.TAKEN_OVER)

    @property
    def message(self) -> str:
        """One line for the CLI and the log."""
        date, channel = self.digest.date, self.channel
        if self.status is Posted.ALREADY:
            return f"already posted Hot Papers {date} to {channel} (use --force to post it again)"
        if self.status is Posted.TAKEN_OVER:
            return f"another instance took over Hot Papers {date} to {channel}"
        if self.status is Posted.FAILED:
            failure = self.delivery.failure if self.delivery else None
            return f"could not post to {channel}: {failure.record() if failure else 'unknown'}"
        replies = len(self.digest.entries)
        plural = "reply" if replies == 1 else "replies"
        return f"{self.status.value} Hot Papers {date} to {channel}: header and {replies} {plural}"


def paper_of(digest: Digest, part: str) -> str | None:
    """The arXiv id a reply ("1", "2"...) shows; ``None`` for the header or an unknown part."""
    found = [e.paper.arxiv_id for e in digest.entries if str(e.rank) == part]
    return found[0] if found else None


async def adopt(adapter: Adapter, ledger: Ledger, claim: Claim, channel: str,
                digest: Digest) -> None:  # fmt: skip
    """Before resuming an interrupted thread, ask the platform what it already holds and record
    it as posted: what was accepted but never recorded (a kill, a database outage between the
    platform's answer and the write) is adopted, not posted again."""
    if not isinstance(adapter, ThreadReader):
        return
    try:
        found = await adapter.find_posted(channel, digest, claim.thread_id)
    except DeliveryError as exc:  # the ledger alone decides: at most one message twice
        log.warning("%s: could not read back the thread in %s: %s", adapter.name, channel, exc)
        return
    if found.thread_id is None:
        return
    thread = claim.thread_id or found.thread_id
    adopted = {part: mid for part, mid in found.parts.items() if part not in claim.parts}
    if "header" in adopted:  # the header first: it names the thread the replies are in
        ledger.record(claim, "header", adopted.pop("header"), found.thread_id)
        thread = found.thread_id
    for part, message_id in sorted(adopted.items(), key=lambda item: int(item[0])):
        ledger.record(claim, part, message_id, thread, paper_of(digest, part))
    if adopted or thread != claim.thread_id:
        log.info("%s: adopted %d message(s) already in the thread in %s", adapter.name,
                 len(found.parts), channel)  # fmt: skip


async def _heartbeat(ledger: Ledger, claim: Claim) -> None:
    """Renew the lease a few times per lease while the thread is posted (a 429's Retry-After can
    hold one message longer than the lease); stops once the claim is lost."""
    interval = ledger.lease.total_seconds() / 3
    while True:
        await asyncio.sleep(interval)  # real time: the lease is about other processes' clocks
        if not ledger.renew(claim):
            return


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
        return Outcome(Posted.ALREADY, channel, digest)

    async def record(part: str, message_id: str, thread_id: str | None) -> None:
        ledger.record(claim, part, message_id, thread_id, paper_of(digest, part))

    heartbeat = asyncio.create_task(_heartbeat(ledger, claim), name=f"lease {claim.id}")
    started = time.perf_counter()
    try:
        if claim.interrupted:
            await adopt(adapter, ledger, claim, channel, digest)
        resumed = bool(claim.parts)  # something of this thread is out there already
        delivery = await post_thread(adapter, channel, digest, already=claim.parts,
                                     thread_id=claim.thread_id, on_posted=record)  # fmt: skip
    except ClaimLost:  # frozen past the lease: another instance finishes the thread
        return Outcome(Posted.TAKEN_OVER, channel, digest)
    except (Exception, asyncio.CancelledError) as exc:  # free the claim for the next run at once
        ledger.release(claim, f"interrupted: {type(exc).__name__}")
        raise
    finally:
        heartbeat.cancel()
    failure = delivery.failure
    ledger.finish(claim, ok=delivery.ok, error=failure.record() if failure else None)
    status = Posted.FAILED if failure else Posted.RESUMED if resumed else Posted.POSTED
    outcome = Outcome(status, channel, digest, delivery)
    duration = round(time.perf_counter() - started, 3)
    log.info("%s: %s in %.1f s", adapter.name, outcome.message, duration, extra={
        "channel": channel, "duration": duration, "digest_key": tag_of(digest)})  # fmt: skip
    return outcome
