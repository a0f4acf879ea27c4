from __future__ import annotations

from pathlib import Path

import pytest

from bot import config_checks
from bot.config import ConfigError, load_settings
from bot.configdoc import env_example, readme_with_table

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_match_product_contract() -> None:
    s = load_settings()
    assert s.port == 3000
    assert s.url("arxiv_api_url") == "https://export.arxiv.org/api/query"
    assert s.url("hf_api_url") == "https://huggingface.co/api"
    assert s.url("bluesky_service") == "https://bsky.social"
    assert s.url("x_api_url") == "https://api.x.com/2"
    assert s.url("hn_api_url") == "https://hn.algolia.com/api/v1"
    assert s.url("s2_api_url") == "https://api.semanticscholar.org/graph/v1"
    assert str(s.slack_api_url) == "https://slack.com/api/"
    assert s.url("discord_api_url") == "https://discord.com/api/v10"
    assert s.database_url.startswith("sqlite:///") and s.database_url.endswith("hotpapers.sqlite3")


def test_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("HOTPAPERS_DEFAULT_TOP=7\nSLACK_BOT_TOKEN=xoxb-from-dotenv\n")
    monkeypatch.setenv("HOTPAPERS_DEFAULT_CATEGORIES", "cs.CL, cs.LG")
    s = load_settings()
    assert s.default_top == 7
    assert s.default_categories == ["cs.CL", "cs.LG"]
    assert s.secret("slack_bot_token") == "xoxb-from-dotenv"
    assert "xoxb-from-dotenv" not in repr(s)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "HOTPAPERS_DEFAULT_TIMEZONE",
            "Mars/Olympus",
            "HOTPAPERS_DEFAULT_TIMEZONE: "
            "unknown time zone 'Mars/Olympus' (use an IANA name like Europe/Berlin)",
        ),
        (
            "HOTPAPERS_ARXIV_API_URL",
            "not a url",
            "HOTPAPERS_ARXIV_API_URL: Input should be a valid URL, relative URL without a base",
        ),
        (
            "HOTPAPERS_DEFAULT_TOP",
            "-3",
            "HOTPAPERS_DEFAULT_TOP: Input should be greater than or equal to 1",
        ),
    ],
)
def test_bad_values_give_one_line(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str, message: str
) -> None:
    monkeypatch.setenv(key, value)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-SECRET-VALUE-123")
    with pytest.raises(ConfigError) as info:
        load_settings()
    text = str(info.value)
    assert text == "invalid configuration: " + message
    assert "\n" not in text and "xoxb-SECRET" not in text


def test_secret_in_bad_value_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTPAPERS_PORT", "xoxb-SECRET-VALUE-123")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "xoxb-SECRET" not in str(info.value)
    assert "HOTPAPERS_PORT" in str(info.value)


def test_env_example_and_readme_table_are_generated_from_settings() -> None:
    assert (ROOT / ".env.example").read_text() == env_example(), "run python -m bot.configdoc"
    readme = (ROOT / "README.md").read_text()
    assert readme_with_table(readme) == readme, "run python -m bot.configdoc"
    for key in (
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_SIGNING_SECRET",
        "DISCORD_TOKEN",
        "HOTPAPERS_PORT",
        "HOTPAPERS_LLM_MODEL",
        "HOTPAPERS_DEFAULT_CATEGORIES",
        "HOTPAPERS_DEFAULT_TOP",
        "HOTPAPERS_S2_API_KEY",
    ):
        assert f"\n{key}=" in env_example()
    # Commented out: an empty value in docker's --env-file would replace the image's /data URL.
    assert "\n# HOTPAPERS_DATABASE_URL=postgresql+psycopg://" in env_example()
    assert "\nHOTPAPERS_DATABASE_URL" not in env_example()
    assert env_example().endswith("\nPOSTGRES_PASSWORD=\n")  # compose.yaml asks for it


