"""slack-manifest.yaml against the code: the command the app registers, the scopes it needs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml", reason="PyYAML (the test extra) reads the manifest")

ROOT = Path(__file__).resolve().parents[1]
ADAPTERS = ROOT / "adapters"

# Slack Web API method (as slack_sdk spells it) -> the bot scope(s) it needs (None: no scope).
# Reading a conversation needs one scope per kind of channel: public and private.
HISTORY = ("channels:history", "groups:history")
SCOPE_OF: dict[str, str | tuple[str, ...] | None] = {
    "auth_test": None,
    "chat_postMessage": "chat:write",
    "chat_postEphemeral": "chat:write",
    "chat_update": "chat:write",
    "chat_delete": "chat:write",
    "chat_getPermalink": None,
    "conversations_info": "channels:read",
    "conversations_join": "channels:join",
    "conversations_replies": HISTORY,
    "conversations_history": HISTORY,
    "users_info": "users:read",
    "reactions_add": "reactions:write",
    "files_upload_v2": "files:write",
    "views_open": None,
}
WEB_API_CALL = re.compile(
    r"\.((?:auth|chat|conversations|users|reactions|files|views|pins|team|usergroups)_\w+)\("
)
API_CALL = re.compile(r"api_call\(\s*[\"']([\w.]+)[\"']")
APP_EVENT = re.compile(r"@app\.event\(\s*([\w\"']+)\s*\)")
# Events API type -> the bot scope its delivery needs.
EVENT_SCOPE = {"reaction_added": "reactions:read", "reaction_removed": "reactions:read"}


def manifest() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "slack-manifest.yaml").read_text(encoding="utf-8"))


def slack_sources() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(ADAPTERS.glob("slack*.py")))


def methods_called(source: str) -> set[str]:
    dotted = {name.replace(".", "_") for name in API_CALL.findall(source)}
    return set(WEB_API_CALL.findall(source)) | dotted


def test_scanner_finds_web_api_calls() -> None:
    source = 'await client.chat_postMessage(channel=c)\nclient.api_call("users.info")\nx.chat(1)'
    assert methods_called(source) == {"chat_postMessage", "users_info"}


def test_manifest_command_is_the_one_the_app_registers() -> None:
    from adapters.slack_app import COMMAND, EVENTS_PATH

    commands = manifest()["features"]["slash_commands"]
    assert [c["command"] for c in commands] == [COMMAND]
    assert commands[0]["should_escape"] is False  # the parser reads Slack's <#C..|name> forms
    assert commands[0]["url"] == "https://example.com" + EVENTS_PATH


def test_manifest_scopes_are_exactly_what_the_calls_need() -> None:
    source = slack_sources()
    called = methods_called(source)
    unknown = called - SCOPE_OF.keys()
    assert not unknown, f"add the scope of {sorted(unknown)} to SCOPE_OF and the manifest"
    needed: set[str] = set()
    for method in called:
        scope = SCOPE_OF[method]
        needed |= set(scope) if isinstance(scope, tuple) else {scope} if scope else set()
    if "@app.command(" in source:
        needed.add("commands")
    needed |= {EVENT_SCOPE[event] for event in events_listened(source)}
    assert "chat_postMessage" in called
    assert set(manifest()["oauth_config"]["scopes"]["bot"]) == needed
    assert "user" not in manifest()["oauth_config"]["scopes"]


def test_oauth_install_asks_for_the_manifest_scopes() -> None:
    from adapters.slack_oauth import SCOPES

    assert sorted(SCOPES) == sorted(manifest()["oauth_config"]["scopes"]["bot"])


def test_manifest_features_match_what_the_bot_uses() -> None:
    from adapters.slack_oauth import REDIRECT_PATH

    data = manifest()
    assert data["settings"]["socket_mode_enabled"] is True
    # The paper buttons: block actions, delivered like the command (same URL in HTTP mode).
    from adapters.slack_app import EVENTS_PATH

    assert data["settings"]["interactivity"]["is_enabled"] is True
    assert data["settings"]["interactivity"]["request_url"] == "https://example.com" + EVENTS_PATH
    assert "@app.action(" in slack_sources()
    # The bot listens to reactions (HTTP mode: at the same URL as the command).
    events = data["settings"]["event_subscriptions"]
    assert events["request_url"] == "https://example.com" + EVENTS_PATH
    assert data["features"]["bot_user"]["display_name"] == "Hot Papers"
    assert data["oauth_config"]["redirect_urls"] == ["https://example.com" + REDIRECT_PATH]


def events_listened(source: str) -> set[str]:
    """The Events API types the app's ``@app.event(...)`` listeners name (a literal, or a
    constant of ``adapters.slack_app``)."""
    import adapters.slack_app as slack_app

    found = set()
    for name in APP_EVENT.findall(source):
        found.add(name.strip("\"'") if name[0] in "\"'" else getattr(slack_app, name))
    return found


def test_manifest_events_are_exactly_the_ones_the_app_listens_to() -> None:
    listened = events_listened(slack_sources())
    assert listened == {"reaction_added", "reaction_removed"}
    assert set(manifest()["settings"]["event_subscriptions"]["bot_events"]) == listened
