from __future__ import annotations

from pathlib import Path

import pytest

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
            "HOTPAPERS_DEFAULT_TIMEZONE: Value error, "
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
        "HOTPAPERS_DATABASE_URL",
        "HOTPAPERS_PORT",
        "HOTPAPERS_LLM_MODEL",
        "HOTPAPERS_DEFAULT_CATEGORIES",
        "HOTPAPERS_DEFAULT_TOP",
        "HOTPAPERS_S2_API_KEY",
    ):
        assert f"\n{key}=" in env_example()
