"""Operator commands as a user runs them: check, discord-invite, backfill; exact output."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import adapters.discord_setup
from hotpapers import checks, cli
from hotpapers.cli_common import State
from tests.cli_runner import run_cli
from tests.fake_discord import FakeDiscord
from tests.fake_slack import FakeSlack
from tests.threaded import served

SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-secret-slack",
    "DISCORD_TOKEN": "secret-discord-token",
    "HOTPAPERS_BLUESKY_HANDLE": "hotpapers.bsky.social",
    "HOTPAPERS_BLUESKY_APP_PASSWORD": "secret-app-password",
    "HOTPAPERS_X_BEARER_TOKEN": "secret-x-bearer",
    "HOTPAPERS_S2_API_KEY": "secret-s2-key",
}


def run(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *args: str,
    transport: httpx.AsyncBaseTransport | None = None,
) -> tuple[int, str, str]:
    """The CLI with every source request going to ``transport`` (by default: refused)."""
    monkeypatch.setattr(State, "transport", transport or httpx.MockTransport(refuse))
    return run_cli(monkeypatch, capsys, *args)


def refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"unexpected request {request.url}")


ATOM = (
    '<feed xmlns="http://www.w3.org/2005/Atom" '
    'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
    "<opensearch:totalResults>0</opensearch:totalResults>"
    "<opensearch:startIndex>0</opensearch:startIndex>"
    "<opensearch:itemsPerPage>1</opensearch:itemsPerPage></feed>"
)


class FakeSources:
    """Every source `check` asks, routed by host and path; records what was sent."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        auth = request.headers.get("Authorization") or request.headers.get("x-api-key") or ""
        self.seen.append((request.method, url.host, url.path, auth))
        route = (url.host, url.path)
        if route == ("export.arxiv.org", "/api/query"):
            assert dict(url.params) == {"id_list": "2104.04015", "max_results": "1"}
            return httpx.Response(200, text=ATOM)
        if route == ("api.semanticscholar.org", "/graph/v1/paper/batch"):
            assert json.loads(request.content) == {"ids": ["ARXIV:2104.04015"]}
            return httpx.Response(200, json=[{"paperId": "p", "citationCount": 1}])
        answers: dict[tuple[str, str], object] = {
            ("huggingface.co", "/api/daily_papers"): [],
            ("bsky.social", "/xrpc/com.atproto.server.createSession"): {
                "accessJwt": "a", "refreshJwt": "r"},
            ("api.x.com", "/2/tweets/search/recent"): {"meta": {"result_count": 0}},
            ("hn.algolia.com", "/api/v1/search"): {"hits": []},
        }  # fmt: skip
        if route not in answers:
            return httpx.Response(404)
        return httpx.Response(200, json=answers[route])


@pytest.fixture
def fake_slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    with served(lambda: FakeSlack().start()) as fake:
        monkeypatch.setenv("HOTPAPERS_SLACK_API_URL", fake.api_url)
        yield fake


@pytest.fixture
def fake_discord(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDiscord]:
    with served(lambda: FakeDiscord(token=SECRETS["DISCORD_TOKEN"]).start()) as fake:
        monkeypatch.setenv("HOTPAPERS_DISCORD_API_URL", fake.base_url)
        yield fake


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'hp.sqlite3'}"
    monkeypatch.setenv("HOTPAPERS_DATABASE_URL", url)
    return url


