"""The database a fan-out run starts from, written as the product writes it.

- Slack workspaces are installed the way the OAuth flow installs them: one
  ``slack_sdk`` ``Installation`` per workspace saved through the project's installation store
  (``adapters.slack_oauth``), on the run's own database (SQLite or PostgreSQL);
- subscriptions are ``hp_subscriptions`` rows, as ``/hotpapers subscribe`` leaves them, all due
  at the same minute (a bulk insert: the bench seeds 10,000 of them);
- PostgreSQL: a fresh database per run (``fresh_postgres``), dropped afterwards.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.store import Store
from bot.tables import SubscriptionRow

CLIENT_ID, CLIENT_SECRET = "1111.2222", "bench-client-secret"  # noqa: S105 (loopback fake)
CATEGORIES = ("cs.CL", "cs.LG", "cs.AI")
POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def token_of(team: str) -> str:
    return f"xoxb-bench-{team}"


@dataclass
class FanoutSet:
    """The channels of one fan-out: Slack channels by workspace, Discord channel ids."""

    slack: dict[str, list[str]] = field(default_factory=dict)
    discord: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, slack_channels: int, workspaces: int, discord_channels: int) -> FanoutSet:
        """``slack_channels`` spread evenly over ``workspaces`` (the first ones one more)."""
        slack: dict[str, list[str]] = {f"T{w:05d}": [] for w in range(workspaces)}
        teams = list(slack)
        for n in range(slack_channels):
            slack[teams[n % workspaces]].append(f"C{n:07d}")
        discord = [str(1_400_000_000_000_000_000 + n) for n in range(discord_channels)]
        return cls({t: c for t, c in slack.items() if c}, discord)

    @property
    def slack_channels(self) -> int:
        return sum(len(c) for c in self.slack.values())


def seed_subscriptions(url: str, fanout: FanoutSet, at: dt.time, top: int,
                       created: dt.datetime) -> None:  # fmt: skip
    """Migrate the database (``Store``) and add one subscription per channel, due at ``at`` UTC."""
    store = Store(url)
    common = {"categories": " ".join(CATEGORIES), "top": top, "time": f"{at:%H:%M}", "tz": "UTC",
              "include": "", "exclude": "", "active": True, "notify_no_listing": False,
              "created_at": created}  # fmt: skip
    rows = [
        {"platform": "slack", "workspace": team, "channel": channel, **common}
        for team, channels in fanout.slack.items()
        for channel in channels
    ] + [{"platform": "discord", "workspace": "G1", "channel": c, **common} for c in fanout.discord]
    try:
        with store.session() as session:
            for start in range(0, len(rows), 2000):
                session.execute(insert(SubscriptionRow), rows[start : start + 2000])
    finally:
        store.close()


async def install_workspaces(url: str, teams: list[str], installed: dt.datetime) -> None:
    """Save one bot installation per workspace through the project's OAuth installation store."""
    from slack_sdk.oauth.installation_store import Installation

    from adapters.slack_oauth import SCOPES, build_slack_oauth

    settings = Settings(_env_file=None, database_url=url, slack_client_id=CLIENT_ID,  # type: ignore[call-arg]
                        slack_client_secret=CLIENT_SECRET)  # fmt: skip
    oauth = build_slack_oauth(settings)
    try:
        await oauth.create_tables()
        for n, team in enumerate(teams):
            await oauth.installation_store.async_save(
                Installation(
                    app_id="A111",
                    team_id=team,
                    team_name=f"Bench {team}",
                    bot_token=token_of(team),
                    bot_id=f"B{n:06d}",
                    bot_user_id=f"U{n:06d}",
                    bot_scopes=list(SCOPES),
                    user_id="U111",
                    installed_at=installed.timestamp(),
                )  # fmt: skip
            )
    finally:
        await oauth.close()


class FreshPostgres:
    """``with FreshPostgres() as url``: a new database on the local server, dropped after."""

    def __init__(self, server: str = POSTGRES_SERVER) -> None:
        self.server = create_engine(server, isolation_level="AUTOCOMMIT",
                                    connect_args={"connect_timeout": 3})  # fmt: skip
        self.name = f"hotpapers_bench_{secrets.token_hex(4)}"
        self.url = make_url(server).set(database=self.name).render_as_string(hide_password=False)

    def __enter__(self) -> str:
        with self.server.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {self.name}"))
        return self.url

    def __exit__(self, *exc: object) -> None:
        with self.server.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)"))
        self.server.dispose()


def delivery_owners(url: str) -> dict[str, int]:
    """Deliveries per owner (``claimed_by``, host:pid) in the ledger: each instance's share."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT claimed_by, count(*) FROM hp_deliveries GROUP BY claimed_by")
            ).all()
    finally:
        engine.dispose()
    return {str(owner): int(n) for owner, n in rows}
