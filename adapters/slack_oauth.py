"""Multi-workspace Slack install: OAuth with slack_sdk's SQLAlchemy stores on the project's DB.

Only when ``SLACK_CLIENT_ID`` and ``SLACK_CLIENT_SECRET`` are set; a single ``SLACK_BOT_TOKEN``
stays the simple default. The async stores need an async driver: ``aiosqlite`` for SQLite,
psycopg 3 (``postgresql+psycopg``, async built in) for PostgreSQL, plus SQLAlchemy's ``greenlet``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.config import ConfigError, Settings

# Exactly what the bot calls: the /hotpapers command and chat.postMessage.
SCOPES = ("commands", "chat:write", "users:read", "channels:history", "groups:history",
          "reactions:read")  # fmt: skip
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_EXPIRATION_SECONDS = 600

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+psycopg"}


def oauth_configured(settings: Settings) -> bool:
    return bool(settings.slack_client_id and settings.secret("slack_client_secret"))


def async_database_url(database_url: str) -> URL:
    """The same database through its async driver (``sqlite`` -> ``sqlite+aiosqlite``...)."""
    url = make_url(database_url)
    driver = _ASYNC_DRIVERS.get(url.get_backend_name())
    if driver is None:
        raise ConfigError(
            f"Slack OAuth stores need SQLite or PostgreSQL, not {url.get_backend_name()}: "
            "set HOTPAPERS_DATABASE_URL"
        )
    return url.set(drivername=driver)


def _ensure_sqlite_folder(url: URL) -> None:
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


@dataclass
class SlackOAuth:
    """The OAuth settings Bolt serves ``/slack/install`` with, and the stores behind them."""

    settings: AsyncOAuthSettings
    installation_store: AsyncSQLAlchemyInstallationStore
    state_store: AsyncSQLAlchemyOAuthStateStore
    engine: AsyncEngine

    async def create_tables(self) -> None:
        """Create slack_installations, slack_bots and slack_oauth_states if missing."""
        await self.installation_store.create_tables()
        await self.state_store.create_tables()

    async def bot_token(self, team_id: str, enterprise_id: str | None = None) -> str | None:
        """The bot token of an installed workspace (for scheduled posts), or None."""
        bot = await self.installation_store.async_find_bot(
            enterprise_id=enterprise_id, team_id=team_id
        )
        return bot.bot_token if bot is not None else None

    async def close(self) -> None:
        await self.engine.dispose()


def build_slack_oauth(settings: Settings, *, engine: AsyncEngine | None = None) -> SlackOAuth:
    """OAuth stores on ``HOTPAPERS_DATABASE_URL`` (``await oauth.create_tables()`` at start)."""
    client_id = settings.slack_client_id
    client_secret = settings.secret("slack_client_secret")
    if not client_id or not client_secret:
        raise ConfigError("Slack OAuth needs both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
    if engine is None:
        url = async_database_url(settings.database_url)
        _ensure_sqlite_folder(url)
        engine = create_async_engine(url)
    installations = AsyncSQLAlchemyInstallationStore(client_id=client_id, engine=engine)
    states = AsyncSQLAlchemyOAuthStateStore(
        expiration_seconds=STATE_EXPIRATION_SECONDS, engine=engine
    )
    oauth_settings = AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(SCOPES),
        user_scopes=[],
        installation_store=installations,
        installation_store_bot_only=True,
        state_store=states,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        install_page_rendering_enabled=False,
        state_expiration_seconds=STATE_EXPIRATION_SECONDS,
    )
    return SlackOAuth(oauth_settings, installations, states, engine)
