"""The configuration reference, generated from ``Settings`` so the docs cannot drift.

``python -m bot.configdoc`` rewrites ``.env.example`` and the table in README.md between the
``<!-- settings:start -->`` / ``<!-- settings:end -->`` markers; a test fails when they differ.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.config import Settings, env_name

DESCRIPTIONS: dict[str, str] = {
    "slack_bot_token": "Slack bot token (xoxb-...) for single-workspace mode.",
    "slack_app_token": "Slack app-level token (xapp-...): enables Socket Mode.",
    "slack_signing_secret": "Slack signing secret: enables HTTP mode at POST /slack/events.",
    "slack_client_id": "Slack OAuth client id: enables multi-workspace install.",
    "slack_client_secret": "Slack OAuth client secret (with SLACK_CLIENT_ID).",
    "discord_token": "Discord bot token.",
    "discord_app_id": "Discord application id (asked from Discord when unset).",
    "discord_public_key": "Discord app Public Key (hex): enables HTTP interactions at "
    "POST /discord/interactions instead of the gateway (set the Interactions Endpoint URL).",
    "discord_shard_count": "Gateway mode: total shards when splitting the bot across processes "
    "(unset: Discord's recommended count, all in this process).",
    "discord_shard_ids": "Gateway mode: the shard ids this process runs (comma separated, each "
    "below the count; every id in exactly one process).",
    "database_url": "SQLAlchemy URL of the store; PostgreSQL for several instances.",
    "sqlite_busy_timeout_ms": "Milliseconds a SQLite store waits for another process's lock.",
    "port": "HTTP port for Slack HTTP mode and GET /healthz.",
    "slack_api_url": "Slack Web API base URL (proxies, tests).",
    "discord_api_url": "Discord REST base URL (shared rate-limit proxy, tests).",
    "arxiv_api_url": "arXiv API query endpoint.",
    "hf_api_url": "Hugging Face API base URL.",
    "bluesky_service": "Bluesky PDS or AppView base (then /xrpc/...).",
    "bluesky_handle": "Bluesky handle for createSession.",
    "bluesky_app_password": "Bluesky app password (not the account password).",
    "x_api_url": "X API v2 base URL.",
    "x_bearer_token": "X API app-only bearer token (optional; recent search, 7 days).",
    "hn_api_url": "Hacker News Algolia API base URL.",
    "s2_api_url": "Semantic Scholar Graph API base URL.",
    "s2_recommendations_url": 'Semantic Scholar Recommendations API base URL ("More like this").',
    "s2_api_key": "Semantic Scholar API key (optional; higher rate limit).",
    "llm_base_url": "OpenAI-compatible endpoint for summaries (optional).",
    "llm_api_key": "API key of that endpoint.",
    "llm_model": "Model name for summaries.",
    "default_categories": "Categories when none are given (comma or space separated).",
    "default_top": "Papers per digest when not given (1-50).",
    "default_timezone": "Time zone of subscriptions made without one (IANA name).",
    "holidays": "Extra dates with no arXiv listing (YYYY-MM-DD), or -YYYY-MM-DD to drop one of "
    "the bundled calendar (bot/data/arxiv-holidays.json).",
    "slack_workspace_per_minute": "Slack messages a minute per workspace at most (429s lower it).",
    "http_timeout": "Seconds before a request to a source times out.",
    "http_retries": "Retries after a failed request (429, 5xx, timeout).",
    "arxiv_delay": "Seconds between arXiv API requests (their terms: 3).",
    "source_deadline": "Total seconds each optional source (Hugging Face, Bluesky, X, Hacker "
    "News, Semantic Scholar) may take per digest: connect, reads, retries, Retry-After waits; "
    "past it the digest goes on without that source.",
    "arxiv_deadline": "Total seconds the arXiv listing may take per digest (paged 3 s apart); "
    "past it there is no digest, one error line.",
    "log_format": "text or json.",
    "log_level": "DEBUG, INFO, WARNING or ERROR.",
    "weight_posts": "Ranking weight of social posts.",
    "weight_hf": "Ranking weight of the square root of Hugging Face upvotes (300 ~ 10 people).",
    "weight_hn": "Ranking weight of the square root of Hacker News points (400 ~ 10 people).",
    "weight_citations": "Ranking weight of citations (old dates only).",
    "weight_reported": "Ranking weight of aggregate counts (the demo's Twitter sums).",
    "account_cap": "Most one account can add to one paper's posts score.",
    "min_score": "Papers scoring below this are not hot.",
    "broad_share": "An account posting about this share of the papers is a feed, not a reader.",
    "broad_min_papers": "A feed also posts about at least this many papers.",
    "catching_fire_days": "Catching fire: papers of this many earlier listing days that became "
    "hot since, after the day's papers (0 = off; a channel may set its own).",
    "channel_reaction_weight": "How much a channel's reactions to the bot's papers move "
    "papers by the same authors, on the same title words or in the same category up in its "
    "next digests: score · (1 + 0.5 · weight · affinity), affinity 0 to 1 (0: off; at most 4).",
}


def _default(name: str) -> str:
    info = Settings.model_fields[name]
    if info.annotation is not None and "SecretStr" in str(info.annotation):
        return ""
    if name in ("database_url", "holidays"):
        return ""
    value: Any = info.get_default(call_default_factory=True)
    if value is None or isinstance(value, SecretStr):
        return ""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


# Written commented out: an empty ``KEY=`` in docker's --env-file would override the image's
# HOTPAPERS_DATABASE_URL (the /data volume), so these stay unset unless the operator means it.
COMMENTED_OUT: dict[str, str] = {
    "database_url": "postgresql+psycopg://hotpapers:PASSWORD@db:5432/hotpapers",
}


def env_example() -> str:
    lines = [
        "# hotpapers settings: copy to .env and fill in what you use.",
        "# Generated by `python -m bot.configdoc`; every key is optional (an empty value means",
        "# the default).",
        "",
    ]
    for name in Settings.model_fields:
        lines.append(f"# {DESCRIPTIONS[name]}")
        if name in COMMENTED_OUT:
            lines.append(f"# Default: {_default_text(name)}. For example:")
            lines.append(f"# {env_name(name)}={COMMENTED_OUT[name]}")
        else:
            lines.append(f"{env_name(name)}={_default(name)}")
    lines += [
        "",
        "# compose.yaml only: the PostgreSQL password (letters and digits: it goes in a URL).",
        "POSTGRES_PASSWORD=",
    ]
    return "\n".join(lines) + "\n"


def _default_text(name: str) -> str:
    if name == "database_url":
        return "SQLite in ~/.local/share/hotpapers (/data in the Docker image)"
    return _default(name)


# Defaults computed at run time, named instead of printed.
PLACEHOLDERS = {"database_url": "per-user data path", "holidays": "arXiv's calendar"}


def markdown_table() -> str:
    rows = ["| variable | default | what it does |", "| --- | --- | --- |"]
    for name in Settings.model_fields:
        default = _default(name) or PLACEHOLDERS.get(name, "")
        rows.append(
            f"| `{env_name(name)}` | {f'`{default}`' if default else ''} | {DESCRIPTIONS[name]} |"
        )
    return "\n".join(rows) + "\n"


def readme_with_table(readme: str) -> str:
    start, end = "<!-- settings:start -->\n", "<!-- settings:end -->"
    head, rest = readme.split(start, 1)
    _, tail = rest.split(end, 1)
    return head + start + markdown_table() + end + tail


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()
    (root / ".env.example").write_text(env_example(), encoding="utf-8")
    readme = root / "README.md"
    readme.write_text(readme_with_table(readme.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
