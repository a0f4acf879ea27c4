"""SlackAdapter against a loopback fake Slack Web API, through the real AsyncWebClient."""

from __future__ import annotations

import json
import socket

import pytest

from adapters.slack import SlackAdapter, make_slack_adapter
from adapters.slack_blocks import header_message, validate_message
from adapters.slack_client import ChannelPacer, make_web_client
from bot.clock import FakeClock
from bot.config import ConfigError, Settings
from bot.delivery import post_thread
from bot.ports import Delivery, DeliveryError, Refusal
from tests.factories import adversarial_digest, make_digest
from tests.fake_slack import FakeSlack, fake_slack_fixture  # noqa: F401 (the fixture)

TOKEN = "xoxb-test-secret-token"
TS1, TS2, TS3, TS4 = (f"1618300000.{n:06d}" for n in range(1, 5))


def settings_for(api_url: str, **kw: object) -> Settings:
    return Settings(_env_file=None, slack_api_url=api_url, slack_bot_token=TOKEN, **kw)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def adapter(fake_slack: FakeSlack, clock: FakeClock) -> SlackAdapter:
    return make_slack_adapter(settings_for(fake_slack.api_url), clock)


ENTRY_1 = {
    "channel": "C1",
    "thread_ts": TS1,
    "unfurl_links": False,
    "unfurl_media": False,
    "text": "1. Paper number 1: a study (score 9.0)",
    "blocks": [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*1. <https://arxiv.org/abs/2104.04001|Paper number 1: a study>*\n"
                "Ada Lovelace, Alan Turing\n_cs.CL, cs.LG_",
            },
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": "Summary of paper 1."}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "score 9.0 = posts 7.0 + HF upvotes 2.0 · 3 posts · 12 HF upvotes"
                    " · 42 GitHub stars",
                }
            ],
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "> Great paper https://arxiv.org/abs/2104.04001 number 1\n"
                "> — User 1 (@user1.bsky.social) · "
                "<https://bsky.app/profile/user1.bsky.social/post/1|on Bluesky>"
                " · 10 likes · 1 repost",
            },
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "<https://arxiv.org/abs/2104.04001|abs> | "
                    "<https://arxiv.org/pdf/2104.04001v1|pdf> | "
                    "<https://github.com/example/repo|code> | "
                    "<https://huggingface.co/papers/2104.04001|HF>",
                }
            ],
        },
        {
            "type": "actions",
            "block_id": "hp_buttons_2104.04001",
            "elements": [
                {
                    "type": "button",
                    "action_id": "hotpapers_more",
                    "text": {"type": "plain_text", "text": "More like this"},
                    "value": "hp:more:2104.04001:v1",
                },
                {
                    "type": "button",
                    "action_id": "hotpapers_abstract",
                    "text": {"type": "plain_text", "text": "Full abstract"},
                    "value": "hp:abstract:2104.04001:v1",
                },
            ],
        },  # fmt: skip
    ],
}


async def test_header_then_one_reply_per_paper_in_its_thread(
    fake_slack: FakeSlack, adapter: SlackAdapter, clock: FakeClock
) -> None:
    digest = make_digest(3)
    delivery = await post_thread(adapter, "C1", digest)

    assert delivery == Delivery(
        platform="slack", channel="C1", thread_id=TS1,
        message_ids={"header": TS1, "1": TS2, "2": TS3, "3": TS4},
    )  # fmt: skip
    calls = fake_slack.calls
    assert [c.method for c in calls] == ["chat.postMessage"] * 4
    assert {c.token for c in calls} == {TOKEN}
    tag = {"event_type": "hotpapers_message", "event_payload": {"digest": "2021-04-12 cs.CL"}}
    assert fake_slack.posts[0] == {
        "channel": "C1", "unfurl_links": False, "unfurl_media": False, **header_message(digest),
        "metadata": {**tag, "event_payload": {**tag["event_payload"], "part": "header"}},
    }  # fmt: skip
    assert fake_slack.posts[1] == ENTRY_1 | {"metadata": {**tag, "event_payload": {
        **tag["event_payload"], "part": "1", "arxiv_id": "2104.04001"}}}  # fmt: skip
    assert [p.get("thread_ts") for p in fake_slack.posts] == [None, TS1, TS1, TS1]
    assert [p["text"][:3] for p in fake_slack.posts[1:]] == ["1. ", "2. ", "3. "]
    assert clock.sleeps == [1.0, 1.0, 1.0]  # about one message a second in the channel


async def test_adversarial_digest_every_payload_within_limits_and_inert(
    fake_slack: FakeSlack, adapter: SlackAdapter
) -> None:
    delivery = await post_thread(adapter, "C1", adversarial_digest())
    assert delivery.ok and len(fake_slack.posts) == 11
    for body in fake_slack.posts:
        assert validate_message(body) == []
        wire = json.dumps(body, ensure_ascii=False)
        for forbidden in ("<!", "<@", "<#", "<https://evil"):
            assert forbidden not in wire


