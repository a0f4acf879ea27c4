"""Settings: the only reader of the environment.

Every key of PRODUCT.md's contract is here. Chat tokens keep their platforms' usual names
(``SLACK_BOT_TOKEN``...); everything else is prefixed ``HOTPAPERS_``.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    Field,
    HttpUrl,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.config_checks import (  # the light part, re-exported: the CLI's --help needs no pydantic
    MAX_CATCHING_FIRE_DAYS,
    MAX_DEADLINE,
    MAX_TOP,
    ConfigError,
    check_database_url,
    check_public_key,
    check_shards,
    check_timezone,
    token_shape,
)
from bot.holidays import bundled_holidays, merged_holidays


def default_database_url() -> str:
    """SQLite in the user's data folder (``$XDG_DATA_HOME/hotpapers``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return f"sqlite:///{Path(base) / 'hotpapers' / 'hotpapers.sqlite3'}"


def _split_list(value: Any) -> Any:
    if isinstance(value, str):
        return [part for part in value.replace(",", " ").split() if part]
    return value


def bundled_listing_holidays() -> list[dt.date]:
    """arXiv's holiday calendar as bundled (``bot/data/arxiv-holidays.json``)."""
    return sorted(bundled_holidays())


def _alias(name: str) -> Any:
    return Field(default=None, validation_alias=AliasChoices(name))


#: The farthest back "Catching fire" looks, in listing days (a deployment or a channel).


