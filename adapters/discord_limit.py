"""Discord's global limit, 50 REST requests a second per bot, kept by every client of the process.

discord.py paces each rate-limit bucket but has no pre-emptive global limiter: it learns of the
global limit from 429s and gives up after a few tries, so hundreds of channels posting at once
fail. Each client made by ``adapters.discord.client_defaults`` carries ``global_limit_trace()``,
whose ``on_request_start`` aiohttp awaits before it sends a request (each retry is a new
request), and which waits on the one ``global_limiter()`` of the process.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque

import aiohttp
import discord

from bot.sources.http import RateLimiter

# Discord's global limit is 50 requests a second per bot. The window kept here is 50 ms longer:
# Discord counts a request when it arrives, and the network and the event loop spread arrivals,
# so 50 starts exactly one second apart can land within one second there. In the bench's
# fan-out (500 channels) 1.0 s drew 1,156 global 429s and 2 failed deliveries, 1.1 s drew 70 and
# none but capped the rate at 91 % of the limit; 1.05 s keeps 95 % (the ledger and rendering no
# longer hold the event loop, so arrivals spread less). Every 429 counts toward the 10,000
# invalid requests per 10 minutes after which Cloudflare bans the IP.
GLOBAL_CALLS = 50
GLOBAL_PERIOD = 1.0 + 0.05
# Interaction answers (callback, follow-ups) are exempt from the global limit, and a slash
# command's answer is due within 3 s: they never queue behind a fan-out.
EXEMPT_PATHS = ("/interactions/", "/webhooks/")

_global_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, RateLimiter] = (
    weakref.WeakKeyDictionary()
)


#: Instances of this bot posting at once (``share_global_budget``): each keeps 1/N of the budget.
_instances = 1


def share_global_budget(instances: int) -> None:
    """Keep ``GLOBAL_CALLS / instances`` of Discord's global budget in this process: the limit is
    per bot token, so N instances of one bot (``bot.fanout_worker`` counts them from their
    heartbeats) each take an equal share. A new count applies to every limiter at once."""
    global _instances
    _instances = max(1, instances)
    for limiter in list(_global_limiters.values()):
        _resize(limiter)


def _resize(limiter: RateLimiter) -> None:
    calls = max(1, GLOBAL_CALLS // _instances)
    if limiter.calls != calls:
        limiter.calls = calls
        limiter._starts = deque(limiter._starts, maxlen=calls)  # noqa: SLF001 - its own log


def global_limiter() -> RateLimiter:
    """The one limiter of Discord's global limit that every client of this process waits on
    (one per event loop, since an asyncio lock belongs to one loop; the bot runs one)."""
    loop = asyncio.get_running_loop()
    limiter = _global_limiters.get(loop)
    if limiter is None:
        limiter = _global_limiters[loop] = RateLimiter(GLOBAL_CALLS, GLOBAL_PERIOD)
        _resize(limiter)
    return limiter


def counts_globally(url: str, base: str | None = None) -> bool:
    """Whether a request is a REST call under the global limit: below the API base (the
    client's, else discord.py's), and not an interaction answer (the gateway and the CDN are
    elsewhere)."""
    base = (base or discord.http.Route.BASE).rstrip("/")
    if not url.startswith(base + "/"):
        return False
    return not url[len(base) :].startswith(EXEMPT_PATHS)


def global_limit_trace(base: str | None = None) -> aiohttp.TraceConfig:
    """aiohttp awaits ``on_request_start`` before it sends each request (a retry is a new one);
    ``base``: the client's REST base when it is not discord.py's."""

    async def await_global_limit(
        session: aiohttp.ClientSession,
        context: object,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        if counts_globally(str(params.url), base):
            await global_limiter().wait()

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(await_global_limit)
    return trace
