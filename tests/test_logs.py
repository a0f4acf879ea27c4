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
    """A buffer to log into; the logging setup (handlers, levels) is restored afterwards."""
    names = ("", *logs.LIBRARIES, *logs.CHATTY)
    levels = {name: logging.getLogger(name).level for name in names}
    handlers = list(logging.getLogger().handlers)
    out = io.StringIO()
    yield out
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


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


def test_bolts_false_warning_about_the_token_is_dropped(stream: io.StringIO) -> None:
    logs.setup_logging("INFO", "text", stream)
    logging.getLogger("slack_bolt").warning("As you gave `client` as well, `token` will be unused.")
    logging.getLogger("slack_bolt").warning("a real warning")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].endswith("WARNING slack_bolt: a real warning")


@pytest.mark.parametrize(
    ("level", "httpx_level", "chatty_level"),
    [("INFO", "WARNING", "WARNING"), ("DEBUG", "INFO", "WARNING"), ("ERROR", "ERROR", "ERROR")],
)
def test_verbose_shows_each_request_but_not_wire_chatter(
    stream: io.StringIO, level: str, httpx_level: str, chatty_level: str
) -> None:
    logs.setup_logging(level, "text", stream)
    assert logging.getLevelName(logging.getLogger("httpx").level) == httpx_level
    assert logging.getLevelName(logging.getLogger("discord").level) == httpx_level
    assert logging.getLevelName(logging.getLogger("httpcore").level) == chatty_level
    assert logging.getLevelName(logging.getLogger("asyncio").level) == chatty_level
    logging.getLogger("httpx").info('HTTP Request: GET https://hf.test/api "HTTP/1.1 200 OK"')
    logging.getLogger("asyncio").debug("Using selector: EpollSelector")
    written = stream.getvalue()
    assert ("HTTP Request: GET https://hf.test/api" in written) == (level == "DEBUG")
    assert "Using selector" not in written
