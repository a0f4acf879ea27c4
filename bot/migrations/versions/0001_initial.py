"""The initial schema: every table as ``create_all`` made it up to hotpapers 0.1.0.

The store's five ``hp_*`` tables and the three tables of Slack's SQLAlchemy installation and
OAuth-state stores (``adapters/slack_oauth.py``), frozen here as they were: a revision never
follows later model changes.

A database made by 0.1.0's ``create_all`` has these tables but no ``alembic_version``: this
revision adopts it. A table that exists is checked to have every column listed here (and is
left as it is); a missing one is created. A table missing a column stops the upgrade with a
line naming both, before anything is created, since guessing its data would be unsafe.

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _tables(metadata: sa.MetaData) -> list[sa.Table]:
    tz = sa.DateTime(timezone=True)
    return [
        sa.Table(
            "hp_snapshots", metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("source", sa.String(40), nullable=False),
            sa.Column("date", sa.Date, nullable=False),
            sa.Column("scope", sa.String(400), nullable=False),
            sa.Column("payload", sa.Text, nullable=False),
            sa.Column("fetched_at", tz, nullable=False),
            sa.UniqueConstraint("source", "date", "scope"),
        ),
        sa.Table(
            "hp_deliveries", metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("platform", sa.String(20), nullable=False),
            sa.Column("workspace", sa.String(64), nullable=False),
            sa.Column("channel", sa.String(64), nullable=False),
            sa.Column("date", sa.Date, nullable=False),
            sa.Column("categories", sa.String(400), nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("claimed_by", sa.String(80), nullable=False),
            sa.Column("claimed_at", tz, nullable=False),
            sa.Column("thread_id", sa.String(64), nullable=True),
            sa.Column("error", sa.Text, nullable=True),
            sa.UniqueConstraint("platform", "workspace", "channel", "date", "categories"),
        ),
        sa.Table(
            "hp_delivery_messages", metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("delivery_id", sa.Integer,
                      sa.ForeignKey("hp_deliveries.id", ondelete="CASCADE"), nullable=False),
            sa.Column("part", sa.String(16), nullable=False),
            sa.Column("message_id", sa.String(64), nullable=False),
            sa.Column("posted_at", tz, nullable=False),
            sa.UniqueConstraint("delivery_id", "part"),
        ),
        sa.Table(
            "hp_subscriptions", metadata,
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
            sa.Column("created_at", tz, nullable=False),
            sa.UniqueConstraint("platform", "workspace", "channel"),
        ),
        sa.Table(
            "hp_summaries", metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("arxiv_id", sa.String(40), nullable=False),
            sa.Column("model", sa.String(120), nullable=False),
            sa.Column("text", sa.Text, nullable=False),
            sa.UniqueConstraint("arxiv_id", "model"),
        ),
        *_slack_tables(metadata),
    ]  # fmt: skip


def _slack_tables(metadata: sa.MetaData) -> list[sa.Table]:
    """slack_sdk 3.x's ``build_installations_table``, ``build_bots_table`` and
    ``build_oauth_states_table``, with their default names (``installed_at``'s default is
    client-side, so it is not part of the schema)."""
    s32, s200, s1000 = sa.String(32), sa.String(200), sa.String(1000)
    return [
        sa.Table(
            "slack_installations", metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("client_id", s32, nullable=False),
            sa.Column("app_id", s32, nullable=False),
            sa.Column("enterprise_id", s32),
            sa.Column("enterprise_name", s200),
            sa.Column("enterprise_url", s200),
            sa.Column("team_id", s32),
            sa.Column("team_name", s200),
            sa.Column("bot_token", s200),
            sa.Column("bot_id", s32),
            sa.Column("bot_user_id", s32),
            sa.Column("bot_scopes", s1000),
            sa.Column("bot_refresh_token", s200),
            sa.Column("bot_token_expires_at", sa.DateTime),
            sa.Column("user_id", s32, nullable=False),
            sa.Column("user_token", s200),
            sa.Column("user_scopes", s1000),
            sa.Column("user_refresh_token", s200),
            sa.Column("user_token_expires_at", sa.DateTime),
            sa.Column("incoming_webhook_url", s200),
            sa.Column("incoming_webhook_channel", s200),
            sa.Column("incoming_webhook_channel_id", s200),
            sa.Column("incoming_webhook_configuration_url", s200),
            sa.Column("is_enterprise_install", sa.Boolean, nullable=False),
            sa.Column("token_type", s32),
            sa.Column("installed_at", sa.DateTime, nullable=False),
            sa.Index("slack_installations_idx", "client_id", "enterprise_id", "team_id",
                     "user_id", "installed_at"),
        ),
        sa.Table(
            "slack_bots", metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("client_id", s32, nullable=False),
            sa.Column("app_id", s32, nullable=False),
            sa.Column("enterprise_id", s32),
            sa.Column("enterprise_name", s200),
            sa.Column("team_id", s32),
            sa.Column("team_name", s200),
            sa.Column("bot_token", s200),
            sa.Column("bot_id", s32),
            sa.Column("bot_user_id", s32),
            sa.Column("bot_scopes", s1000),
            sa.Column("bot_refresh_token", s200),
            sa.Column("bot_token_expires_at", sa.DateTime),
            sa.Column("is_enterprise_install", sa.Boolean, nullable=False),
            sa.Column("installed_at", sa.DateTime, nullable=False),
            sa.Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
        ),
        sa.Table(
            "slack_oauth_states", metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("state", s200, nullable=False),
            sa.Column("expire_at", sa.DateTime, nullable=False),
        ),
    ]  # fmt: skip


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    existing = set(inspector.get_table_names())
    tables = _tables(sa.MetaData())
    for table in tables:  # check every adopted table before creating anything
        if table.name in existing:
            have = {column["name"] for column in inspector.get_columns(table.name)}
            missing = [column.name for column in table.columns if column.name not in have]
            if missing:
                raise RuntimeError(
                    f"table {table.name} has no column {', '.join(missing)}: it was not made by "
                    "hotpapers 0.1.0, so it cannot be adopted"
                )
    for table in tables:
        if table.name not in existing:
            table.create(bind)


def downgrade() -> None:
    for table in reversed(_tables(sa.MetaData())):
        op.drop_table(table.name)
