"""A malformed subscription row (hand-edited, or from an older version) must not sink the others."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from bot.clock import FakeClock
from bot.store import Store, SubscriptionRow
from bot.subscriptions import SubscriptionStore


def test_one_malformed_subscription_row_leaves_the_others_listed(store: Store) -> None:
    subs = SubscriptionStore(store, FakeClock())
    for channel in ("C1", "C2"):
        subs.upsert(
            "slack", "T1", channel, categories=["cs.CL"], time=dt.time(9, 0), tz="UTC", top=5
        )
    with store.session() as s:
        s.execute(
            update(SubscriptionRow).where(SubscriptionRow.channel == "C1").values(time="25:99")
        )
    assert [sub.channel for sub in subs.list_all()] == ["C2"]
