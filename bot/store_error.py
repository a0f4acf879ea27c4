"""``StoreError``, in a module of its own: the command line catches it without importing
SQLAlchemy (start-up time), and ``bot.tables``/``bot.store`` raise it."""

from __future__ import annotations


class StoreError(Exception):
    """The database cannot be used (locked, read-only, unreachable); one line for the operator."""
