"""Trends and memory across days: the attention series, which paper each thread message was
about, and a subscription's own "Catching fire" setting.

- ``hp_attention``: one row per (paper, digest date, observation time): the score a digest build
  saw and whether the paper was hot then (``bot.series``), indexed by arxiv_id.
- ``hp_delivery_messages.arxiv_id``: the paper a reply was about (``None`` for headers and older
  rows), so a channel's ledger knows what it has already featured (``bot.memory``).
- ``hp_subscriptions.catching_fire_days``: a channel's "Catching fire" reach in listing days
  (``None``: the deployment's ``HOTPAPERS_CATCHING_FIRE_DAYS``; 0: off).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hp_attention",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("arxiv_id", sa.String(40), nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("listed", sa.Date, nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("hot", sa.Boolean, nullable=False),
        sa.UniqueConstraint("arxiv_id", "date", "observed_at"),
    )
    op.create_index("ix_hp_attention_arxiv_id", "hp_attention", ["arxiv_id"])
    op.add_column("hp_delivery_messages", sa.Column("arxiv_id", sa.String(40), nullable=True))
    op.add_column("hp_subscriptions", sa.Column("catching_fire_days", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hp_subscriptions") as batch:
        batch.drop_column("catching_fire_days")
    with op.batch_alter_table("hp_delivery_messages") as batch:
        batch.drop_column("arxiv_id")
    op.drop_index("ix_hp_attention_arxiv_id", table_name="hp_attention")
    op.drop_table("hp_attention")
