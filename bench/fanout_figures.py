"""The figures of a fan-out run, from what the fakes hold: complete threads, failures,
duplicates, the achieved rate and the rate the fakes' limits allow (``bench.bounds``)."""

from __future__ import annotations

from typing import Any

from bench.bounds import discord_allowed_s, discord_requests, rate_vs_allowed, slack_allowed_s
from bench.chat_fakes import LimitedDiscord, LimitedSlack
from bench.seeding import FanoutSet


def _threads(sizes: dict[str, int], channels: list[str], expected: int) -> dict[str, int]:
    got = [sizes.get(c, 0) for c in channels]
    return {
        "channels": len(channels),
        "complete": sum(n == expected for n in got),
        "failed": sum(n < expected for n in got),
        "duplicated": sum(n > expected for n in got),
    }


def _window(times: list[float]) -> tuple[float, float]:
    return (min(times), max(times)) if times else (0.0, 0.0)


def fanout_figures(slack: LimitedSlack, discord: LimitedDiscord, fanout: FanoutSet,
                   expected: int, latency: float) -> dict[str, Any]:  # fmt: skip
    """Per platform and together: messages, first-to-last-message seconds, allowed seconds, the
    rate against the allowed rate. The ratio is ``None`` when a thread is incomplete (a rate of
    a fan-out that lost messages is no rate), with the delivered-only figure beside it."""
    slack_channels = [c for channels in fanout.slack.values() for c in channels]
    wanted = set(slack_channels)
    slack_times = [t for c, ts in slack.times.items() if c in wanted for t in ts]
    slack_threads = _threads(slack.thread_sizes(), slack_channels, expected)
    discord_threads = _threads(discord.thread_sizes(), fanout.discord, expected)
    discord_times = discord.message_times
    allowed = {
        "slack": slack_allowed_s({t: len(c) for t, c in fanout.slack.items()}, expected, latency)
        if slack_channels else 0.0,
        "discord": discord_allowed_s(len(fanout.discord), expected, latency)
        if fanout.discord else 0.0,
    }  # fmt: skip
    platforms: dict[str, Any] = {}
    for name, times, threads in (("slack", slack_times, slack_threads),
                                 ("discord", discord_times, discord_threads)):  # fmt: skip
        first, last = _window(times)
        ratio = rate_vs_allowed(len(times), last - first, allowed[name])
        platforms[name] = {
            **threads,
            "messages": len(times),
            "wall_s": last - first,
            "allowed_s": allowed[name],
            "messages_per_s": len(times) / (last - first) if last > first else None,
            "allowed_messages_per_s": len(times) / allowed[name] if allowed[name] else None,
            "rate_vs_allowed": ratio if not threads["failed"] else None,
            "rate_vs_allowed_delivered": ratio,
        }
    every = slack_times + discord_times
    first, last = _window(every)
    failed = slack_threads["failed"] + discord_threads["failed"]
    overall = rate_vs_allowed(len(every), last - first, max(allowed.values()))
    return {
        "fanout_channels": len(slack_channels) + len(fanout.discord),
        "fanout_workspaces": len(fanout.slack),
        "fanout_rate_vs_allowed": overall if not failed else None,
        "rate_vs_allowed_delivered": overall,
        "messages_per_thread": expected,
        "messages": len(every),
        "wall_s": last - first,
        "allowed_s": max(allowed.values()),
        "failed": failed,
        "duplicated": slack_threads["duplicated"] + discord_threads["duplicated"],
        "slack": platforms["slack"],
        "discord": {**platforms["discord"],
                    "requests_seen": len(discord.requests),
                    "requests_needed": discord_requests(len(fanout.discord), expected)},
        "slack_429": dict(slack.too_fast),
        "discord_429": dict(discord.too_fast),
        **({"reason": f"{failed} threads incomplete"} if failed else {}),
    }  # fmt: skip
