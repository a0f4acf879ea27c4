"""The fan-out queue and the instances' heartbeats: every instance takes part in a day's fan-out.

``hp_fanout``: one row per due run of a subscription, enqueued by the leader and claimed by any
instance with ``SELECT ... FOR UPDATE SKIP LOCKED`` (``bot.fanout_queue``). ``hp_instances``: one
row per running instance, renewed every few seconds; the live ones share Discord's global budget.

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hp_fanout",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("subscription_id", sa.Integer, nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_by", sa.String(80), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("subscription_id", "scheduled_at"),
    )
    op.create_index("ix_hp_fanout_status_not_before", "hp_fanout", ["status", "not_before"])
    op.create_table(
        "hp_instances",
        sa.Column("owner", sa.String(80), primary_key=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("hp_instances")
    op.drop_index("ix_hp_fanout_status_not_before", table_name="hp_fanout")
    op.drop_table("hp_fanout")
