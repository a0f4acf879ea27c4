"""``hotpapers db upgrade`` and ``hotpapers db current``: the schema revision, by hand.

Every command that opens the store migrates it already (``bot.migrate``); these two are for an
operator who wants to migrate before a deploy, or to see where a database stands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from bot.store_error import StoreError
from hotpapers.cli_common import CliError, app, settings

db_app = typer.Typer(
    help="The database schema: upgrade it, or show its revision.", no_args_is_help=True
)
app.add_typer(db_app, name="db")

if TYPE_CHECKING:
    from bot.store import Store


def _unmigrated_store() -> Store:
    from bot.store import Store  # Alembic and SQLAlchemy: loaded by the db commands only

    try:
        return Store(settings().database_url, create=False)
    except StoreError as exc:
        raise CliError(str(exc)) from None


@db_app.command()
def upgrade() -> None:
    """Migrate the database to this version's schema (what every start does by itself)."""
    from bot import migrate

    store = _unmigrated_store()
    try:
        done = migrate.upgrade(store.engine)
    except StoreError as exc:
        raise CliError(str(exc)) from None
    finally:
        store.close()
    if not done.changed:
        typer.echo(f"The database schema is already at {done.after}, the latest.")
    elif done.before is None:
        typer.echo(f"Upgraded the database schema to {done.after}.")
    else:
        typer.echo(f"Upgraded the database schema from {done.before} to {done.after}.")


@db_app.command()
def current() -> None:
    """Print the database's schema revision and whether it is the latest this version knows."""
    from bot import migrate

    store = _unmigrated_store()
    try:
        with store.engine.connect() as connection:
            revision = migrate.current(connection)
    except Exception as exc:
        from bot.tables import describe_db_error

        raise CliError(describe_db_error(exc)) from None
    finally:
        store.close()
    head = migrate.head()
    if revision == head:
        typer.echo(f"{revision} (the latest)")
    elif revision is None:
        typer.echo(f"none (empty, or made before migrations): the next start upgrades it to {head}")
    elif migrate.known(revision):
        typer.echo(f"{revision} (behind {head}): the next start, or hotpapers db upgrade, "
                   "upgrades it")  # fmt: skip
    else:
        migrate.refuse_newer(revision, head)  # raises the one-line SchemaError
