"""The arXiv source against feeds written here, served by an httpx.MockTransport."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import httpx
import pytest

from bot.clock import FakeClock
from bot.models import Paper
from bot.sources.arxiv import ArxivSource, listing_query
from bot.sources.arxiv_parse import parse_feed, split_arxiv_id
from bot.sources.budget import bounded
from bot.sources.http import RateLimiter, SourceError

BASE = "http://arxiv.test/api/query"
UTC = dt.UTC
WINDOW = (dt.datetime(2021, 4, 9, 18, 0, tzinfo=UTC), dt.datetime(2021, 4, 12, 18, 0, tzinfo=UTC))
MODERN_NS = (
    'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
    'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom"'
)
OS_NS = 'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"'
AX_NS = 'xmlns:arxiv="http://arxiv.org/schemas/atom"'


def entry(
    arxiv_id: str, *, cats: tuple[str, ...] = ("cs.CL",), published: str = "2021-04-10T12:00:00Z"
) -> str:
    """An entry shaped like today's API: namespaces on <feed>, no scheme on primary_category."""
    category_xml = "".join(
        f'<category term="{c}" scheme="http://arxiv.org/schemas/atom"/>' for c in cats
    )
    return f"""<entry><id>http://arxiv.org/abs/{arxiv_id}v1</id><title>Paper {arxiv_id}</title>
    <updated>{published}</updated>
    <link href="https://arxiv.org/abs/{arxiv_id}v1" rel="alternate" type="text/html"/>
    <summary>About {arxiv_id}.</summary>{category_xml}<published>{published}</published>
    <arxiv:primary_category term="{cats[0]}"/><author><name>Ada Lovelace</name></author></entry>"""


def feed(entries: list[str], *, total: int | None = None, start: int = 0) -> bytes:
    total = len(entries) if total is None else total
    return f"""<?xml version='1.0' encoding='UTF-8'?>
<feed {MODERN_NS}><id>https://arxiv.org/api/x</id><title>arXiv Query</title>
<opensearch:itemsPerPage>{len(entries)}</opensearch:itemsPerPage>
<opensearch:totalResults>{total}</opensearch:totalResults>
<opensearch:startIndex>{start}</opensearch:startIndex>{"".join(entries)}</feed>""".encode()


ERROR_FEED = f"""<?xml version='1.0' encoding='UTF-8'?><feed {MODERN_NS}>
<opensearch:totalResults>1</opensearch:totalResults>
<entry><id>https://arxiv.org/api/errors#incorrect_id_format_for_abc</id><title>Error</title>
<summary>incorrect id format for abc</summary><author><name>arXiv api core</name></author></entry>
</feed>""".encode()

REJECTED = r"^arXiv rejected the query: incorrect id format for abc$"

Reply = httpx.Response | Callable[[httpx.Request], httpx.Response]


class FakeArxiv:
    """Answers requests from a script, recording each request and the clock when it arrived."""

    def __init__(self, clock: FakeClock, replies: list[Reply]) -> None:
        self.clock = clock
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.times.append(self.clock.monotonic())
        reply = self.replies.pop(0)
        return reply(request) if callable(reply) else reply

    def params(self, name: str) -> list[str]:
        return [r.url.params[name] for r in self.requests]


def make_source(replies: list[Reply], **kw: object) -> tuple[ArxivSource, FakeArxiv, FakeClock]:
    clock = FakeClock()
    fake = FakeArxiv(clock, replies)
    client = httpx.AsyncClient(transport=httpx.MockTransport(fake))
    source = ArxivSource(client, base_url=BASE, clock=clock, **kw)  # type: ignore[arg-type]
    return source, fake, clock


def ok(body: bytes, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=body, headers=headers)


# --- parsing -------------------------------------------------------------------------------------

