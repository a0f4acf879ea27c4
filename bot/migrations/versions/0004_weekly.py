"""Weekly subscriptions: a channel may have a daily and a weekly subscription.

``hp_subscriptions`` gains ``cadence`` (``daily``, what every existing row is, or ``weekly``)
and ``week_day`` (0 = Monday ... 6 = Sunday, for a weekly one), and its unique key becomes
(platform, workspace, channel, cadence). The old key was unnamed (0001): PostgreSQL's is found
by its columns; SQLite's table is copied without it (Alembic's batch mode).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLE = "hp_subscriptions"
KEY = "uq_hp_subscriptions_channel_cadence"
CHANNEL = ["platform", "workspace", "channel"]


def _before() -> sa.Table:
    """``hp_subscriptions`` as 0001 and 0003 made it, less its unnamed unique key (SQLite)."""
    return sa.Table(
        TABLE, sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("categories", sa.String(400), nullable=False),
        sa.Column("top", sa.Integer, nullable=False),
        sa.Column("time", sa.String(5), nullable=False),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("include", sa.Text, nullable=False),
        sa.Column("exclude", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("notify_no_listing", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("catching_fire_days", sa.Integer, nullable=True),  # 0003
    )  # fmt: skip


def upgrade() -> None:
    cadence = sa.Column("cadence", sa.String(8), nullable=False, server_default="daily")
    week_day = sa.Column("week_day", sa.Integer, nullable=True)
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(TABLE, copy_from=_before(), recreate="always") as batch:
            batch.add_column(cadence)
            batch.add_column(week_day)
            batch.create_unique_constraint(KEY, [*CHANNEL, "cadence"])
        return
    for unique in sa.inspect(op.get_bind()).get_unique_constraints(TABLE):
        if sorted(unique["column_names"]) == sorted(CHANNEL) and unique["name"]:
            op.drop_constraint(unique["name"], TABLE, type_="unique")
    op.add_column(TABLE, cadence)
    op.add_column(TABLE, week_day)
    op.create_unique_constraint(KEY, TABLE, [*CHANNEL, "cadence"])


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM hp_subscriptions WHERE cadence <> 'daily'"))
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_constraint(KEY, type_="unique")
        batch.drop_column("week_day")
        batch.drop_column("cadence")
        batch.create_unique_constraint("uq_hp_subscriptions_channel", CHANNEL)
