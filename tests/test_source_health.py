"""Honest health: an answer that does not match its schema is failed or degraded with a reason,
never "ok", through the real DigestService and sources (the drills' MockTransport services)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from hotpapers.formats import digest_json
from tests.drills.test_sources_degraded import (
    DAY,
    HOSTS,
    LABELS,
    build_serving,
    healthy,
    unavailable,
)

HF_ID = DAY.papers[0]["id"]


def answering(failing: str, body: Any) -> Any:
    """``failing``'s searches answer ``body`` (Bluesky still logs in); the others are healthy."""

    def handler(request: httpx.Request) -> httpx.Response:
        if HOSTS[request.url.host] != failing or request.url.path.endswith("createSession"):
            return healthy(request)
        return httpx.Response(200, json=body)

    return handler


@pytest.mark.parametrize(
    ("failing", "body", "reason"),
    [
        ("bluesky", {"posts": {"uri": "at://x"}}, "Bluesky answered posts that are not a list"),
        ("bluesky", {"cursor": "c1"}, "Bluesky answered without posts"),
        ("huggingface", {"papers": []}, "unexpected response (not a list of papers)"),
        ("hackernews", {"hits": {"1": {}}, "nbHits": 1}, "unexpected response (no hits list)"),
    ],
)
async def test_a_wrong_shape_fails_the_source_with_its_reason(
    tmp_path: Path, failing: str, body: Any, reason: str
) -> None:
    digest = await build_serving(tmp_path, answering(failing, body))
    status = digest.sources[failing]
    assert (status.state, status.error) == ("failed", reason)
    assert digest.degraded and digest.entries
    assert unavailable(failing) in digest.notes
    assert digest_json(digest)["sources"][failing]["status"] == "failed"


@pytest.mark.parametrize(
    ("failing", "body", "reason"),
    [
        # Before: followed to the 100-page cap (the same page 100 times) and reported ok.
        ("bluesky", {"posts": DAY.posts, "cursor": "again"},
         "Bluesky repeated its cursor after 2 pages"),
        ("bluesky", {"posts": DAY.posts, "cursor": 7},
         "Bluesky answered a cursor that is not text after 1 page"),
        (
            "bluesky",
            {"posts": [*DAY.posts, {"uri": None}, 3]},
            "2 posts without a valid uri, author or record skipped",
        ),
        (
            "huggingface",
            [{"paper": {"id": HF_ID, "upvotes": "9"}}],  # served for both days of the window
            "2 items with counts that are not numbers (unknown)",
        ),
        (
            "hackernews",
            {"hits": [*DAY.hn_hits, {"url": "https://arxiv.org/abs/2501.00001"}], "nbHits": 1},
            "1 hit without an objectID skipped",
        ),
    ],
)  # fmt: skip
async def test_a_partly_malformed_answer_is_used_and_degraded_with_why(
    tmp_path: Path, failing: str, body: Any, reason: str
) -> None:
    digest = await build_serving(tmp_path, answering(failing, body))
    status = digest.sources[failing]
    assert (status.ok, status.state, status.note) == (True, "degraded", reason)
    assert digest.degraded and digest.entries
    assert f"{LABELS[failing]} counted in part today: {reason}." in digest.notes
    assert digest_json(digest)["sources"][failing] == {
        "ok": True, "error": None, "skipped": False, "status": "degraded", "note": reason,
    }  # fmt: skip
