"""Setting the Discord bot up: the invite link with exactly the permissions it needs, and the
one-request login behind ``hotpapers check`` and ``hotpapers discord-invite``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import discord

from adapters.discord import login_rest_client, new_client
from bot.config import ConfigError, Settings

VIEW_CHANNEL = 1 << 10  # without it the bot cannot see (so fetch or post to) a channel
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
READ_MESSAGE_HISTORY = 1 << 16
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38
#: Exactly what posting a digest thread needs, nothing more.
BOT_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | READ_MESSAGE_HISTORY
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)
INVITE_SCOPES = "bot+applications.commands"


def invite_url(application_id: str, permissions: int = BOT_PERMISSIONS) -> str:
    """The OAuth2 URL that adds the bot to a server with ``permissions`` and slash commands."""
    return (
        "https://discord.com/oauth2/authorize"
        f"?client_id={application_id}&scope={INVITE_SCOPES}&permissions={permissions}"
    )


@asynccontextmanager
async def logged_in(settings: Settings) -> AsyncIterator[discord.Client]:
    """A REST-only client for one short task (login reads the bot user and its application)."""
    client = new_client()
    await login_rest_client(settings, client)
    try:
        yield client
    finally:
        await client.close()


async def check_discord(settings: Settings) -> str:
    """Log in over REST (``GET /users/@me``) for ``hotpapers check``: who the bot is."""
    async with logged_in(settings) as client:
        return f"authenticated as {client.user.name if client.user else '?'}"


async def application_id(settings: Settings) -> str:
    """``HOTPAPERS_DISCORD_APP_ID``, else the id Discord reports for ``DISCORD_TOKEN``."""
    if settings.discord_app_id:
        return settings.discord_app_id
    if not settings.secret("discord_token"):
        raise ConfigError(
            "set HOTPAPERS_DISCORD_APP_ID or DISCORD_TOKEN to find the application id"
        )
    async with logged_in(settings) as client:
        return str(client.application_id)
