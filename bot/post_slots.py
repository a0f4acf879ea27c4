"""How many channels of one platform post at once: ``PostingSlots``, a semaphore per platform
sized by ``POST_CONCURRENCY``, shared by every job of one ``bot.jobs.DigestScheduler``."""

from __future__ import annotations

import asyncio

# How many channels of one platform post at once. A channel sends one message at a time, so
# these only need to be large enough that the platform's own limits, kept by the adapters, are
# what bounds a fan-out (the figures are the platforms' published rate limits):
# - Slack: chat.postMessage allows about 1 message a second per channel, with short bursts
#   (adapters.slack.ChannelPacer keeps it), so 100 channels post about 100 messages a second:
#   500 channels of 11 messages take about 5 x 10 s, not 500 / 8 x 10 s. Slack also keeps a
#   workspace-wide limit it does not quantify; its 429s carry Retry-After, which the adapter
#   waits out, and a run that still fails is retried later, resuming from the ledger.
# - Discord: 50 requests a second for the whole bot (adapters.discord_limit). A channel has one
#   request in flight and a round trip takes well under a second, so 50 channels keep that
#   budget full; more would only lengthen the limiter's queue.
# - console: one terminal; threads printed at once would interleave.
POST_CONCURRENCY = {"slack": 100, "discord": 50, "console": 1}
DEFAULT_POST_CONCURRENCY = 8  # a platform with no figure of its own


class PostingSlots:
    """One semaphore per platform, made on first use with the platform's figure."""

    def __init__(self) -> None:
        self._posting: dict[str, asyncio.Semaphore] = {}

    def of(self, platform: str) -> asyncio.Semaphore:
        """The platform's posting slots, shared by every job of this scheduler."""
        if platform not in self._posting:
            size = POST_CONCURRENCY.get(platform, DEFAULT_POST_CONCURRENCY)
            self._posting[platform] = asyncio.Semaphore(size)
        return self._posting[platform]
