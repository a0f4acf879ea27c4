"""The digest builder end to end with fake sources behind the Source protocols."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest

from bot.clock import FakeClock
from bot.digest import DigestBuilder, DigestError, Filters
from bot.models import Paper, Signals
from bot.ranking import Weights
from bot.sources.base import Collected, Window
from bot.sources.http import SourceError
from bot.store import Store
from tests.factories import make_paper, make_post

D = dt.date(2026, 11, 20)  # a Friday
NOW = dt.datetime(2026, 11, 21, 15, 0, tzinfo=dt.UTC)


class FakeArxiv:
    name = "arxiv"

    def __init__(self, papers: list[Paper], fail: bool = False) -> None:
        self._papers = papers
        self.fail = fail
        self.calls = 0

    async def papers(self, date: dt.date, categories: Sequence[str]) -> list[Paper]:
        self.calls += 1
        if self.fail:
            raise SourceError("HTTP 503 after 4 attempts")
        return self._papers


class FakeAttention:
    scope = "window"

    def __init__(
        self,
        name: str,
        collected: Collected | None = None,
        *,
        error: str | None = None,
        skip: str | None = None,
    ) -> None:
        self.name = name
        self.collected = collected or Collected()
        self.error = error
        self.skip = skip
        self.windows: list[Window] = []
        self.asked: list[tuple[str, ...]] = []

    def skip_reason(self) -> str | None:
        return self.skip

    async def collect(self, window: Window, papers: Sequence[Paper]) -> Collected:
        self.windows.append(window)
        self.asked.append(tuple(p.arxiv_id for p in papers))
        if self.error:
            raise SourceError(self.error)
        return self.collected


PAPERS = [make_paper(i) for i in range(1, 6)]


def social() -> FakeAttention:
    posts = [make_post(k, PAPERS[0].arxiv_id, author=f"a{k}") for k in range(1, 4)]
    posts += [make_post(9, PAPERS[2].arxiv_id)]
    return FakeAttention("bluesky", Collected(posts=posts))


def hf() -> FakeAttention:
    return FakeAttention(
        "huggingface",
        Collected(
            signals={
                PAPERS[1].arxiv_id: Signals(
                    hf_upvotes=300000, hf_ai_summary="HF says it is great."
                ),
            }
        ),
    )


def builder(
    store: Store, arxiv: FakeArxiv, attention: list[FakeAttention], **kw: object
) -> DigestBuilder:
    return DigestBuilder(
        store=store,
        clock=FakeClock(NOW),
        papers_source=arxiv,
        attention=attention,
        weights=Weights(),
        **kw,
    )  # type: ignore[arg-type]


async def test_builds_ranked_digest_with_sources(store: Store) -> None:
    x = FakeAttention("x", skip="no credentials (set HOTPAPERS_X_BEARER_TOKEN)")
    hn = FakeAttention("hackernews", error="HTTP 500 after 4 attempts")
    digest = await builder(store, FakeArxiv(PAPERS), [social(), hf(), x, hn]).build(
        D, ["cs.CL"], top=10
    )
    assert [e.paper.arxiv_id for e in digest.entries] == [
        PAPERS[1].arxiv_id,
        PAPERS[0].arxiv_id,
        PAPERS[2].arxiv_id,
    ]
    assert digest.total_papers == 5
    assert digest.sources["arxiv"].ok and digest.sources["bluesky"].ok
    assert digest.sources["x"].skipped and not digest.sources["x"].ok
    assert digest.sources["hackernews"].error == "HTTP 500 after 4 attempts"
    assert digest.degraded
    assert digest.notes == ("Hacker News unavailable today: ranked by Bluesky and Hugging Face.",)
    assert digest.entries[1].post_count == 3


async def test_window_starts_at_announcement(store: Store) -> None:
    src = social()
    await builder(store, FakeArxiv(PAPERS), [src]).build(D, ["cs.CL"], top=3)
    (window,) = src.windows
    # Friday 2026-11-20's listing is announced Thursday 20:00 EST = Friday 01:00 UTC.
    assert window.start == dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC)
    assert window.end == NOW


async def test_second_build_uses_snapshots(store: Store) -> None:
    arxiv, src = FakeArxiv(PAPERS), social()
    first = await builder(store, arxiv, [src]).build(D, ["cs.CL"], top=3)
    arxiv.fail = True
    src.error = "should not be asked"
    second = await builder(store, arxiv, [src]).build(D, ["cs.CL"], top=3)
    assert arxiv.calls == 1 and len(src.windows) == 1
    assert [e.paper for e in second.entries] == [e.paper for e in first.entries]
    assert second.sources["arxiv"].from_snapshot and second.sources["bluesky"].from_snapshot


async def test_offline_without_snapshot_says_so(store: Store) -> None:
    b = builder(store, FakeArxiv(PAPERS), [], offline=True)
    with pytest.raises(DigestError, match="nothing stored for 2026-11-20 .*--offline"):
        await b.build(D, ["cs.CL"], top=3)


async def test_arxiv_down_is_clear_and_stores_nothing(store: Store) -> None:
    with pytest.raises(DigestError, match="arXiv is unreachable .*; try again later$") as raised:
        await builder(store, FakeArxiv(PAPERS, fail=True), [social()]).build(D, ["cs.CL"], 3)
    assert raised.value.cli_hint == "or use --demo or --offline"  # the CLI's alone
    assert store.snapshot_sources(D) == []


async def test_keyword_filters(store: Store) -> None:
    digest = await builder(store, FakeArxiv(PAPERS), [social(), hf()]).build(
        D, ["cs.CL"], top=10, filters=Filters(exclude=("number 2:",))
    )
    assert PAPERS[1].arxiv_id not in [e.paper.arxiv_id for e in digest.entries]


async def test_demo_date_never_touches_sources(store: Store) -> None:
    arxiv = FakeArxiv([], fail=True)
    src = FakeAttention("bluesky", error="must not be called")
    digest = await builder(store, arxiv, [src]).build(dt.date(2021, 4, 12), ["cs.CL"], top=10)
    assert arxiv.calls == 0 and src.windows == []
    assert [e.paper.arxiv_id for e in digest.entries] == [
        "2104.04473",
        "2104.04052",
        "2104.04128",
        "2104.04039",
    ]
    assert set(digest.sources) == {"arxiv", "x"}


async def test_a_window_snapshot_serves_every_selection_of_the_date(store: Store) -> None:
    cl_paper = make_paper(1, categories=("cs.CL",), primary_category="cs.CL")
    cv_paper = make_paper(2, categories=("cs.CV",), primary_category="cs.CV")
    posts = [make_post(k, cv_paper.arxiv_id, author=f"a{k}") for k in range(1, 3)]
    src = FakeAttention("bluesky", Collected(posts=posts))
    await builder(store, FakeArxiv([cl_paper]), [src]).build(D, ["cs.CL"], top=5)
    assert src.asked == [()]  # everything in the window, not just cs.CL's papers
    src.error = "must not be asked again within the hour"
    digest = await builder(store, FakeArxiv([cv_paper]), [src]).build(D, ["cs.CV"], top=5)
    assert [(e.paper.arxiv_id, e.post_count) for e in digest.entries] == [(cv_paper.arxiv_id, 2)]
    assert digest.sources["bluesky"].from_snapshot


async def test_keyword_filters_do_not_shape_the_stored_snapshot(store: Store) -> None:
    class PerPaper(FakeAttention):
        scope = "papers"

    src = PerPaper("semantic_scholar")
    await builder(store, FakeArxiv(PAPERS), [src]).build(
        D, ["cs.CL"], top=10, filters=Filters(include=("number 2:",))
    )
    assert src.asked == [tuple(p.arxiv_id for p in PAPERS)]


# -- notes are true: "citations stand in" only when citations ranked ----------------------------

CITES = "This date is older than social search reaches: citations stand in (Semantic Scholar)."


def aged_builder(store: Store, attention: list[FakeAttention]) -> DigestBuilder:
    """Asked 60 days after the listing: social search no longer reaches it."""
    return DigestBuilder(
        store=store,
        clock=FakeClock(NOW + dt.timedelta(days=60)),
        papers_source=FakeArxiv(PAPERS),
        attention=attention,  # type: ignore[list-item]
        weights=Weights(),
    )


async def test_old_date_ranked_by_posts_does_not_claim_citations(store: Store) -> None:
    digest = await aged_builder(store, [social()]).build(D, ["cs.CL"], top=10)
    assert digest.entries and digest.notes == ()


async def test_old_date_ranked_by_citations_says_so(store: Store) -> None:
    s2 = FakeAttention(
        "semantic_scholar", Collected(signals={PAPERS[4].arxiv_id: Signals(citations=54)})
    )
    digest = await aged_builder(store, [s2]).build(D, ["cs.CL"], top=10)
    assert [(e.paper.arxiv_id, e.breakdown) for e in digest.entries] == [
        (PAPERS[4].arxiv_id, {"citations": 4.01})
    ]
    assert digest.notes == (CITES,)


async def test_a_source_used_in_part_is_degraded_with_why_and_stays_so_from_its_snapshot(
    store: Store,
) -> None:
    """Never "ok": the answer is used (its posts rank), the status says degraded and why, the
    readers' note says so, the JSON shows it, and so does the snapshot served later."""
    from hotpapers.formats import digest_json

    src = social()
    src.collected.problems = ["truncated after 10000 posts"]
    first = await builder(store, FakeArxiv(PAPERS), [src, hf()]).build(D, ["cs.CL"], top=3)
    status = first.sources["bluesky"]
    assert (status.ok, status.state, status.note) == (
        True,
        "degraded",
        "truncated after 10000 posts",
    )
    assert first.degraded and "bluesky" in first.sources_used
    assert first.notes == ("Bluesky counted in part today: truncated after 10000 posts.",)
    assert digest_json(first)["sources"]["bluesky"] == {
        "ok": True, "error": None, "skipped": False, "status": "degraded",
        "note": "truncated after 10000 posts",
    }  # fmt: skip
    assert digest_json(first)["sources"]["huggingface"]["status"] == "ok"

    src.error = "should not be asked"
    second = await builder(store, FakeArxiv(PAPERS), [src, hf()]).build(D, ["cs.CL"], top=3)
    assert second.sources["bluesky"].from_snapshot
    assert second.sources["bluesky"].state == "degraded" and second.notes == first.notes
