"""Discord: a digest as a thread (or a forum post), through discord.py's REST client.

Posting needs no gateway: ``client.login(token)`` opens an HTTP session (``GET /users/@me`` and
``GET /oauth2/applications/@me``), and every message is a REST call. The channel is fetched, not
taken as a partial messageable: a partial one has no guild, and a message without a guild cannot
open a thread. discord.py paces requests per rate-limit bucket and retries 429s itself (only those
carrying a ``Via`` header: a bare 429 is a Cloudflare ban, reported as ``rate_limited`` by
``adapters.discord_errors``).
It has no pre-emptive global limiter, though: every client made here (``client_defaults``) waits
on one limiter of Discord's global 50 requests a second before each REST request it sends, its
retries included, so hundreds of channels posting at once queue instead of failing on 429s.

The REST base (``HOTPAPERS_DISCORD_API_URL``, e.g. a shared rate-limit proxy) is set per client,
never by changing discord.py's class attribute ``discord.http.Route.BASE`` for the whole process
(discord.py has no base-URL option; its ``proxy`` is a forward HTTP proxy). ``use_api_base``
rebases each route of one client's ``HTTPClient.request`` and, for interaction answers and
webhooks (which discord.py sends through the ``AsyncWebhookAdapter`` of its ``async_context``
context variable), installs a rebasing adapter in the current context, which the gateway task
created after login inherits.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import discord
from discord.webhook.async_ import AsyncWebhookAdapter, async_context

from adapters.discord_embeds import (
    AUTO_ARCHIVE_MINUTES,
    CONTENT_LIMIT,
    entry_components,
    entry_content,
    entry_embed,
    header_embed,
    thread_name,
    to_embed,
)
from adapters.discord_errors import delivery_errors, snowflake, transient_reason
from adapters.discord_limit import GLOBAL_CALLS, global_limit_trace
from adapters.discord_thread import find_posted, nonce
from adapters.render_cache import PerDigest
from bot.clock import Clock
from bot.config import ConfigError, Settings
from bot.models import Digest, Entry
from bot.ports import DeliveryError, Found, Refusal
from bot.render import clamp

log = logging.getLogger(__name__)

#: Each digest's embeds built once, for every channel it is posted to.
EMBEDS: PerDigest[discord.Embed] = PerDigest()

THREAD_EXISTS = 160004  # "A thread has already been created for this message"

MAX_RATELIMIT_WAIT = 60.0  # a longer 429 wait fails the delivery; the ledger resumes it later


#: discord.py's own base, for the API version it speaks; routes are built on it.
DEFAULT_API_BASE = discord.http.Route.BASE


def rebase(route: discord.http.Route, base: str) -> discord.http.Route:
    """``route`` with its URL moved from discord.py's base to ``base`` (in place)."""
    if route.url.startswith(DEFAULT_API_BASE + "/"):
        route.url = base + route.url[len(DEFAULT_API_BASE) :]
    return route


class RebasingWebhookAdapter(AsyncWebhookAdapter):
    """discord.py's webhook and interaction-answer sender, on another API base."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    async def request(self, route: discord.http.Route, *args: Any, **kwargs: Any) -> Any:
        return await super().request(rebase(route, self.base), *args, **kwargs)


def use_api_base(client: discord.Client, url: str) -> None:
    """Send ``client``'s REST calls to ``url`` (e.g. ``.../api/v10``); call before login, in the
    task that then starts the client's gateway. Other clients and ``Route.BASE`` are untouched."""
    base = url.rstrip("/")
    if base == DEFAULT_API_BASE:
        return
    http = client.http
    send = http.request

    async def request(route: discord.http.Route, **kwargs: Any) -> Any:
        return await send(rebase(route, base), **kwargs)

    http.request = request  # type: ignore[method-assign]
    http.http_trace = global_limit_trace(base)
    async_context.set(RebasingWebhookAdapter(base))


