"""Discord's refusals as ``DeliveryError``s: one line a user can act on, with the fix
(permissions, a channel id), Discord's own reason clamped and redacted, never a token."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
import discord

from bot.logs import redact
from bot.ports import DeliveryError, Refusal
from bot.render import clamp

PERMISSIONS_FIX = (
    "give the bot View Channel, Send Messages, Embed Links, Create Public Threads and "
    "Send Messages in Threads there (or Create Posts in a forum)"
)
CHANNEL_FIX = (
    "check the id (Discord: Developer Mode, right-click the channel, Copy Channel ID) "
    "and that the bot was invited to that server"
)


@contextlib.asynccontextmanager
async def delivery_errors(where: str, action: str, timeout: float) -> AsyncIterator[None]:
    """Discord's refusals within ``timeout`` seconds as ``DeliveryError``: one line with the fix,
    never a token."""
    try:
        async with asyncio.timeout(timeout):
            yield
    except discord.Forbidden as exc:
        raise DeliveryError(
            "missing_permissions",
            f"Discord refused to {action} in {where} (403 {refusal_reason(exc)}): "
            f"{PERMISSIONS_FIX}",
            Refusal.NO_PERMISSION,
        ) from None
    except discord.NotFound as exc:
        raise DeliveryError(
            "unknown_channel",
            f"cannot {action}: Discord does not know {where} "
            f"(404 {refusal_reason(exc)}): {CHANNEL_FIX}",
            Refusal.NOT_IN_CHANNEL,
        ) from None
    except (
        discord.RateLimited,
        discord.DiscordServerError,
        aiohttp.ClientError,
        TimeoutError,
    ) as exc:
        raise DeliveryError(
            "discord_unavailable",
            f"cannot {action} in {where}: {transient_reason(exc)}; the next run resumes the thread",
            Refusal.UNAVAILABLE,
        ) from None
    except discord.HTTPException as exc:
        limited = exc.status == 429
        raise DeliveryError(
            "rate_limited" if limited else "rejected",
            f"Discord refused to {action} in {where} ({exc.status} {refusal_reason(exc)})",
            Refusal.UNAVAILABLE if limited else Refusal.OTHER,
        ) from None


def snowflake(value: str) -> int:
    """A channel or thread id as Discord's integer, or the error that says how to find it."""
    if value.isdigit():
        return int(value)
    raise DeliveryError(
        "unknown_channel",
        f"{clamp(value, 40)!r} is not a Discord channel id: {CHANNEL_FIX}",
        Refusal.NOT_IN_CHANNEL,
    )


def refusal_reason(exc: discord.HTTPException) -> str:
    """Discord's own words for an error ("Missing Permissions", code 50013), one short line."""
    text = " ".join(str(exc.text or "").split())
    line = clamp(f"{text} (code {exc.code})" if exc.code else text or "no reason given", 200)
    return redact(line)  # a proxy's page may echo the request, token included


def transient_reason(exc: BaseException) -> str:
    """Why Discord could not be reached or answered too late, one short line."""
    if isinstance(exc, discord.RateLimited):
        return f"rate limited for {exc.retry_after:.0f} s"
    if isinstance(exc, discord.DiscordServerError):
        return f"Discord answered {exc.status} after retries"
    if isinstance(exc, TimeoutError):
        return "Discord did not answer in time"
    return f"cannot reach Discord ({type(exc).__name__})"
