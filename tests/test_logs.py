"""Logs: plain or JSON lines, and no secret ever written."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot import logs


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    out = io.StringIO()
    yield out
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)


def test_json_lines_with_secrets_redacted(stream: io.StringIO) -> None:
    logs.register_secret("hunter2-app-password")
    logs.setup_logging("INFO", "json", stream)
    logging.getLogger("hotpapers.test").warning(
        "login with %s failed; header Bearer abc.def.ghi; token xoxb-123-456-abc",
        "hunter2-app-password",
    )
    line = stream.getvalue().strip()
    data = json.loads(line)
    assert data["level"] == "warning" and data["logger"] == "hotpapers.test"
    assert data["message"] == ("login with [redacted] failed; header [redacted]; token [redacted]")


def test_exception_text_is_redacted_too(stream: io.StringIO) -> None:
    logs.register_secret("SECRET-DISCORD-TOKEN")
    logs.setup_logging("INFO", "text", stream)
    try:
        raise RuntimeError("bad token SECRET-DISCORD-TOKEN")
    except RuntimeError:
        logging.getLogger("hotpapers.test").exception("crashed")
    text = stream.getvalue()
    assert "crashed" in text and "RuntimeError: bad token [redacted]" in text
    assert "SECRET-DISCORD-TOKEN" not in text
