"""Logs: plain or JSON lines, and no secret ever written."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from adapters.console import ConsoleAdapter
from bot import logs
from bot.clock import FakeClock
from bot.ledger import Ledger
from bot.posting import deliver
from bot.sources.http import Http, RateLimiter
from bot.store import Store
from tests.factories import make_digest


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


async def test_json_lines_carry_source_attempt_channel_digest_key_and_duration(
    stream: io.StringIO, store: Store
) -> None:
    """The fields come from the real log calls: a source's retry, a channel's delivery."""
    logs.setup_logging("INFO", "json", stream)
    clock = FakeClock()
    answers = iter([httpx.Response(503), httpx.Response(200, json={})])
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: next(answers)))
    async with client:
        http = Http(client, "huggingface", RateLimiter(1, 0.0, clock), clock, retries=1)
        await http.get_json("http://hf.test/api/daily_papers")
    digest = make_digest(2, categories=("cs.LG", "cs.CL"))
    outcome = await deliver(ConsoleAdapter(io.StringIO()), Ledger(store, "host", clock),
                            "default", "general", digest)  # fmt: skip
    assert outcome.ok
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    retry = next(line for line in lines if line["logger"] == "bot.sources.http")
    assert (retry["source"], retry["attempt"]) == ("huggingface", 1)
    posted = next(line for line in lines if line["logger"] == "bot.posting")
    assert posted["channel"] == "general"
    assert posted["digest_key"] == f"{digest.date} cs.CL cs.LG"
    assert isinstance(posted["duration"], float) and posted["duration"] >= 0
    assert posted["message"].startswith(f"console: posted Hot Papers {digest.date} to general")
    assert "source" not in posted and "channel" not in retry  # only the fields a call gave
