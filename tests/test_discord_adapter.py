"""The Discord adapter against a loopback fake of Discord's REST API, with the real discord.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
from discord.http import Route

from adapters.discord import (
    DEFAULT_API_BASE,
    DiscordAdapter,
    make_discord_rest_adapter,
    rebase,
    use_api_base,
)
from adapters.discord_embeds import entry_embed, validate_message
from bot.config import ConfigError
from bot.delivery import post_thread
from bot.ports import DeliveryError, Refusal
from tests.factories import adversarial_digest, make_digest
from tests.fake_discord import FakeDiscord, serving


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with serving() as server:
        yield server


THREAD = "1300000000000000001"  # the header's id: Discord gives its thread the same id


@pytest.fixture
async def adapter(fake: FakeDiscord) -> Any:
    fake.add_text_channel(2000)
    fake.add_forum_channel(2100)
    adapter = await make_discord_rest_adapter(fake.settings())
    yield adapter
    await adapter.close()


def _without_nonce(body: dict[str, Any]) -> dict[str, Any]:
    """discord.py adds a random nonce to each message; everything else is ours to check."""
    body = dict(body)
    assert body.pop("nonce").isdigit()
    return body


def _assert_sane(fake: FakeDiscord) -> None:
    bodies = fake.message_bodies()
    assert bodies
    for body in bodies:
        assert body["allowed_mentions"] == {"parse": []}
        assert validate_message(body) == []


async def test_a_digest_is_a_header_a_thread_from_it_and_one_message_per_paper(
    fake: FakeDiscord,
    adapter: DiscordAdapter,
) -> None:
    digest = make_digest(3)
    delivery = await post_thread(adapter, "2000", digest)

    assert delivery.ok and delivery.thread_id == THREAD
    assert delivery.message_ids == {
        "header": THREAD,
        "1": "1300000000000000002",
        "2": "1300000000000000003",
        "3": "1300000000000000004",
    }
    assert fake.calls() == [
        ("GET", "/users/@me"),
        ("GET", "/oauth2/applications/@me"),
        ("GET", "/channels/2000"),
        ("POST", "/channels/2000/messages"),
        ("POST", f"/channels/2000/messages/{THREAD}/threads"),
        ("POST", f"/channels/{THREAD}/messages"),
        ("POST", f"/channels/{THREAD}/messages"),
        ("POST", f"/channels/{THREAD}/messages"),
    ]
    posts = fake.posts()
    assert posts[0].headers["Authorization"] == "Bot fake-discord-token"
    assert posts[0].json["embeds"][0]["title"] == "Hot Papers 2021-04-12"
    assert posts[1].json == {
        "name": "Hot Papers 2021-04-12",
        "auto_archive_duration": 1440,
        "rate_limit_per_user": None,
    }
    assert _without_nonce(posts[2].json) == {
        "embeds": [{**entry_embed(digest, digest.entries[0]), "flags": 0}],
        "content": None,
        "components": [
            {
                "type": 1,
                "components": [
                    {
                        "type": 2,
                        "style": 2,
                        "disabled": False,
                        "label": "More like this",
                        "custom_id": "hp:more:2104.04001:v1",
                    },
                    {
                        "type": 2,
                        "style": 2,
                        "disabled": False,
                        "label": "Full abstract",
                        "custom_id": "hp:abstract:2104.04001:v1",
                    },
                ],
            }
        ],  # fmt: skip
        "enforce_nonce": True,
        "tts": False,
        "allowed_mentions": {"parse": []},
    }
    assert [p.json["embeds"][0]["title"] for p in posts[2:]] == [
        "1. Paper number 1: a study",
        "2. Paper number 2: a study",
        "3. Paper number 3: a study",
    ]
    _assert_sane(fake)


async def test_an_adversarial_digest_stays_within_limits_and_pings_no_one(
    fake: FakeDiscord,
    adapter: DiscordAdapter,
) -> None:
    delivery = await post_thread(adapter, "2000", adversarial_digest(10))
    assert delivery.ok
    assert len(fake.message_bodies()) == 11
    _assert_sane(fake)


async def test_a_forum_channel_gets_one_post_with_the_header_first(
    fake: FakeDiscord,
    adapter: DiscordAdapter,
) -> None:
    delivery = await post_thread(adapter, "2100", make_digest(2))
    assert delivery.ok and delivery.thread_id == THREAD
    assert fake.calls()[2:] == [
        ("GET", "/channels/2100"),
        ("POST", "/channels/2100/threads"),
        ("POST", f"/channels/{THREAD}/messages"),
        ("POST", f"/channels/{THREAD}/messages"),
    ]
    forum_post = fake.posts()[0].json
    assert forum_post["name"] == "Hot Papers 2021-04-12"
    assert forum_post["auto_archive_duration"] == 1440
    assert forum_post["message"]["embeds"][0]["title"] == "Hot Papers 2021-04-12"
    _assert_sane(fake)


async def test_a_thread_as_target_gets_header_and_replies_in_place(
    fake: FakeDiscord,
    adapter: DiscordAdapter,
) -> None:
    fake.add_thread(2200, 2000, name="reading group")
    delivery = await post_thread(adapter, "2200", make_digest(1))
    assert delivery.ok and delivery.thread_id == "2200"
    assert fake.calls()[2:] == [
        ("GET", "/channels/2200"),
        ("POST", "/channels/2200/messages"),
        ("POST", "/channels/2200/messages"),
    ]


async def test_resuming_posts_only_the_missing_papers_in_the_same_thread(
    fake: FakeDiscord,
    adapter: DiscordAdapter,
) -> None:
    fake.add_thread(5000, 2000)
    already = {"header": "5000", "1": "5001"}
    delivery = await post_thread(adapter, "2000", make_digest(3), already=already, thread_id="5000")
    assert delivery.ok
    assert fake.calls()[2:] == [("POST", "/channels/5000/messages")] * 2
    assert [p.json["embeds"][0]["title"][:2] for p in fake.posts()] == ["2.", "3."]


async def test_a_deleted_thread_names_the_thread(
    fake: FakeDiscord,
    adapter: DiscordAdapter,
) -> None:
    with pytest.raises(DeliveryError) as caught:
        await adapter.post_entry("2000", "6000", make_digest(1), make_digest(1).entries[0])
    assert caught.value.code == "unknown_channel"
    assert str(caught.value).startswith(
        "cannot post paper 1: Discord does not know thread 6000 (404 Unknown Channel"
    )


async def test_unknown_channel_is_a_failed_delivery_with_the_fix(
    fake: FakeDiscord,
    adapter: DiscordAdapter,
) -> None:
    delivery = await post_thread(adapter, "999", make_digest(2))
    assert delivery.failure is not None and delivery.failure.refusal is Refusal.NOT_IN_CHANNEL
    assert delivery.failure.record() == (
        "unknown_channel: cannot post the header: Discord does not know channel 999 "
        "(404 Unknown Channel (code 10003)): check the id (Discord: Developer Mode, "
        "right-click the channel, Copy Channel ID) and that the bot was invited to that server"
    )
    assert fake.calls()[2:] == [("GET", "/channels/999")]


async def test_missing_permissions_is_a_failed_delivery_with_the_fix(
    fake: FakeDiscord,
    adapter: DiscordAdapter,
) -> None:
    fake.forbid(2000, methods=("POST",))
    with pytest.raises(DeliveryError) as caught:
        await adapter.post_header("2000", make_digest(1))
    assert caught.value.code == "missing_permissions"
    assert str(caught.value) == (
        "Discord refused to post the header in channel 2000 (403 Missing Permissions "
        "(code 50013)): give the bot View Channel, Send Messages, Embed Links, Create Public "
        "Threads and Send Messages in Threads there (or Create Posts in a forum)"
    )
    assert "fake-discord-token" not in str(caught.value)


async def test_a_forbidden_channel_fetch_is_missing_permissions(
    fake: FakeDiscord,
    adapter: DiscordAdapter,
) -> None:
    fake.forbid(2000)
    delivery = await post_thread(adapter, "2000", make_digest(1))
    assert delivery.failure is not None
    assert (delivery.failure.code, delivery.failure.refusal) == (
        "missing_permissions", Refusal.NO_PERMISSION
    )  # fmt: skip


async def test_a_429_with_via_is_retried_by_discord_py(
    fake: FakeDiscord,
    adapter: DiscordAdapter,
) -> None:
    fake.rate_limit(times=1, via=True, retry_after=0.0)
    delivery = await post_thread(adapter, "2000", make_digest(1))
    assert delivery.ok
    assert fake.calls()[2:5] == [
        ("GET", "/channels/2000"),
        ("POST", "/channels/2000/messages"),  # 429
        ("POST", "/channels/2000/messages"),  # the retry
    ]
    assert len(fake.message_bodies()) == 3


async def test_a_429_without_via_is_a_cloudflare_ban_and_fails_the_delivery(
    fake: FakeDiscord,
    adapter: DiscordAdapter,
) -> None:
    fake.rate_limit(times=1, via=False, retry_after=0.0)
    delivery = await post_thread(adapter, "2000", make_digest(1))
    assert delivery.failure is not None and delivery.failure.refusal is Refusal.UNAVAILABLE
    assert delivery.failure.record() == (
        "rate_limited: Discord refused to post the header in channel 2000 "
        "(429 You are being rate limited.)"
    )


async def test_a_long_rate_limit_fails_fast_instead_of_waiting(
    fake: FakeDiscord,
    adapter: DiscordAdapter,
) -> None:
    fake.rate_limit(times=1, via=True, retry_after=3600.0)
    with pytest.raises(DeliveryError) as caught:
        await adapter.post_header("2000", make_digest(1))
    assert caught.value.code == "discord_unavailable"
    assert "rate limited for 3600 s" in str(caught.value)


async def test_a_channel_id_that_is_not_a_number_is_unknown(adapter: DiscordAdapter) -> None:
    with pytest.raises(DeliveryError) as caught:
        await adapter.post_header("#papers", make_digest(1))
    assert caught.value.code == "unknown_channel"


async def test_post_text_is_one_clamped_message_that_mentions_no_one(
    fake: FakeDiscord,
    adapter: DiscordAdapter,
) -> None:
    await adapter.post_text("2000", "@everyone " * 300)
    (body,) = fake.message_bodies()
    assert len(body["content"]) == 2000 and body["content"].endswith("…")
    assert body["allowed_mentions"] == {"parse": []}


async def test_a_rejected_token_is_a_config_error_without_the_token(
    fake: FakeDiscord,
) -> None:
    fake.token = "the-real-one"
    settings = fake.settings(DISCORD_TOKEN="wrong-secret-token")
    with pytest.raises(ConfigError) as caught:
        await make_discord_rest_adapter(settings)
    assert "wrong-secret-token" not in str(caught.value)
    assert str(caught.value).startswith("DISCORD_TOKEN was rejected by Discord (401)")


async def test_a_missing_token_is_a_config_error(fake: FakeDiscord) -> None:
    settings = fake.settings()
    settings.discord_token = None
    with pytest.raises(ConfigError, match="DISCORD_TOKEN is not set"):
        await make_discord_rest_adapter(settings)
    assert fake.requests == []


async def test_discord_unreachable_is_a_delivery_error(fake: FakeDiscord) -> None:
    settings = fake.settings(discord_api_url="http://127.0.0.1:9/api/v10")
    with pytest.raises(DeliveryError) as caught:
        await make_discord_rest_adapter(settings)
    assert caught.value.code == "discord_unavailable"


async def test_the_api_base_is_per_client_and_route_base_is_never_changed(
    fake: FakeDiscord,
) -> None:
    before = Route.BASE
    adapter = await make_discord_rest_adapter(fake.settings())
    try:
        assert before == Route.BASE  # nothing process-wide changed
        assert Route("GET", "/users/@me").url == before + "/users/@me"
        other = discord.Client(intents=discord.Intents.none())
        assert other.http.request.__func__ is discord.http.HTTPClient.request  # untouched
        # This client's calls, retries and interaction answers go to the fake.
        assert rebase(Route("GET", "/users/@me"), fake.base_url).url == (
            fake.base_url + "/users/@me"
        )
        assert ("GET", "/users/@me") in [(r.method, r.path) for r in fake.requests]
    finally:
        await adapter.close()
    await other.close()
    use_api_base(other, DEFAULT_API_BASE + "/")  # the default is left as it is
    assert other.http.request.__func__ is discord.http.HTTPClient.request
