"""``SharedDigests``: one build per question in flight or just answered, a few builds at once."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.clock import FakeClock
from bot.commands import Query
from bot.models import Digest
from bot.ondemand import ON_DEMAND_TTL, SharedDigests
from tests.factories import make_digest

CS_CL = Query(("cs.CL",), dt.date(2021, 4, 12), 3)


class Service:
    def __init__(self) -> None:
        self.asked: list[Query] = []
        self.fail = False

    async def digest_for(self, query: Query) -> Digest:
        self.asked.append(query)
        await asyncio.sleep(0)
        if self.fail:
            raise RuntimeError("arXiv is down")
        return make_digest(query.top, date=query.date)


async def test_a_repeat_is_answered_from_the_last_build_until_it_is_stale() -> None:
    clock, service = FakeClock(), Service()
    digests = SharedDigests(service, clock)
    first, second = await asyncio.gather(digests.get(CS_CL), digests.get(CS_CL))
    assert first is second and service.asked == [CS_CL]  # asked together: one build
    clock.advance(ON_DEMAND_TTL - 1)
    assert await digests.get(CS_CL) is first  # asked again soon: the same digest
    clock.advance(1)
    assert await digests.get(CS_CL) is not first  # stale: built anew
    assert service.asked == [CS_CL, CS_CL]


async def test_a_failed_build_is_not_kept() -> None:
    service = Service()
    digests = SharedDigests(service, FakeClock())
    service.fail = True
    for _ in range(2):
        with pytest.raises(RuntimeError, match="arXiv is down"):
            await digests.get(CS_CL)
    service.fail = False
    assert (await digests.get(CS_CL)).date == CS_CL.date
    assert service.asked == [CS_CL] * 3