LEGACY_FEED = f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="html">ArXiv Query: search_query=&amp;id_list=1111.2011v2</title>
  <updated>2016-10-09T00:00:00-04:00</updated>
  <opensearch:totalResults {OS_NS}>31</opensearch:totalResults>
  <opensearch:startIndex {OS_NS}>10</opensearch:startIndex>
  <opensearch:itemsPerPage {OS_NS}>10</opensearch:itemsPerPage>
  <entry>
    <id>http://arxiv.org/abs/cond-mat/0603029v2</id>
    <updated>2006-07-01T10:00:00-04:00</updated>
    <published>2006-03-02T02:22:45Z</published>
    <title>From stripe to checkerboard order on the square
  lattice\tin the presence</title>
    <summary>  We study stripes
and checkerboards.
</summary>
    <author><name>Adrian  Del Maestro</name></author>
    <author><name>Subir Sachdev</name></author>
    <arxiv:doi {AX_NS}>10.1103/PhysRevB.74.024520</arxiv:doi>
    <link title="doi" href="http://dx.doi.org/10.1103/PhysRevB.74.024520" rel="related"/>
    <arxiv:comment {AX_NS}>10 pages,
  11 figures</arxiv:comment>
    <arxiv:journal_ref {AX_NS}>Phys. Rev. B 74, 024520 (2006)</arxiv:journal_ref>
    <link href="http://arxiv.org/abs/cond-mat/0603029v2" rel="alternate" type="text/html"/>
    <arxiv:primary_category {AX_NS} term="cond-mat.str-el" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cond-mat.supr-con" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cond-mat.str-el" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
</feed>""".encode()


def test_legacy_2016_feed_parses_by_namespace_with_text_unwrapped() -> None:
    parsed = parse_feed(LEGACY_FEED)

    assert (parsed.total_results, parsed.start_index, parsed.items_per_page) == (31, 10, 10)
    assert parsed.papers == [
        Paper(
            arxiv_id="cond-mat/0603029",
            version=2,
            title="From stripe to checkerboard order on the square lattice in the presence",
            authors=("Adrian Del Maestro", "Subir Sachdev"),
            abstract="We study stripes and checkerboards.",
            primary_category="cond-mat.str-el",
            categories=("cond-mat.str-el", "cond-mat.supr-con"),
            published=dt.datetime(2006, 3, 2, 2, 22, 45, tzinfo=UTC),
            updated=dt.datetime(2006, 7, 1, 14, 0, tzinfo=UTC),
            comment="10 pages, 11 figures",
            journal_ref="Phys. Rev. B 74, 024520 (2006)",
            doi="10.1103/PhysRevB.74.024520",
        )
    ]
    assert parsed.papers[0].pdf_url == "https://arxiv.org/pdf/cond-mat/0603029v2"


def test_modern_feed_parses_with_cross_lists_primary_first_and_no_duplicates() -> None:
    body = feed([entry("2104.04001", cats=("cs.LG", "cs.CL", "cs.LG", "stat.ML"))], total=1)
    body = body.replace(b'primary_category term="cs.LG"', b'primary_category term="cs.CL"')

    (paper,) = parse_feed(body).papers

    assert paper == Paper(
        arxiv_id="2104.04001",
        version=1,
        title="Paper 2104.04001",
        authors=("Ada Lovelace",),
        abstract="About 2104.04001.",
        primary_category="cs.CL",
        categories=("cs.CL", "cs.LG", "stat.ML"),
        published=dt.datetime(2021, 4, 10, 12, 0, tzinfo=UTC),
        updated=dt.datetime(2021, 4, 10, 12, 0, tzinfo=UTC),
    )


def test_doi_link_only_is_read_when_arxiv_doi_is_absent() -> None:
    body = LEGACY_FEED.replace(b"arxiv:doi", b"arxiv:nodoi")
    assert parse_feed(body).papers[0].doi == "10.1103/PhysRevB.74.024520"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://arxiv.org/abs/2104.12255v1", ("2104.12255", 1)),
        ("https://arxiv.org/abs/2104.12255v12", ("2104.12255", 12)),
        ("http://arxiv.org/abs/astro-ph/0601001v1", ("astro-ph/0601001", 1)),
        ("http://arxiv.org/abs/math.GT/0309136v3", ("math/0309136", 3)),
        ("0704.0001", ("0704.0001", None)),
        (" cond-mat/0412498 ", ("cond-mat/0412498", None)),
    ],
)
def test_version_is_split_from_new_and_old_style_ids(raw: str, expected: tuple) -> None:
    assert split_arxiv_id(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "http://arxiv.org/abs/", "2104.123", "2104.12255vX"])
def test_non_ids_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="not an arXiv id"):
        split_arxiv_id(raw)


def test_error_entry_in_a_200_feed_is_a_rejection() -> None:
    with pytest.raises(SourceError, match=REJECTED):
        parse_feed(ERROR_FEED)


def test_malformed_xml_is_a_clear_error() -> None:
    with pytest.raises(SourceError, match=r"^arXiv returned malformed XML$"):
        parse_feed(b"<feed><entry></feed>")


BOMB = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<feed xmlns="http://www.w3.org/2005/Atom"><title>&lol3;</title></feed>"""
EXTERNAL = b"""<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&xxe;</title></entry></feed>"""


