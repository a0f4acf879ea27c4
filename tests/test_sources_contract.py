"""The three attention sources against responses recorded from the real APIs (../shared/fixtures).

Each test skips where the recordings are absent (a user's clone); the values asserted are the
ones in the recordings, so a parser that drifts from the real shape fails here.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pytest

from bot.clock import FakeClock
from bot.config import Settings
from bot.models import Post, Signals
from bot.sources.base import Window
from bot.sources.hackernews import HackerNewsSource
from bot.sources.http import SourceError
from bot.sources.huggingface import HuggingFaceSource
from bot.sources.semantic_scholar import SemanticScholarSource
from tests.factories import fixture_path, make_paper

UTC = dt.UTC


def serving(body: Any, status: int = 200) -> httpx.AsyncClient:
    """A client whose every request is answered with ``body``."""
    return httpx.AsyncClient(
        transport=httpx.MockTransport(lambda _: httpx.Response(status, json=body))
    )


def recorded(*parts: str) -> Any:
    return json.loads(fixture_path(*parts).read_text(encoding="utf-8"))


async def test_huggingface_daily_papers_listing() -> None:
    listing = recorded("hf_daily_papers", "hf_daily_papers_2026-05-18_PARTIAL_first2of50.json")
    clock = FakeClock(dt.datetime(2026, 5, 18, 23, 0, tzinfo=UTC))
    window = Window(
        date=dt.date(2026, 5, 18),
        start=dt.datetime(2026, 5, 15, 18, tzinfo=UTC),
        end=dt.datetime(2026, 5, 18, 18, tzinfo=UTC),
    )
    source = HuggingFaceSource(serving(listing), Settings(_env_file=None), clock)

    collected = await source.collect(window, [])

    assert source.requests == 1
    assert collected.signals == {
        # Element 1: no githubRepo, githubStars or organization.
        "2605.15320": Signals(
            hf_upvotes=1,
            hf_comments=0,
            hf_ai_summary=(
                "FFAvatar enables fast, high-quality 3D head avatar reconstruction from few "
                "unposed images using a feed-forward approach with multi-view fusion and "
                "end-to-end FLAME parameter prediction."
            ),
            hf_thumbnail="https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2605.15320.png",
            project_page="https://ffavatar.github.io/",
        ),
        # Element 2: githubRepo, githubStars and an organization.
        "2605.15963": Signals(
            hf_upvotes=2,
            hf_comments=1,
            hf_ai_summary=listing[1]["paper"]["ai_summary"],
            hf_thumbnail="https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2605.15963.png",
            github_repo="https://github.com/OpenRaiser/Pager",
            github_stars=1,
            project_page="https://openraiser.github.io/Pager-webpage/",
        ),
    }
    assert collected.signals["2605.15963"].hf_ai_summary.startswith(  # type: ignore[union-attr]
        "Advanced vision-language models for GUI agents face challenges"
    )


HN_RECORDING = "hn_algolia_search_q-theoretical-biologist_tags-story_2024.json"
HN_WINDOW = Window(
    date=dt.date(2016, 12, 9),
    start=dt.datetime(2016, 12, 8, 0, tzinfo=UTC),
    end=dt.datetime(2016, 12, 9, 0, tzinfo=UTC),
)


async def test_hackernews_ask_hn_without_url_is_no_post() -> None:
    answer = recorded(
        "hackernews", "hn_algolia_search_q-theoretical-biologist_tags-story_2024.json"
    )
    clock = FakeClock(dt.datetime(2016, 12, 9, 12, tzinfo=UTC))
    source = HackerNewsSource(serving(answer), Settings(_env_file=None), clock)

    collected = await source.collect(HN_WINDOW, [])

    assert (collected.posts, collected.signals, source.requests) == ([], {}, 1)


async def test_hackernews_recorded_hit_with_an_arxiv_url() -> None:
    answer = recorded(
        "hackernews", "hn_algolia_search_q-theoretical-biologist_tags-story_2024.json"
    )
    answer["hits"][0]["url"] = "https://arxiv.org/abs/1612.01234v1"  # the only change
    clock = FakeClock(dt.datetime(2016, 12, 9, 12, tzinfo=UTC))
    source = HackerNewsSource(serving(answer), Settings(_env_file=None), clock)

    collected = await source.collect(HN_WINDOW, [])

    assert collected.posts == [
        Post(
            platform="hackernews",
            post_id="13133437",
            author="anigbrowl",
            text="Ask HN: How would I visualize URL propagation in the blogosphere?",
            url="https://news.ycombinator.com/item?id=13133437",
            arxiv_ids=("1612.01234",),
            likes=1,
            replies=0,
            created_at=dt.datetime(2016, 12, 8, 19, 39, 7, tzinfo=UTC),
        )
    ]
    assert collected.signals == {
        "1612.01234": Signals(
            hn_points=1, hn_comments=0, hn_url="https://news.ycombinator.com/item?id=13133437"
        )
    }


async def test_semantic_scholar_batch_with_a_null() -> None:
    answer = recorded("semantic_scholar", "paper_batch_fullfields_with_null_2024-12-08.body.json")
    papers = [make_paper(n) for n in range(1, 5)]
    clock = FakeClock(dt.datetime(2024, 12, 8, tzinfo=UTC))
    source = SemanticScholarSource(serving(answer), Settings(_env_file=None), clock)

    collected = await source.collect(HN_WINDOW, papers)

    # Joined by position: the first id was unknown (null), the others are the recorded papers.
    assert collected.signals == {
        "2104.04002": Signals(citations=10670, influential_citations=578),
        "2104.04003": Signals(citations=2185, influential_citations=245),
        "2104.04004": Signals(citations=0, influential_citations=0),
    }


async def test_semantic_scholar_recorded_404_is_a_source_error() -> None:
    answer = recorded("semantic_scholar", "paper_404_not_found_2024-12-08.body.json")
    clock = FakeClock(dt.datetime(2024, 12, 8, tzinfo=UTC))
    source = SemanticScholarSource(serving(answer, 404), Settings(_env_file=None), clock)

    with pytest.raises(SourceError, match=r"^HTTP 404$"):
        await source.collect(HN_WINDOW, [make_paper(1)])
