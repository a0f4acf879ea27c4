"""Group commit of the ledger's writes (``bot.write_batch``): many callers, few transactions,
each caller told about its own write only; and a claim's writes never race each other."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.clock import FakeClock
from bot.ledger import Ledger
from bot.store import Store
from bot.tables import MessageRow
from bot.write_batch import WriteBatch

DAY = dt.date(2021, 4, 12)


async def test_writes_of_many_channels_share_transactions(store: Store) -> None:
    clock = FakeClock()
    ledger = Ledger(store, "host", clock)
    claims = [await ledger.aclaim("slack", "T1", f"C{n}", DAY, ["cs.CL"]) for n in range(40)]
    assert all(claims)
    await asyncio.gather(*(ledger.arecord(c, "header", f"m{c.id}", f"m{c.id}")
                           for c in claims if c))  # fmt: skip
    assert ledger.writes.batches < 40  # committed together while the store's thread was busy
    for claim in claims:
        assert claim is not None and claim.parts == {"header": f"m{claim.id}"}
    with store.session() as s:
        assert len(s.scalars(select(MessageRow)).all()) == 40


async def test_a_failing_write_fails_only_its_caller(store: Store) -> None:
    ledger = Ledger(store, "host", FakeClock())
    claim = await ledger.aclaim("slack", "T1", "C1", DAY, ["cs.CL"])
    assert claim is not None
    batch = WriteBatch(store)
    now = dt.datetime(2021, 4, 12, tzinfo=dt.UTC)

    def add(part: str):  # type: ignore[no-untyped-def]
        def write(s: Session) -> str:
            s.execute(insert(MessageRow).values(delivery_id=claim.id, part=part,
                                                message_id=part, posted_at=now))  # fmt: skip
            return part

        return write

    results = await asyncio.gather(batch.submit(add("1")), batch.submit(add("1")),
                                   batch.submit(add("2")), return_exceptions=True)  # fmt: skip
    assert results[0] == "1" and results[2] == "2"
    assert isinstance(results[1], IntegrityError)  # the duplicate, and only it


async def test_a_heartbeat_and_a_record_of_one_claim_do_not_race(store: Store) -> None:
    """Both write the claim's fencing token: one at a time, or the second would see the claim
    as lost."""
    ledger = Ledger(store, "host", FakeClock())
    claim = await ledger.aclaim("slack", "T1", "C1", DAY, ["cs.CL"])
    assert claim is not None
    renewed, _ = await asyncio.gather(ledger.arenew(claim),
                                      ledger.arecord(claim, "header", "m1", "m1"))  # fmt: skip
    assert renewed is True
    assert await ledger.afinish(claim, ok=True) is True
    assert ledger.status("slack", "T1", "C1", DAY, ["cs.CL"]) == ("done", None, 1)
