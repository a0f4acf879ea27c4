"""Alembic migrations of the store's schema (``bot.migrate`` runs them; see CONTRIBUTING.md)."""
