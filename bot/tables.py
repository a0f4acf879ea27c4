"""The tables of the store (SQLAlchemy 2 models) and its one error type: what ``bot.store``
reads and writes and what ``bot.migrate`` migrates, in a module both import (no cycle)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class SnapshotRow(Base):
    __tablename__ = "hp_snapshots"
    __table_args__ = (UniqueConstraint("source", "date", "scope"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    date: Mapped[dt.date] = mapped_column(Date, index=True)  # migration 0002
    scope: Mapped[str] = mapped_column(String(400))
    payload: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class DeliveryRow(Base):
    __tablename__ = "hp_deliveries"
    __table_args__ = (UniqueConstraint("platform", "workspace", "channel", "date", "categories"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    workspace: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64))
    date: Mapped[dt.date] = mapped_column(Date)
    categories: Mapped[str] = mapped_column(String(400))
    status: Mapped[str] = mapped_column(String(16))  # claimed | done | failed
    claimed_by: Mapped[str] = mapped_column(String(80))
    claimed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    thread_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class MessageRow(Base):
    __tablename__ = "hp_delivery_messages"
    __table_args__ = (UniqueConstraint("delivery_id", "part"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("hp_deliveries.id", ondelete="CASCADE"))
    part: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(64))
    posted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # The paper a reply was about (migration 0003); None for headers, notices and older rows.
    arxiv_id: Mapped[str | None] = mapped_column(String(40), nullable=True)


class FanoutRow(Base):
    """A due run of a subscription, waiting for (or taken by) an instance (migration 0006)."""

    __tablename__ = "hp_fanout"
    __table_args__ = (
        UniqueConstraint("subscription_id", "scheduled_at"),
        Index("ix_hp_fanout_status_not_before", "status", "not_before"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(Integer)
    platform: Mapped[str] = mapped_column(String(20))
    scheduled_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))  # pending | taken | done
    not_before: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    taken_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    taken_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class InstanceRow(Base):
    """A running instance's heartbeat (migration 0006)."""

    __tablename__ = "hp_instances"
    owner: Mapped[str] = mapped_column(String(80), primary_key=True)
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SubscriptionRow(Base):
    __tablename__ = "hp_subscriptions"
    __table_args__ = (
        UniqueConstraint(
            "platform", "workspace", "channel", "cadence",
            name="uq_hp_subscriptions_channel_cadence",
        ),
    )  # fmt: skip
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    workspace: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64))
    categories: Mapped[str] = mapped_column(String(400))
    top: Mapped[int] = mapped_column(Integer)
    time: Mapped[str] = mapped_column(String(5))
    tz: Mapped[str] = mapped_column(String(64))
    include: Mapped[str] = mapped_column(Text, default="")
    exclude: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_no_listing: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Count this channel's reactions and let them shape its digests (migration 0007).
    reactions: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # "Catching fire" reach in listing days (migration 0003); None: the deployment's default.
    catching_fire_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    cadence: Mapped[str] = mapped_column(String(8), default="daily")  # or "weekly" (0004)
    week_day: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 0 = Monday (weekly)


class AttentionRow(Base):
    """One observation of a paper's attention by a digest build (``bot.series``): ``date`` is
    the digest's listing date, ``listed`` the paper's own (earlier for "Catching fire")."""

    __tablename__ = "hp_attention"
    __table_args__ = (UniqueConstraint("arxiv_id", "date", "observed_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    arxiv_id: Mapped[str] = mapped_column(String(40), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    listed: Mapped[dt.date] = mapped_column(Date)
    observed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    score: Mapped[float] = mapped_column(Float)
    hot: Mapped[bool] = mapped_column(Boolean)


class ReactionRow(Base):
    """How many people of a channel reacted to a paper the bot posted there (``bot.reactions``):
    a count and the paper's features, never who reacted."""

    __tablename__ = "hp_reactions"
    __table_args__ = (UniqueConstraint("platform", "workspace", "channel", "arxiv_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    workspace: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64))
    arxiv_id: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(Text, default="")
    authors: Mapped[str] = mapped_column(Text, default="")  # one name per line
    categories: Mapped[str] = mapped_column(String(400), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SummaryRow(Base):
    __tablename__ = "hp_summaries"
    __table_args__ = (UniqueConstraint("arxiv_id", "model"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    arxiv_id: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)


def describe_db_error(exc: Exception) -> str:
    text = str(getattr(exc, "orig", exc)).splitlines()[0] if str(exc) else type(exc).__name__
    lowered = text.lower()
    if "readonly" in lowered or "read-only" in lowered:
        return f"the database is read-only ({text}); check the file's permissions"
    if "locked" in lowered:
        return f"the database is locked by another process ({text}); try again shortly"
    if "unable to open" in lowered:
        return f"the database file cannot be opened ({text}); check HOTPAPERS_DATABASE_URL"
    return f"database error: {text}"
