"""Migration 0004 on SQLite and PostgreSQL: a channel's existing subscription stays its daily
one, a weekly one can stand beside it, and the downgrade gives the old key back."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot import migrate
from bot.clock import FakeClock
from bot.store import Store
from bot.subscriptions import SubscriptionStore
from tests.test_migrations import db, engine, sql, upgrade_to  # noqa: F401 - fixtures

NOW = dt.datetime(2021, 4, 13, 12, 0, tzinfo=dt.UTC)
OLD_ROW = (
    "INSERT INTO hp_subscriptions (platform, workspace, channel, categories, top, time, tz, "
    "include, exclude, active, notify_no_listing, created_at) VALUES ('slack', 'T1', 'C1', "
    "'cs.CL', 5, '09:00', 'UTC', '', '', true, false, '2021-04-01 00:00:00')"
)


def test_an_old_subscription_becomes_the_daily_one(db: str, engine: Engine) -> None:  # noqa: F811
    upgrade_to(engine, "0002")
    sql(engine, OLD_ROW)
    store = Store(db)
    try:
        subs = SubscriptionStore(store, FakeClock(NOW))
        (daily,) = subs.list_all()
        assert (daily.channel, daily.week_day, daily.top) == ("C1", None, 5)
        weekly, created = subs.upsert("slack", "T1", "C1", categories=["cs.LG"],
                                      time=dt.time(16, 0), tz="UTC", top=3, week_day=4)  # fmt: skip
        assert created and weekly.weekly and weekly.id != daily.id
        assert [s.week_day for s in subs.list_all()] == [None, 4]
        assert subs.get("slack", "T1", "C1") == daily
        assert subs.get("slack", "T1", "C1", weekly=True) == weekly
    finally:
        store.close()


def test_the_downgrade_keeps_the_daily_ones(db: str, engine: Engine) -> None:  # noqa: F811
    store = Store(db)
    try:
        subs = SubscriptionStore(store, FakeClock(NOW))
        for week_day in (None, 4):
            subs.upsert("slack", "T1", "C1", categories=["cs.CL"], time=dt.time(9, 0), tz="UTC",
                        top=3, week_day=week_day)  # fmt: skip
    finally:
        store.close()
    with engine.begin() as connection:
        command.downgrade(migrate.config(connection), "0002")
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT channel, top FROM hp_subscriptions")).all()
    assert [tuple(r) for r in rows] == [("C1", 3)]
    with pytest.raises(Exception, match="(?i)unique"):
        sql(engine, OLD_ROW)