@pytest.mark.parametrize("body", [BOMB, EXTERNAL], ids=["billion-laughs", "external-entity"])
def test_unsafe_xml_is_refused(body: bytes) -> None:
    with pytest.raises(SourceError, match=r"^arXiv returned unsafe XML \(a DTD\); refused"):
        parse_feed(body)


# --- listing by category and window -------------------------------------------------------------


async def test_exact_query_is_sent_with_categories_or_joined_and_window_in_gmt() -> None:
    source, fake, _ = make_source([ok(feed([], total=0))])
    eastern = dt.timezone(dt.timedelta(hours=-4))
    window = (dt.datetime(2021, 4, 9, 14, 0, tzinfo=eastern), WINDOW[1])

    assert await source.papers(dt.date(2021, 4, 12), ["cs.CL", "cs.LG"], window=window) == []

    (request,) = fake.requests
    assert request.url.copy_with(query=None) == httpx.URL(BASE)
    assert dict(request.url.params) == {
        "search_query": "(cat:cs.CL OR cat:cs.LG) AND submittedDate:[202104091800 TO 202104121800]",
        "sortBy": "submittedDate",
        "sortOrder": "ascending",
        "start": "0",
        "max_results": "2000",
    }
    assert source.requests == 1


@pytest.mark.parametrize("bad", [[], ["cs.CL OR all:x"], ["cs.CL)"], ["cat:cs.CL"]])
def test_categories_that_would_change_the_query_are_refused(bad: list[str]) -> None:
    with pytest.raises(ValueError):
        listing_query(bad, *WINDOW)


def test_naive_window_is_refused() -> None:
    with pytest.raises(ValueError, match="has no time zone"):
        listing_query(["cs.CL"], dt.datetime(2021, 4, 9, 18), WINDOW[1])


async def test_pages_until_total_spaced_at_least_three_seconds() -> None:
    ids = [f"2104.0400{n}" for n in range(1, 6)]
    replies: list[Reply] = [
        ok(feed([entry(i) for i in ids[0:2]], total=5)),
        ok(feed([entry(i) for i in ids[2:4]], total=5, start=2)),
        ok(feed([entry(ids[4], cats=("stat.ML", "cs.LG"))], total=5, start=4)),
    ]
    source, fake, clock = make_source(replies, page_size=2)

    papers = await source.papers(dt.date(2021, 4, 12), ["cs.LG"], window=WINDOW)

    assert [p.arxiv_id for p in papers] == ids
    assert papers[4].categories == ("stat.ML", "cs.LG")  # a cross-list from another primary
    assert fake.params("start") == ["0", "2", "4"]
    assert fake.params("max_results") == ["2", "2", "2"]
    assert clock.sleeps == [3.0, 3.0]
    assert [b - a for a, b in zip(fake.times, fake.times[1:], strict=False)] == [3.0, 3.0]
    assert source.requests == 3