def test_check_everything_configured_and_reachable(
    monkeypatch, capsys, db_url, fake_slack, fake_discord
) -> None:
    for key, value in SECRETS.items():
        monkeypatch.setenv(key, value)
    sources = FakeSources()
    code, out, err = run(monkeypatch, capsys, "check", transport=httpx.MockTransport(sources))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "✓ configuration: valid",
        f"✓ database: {db_url}, schema 0007",
        "✓ arXiv: reachable (export.arxiv.org)",
        "✓ Hugging Face: reachable (huggingface.co)",
        "✓ Bluesky: logged in as hotpapers.bsky.social",
        "✓ X: recent search answered",
        "✓ Hacker News: reachable (hn.algolia.com)",
        "✓ Semantic Scholar: reachable (api.semanticscholar.org, with API key)",
        "✓ Slack: authenticated as hotpapers in Fake; post-only: /hotpapers gets no answer until "
        "SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode) is set",
        "✓ Discord: authenticated as hotpapers; gateway (shards as Discord recommends)",
    ]
    assert sorted(sources.seen) == sorted(
        [
            ("GET", "export.arxiv.org", "/api/query", ""),
            ("GET", "huggingface.co", "/api/daily_papers", ""),
            ("POST", "bsky.social", "/xrpc/com.atproto.server.createSession", ""),
            ("GET", "api.x.com", "/2/tweets/search/recent", "Bearer secret-x-bearer"),
            ("GET", "hn.algolia.com", "/api/v1/search", ""),
            ("POST", "api.semanticscholar.org", "/graph/v1/paper/batch", "secret-s2-key"),
        ]
    )
    assert [(c.method, c.token) for c in fake_slack.calls] == [("auth.test", "xoxb-secret-slack")]
    assert [(r.method, r.path, r.headers.get("Authorization")) for r in fake_discord.requests] == [
        # discord.py's login: who the bot is, then its application
        ("GET", "/users/@me", "Bot secret-discord-token"),
        ("GET", "/oauth2/applications/@me", "Bot secret-discord-token"),
    ]
    assert not any(secret in out for secret in SECRETS.values() if "secret" in secret)


def test_check_slack_invalid_auth_fails_and_unconfigured_are_skipped(
    monkeypatch, capsys, db_url, fake_slack
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-revoked")
    fake_slack.fail_token("xoxb-revoked", "invalid_auth")
    code, out, err = run(monkeypatch, capsys, "check", transport=httpx.MockTransport(FakeSources()))
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        "✓ configuration: valid",
        f"✓ database: {db_url}, schema 0007",
        "✓ arXiv: reachable (export.arxiv.org)",
        "✓ Hugging Face: reachable (huggingface.co)",
        "– Bluesky: skipped: no credentials "
        "(set HOTPAPERS_BLUESKY_HANDLE and HOTPAPERS_BLUESKY_APP_PASSWORD)",
        "– X: skipped: no credentials (set HOTPAPERS_X_BEARER_TOKEN)",
        "✓ Hacker News: reachable (hn.algolia.com)",
        "✓ Semantic Scholar: reachable (api.semanticscholar.org, without API key (slower))",
        "✗ Slack: Slack rejected the bot token (invalid_auth): check SLACK_BOT_TOKEN or "
        "reinstall the app",
        "– Discord: skipped: DISCORD_TOKEN not set",
    ]
    assert "xoxb-revoked" not in out


def test_check_tries_the_app_level_token_too(monkeypatch, capsys, db_url, fake_slack) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-good")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-revoked")
    fake_slack.fail_token("xapp-revoked", "invalid_auth")
    code, out, err = run(monkeypatch, capsys, "check", transport=httpx.MockTransport(FakeSources()))
    assert (code, err) == (1, "")
    assert out.splitlines()[8] == (
        "✗ Slack: SLACK_APP_TOKEN was refused by Slack (invalid_auth): make an app-level token "
        "with the connections:write scope (Basic Information, App-Level Tokens)"
    )
    assert [c.method for c in fake_slack.calls] == ["auth.test", "apps.connections.open"]
    assert "xapp-revoked" not in out


