"""Slack's refusals as ``DeliveryError``s: Slack's code, its ``Refusal`` kind, and one line with
the fix (never a token)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp
from slack_sdk.errors import SlackApiError

from adapters.slack_client import RATE_LIMIT_RETRIES
from bot.ports import DeliveryError, Refusal

INVITE = "invite it with /invite @Hot Papers"

_SLACK_ERRORS: dict[str, str] = {
    "not_in_channel": "the bot is not in channel {channel}: " + INVITE,
    "channel_not_found": (
        "channel {channel} was not found, or it is private and the bot is not in it: "
        "check the channel ID and " + INVITE
    ),
    "is_archived": "channel {channel} is archived: unarchive it or choose another channel",
    "msg_too_long": "Slack refused a message as too long ({code}): please report this bug",
    "msg_blocks_too_long": "Slack refused a message as too long ({code}): please report this bug",
    "invalid_blocks": "Slack refused a message's blocks ({code}): please report this bug",
    "invalid_auth": (
        "Slack rejected the bot token ({code}): check SLACK_BOT_TOKEN or reinstall the app"
    ),
    "not_authed": "no Slack bot token was sent ({code}): set SLACK_BOT_TOKEN",
    "account_inactive": "the Slack app was uninstalled or its token revoked ({code}): reinstall it",
    "token_revoked": "the Slack app was uninstalled or its token revoked ({code}): reinstall it",
    "missing_scope": "the bot token lacks a scope ({code}): add chat:write and reinstall the app",
    "ratelimited": (
        "Slack kept rate limiting channel {channel} after "
        f"{RATE_LIMIT_RETRIES} retries: try again in a minute"
    ),
    "restricted_action": "posting in channel {channel} is restricted by a workspace admin",
}


_REFUSALS = {
    "not_in_channel": Refusal.NOT_IN_CHANNEL,
    "channel_not_found": Refusal.NOT_IN_CHANNEL,
    "is_archived": Refusal.NO_PERMISSION,
    "restricted_action": Refusal.NO_PERMISSION,
    "invalid_auth": Refusal.AUTH,
    "not_authed": Refusal.AUTH,
    "account_inactive": Refusal.AUTH,
    "token_revoked": Refusal.AUTH,
    "missing_scope": Refusal.AUTH,
    "ratelimited": Refusal.UNAVAILABLE,
}
_ERROR_CODE = re.compile(r"[a-z0-9_.]{1,64}")  # Slack's error codes: invalid_auth, not_in_channel


def slack_error(exc: SlackApiError, channel: str) -> DeliveryError:
    """A ``DeliveryError`` with Slack's code and one line saying how to fix it (no token, ever)."""
    status = getattr(exc.response, "status_code", 200)
    data = getattr(exc.response, "data", None)  # not a dict when a proxy answers HTML
    error = data.get("error") if isinstance(data, dict) else None
    if error is not None and not _ERROR_CODE.fullmatch(str(error)):
        error = "unexpected_answer"  # not a Slack code: a proxy's text, maybe echoing the token
    code = str(error or ("ratelimited" if status == 429 else f"http_{status}"))
    if code == "rate_limited":
        code = "ratelimited"
    template = _SLACK_ERRORS.get(code, "Slack refused the message to {channel} ({code})")
    refusal = _REFUSALS.get(code, Refusal.OTHER)
    return DeliveryError(code, template.format(channel=channel, code=code), refusal)


@contextmanager
def slack_errors(channel: str, action: str) -> Iterator[None]:
    """A Web API call's failures as ``DeliveryError``: Slack's refusal (``slack_error``), or
    Slack unreachable (``connection_error``, a passing ``UNAVAILABLE``)."""
    try:
        yield
    except SlackApiError as exc:
        raise slack_error(exc, channel) from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise DeliveryError(
            "connection_error",
            f"could not {action} ({type(exc).__name__}): check the network or "
            "HOTPAPERS_SLACK_API_URL",
            Refusal.UNAVAILABLE,
        ) from exc