async def test_429_is_retried_after_retry_after(
    fake_slack: FakeSlack, adapter: SlackAdapter, clock: FakeClock
) -> None:
    fake_slack.rate_limit(2, retry_after=7)
    assert await adapter.post_text("C1", "hello") == TS1
    assert [c.status for c in fake_slack.calls] == [429, 429, 200]
    assert len(clock.sleeps) == 2 and all(7 <= s < 8 for s in clock.sleeps)


async def test_429_past_the_retries_is_a_delivery_error(
    fake_slack: FakeSlack, adapter: SlackAdapter
) -> None:
    fake_slack.rate_limit(4, retry_after=1)
    with pytest.raises(DeliveryError) as caught:
        await adapter.post_text("C1", "hello")
    assert caught.value.code == "ratelimited"
    assert str(caught.value) == (
        "Slack kept rate limiting channel C1 after 3 retries: try again in a minute"
    )
    assert len(fake_slack.calls) == 4


@pytest.mark.parametrize(
    ("error", "message"),
    [
        ("not_in_channel", "the bot is not in channel C9: invite it with /invite @Hot Papers"),
        (
            "channel_not_found",
            "channel C9 was not found, or it is private and the bot is not in it: "
            "check the channel ID and invite it with /invite @Hot Papers",
        ),
        (
            "msg_too_long",
            "Slack refused a message as too long (msg_too_long): please report this bug",
        ),
        (
            "invalid_auth",
            "Slack rejected the bot token (invalid_auth): "
            "check SLACK_BOT_TOKEN or reinstall the app",
        ),
        ("is_archived", "channel C9 is archived: unarchive it or choose another channel"),
        ("something_new", "Slack refused the message to C9 (something_new)"),
    ],
)
async def test_slack_errors_become_delivery_errors(
    fake_slack: FakeSlack, adapter: SlackAdapter, error: str, message: str
) -> None:
    fake_slack.fail_channel("C9", error)
    with pytest.raises(DeliveryError) as caught:
        await adapter.post_header("C9", make_digest(1))
    assert (caught.value.code, str(caught.value)) == (error, message)
    assert TOKEN not in repr(caught.value) and TOKEN not in str(caught.value.__cause__)


async def test_failed_thread_is_a_delivery_record_not_a_crash(
    fake_slack: FakeSlack, adapter: SlackAdapter
) -> None:
    fake_slack.fail_channel("C9", "not_in_channel")
    delivery = await post_thread(adapter, "C9", make_digest(2))
    assert (delivery.platform, delivery.channel, delivery.ok) == ("slack", "C9", False)
    assert delivery.failure is not None and delivery.failure.refusal is Refusal.NOT_IN_CHANNEL
    assert delivery.failure.record() == (
        "not_in_channel: the bot is not in channel C9: invite it with /invite @Hot Papers"
    )


async def test_pacing_is_per_channel(fake_slack: FakeSlack, clock: FakeClock) -> None:
    client = make_web_client(settings_for(fake_slack.api_url), TOKEN, clock)
    pacer = ChannelPacer(clock)
    first, second = SlackAdapter(client, pacer=pacer), SlackAdapter(client, pacer=pacer)
    await first.post_text("C1", "a")
    await second.post_text("C2", "b")
    await second.post_text("C1", "c")
    assert [(p["channel"], p["text"]) for p in fake_slack.posts] == [
        ("C1", "a"), ("C2", "b"), ("C1", "c")
    ]  # fmt: skip
    assert clock.sleeps == [1.0]


async def test_unreachable_slack_is_a_delivery_error(clock: FakeClock) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    adapter = make_slack_adapter(settings_for(f"http://127.0.0.1:{port}/api/"), clock)
    with pytest.raises(DeliveryError) as caught:
        await adapter.post_text("C1", "hello")
    assert caught.value.code == "connection_error"
    assert str(caught.value) == (
        "could not reach the Slack API (ClientConnectorError): "
        "check the network or HOTPAPERS_SLACK_API_URL"
    )
    assert len(clock.sleeps) == 2  # two backed-off retries, on the injected clock


def test_make_slack_adapter_needs_a_token() -> None:
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN is not set"):
        make_slack_adapter(Settings(_env_file=None, slack_bot_token=None))


def test_web_client_uses_the_configured_base_url(clock: FakeClock) -> None:
    client = make_web_client(settings_for("http://127.0.0.1:9/proxy/api"), TOKEN, clock)
    assert client.base_url == "http://127.0.0.1:9/proxy/api/"
    assert client.timeout == 20
    assert [type(h).__name__ for h in client.retry_handlers] == [
        "ClockConnectionErrorRetryHandler", "ClockRateLimitRetryHandler"
    ]  # fmt: skip


def test_an_error_page_that_is_not_json_is_still_one_clear_error() -> None:
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_slack_response import AsyncSlackResponse

    from adapters.slack_errors import slack_error

    response = AsyncSlackResponse(
        client=None,  # type: ignore[arg-type]
        http_verb="POST",
        api_url="https://slack.example/api/chat.postMessage",
        req_args={},
        data="<html>502 Bad Gateway</html>",  # type: ignore[arg-type]
        headers={},
        status_code=502,
    )
    error = slack_error(SlackApiError("proxy error", response), "C1")
    assert (error.code, str(error)) == ("http_502", "Slack refused the message to C1 (http_502)")
