"""One plain-words line saying why a paper is hot, from the counts that scored it.

Readers do not read score formulas; "discussed by 26 people on Bluesky, 120 upvotes on Hugging
Face, 250 points on Hacker News" tells them what kind of attention it was. Only what actually
scored is named: a signal whose term is 0 (citations on a fresh date) stays out of the line.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.models import Signals

PLATFORM_LABELS = {
    "bluesky": "Bluesky",
    "x": "X",
    "mastodon": "Mastodon",
    "reddit": "Reddit",
}


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _label(platform: str) -> str:
    return PLATFORM_LABELS.get(platform, platform)


def why_line(
    people: Mapping[str, int],
    feeds: Mapping[str, int],
    signals: Signals,
    terms: Mapping[str, float],
) -> str:
    """``people``/``feeds``: distinct readers and feed accounts (whose post scored) per platform."""
    parts: list[str] = []
    ordered = sorted(((n, _label(p)) for p, n in people.items() if n), key=lambda t: (-t[0], t[1]))
    for index, (n, label) in enumerate(ordered):
        lead = "discussed by " if index == 0 else ""
        parts.append(f"{lead}{_plural(n, 'person', 'people')} on {label}")
    for platform, n in sorted(feeds.items()):
        if n:
            feeds_text = _plural(n, "feed account", "feed accounts")
            parts.append(f"shared by {feeds_text} on {_label(platform)}")
    if terms.get("huggingface"):
        parts.append(f"{_plural(signals.hf_upvotes or 0, 'upvote', 'upvotes')} on Hugging Face")
    if terms.get("hackernews"):
        parts.append(f"{_plural(signals.hn_points or 0, 'point', 'points')} on Hacker News")
    if terms.get("citations"):
        cited = _plural(signals.citations or 0, "citation", "citations")
        parts.append(f"{cited} (Semantic Scholar)")
    if terms.get("reported"):
        reposts, likes = signals.reported_reposts or 0, signals.reported_likes or 0
        parts.append(
            f"{_plural(reposts, 'retweet', 'retweets')} and "
            f"{_plural(likes, 'favorite', 'favorites')} on Twitter"
        )
    return ", ".join(parts)