class Settings(BaseSettings):
    """hotpapers configuration (environment variables or a ``.env`` file)."""

    model_config = SettingsConfigDict(
        env_prefix="HOTPAPERS_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        # ``KEY=`` (as in a copied .env.example, or docker's --env-file) means "not set".
        env_ignore_empty=True,
        hide_input_in_errors=True,
        populate_by_name=True,
    )

    # Chat platforms (unprefixed, as Slack and Discord name them).
    slack_bot_token: SecretStr | None = _alias("SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = _alias("SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = _alias("SLACK_SIGNING_SECRET")
    slack_client_id: str | None = _alias("SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = _alias("SLACK_CLIENT_SECRET")
    discord_token: SecretStr | None = _alias("DISCORD_TOKEN")
    discord_app_id: str | None = Field(default=None, description="Discord application id.")
    # Set: slash commands come over HTTP to POST /discord/interactions, not the gateway.
    discord_public_key: str | None = _alias("DISCORD_PUBLIC_KEY")
    # Gateway mode: this process runs these of the bot's shards (unset: all, as Discord advises).
    discord_shard_count: int | None = Field(default=None, ge=1, le=100_000)
    discord_shard_ids: Annotated[list[int] | None, NoDecode] = None

    database_url: str = Field(default_factory=default_database_url, description="SQLAlchemy URL.")
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0, le=600_000)
    port: int = Field(default=3000, ge=1, le=65535, description="HTTP port (Slack events, health).")

    slack_api_url: HttpUrl = HttpUrl("https://slack.com/api/")
    discord_api_url: HttpUrl = HttpUrl("https://discord.com/api/v10")
    arxiv_api_url: HttpUrl = HttpUrl("https://export.arxiv.org/api/query")
    hf_api_url: HttpUrl = HttpUrl("https://huggingface.co/api")
    bluesky_service: HttpUrl = HttpUrl("https://bsky.social")
    bluesky_handle: str | None = None
    bluesky_app_password: SecretStr | None = None
    x_api_url: HttpUrl = HttpUrl("https://api.x.com/2")
    x_bearer_token: SecretStr | None = None
    hn_api_url: HttpUrl = HttpUrl("https://hn.algolia.com/api/v1")
    s2_api_url: HttpUrl = HttpUrl("https://api.semanticscholar.org/graph/v1")
    s2_api_key: SecretStr | None = None
    s2_recommendations_url: HttpUrl = HttpUrl("https://api.semanticscholar.org/recommendations/v1")
    llm_base_url: HttpUrl | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str | None = None

    default_categories: Annotated[list[str], NoDecode] = ["cs.CL", "cs.LG", "cs.AI"]
    default_top: int = Field(default=10, ge=1, le=MAX_TOP)
    default_timezone: str = Field(default="UTC", description="Zone of subscriptions without --tz.")
    # arXiv's bundled calendar, extended (YYYY-MM-DD) or corrected (-YYYY-MM-DD) by the setting.
    holidays: Annotated[list[dt.date], NoDecode] = Field(default_factory=bundled_listing_holidays)
    # Slack's workspace-wide posting limit ("several hundred messages per minute"); see README.
    slack_workspace_per_minute: int = Field(default=300, ge=1, le=10_000)
    http_timeout: float = Field(default=20.0, gt=0, le=300)
    http_retries: int = Field(default=3, ge=0, le=10)
    arxiv_delay: float = Field(default=3.0, ge=0, description="Seconds between arXiv API calls.")
    # Total seconds per digest (connect, reads, retries, Retry-After waits); see README.
    source_deadline: float = 60.0
    arxiv_deadline: float = 180.0
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"

    # Ranking weights (see README, "How papers are ranked").
    weight_posts: float = Field(default=1.0, ge=0)
    weight_hf: float = Field(default=2.0, ge=0)
    weight_hn: float = Field(default=1.7, ge=0)
    weight_citations: float = Field(default=1.0, ge=0)
    weight_reported: float = Field(default=1.0, ge=0)
    account_cap: float = Field(default=6.0, gt=0)
    min_score: float = Field(default=1.0, ge=0)
    broad_share: float = Field(default=0.2, gt=0, le=1)
    broad_min_papers: int = Field(default=5, ge=2)
    # "Catching fire" (bot.catching_fire): listing days looked back at; 0 turns it off.
    catching_fire_days: int = Field(default=3, ge=0, le=MAX_CATCHING_FIRE_DAYS)
    # How much a channel's past reactions move matching papers up (bot/voice.py; 0: not at all).
    channel_reaction_weight: float = Field(default=1.0, ge=0, le=4)

    @field_validator("default_categories", "discord_shard_ids", mode="before")
    @classmethod
    def _categories(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("default_categories")
    @classmethod
    def _known_categories(cls, value: list[str]) -> list[str]:
        return [check_category(code) for code in value]

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        return token_shape(value, ("xoxb-", "xoxe.xoxb-"), "a bot token (xoxb-...)")

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        return token_shape(value, ("xapp-",), "an app-level token (xapp-...)")

    @field_validator("discord_app_id")
    @classmethod
    def _discord_app_id(cls, value: str | None) -> str | None:
        if value is not None and not value.strip().isdigit():
            raise ValueError(
                "expected the numeric Application ID (Developer Portal -> your app -> General "
                "Information)"
            )
        return value.strip() if value is not None else None

    @field_validator("discord_public_key")
    @classmethod
    def _discord_public_key(cls, value: str | None) -> str | None:
        return check_public_key(value)

    @model_validator(mode="after")
    def _shards(self) -> Settings:
        check_shards(self.discord_shard_ids, self.discord_shard_count)
        return self

    @field_validator("holidays", mode="before")
    @classmethod
    def _holidays(cls, value: Any) -> Any:
        if isinstance(value, str):
            return merged_holidays(_split_list(value))
        return value

    @field_validator("default_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        check_timezone(value)
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return check_database_url(value)

    @field_validator("source_deadline", "arxiv_deadline")
    @classmethod
    def _deadline(cls, value: float) -> float:
        if not 0 < value <= MAX_DEADLINE:  # NaN fails too
            raise ValueError(f"expected seconds above 0 and at most {MAX_DEADLINE:g}")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("expected DEBUG, INFO, WARNING or ERROR")
        return level

    def secret(self, name: str) -> str | None:
        value = getattr(self, name)
        return value.get_secret_value() if value is not None else None

    def url(self, name: str) -> str:
        """A base URL setting as text, without a trailing slash."""
        return str(getattr(self, name)).rstrip("/")


def check_category(code: str) -> str:
    """The canonical arXiv code (``cs.*`` kept as is), or a ``ValueError`` naming close matches."""
    from bot.categories import canonical, close_matches, expand

    found = canonical(code)
    if found is not None:
        return found
    if expand(code):
        return code
    hint = close_matches(code)
    tip = f"; did you mean {', '.join(hint)}?" if hint else ""
    raise ValueError(f"unknown arXiv category {code[:20]!r}{tip}")


def env_name(field: str) -> str:
    """The environment variable that sets ``field``."""
    info = Settings.model_fields[field]
    alias = info.validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return "HOTPAPERS_" + field.upper()


def describe_errors(exc: ValidationError) -> str:
    """One line naming each bad setting by its variable, never echoing a value."""
    parts = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = err["loc"][0] if err["loc"] else ""
        name = env_name(str(loc)) if str(loc) in Settings.model_fields else str(loc)
        message = err["msg"].removeprefix("Value error, ")
        parts.append(f"{name}: {message}")
    return "invalid configuration: " + "; ".join(parts)


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, turning validation errors into one ``ConfigError`` line."""
    from bot.logs import register_secret

    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe_errors(exc)) from None
    for _name, value in settings:
        if isinstance(value, SecretStr):
            register_secret(value.get_secret_value())
    return settings
