"""Checks of single settings that need more than a type: the database URL and its driver,
Slack token kinds, time zones, Discord's public key and shard split. Each raises a ``ValueError``
whose words name the problem, never the value (``bot.config`` turns it into one line per
setting). With ``ConfigError`` and the limits, this is the part of the configuration that needs
no pydantic: the CLI imports it at start, ``bot.config`` (and pydantic) only when settings are
read."""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from pydantic import SecretStr

MAX_TOP = 50
#: How many listing days back "Catching fire" may reach (setting, chat, CLI).
MAX_CATCHING_FIRE_DAYS = 10
#: The longest total time a source may take for one digest: a scheduled post's grace is an hour.
MAX_DEADLINE = 1800.0


class ConfigError(Exception):
    """A configuration problem, phrased as one line for the operator."""


def check_timezone(name: str) -> ZoneInfo:
    """A ``ZoneInfo`` or a ``ValueError`` naming the bad zone (ZoneInfo raises a KeyError)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name like Europe/Berlin)"
        ) from exc


# The SQLAlchemy drivers the store is tested with, and the module each needs.
DATABASE_DRIVERS = {
    "sqlite": {"": "sqlite3", "pysqlite": "sqlite3"},
    "postgresql": {"": "psycopg", "psycopg": "psycopg", "psycopg2": "psycopg2"},
}


def check_database_url(url: str) -> str:
    """``url`` if the store can use it: SQLite or PostgreSQL, with its driver installed."""
    scheme, sep, _ = url.partition("://")
    backend, _, driver = scheme.partition("+")
    if not sep or backend not in DATABASE_DRIVERS:
        raise ValueError(
            "expected sqlite:///path/to/file.sqlite3 or postgresql+psycopg://user:password@host/db"
        )
    module = DATABASE_DRIVERS[backend].get(driver)
    if module is None:
        raise ValueError(f"unsupported {backend} driver {driver!r}; leave it out or use psycopg")
    if importlib.util.find_spec(module) is None:
        raise ValueError(
            f"the {module} package is not installed (pip install 'hotpapers[postgres]', "
            "then use postgresql+psycopg://...)"
        )
    return url


SLACK_TOKEN_KINDS = {
    "xoxb-": "a bot token (xoxb-...), which goes in SLACK_BOT_TOKEN",
    "xapp-": "an app-level token (xapp-...), which goes in SLACK_APP_TOKEN",
    "xoxp-": "a user token (xoxp-...); use the app's Bot User OAuth Token (xoxb-...)",
}


def token_shape(value: SecretStr | None, prefixes: tuple[str, ...], what: str) -> SecretStr | None:
    """A Slack token with the expected prefix; the error names the token kind, never the value."""
    if value is None or value.get_secret_value().startswith(prefixes):
        return value
    text = value.get_secret_value()
    kind = next((k for p, k in SLACK_TOKEN_KINDS.items() if text.startswith(p)), None)
    raise ValueError(f"expected {what}" + (f"; this is {kind}" if kind else ""))


def check_public_key(value: str | None) -> str | None:
    """Discord's application public key (Ed25519): 64 hex digits, kept lower-case."""
    if value is None:
        return None
    key = value.strip().lower()
    if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
        raise ValueError(
            "expected the 64 hex digits of the Public Key (Developer Portal -> your app -> "
            "General Information)"
        )
    return key


def check_shards(ids: list[int] | None, count: int | None) -> None:
    """``HOTPAPERS_DISCORD_SHARD_IDS`` needs the count, and each id is below it."""
    if ids is None:
        return
    if count is None:
        raise ValueError("HOTPAPERS_DISCORD_SHARD_IDS needs HOTPAPERS_DISCORD_SHARD_COUNT")
    if not ids or any(not 0 <= i < count for i in ids):
        raise ValueError(f"HOTPAPERS_DISCORD_SHARD_IDS: expected ids from 0 to {count - 1}")