async def test_max_results_bounds_paging_and_duplicates_are_dropped() -> None:
    replies: list[Reply] = [
        ok(feed([entry("2104.04001"), entry("2104.04002")], total=9)),
        ok(feed([entry("2104.04002")], total=9, start=2)),
    ]
    source, fake, _ = make_source(replies, page_size=2, max_results=3)

    papers = await source.papers(dt.date(2021, 4, 12), ["cs.CL"], window=WINDOW)

    assert [p.arxiv_id for p in papers] == ["2104.04001", "2104.04002"]
    assert fake.params("start") == ["0", "2"]
    assert fake.params("max_results") == ["2", "1"]


async def test_window_is_half_open_on_submission_time() -> None:
    body = feed(
        [
            entry("2104.04001", published="2021-04-09T18:00:00Z"),
            entry("2104.04002", published="2021-04-12T17:59:59Z"),
            entry("2104.04003", published="2021-04-12T18:00:00Z"),
        ]
    )
    source, _, _ = make_source([ok(body)])
    papers = await source.papers(dt.date(2021, 4, 12), ["cs.CL"], window=WINDOW)
    assert [p.arxiv_id for p in papers] == ["2104.04001", "2104.04002"]


async def test_empty_page_before_total_is_retried_with_backoff() -> None:
    replies: list[Reply] = [
        ok(feed([entry("2104.04001"), entry("2104.04002")], total=3)),
        ok(feed([], total=3, start=2)),
        ok(feed([entry("2104.04003")], total=3, start=2)),
    ]
    source, fake, clock = make_source(replies, page_size=2)

    papers = await source.papers(dt.date(2021, 4, 12), ["cs.CL"], window=WINDOW)

    assert [p.arxiv_id for p in papers] == ["2104.04001", "2104.04002", "2104.04003"]
    assert fake.params("start") == ["0", "2", "2"]
    assert clock.sleeps == [3.0, 3.0]  # rate limit before page 2, backoff before its retry
    assert [b - a for a, b in zip(fake.times, fake.times[1:], strict=False)] == [3.0, 3.0]


async def test_empty_pages_past_the_retries_fail() -> None:
    source, fake, _ = make_source([ok(feed([], total=4))] * 3, retries=2)
    with pytest.raises(SourceError) as raised:
        await source.papers(dt.date(2021, 4, 12), ["cs.CL"], window=WINDOW)
    message = "arXiv returned an empty page at start=0 of 4 results after 3 attempts"
    assert str(raised.value) == message
    assert fake.params("start") == ["0", "0", "0"]


async def test_an_empty_page_backoff_past_the_deadline_is_not_slept() -> None:
    source, fake, clock = make_source([ok(feed([], total=4))] * 3, retries=2)
    with pytest.raises(SourceError) as raised:
        await bounded(clock, 2, source.papers(dt.date(2021, 4, 12), ["cs.CL"], window=WINDOW))
    assert str(raised.value) == (
        "arXiv returned an empty page at start=0 of 4 results after 1 attempt; no time left for "
        "another within its 2 s deadline"
    )
    assert clock.sleeps == [] and fake.params("start") == ["0"]


async def test_503_with_retry_after_is_honoured_then_succeeds() -> None:
    replies: list[Reply] = [
        ok(b"busy", 503, **{"Retry-After": "7"}),
        ok(feed([entry("2104.04001")])),
    ]
    source, fake, clock = make_source(replies)

    papers = await source.papers(dt.date(2021, 4, 12), ["cs.CL"], window=WINDOW)

    assert [p.arxiv_id for p in papers] == ["2104.04001"]
    assert clock.sleeps == [7.0]
    assert fake.times[1] - fake.times[0] == 7.0
    assert source.requests == 2