def test_post_stops_at_a_refused_slack_token_before_building(
    monkeypatch, capsys, db_url, fake_slack
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-revoked")
    fake_slack.fail_token("xoxb-revoked", "invalid_auth")
    sources = FakeSources()
    code, out, err = run(monkeypatch, capsys, "post", "--platform", "slack", "--channel",
                         "C0123456789", "-c", "cs.CL", "--date", "2026-11-20",
                         transport=httpx.MockTransport(sources))  # fmt: skip
    assert (code, out) == (2, "")
    assert err == (
        "error: Slack rejected the bot token (invalid_auth): check SLACK_BOT_TOKEN or reinstall "
        "the app\n"
    )
    assert [c.method for c in fake_slack.calls] == ["auth.test"]  # nothing posted
    assert sources.seen == []  # and no source asked: the digest was never built


def test_check_uses_base_url_settings_and_reports_failures(
    monkeypatch, capsys, db_url, fake_discord
) -> None:
    monkeypatch.setenv("HOTPAPERS_HF_API_URL", "http://hf.test/api/")
    monkeypatch.setenv("HOTPAPERS_HTTP_RETRIES", "1")
    monkeypatch.setenv("DISCORD_TOKEN", "another-discord-token")  # the fake answers 401
    sources = FakeSources()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "hf.test":
            assert request.url.path == "/api/daily_papers"
            return httpx.Response(503, headers={"Retry-After": "2"})
        if request.url.host == "hn.algolia.com":
            raise httpx.ConnectError("refused")
        return sources(request)

    code, out, _ = run(monkeypatch, capsys, "check", transport=httpx.MockTransport(handler))
    assert code == 1
    lines = out.splitlines()
    assert "✗ Hugging Face: HTTP 503 after 2 attempts" in lines
    assert "✗ Hacker News: connection failed (ConnectError) after 2 attempts" in lines
    assert (
        "✗ Discord: DISCORD_TOKEN was rejected by Discord (401): reset the token in the "
        "Developer Portal (Bot, Reset Token) and update DISCORD_TOKEN"
    ) in lines
    assert "another-discord-token" not in out


def test_check_invalid_configuration_is_one_line_exit_2(monkeypatch, capsys) -> None:
    monkeypatch.setenv("HOTPAPERS_PORT", "not-a-port")
    code, out, err = run(monkeypatch, capsys, "check")
    assert (code, out) == (2, "")
    assert err.startswith("error: invalid configuration: HOTPAPERS_PORT: ")
    assert len(err.splitlines()) == 1


def test_database_url_password_is_masked() -> None:
    url = "postgresql+psycopg://bot:hunter2@db:5432/hotpapers"
    assert checks.safe_database_url(url) == "postgresql+psycopg://bot:***@db:5432/hotpapers"


def test_invite_permissions_are_the_minimal_bitfield() -> None:
    # View Channels (1 << 10): a server whose @everyone role lacks it hides every channel from
    # the bot otherwise, and each post fails with "Missing Access".
    assert adapters.discord_setup.BOT_PERMISSIONS & (1 << 10)
    assert adapters.discord_setup.BOT_PERMISSIONS == 309237730304
    assert adapters.discord_setup.invite_url("42") == (
        "https://discord.com/oauth2/authorize?client_id=42"
        "&scope=bot+applications.commands&permissions=309237730304"
    )


def test_discord_invite_from_app_id_setting(monkeypatch, capsys) -> None:
    monkeypatch.setenv("HOTPAPERS_DISCORD_APP_ID", "123456789012345678")
    code, out, err = run(monkeypatch, capsys, "discord-invite")
    assert (code, err) == (0, "")
    assert out == (
        "https://discord.com/oauth2/authorize?client_id=123456789012345678"
        "&scope=bot+applications.commands&permissions=309237730304\n"
    )


def test_discord_invite_asks_discord_for_the_application(monkeypatch, capsys, fake_discord) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", SECRETS["DISCORD_TOKEN"])
    code, out, err = run(monkeypatch, capsys, "discord-invite")
    assert (code, err) == (0, "")
    assert fake_discord.calls() == [("GET", "/users/@me"), ("GET", "/oauth2/applications/@me")]
    assert out == (
        f"https://discord.com/oauth2/authorize?client_id={fake_discord.app_id}"
        "&scope=bot+applications.commands&permissions=309237730304\n"
    )


def test_discord_invite_rejected_token_is_one_line(monkeypatch, capsys, fake_discord) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "another-discord-token")
    code, out, err = run(monkeypatch, capsys, "discord-invite")
    assert (code, out) == (1, "")
    assert err == (
        "error: DISCORD_TOKEN was rejected by Discord (401): reset the token in the Developer "
        "Portal (Bot, Reset Token) and update DISCORD_TOKEN\n"
    )
    assert fake_discord.calls() == [("GET", "/users/@me")]


