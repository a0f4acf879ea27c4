"""``Http`` reads an answer only up to its cap: a bigger (or endless) body is refused, not retried.

Bodies are streamed from ``httpx.MockTransport`` through a stream that counts the chunks taken
from it and whether it was closed; ``FakeClock`` records every back-off sleep.
"""

from __future__ import annotations

import gzip
import itertools
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.clock import FakeClock
from bot.sources.http import MAX_ANSWER_BYTES, MB, Http, RateLimiter, SourceError, size_text


class CountingStream(httpx.AsyncByteStream):
    """``chunks`` one after another (endless if it is), counting how many were handed out."""

    def __init__(self, chunks: list[bytes] | None = None, endless: bytes = b"") -> None:
        self.chunks = chunks if chunks is not None else []
        self.endless = endless
        self.read = 0
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        source = itertools.repeat(self.endless) if self.endless else iter(self.chunks)
        for chunk in source:
            self.read += 1
            yield chunk

    async def aclose(self) -> None:
        self.closed = True


def serving(*answers: httpx.Response) -> tuple[httpx.AsyncClient, list[httpx.Request]]:
    """A client answering each request with the next of ``answers``; the requests it saw."""
    seen: list[httpx.Request] = []
    queue = iter(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return next(queue)

    return httpx.AsyncClient(transport=httpx.MockTransport(handler)), seen


def http(client: httpx.AsyncClient, clock: FakeClock, *, name: str = "test", cap: int | None = 10):
    return Http(client, name, RateLimiter(1, 0.0, clock), clock, retries=2, max_bytes=cap)


async def test_an_endless_body_is_refused_at_the_first_chunk_past_the_cap() -> None:
    stream = CountingStream(endless=b"abcd")
    clock = FakeClock()
    client, seen = serving(httpx.Response(200, stream=stream))
    async with client:
        source = http(client, clock)
        with pytest.raises(SourceError) as raised:
            await source.get_json("http://api.test/search")
    assert str(raised.value) == "answer larger than 10 bytes; refused"
    assert stream.read == 3  # 4 + 4 + 4 > 10: the third chunk is the last taken
    assert stream.closed  # the connection is let go, not drained
    # Not retried: the same request would get the same answer.
    assert (len(seen), source.requests, clock.sleeps) == (1, 1, [])


async def test_a_content_length_over_the_cap_is_refused_before_reading() -> None:
    stream = CountingStream(endless=b"x" * 1000)
    clock = FakeClock()
    declared = str(MAX_ANSWER_BYTES + 1)
    client, seen = serving(httpx.Response(200, headers={"Content-Length": declared}, stream=stream))
    async with client:
        source = http(client, clock, cap=None)
        with pytest.raises(SourceError) as raised:
            await source.request("GET", "http://api.test/query")
    assert str(raised.value) == "answer larger than 20 MB; refused"
    assert (stream.read, stream.closed) == (0, True)
    assert (len(seen), clock.sleeps) == (1, [])


@pytest.mark.parametrize("declared", [None, "10"])
async def test_a_body_exactly_at_the_cap_is_read_whole(declared: str | None) -> None:
    stream = CountingStream([b'{"a":', b"[12", b"]}"])  # 10 bytes
    headers = {"Content-Length": declared} if declared else {}
    client, _ = serving(httpx.Response(200, headers=headers, stream=stream))
    async with client:
        body = await http(client, FakeClock()).get_json("http://api.test/search")
    assert body == {"a": [12]}
    assert (stream.read, stream.closed) == (3, True)


async def test_the_cap_counts_decoded_bytes_so_a_gzip_bomb_stops_there_too() -> None:
    packed = gzip.compress(b" " * 5000)  # ~40 bytes on the wire, 5000 once decoded
    assert len(packed) < 100
    client, _ = serving(
        httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=packed),
    )
    async with client:
        with pytest.raises(SourceError, match="^answer larger than 1 kB; refused$"):
            await http(client, FakeClock(), cap=1000).request("GET", "http://api.test/q")


async def test_a_gzip_answer_within_the_cap_is_handed_over_decoded() -> None:
    """The answer is a new public ``httpx.Response`` of the decoded body: its headers are the
    server's, less those that described the compressed wire form."""
    packed = gzip.compress(b'{"papers": [1, 2]}')
    client, _ = serving(httpx.Response(200, content=packed, headers={
        "Content-Encoding": "gzip", "X-RateLimit-Remaining": "7"}))  # fmt: skip
    async with client:
        response = await http(client, FakeClock(), cap=1000).request("GET", "http://api.test/q")
    assert response.json() == {"papers": [1, 2]}
    assert response.headers["X-RateLimit-Remaining"] == "7"
    assert "Content-Encoding" not in response.headers
    assert response.headers["Content-Length"] == str(len(b'{"papers": [1, 2]}'))
    assert response.is_closed and str(response.request.url) == "http://api.test/q"


async def test_a_retried_status_is_not_read_and_a_broken_body_is_retried() -> None:
    """A 503's body is never read (however long); a connection dropped mid-body is a transport
    error, retried with the usual back-off; the third answer is used."""
    unread = CountingStream(endless=b"z" * 100)

    class Dropped(CountingStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield b"{"
            raise httpx.ReadError("connection reset")

    clock = FakeClock()
    client, seen = serving(
        httpx.Response(503, stream=unread),
        httpx.Response(200, stream=Dropped()),
        httpx.Response(200, json=[1]),
    )
    async with client:
        source = http(client, clock)
        assert await source.get_json("http://api.test/q") == [1]
    assert (unread.read, unread.closed) == (0, True)
    assert (len(seen), source.requests, clock.sleeps) == (3, 3, [1.0, 2.0])


async def test_a_small_error_answer_still_reaches_the_caller() -> None:
    client, _ = serving(httpx.Response(400, content=b"<feed>bad id</feed>"))
    async with client:
        response = await http(client, FakeClock(), cap=100).request("GET", "http://api.test/q")
    assert (response.status_code, response.content) == (400, b"<feed>bad id</feed>")


@pytest.mark.parametrize(
    ("name", "cap"),
    [
        ("arxiv", 20 * MB),
        ("hackernews", 10 * MB),
        ("huggingface", 4 * MB),
        ("semantic_scholar", 4 * MB),
        ("bluesky", 4 * MB),
        ("x", 4 * MB),
        ("llm", 1 * MB),
    ],
)
async def test_each_service_has_its_cap_and_an_explicit_one_wins(name: str, cap: int) -> None:
    async with httpx.AsyncClient() as client:
        assert http(client, FakeClock(), name=name, cap=None).answer_cap == cap
        assert http(client, FakeClock(), name=name, cap=123).answer_cap == 123


def test_sizes_read_as_a_person_would_say_them() -> None:
    assert [size_text(n) for n in (20 * MB, 1000, 1500, 10)] == [
        "20 MB",
        "1 kB",
        "1500 bytes",
        "10 bytes",
    ]