def no_mentions() -> discord.AllowedMentions:
    """What every message is sent with: third-party text in it can ping no one."""
    return discord.AllowedMentions.none()


def quiet_voice_warnings() -> None:
    """No "PyNaCl is not installed" warning at start: this bot never joins a voice channel."""
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False


def client_defaults() -> dict[str, Any]:
    """What every ``discord.Client`` here is made with: it mentions no one by default, fails
    long rate-limit waits fast and waits on the process's global limiter."""
    quiet_voice_warnings()
    return {
        "allowed_mentions": no_mentions(),
        "max_ratelimit_timeout": MAX_RATELIMIT_WAIT,
        "http_trace": global_limit_trace(),
    }


def new_client(intents: discord.Intents | None = None, **options: Any) -> discord.Client:
    """A REST client made with ``client_defaults()`` (``options`` override them)."""
    if intents is None:
        intents = discord.Intents.none()
        intents.guilds = True  # REST needs no intents; this one keeps discord.py from warning
    return discord.Client(intents=intents, **{**client_defaults(), **options})


def entry_view(arxiv_id: str) -> discord.ui.View:
    """The buttons of a paper message as a (stopped) view; call inside the running loop."""
    view = discord.ui.View(timeout=None)
    for row in entry_components(arxiv_id):
        for button in row["components"]:
            view.add_item(discord.ui.Button(
                style=discord.ButtonStyle(button["style"]), label=button["label"],
                custom_id=button["custom_id"],
            ))  # fmt: skip
    view.stop()  # never stored by discord.py: presses go to on_interaction
    return view


class DiscordAdapter:
    """``bot.ports.Adapter`` for Discord over any logged-in ``discord.Client``.

    The same adapter serves ``hotpapers post``, the scheduler (a REST-only client from
    ``make_discord_rest_adapter``) and the slash command (the gateway bot's own client).
    """

    name = "discord"
    max_message_chars = CONTENT_LIMIT
    # Sized from the limits: the bot's global budget (GLOBAL_CALLS a second, adapters.
    # discord_limit) and a channel's message route (5 per 5 s: about one request a second once
    # its burst is spent): GLOBAL_CALLS channels keep the budget full, a fifth more covers the
    # round trips of channels between two requests.
    post_concurrency = GLOBAL_CALLS + GLOBAL_CALLS // 5

    def __init__(
        self, client: discord.Client, *, timeout: float = 120.0, owns_client: bool = False
    ) -> None:
        self.client = client
        self.timeout = timeout
        self._owns_client = owns_client

    async def post_header(self, channel: str, digest: Digest) -> tuple[str, str]:
        """The header embed, then a thread from it; in a forum, one post holding the header.

        Sent with the digest's header nonce (``adapters.discord_thread``): a repeat after a
        crash gets the message Discord already has, and a thread already started from it is
        adopted rather than refused."""
        async with delivery_errors(f"channel {channel}", "post the header", self.timeout):
            target = await self._channel(channel)
            embed = EMBEDS.get(digest, "header", lambda: to_embed(header_embed(digest)))
            if isinstance(target, discord.ForumChannel):
                created = await target.create_thread(
                    name=thread_name(digest),
                    embed=embed,
                    auto_archive_duration=AUTO_ARCHIVE_MINUTES,
                    allowed_mentions=no_mentions(),
                )
                return str(created.message.id), str(created.thread.id)
            message = await target.send(
                embed=embed, allowed_mentions=no_mentions(), nonce=nonce(digest, "header", channel)
            )
            if isinstance(target, discord.TextChannel):
                return str(message.id), await self._thread_of(message, digest)
            # Already a thread, or a channel without threads (voice chat, DM): reply in place.
            return str(message.id), str(message.channel.id)

    async def _thread_of(self, message: discord.Message, digest: Digest) -> str:
        try:
            thread = await message.create_thread(
                name=thread_name(digest), auto_archive_duration=AUTO_ARCHIVE_MINUTES
            )
        except discord.HTTPException as exc:
            if exc.code != THREAD_EXISTS:
                raise
            return str(message.id)  # started before a crash: a thread has its message's id
        return str(thread.id)

    async def post_entry(self, channel: str, thread_id: str, digest: Digest, entry: Entry) -> str:
        """One paper as a message in the thread (a partial messageable: sending needs no guild)."""
        async with delivery_errors(f"thread {thread_id}", f"post paper {entry.rank}", self.timeout):
            thread = self.client.get_partial_messageable(snowflake(thread_id))
            part = str(entry.rank)
            embed = EMBEDS.get(digest, part, lambda: to_embed(entry_embed(digest, entry)))
            message = await thread.send(
                entry_content(digest, entry), embed=embed, allowed_mentions=no_mentions(),
                nonce=nonce(digest, part, thread_id), view=entry_view(entry.paper.arxiv_id),
            )  # fmt: skip
            return str(message.id)

    async def find_posted(self, channel: str, digest: Digest, thread_id: str | None) -> Found:
        """What Discord holds of the digest's thread (``adapters.discord_thread``)."""
        async with delivery_errors(f"channel {channel}", "read back the thread", self.timeout):
            return await find_posted(self.client, channel, digest, thread_id)

    async def post_text(self, channel: str, text: str) -> str:
        async with delivery_errors(f"channel {channel}", "post a notice", self.timeout):
            target = self.client.get_partial_messageable(snowflake(channel))
            message = await target.send(
                clamp(text, CONTENT_LIMIT), allowed_mentions=no_mentions(), suppress_embeds=True
            )
            return str(message.id)

    async def close(self) -> None:
        """Close the HTTP session if this adapter made the client (the bot closes its own)."""
        if self._owns_client:
            await self.client.close()

    async def _channel(self, channel: str) -> discord.abc.Messageable | discord.ForumChannel:
        channel_id = snowflake(channel)
        found = self.client.get_channel(channel_id) or await self.client.fetch_channel(channel_id)
        if not isinstance(found, discord.abc.Messageable | discord.ForumChannel):
            kind = type(found).__name__
            raise DeliveryError(
                "unsupported_channel",
                f"Discord channel {channel} is a {kind}, which holds no messages: "
                "pick a text, announcement or forum channel",
                Refusal.INVALID,
            )
        return found