async def test_429_past_the_retries_is_a_source_error() -> None:
    source, fake, _ = make_source([ok(b"slow down", 429)] * 4)
    with pytest.raises(SourceError, match=r"^HTTP 429 after 4 attempts$"):
        await source.papers(dt.date(2021, 4, 12), ["cs.CL"], window=WINDOW)
    assert len(fake.requests) == 4


async def test_timeouts_are_a_source_error() -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    source, fake, _ = make_source([hang] * 2, retries=1, timeout=5.0)
    with pytest.raises(SourceError, match=r"^timed out after 5 s after 2 attempts$"):
        await source.papers(dt.date(2021, 4, 12), ["cs.CL"], window=WINDOW)
    assert len(fake.requests) == 2


async def test_error_feed_with_400_is_arxivs_reason() -> None:
    source, _, _ = make_source([ok(ERROR_FEED, 400)])
    with pytest.raises(SourceError, match=REJECTED):
        await source.papers(dt.date(2021, 4, 12), ["cs.CL"], window=WINDOW)


@pytest.mark.parametrize("body", [b"Bad Request", feed([], total=0)])
async def test_400_without_an_error_entry_reports_the_status(body: bytes) -> None:
    source, _, _ = make_source([ok(body, 400)])
    with pytest.raises(SourceError, match=r"^HTTP 400$"):
        await source.papers(dt.date(2021, 4, 12), ["cs.CL"], window=WINDOW)


async def test_sources_sharing_a_limiter_stay_three_seconds_apart() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1, 3.0, clock)
    fake = FakeArxiv(clock, [ok(feed([entry("2104.04001")])), ok(feed([entry("2104.04002")]))])
    client = httpx.AsyncClient(transport=httpx.MockTransport(fake))
    first, second = (
        ArxivSource(client, base_url=BASE, clock=clock, limiter=limiter) for _ in range(2)
    )
    await first.by_ids(["2104.04001"])
    await second.by_ids(["2104.04002"])
    assert fake.times[1] - fake.times[0] == 3.0


async def test_default_window_comes_from_the_calendar() -> None:
    calendar = pytest.importorskip("bot.calendar")
    date = dt.date(2021, 4, 12)
    start, end = calendar.submission_window(date, ())
    source, fake, _ = make_source([ok(feed([], total=0))])

    await source.papers(date, ["cs.CL"])

    assert fake.params("search_query") == [listing_query(["cs.CL"], start, end)]


# --- by id ---------------------------------------------------------------------------------------


async def test_by_ids_chunks_keeps_request_order_and_drops_unknown_and_malformed() -> None:
    wanted = [f"2104.{n:05d}" for n in range(1, 251)]
    served = {wanted[249], wanted[0], "astro-ph/0601001", "math/0309136"}

    def answer(request: httpx.Request) -> httpx.Response:
        asked = request.url.params["id_list"].split(",")
        return ok(feed([entry(i) for i in reversed(asked) if i in served]))

    source, fake, _ = make_source([answer, answer])
    ids = ["astro-ph/0601001v2", "abc", "math.GT/0309136", *wanted[:-1], wanted[-1] + "v3"]
    ids.append(wanted[0])  # asked twice, sent and returned once

    papers = await source.by_ids(ids)

    assert [p.arxiv_id for p in papers] == [
        "astro-ph/0601001",
        "math/0309136",
        wanted[0],
        wanted[249],
    ]
    first, second = (r.url.params["id_list"].split(",") for r in fake.requests)
    assert first == ["astro-ph/0601001", "math/0309136", *wanted[:198]]
    assert second == wanted[198:]
    assert fake.params("max_results") == ["200", "52"]
    assert fake.params("start") == ["0", "0"]
    assert "search_query" not in fake.requests[0].url.params


async def test_by_ids_of_nothing_sends_nothing() -> None:
    source, fake, _ = make_source([])
    assert await source.by_ids(["abc"]) == []
    assert fake.requests == []
