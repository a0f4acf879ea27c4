"""Logging: plain or JSON lines, with every known secret redacted before a record is written."""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any

REDACTED = "[redacted]"
# Token shapes of the services we talk to, caught even when a secret is not in the settings.
TOKEN_PATTERNS = re.compile(
    r"xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|Bearer\s+[A-Za-z0-9._~+/=-]+|"
    r"Bot\s+[A-Za-z0-9._-]{20,}|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9._-]+"
)
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Never let ``value`` reach a log line (only values of 6+ characters are tracked)."""
    if value and len(value) >= 6:
        _secrets.add(value)


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return TOKEN_PATTERNS.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        record.msg, record.args = cleaned, None
        return True


# Known library lines that are wrong for us: Bolt warns that SLACK_BOT_TOKEN (read from the
# environment behind our back) is unused because we hand it a ready client.
NOISE = ("As you gave `client` as well, `token` will be unused.",)


class NoiseFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in NOISE


#: Structured fields a log call may pass with ``extra=`` (``{"source": "arxiv", "attempt": 2}``):
#: JSON lines carry them as keys, so a log pipeline can filter by source or channel, count
#: retries or chart durations without parsing messages. ``digest_key`` is ``date categories``.
FIELDS = ("source", "attempt", "channel", "digest_key", "duration")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                data[name] = redact(value) if isinstance(value, str) else value
        if record.exc_text:
            data["exception"] = record.exc_text
        return json.dumps(data, ensure_ascii=False)


# Libraries kept at WARNING; with --verbose (DEBUG) the first group says what it does at INFO
# (httpx: one line per request), the second stays at WARNING (wire-level chatter).
LIBRARIES = ("httpx", "discord", "slack_sdk", "slack_bolt", "apscheduler", "alembic")
CHATTY = ("httpcore", "aiohttp.access", "asyncio", "websockets", "aiosqlite")


def setup_logging(level: str = "INFO", fmt: str = "text", stream: Any = None) -> None:
    """Configure the root logger once: stderr, plain or JSON, secrets redacted."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(NoiseFilter())
    handler.addFilter(RedactingFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    verbose = root.level <= logging.DEBUG
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(
            logging.INFO if verbose else max(logging.WARNING, root.level)
        )
    for name in CHATTY:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