def test_a_copied_env_example_means_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """``cp .env.example .env`` (every KEY= empty) must start, not fail on empty URLs."""
    (Path.cwd() / ".env").write_text((ROOT / ".env.example").read_text())
    s = load_settings()
    assert s.database_url.endswith("/hotpapers/hotpapers.sqlite3")
    assert s.llm_base_url is None and s.discord_app_id is None
    assert s.slack_bot_token is None and s.slack_signing_secret is None
    assert s.default_categories == ["cs.CL", "cs.LG", "cs.AI"]
    monkeypatch.setenv("HOTPAPERS_LLM_BASE_URL", "")  # docker --env-file passes KEY= as ""
    assert load_settings().llm_base_url is None


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "SLACK_BOT_TOKEN",
            "xapp-1-A0-SECRET",
            "SLACK_BOT_TOKEN: expected a bot token (xoxb-...); this is an app-level token "
            "(xapp-...), which goes in SLACK_APP_TOKEN",
        ),
        (
            "SLACK_APP_TOKEN",
            "xoxb-1-SECRET",
            "SLACK_APP_TOKEN: expected an app-level token (xapp-...); this is a bot token "
            "(xoxb-...), which goes in SLACK_BOT_TOKEN",
        ),
        (
            "SLACK_BOT_TOKEN",
            "xoxp-1-SECRET",
            "SLACK_BOT_TOKEN: expected a bot token (xoxb-...); this is a user token (xoxp-...); "
            "use the app's Bot User OAuth Token (xoxb-...)",
        ),
        (
            "SLACK_BOT_TOKEN",
            "SECRET-pasted-wrong",
            "SLACK_BOT_TOKEN: expected a bot token (xoxb-...)",
        ),
        (
            "HOTPAPERS_DISCORD_APP_ID",
            "my-app",
            "HOTPAPERS_DISCORD_APP_ID: expected the numeric Application ID (Developer Portal -> "
            "your app -> General Information)",
        ),
        (
            "HOTPAPERS_DEFAULT_CATEGORIES",
            "cs.CL cs.XX",
            "HOTPAPERS_DEFAULT_CATEGORIES: unknown arXiv category 'cs.XX'; "
            "did you mean cs.AI, cs.AR, cs.CC?",
        ),
        (
            "HOTPAPERS_DATABASE_URL",
            "/var/lib/hotpapers.db",
            "HOTPAPERS_DATABASE_URL: expected sqlite:///path/to/file.sqlite3 or "
            "postgresql+psycopg://user:password@host/db",
        ),
        (
            "HOTPAPERS_DATABASE_URL",
            "mysql://bot:SECRET@db/hotpapers",
            "HOTPAPERS_DATABASE_URL: expected sqlite:///path/to/file.sqlite3 or "
            "postgresql+psycopg://user:password@host/db",
        ),
        (
            "HOTPAPERS_DATABASE_URL",
            "postgresql+asyncpg://bot:SECRET@db/hotpapers",
            "HOTPAPERS_DATABASE_URL: unsupported postgresql driver 'asyncpg'; "
            "leave it out or use psycopg",
        ),
    ],
)
def test_mistakes_a_newcomer_makes_are_named(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str, message: str
) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value) == "invalid configuration: " + message
    assert "SECRET" not in str(info.value)


def test_postgresql_without_its_driver_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = config_checks.importlib.util.find_spec
    monkeypatch.setattr(
        config_checks.importlib.util,
        "find_spec",
        lambda name: None if name == "psycopg" else real(name),
    )
    monkeypatch.setenv("HOTPAPERS_DATABASE_URL", "postgresql+psycopg://bot:pw@db/hotpapers")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value) == (
        "invalid configuration: HOTPAPERS_DATABASE_URL: the psycopg package is not installed "
        "(pip install 'hotpapers[postgres]', then use postgresql+psycopg://...)"
    )


def test_accepted_shapes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxe.xoxb-1-rotated")  # token rotation's bot token
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-A0")
    monkeypatch.setenv("HOTPAPERS_DISCORD_APP_ID", " 123456789012345678 ")
    monkeypatch.setenv("HOTPAPERS_DEFAULT_CATEGORIES", "cs.cl, q-bio.*")
    monkeypatch.setenv("HOTPAPERS_DATABASE_URL", "postgresql://bot:pw@db/hotpapers")
    s = load_settings()
    assert s.discord_app_id == "123456789012345678"
    assert s.default_categories == ["cs.CL", "q-bio.*"]
    assert s.database_url == "postgresql://bot:pw@db/hotpapers"
