"""Index hp_snapshots.date: ``Store.snapshot_sources(date)`` asks by date alone, which the
(source, date, scope) unique index cannot serve.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_hp_snapshots_date", "hp_snapshots", ["date"])


def downgrade() -> None:
    op.drop_index("ix_hp_snapshots_date", table_name="hp_snapshots")
