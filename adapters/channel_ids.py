"""Which channel ids each platform accepts: platform knowledge, kept with the adapters (no SDK
is imported here, so the CLI checks ids without loading one).

A channel's *name* (``general``) where its id belongs is the usual mistake; accepted, it would fail
only at the scheduled time, hours later, so it is refused when given, with where to find the id.
"""

from __future__ import annotations

import re

SLACK_CHANNEL = re.compile(r"[CGD][A-Z0-9]{8,}")  # C: channel, G: private (legacy), D: direct
DISCORD_CHANNEL = re.compile(r"[0-9]{17,20}")  # a snowflake


def check_channel(platform: str, channel: str) -> str:
    """``channel`` if it is a channel id of ``platform`` (the console takes any non-empty name),
    else a ``ValueError`` saying where the id is found."""
    if platform == "slack" and not SLACK_CHANNEL.fullmatch(channel):
        raise ValueError(
            f"{channel!r} is not a Slack channel id: use the id at the bottom of the channel's "
            "details (C followed by capitals and digits, e.g. C0123456789), not its name"
        )
    if platform == "discord" and not DISCORD_CHANNEL.fullmatch(channel):
        raise ValueError(
            f"{channel!r} is not a Discord channel id: use its snowflake of 17-20 digits "
            "(Developer Mode, then right-click the channel, Copy Channel ID)"
        )
    if not channel.strip():
        raise ValueError("the channel is empty: give a name for the console")
    return channel