async def login_rest_client(settings: Settings, client: discord.Client) -> None:
    """Log ``client`` in over REST with ``DISCORD_TOKEN`` (no gateway), or explain what is wrong."""
    token = settings.secret("discord_token")
    if not token:
        raise ConfigError(
            "DISCORD_TOKEN is not set: copy the bot token from "
            "https://discord.com/developers/applications (Bot, Reset Token)"
        )
    use_api_base(client, settings.url("discord_api_url"))
    try:
        async with asyncio.timeout(settings.http_timeout):
            await client.login(token)
    except discord.LoginFailure:
        await client.close()
        raise ConfigError(
            "DISCORD_TOKEN was rejected by Discord (401): reset the token in the Developer "
            "Portal (Bot, Reset Token) and update DISCORD_TOKEN"
        ) from None
    except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as exc:
        await client.close()
        raise DeliveryError(
            "discord_unavailable",
            f"cannot log in to Discord at {settings.url('discord_api_url')}: "
            f"{transient_reason(exc)}",
            Refusal.UNAVAILABLE,
        ) from None


async def make_discord_rest_adapter(
    settings: Settings, clock: Clock | None = None
) -> DiscordAdapter:
    """A REST-only adapter for ``hotpapers post`` and the scheduler; ``close()`` it when done.

    ``clock`` is accepted like the other adapters' factories; discord.py and the global limiter
    pace the requests.
    """
    client = new_client()
    await login_rest_client(settings, client)
    return DiscordAdapter(
        client, timeout=settings.http_timeout + MAX_RATELIMIT_WAIT, owns_client=True
    )