def test_discord_invite_without_id_or_token(monkeypatch, capsys) -> None:
    code, _, err = run(monkeypatch, capsys, "discord-invite")
    assert code == 1
    assert err == (
        "error: set HOTPAPERS_DISCORD_APP_ID or DISCORD_TOKEN to find the application id\n"
    )


def test_backfill_demo_date_offline(monkeypatch, capsys, db_url) -> None:
    args = ("backfill", "--from", "2021-04-12", "--to", "2021-04-12", "--offline")
    code, out, err = run(monkeypatch, capsys, *args, "--top", "3")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "2021-04-12: 3 papers",
        "backfill 2021-04-12..2021-04-12: 1 built, 0 skipped (no listing), 0 failed",
    ]
    code, out, _ = run(
        monkeypatch, capsys, "digest", "--date", "2021-04-12", "--offline", "-f", "json"
    )
    assert code == 0 and json.loads(out)["date"] == "2021-04-12"


def test_backfill_skips_weekend_and_fails_on_missing_date(monkeypatch, capsys, db_url) -> None:
    code, out, _ = run(
        monkeypatch, capsys, "backfill", "--from", "2021-04-10", "--to", "2021-04-13",
        "--offline", "-c", "cs.CV",
    )  # fmt: skip
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "2021-04-10: skipped, Saturday 2021-04-10 has no arXiv listing"
    assert lines[1] == "2021-04-11: skipped, Sunday 2021-04-11 has no arXiv listing"
    assert lines[2].startswith("2021-04-12: ") and lines[2].endswith(" papers")
    assert lines[3].startswith("2021-04-13: failed: nothing stored for 2021-04-13 (cs.CV)")
    assert lines[4] == "backfill 2021-04-10..2021-04-13: 1 built, 2 skipped (no listing), 1 failed"


def test_backfill_on_a_terminal_shows_a_progress_bar(monkeypatch, capsys, db_url) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    code, out, _ = run(
        monkeypatch, capsys, "backfill", "--from", "2021-04-11", "--to", "2021-04-12", "--offline"
    )
    assert code == 0
    out = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", out)  # rich's colours and cursor codes
    assert "backfill ━" in out and "100%" in out
    assert "2021-04-11: skipped, Sunday 2021-04-11 has no arXiv listing" in out
    assert out.splitlines()[-1].endswith(  # after rich's show-cursor escape
        "backfill 2021-04-11..2021-04-12: 1 built, 1 skipped (no listing), 0 failed"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--from", "2021-13-01", "--to", "2021-04-12"),
            "error: --from: `2021-13-01` is not a real",
        ),
        (("--from", "2021-04-12", "--to", "2021-04-09"), "error: --to is before --from"),
    ],
)
def test_backfill_bad_range_is_exit_2(monkeypatch, capsys, args, message) -> None:
    code, out, err = run(monkeypatch, capsys, "backfill", *args)
    assert (code, out) == (2, "")
    assert err.startswith(message)


def command_options() -> dict[str, list[str]]:
    """Every registered command and the long option names it declares."""
    import typer.main

    group = typer.main.get_command(cli.app)
    out: dict[str, list[str]] = {}
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        out[name] = [o for p in command.params for o in p.opts if o.startswith("--")]
    return out


@pytest.mark.parametrize("command", sorted(command_options()))
def test_help_of_every_command_is_complete(monkeypatch, capsys, command) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run(monkeypatch, capsys, command, "--help")
    assert code == 0
    flat = " ".join(out.split())  # rich wraps and pads to the terminal's width
    assert f"Usage: hotpapers {command} [OPTIONS]" in flat or f" {command} [OPTIONS]" in flat
    for option in command_options()[command]:
        assert option in out, f"{command} --help does not mention {option}"
    assert "--help" in out
