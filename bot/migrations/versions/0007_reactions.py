"""The channel's voice: ``hp_reactions`` (people who reacted, counted per channel and paper)
and the per-channel opt-out (``hp_subscriptions.reactions``, on unless a channel turns it off).
The paper of each posted reply, where a reaction counts, is ``hp_delivery_messages.arxiv_id``
(migration 0003). Runs after 0004's SQLite copy of ``hp_subscriptions``, so that copy needs no
``reactions`` column.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hp_reactions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("arxiv_id", sa.String(40), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("authors", sa.Text, nullable=False),
        sa.Column("categories", sa.String(400), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("platform", "workspace", "channel", "arxiv_id"),
    )
    with op.batch_alter_table("hp_subscriptions") as batch:
        batch.add_column(
            sa.Column("reactions", sa.Boolean, nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("hp_subscriptions") as batch:
        batch.drop_column("reactions")
    op.drop_table("hp_reactions")
