"""Alembic's environment: run the revisions on the connection ``bot.migrate`` hands over.

There is no ``alembic.ini`` and no URL here: ``bot.migrate`` builds the ``Config`` in code and
passes an open connection (``config.attributes["connection"]``), already holding PostgreSQL's
migration lock, so every caller (start-up, ``hotpapers db upgrade``, the tests) migrates the same
way. ``target_metadata`` is the store's models, for ``python -m bot.migrate revision``'s
autogenerate; Slack's tables are owned by revisions, not by our models, so autogenerate leaves
them alone.
"""

from __future__ import annotations

from alembic import context

from bot.migrate import include_object
from bot.tables import Base

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by copying tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():  # pragma: no cover - offline SQL scripts are not supported
    raise SystemExit("offline migrations are not supported: use hotpapers db upgrade")
run_migrations_online()
