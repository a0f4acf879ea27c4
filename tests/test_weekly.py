"""The weekly roundup (``bot.weekly``): which days a week holds, how a week is scored, and
``hotpapers digest --week`` as a user runs it (exact text and JSON, bad input in one line)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.commands import CommandError, Subscribe, Unsubscribe, WeekQuery, parse_command
from bot.config import Settings
from bot.service import DigestService, UserError
from bot.store import Store
from bot.weekly import week_days
from tests.cli_runner import run_cli
from tests.week_data import MONDAY, NOW, TUESDAY, WEDNESDAY, A, C, seed

HOLIDAY = dt.date(2026, 11, 26)  # Thanksgiving: no listing
CONTEXT: dict[str, Any] = {
    "now": dt.datetime(2021, 4, 13, 12, 0, tzinfo=dt.UTC),
    "default_categories": ["cs.CL"],
    "default_top": 10,
}


def test_a_week_is_its_listing_days_from_monday_up_to_the_date() -> None:
    assert week_days(WEDNESDAY) == (MONDAY, TUESDAY, WEDNESDAY)
    assert week_days(MONDAY) == (MONDAY,)
    friday = dt.date(2026, 11, 27)
    assert week_days(friday, (HOLIDAY,)) == (
        dt.date(2026, 11, 23), dt.date(2026, 11, 24), dt.date(2026, 11, 25), friday,
    )  # fmt: skip


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'week.sqlite3'}"
    monkeypatch.setenv("HOTPAPERS_DATABASE_URL", url)
    store = Store(url)
    seed(store)
    store.close()
    return url


def week(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
         *args: str) -> tuple[int, str, str]:  # fmt: skip
    return run_cli(monkeypatch, capsys, "digest", "--week", "--offline", "--category", "cs.CL",
                   *args, now=NOW)  # fmt: skip


TEXT = """\
Hot Papers, week of 2026-11-16 to 2026-11-18 · cs.CL
2 hot papers of 3 new · sources: arXiv, Hugging Face, Bluesky
  note: Nothing stored for Tuesday 2026-11-17: the week is ranked without it.

1. Sparse routers
   Ada Lovelace
   cs.CL · score 16.7 = posts 8.7 + HF upvotes 8.0
   Discussed by 3 people on Bluesky, 16 upvotes on Hugging Face.
   3 posts · 16 HF upvotes
   We study sparse routers. It works.
   abs https://arxiv.org/abs/2611.00001 · pdf https://arxiv.org/pdf/2611.00001v1 · HF https://huggingface.co/papers/2611.00001
   > Read this: https://arxiv.org/abs/2611.00001
     — Alice (@alice.bsky.social) https://bsky.app/profile/alice.bsky.social/post/p1
   > Read this: https://arxiv.org/abs/2611.00001
     — Carol (@carol.bsky.social) https://bsky.app/profile/carol.bsky.social/post/p3
   > Read this: https://arxiv.org/abs/2611.00001
     — Bob (@bob.bsky.social) https://bsky.app/profile/bob.bsky.social/post/p2

2. Tiny dialogue models
   Ada Lovelace
   cs.CL · score 5.7 = posts 1.7 + HF upvotes 4.0
   Discussed by 1 person on Bluesky, 4 upvotes on Hugging Face.
   1 post · 4 HF upvotes
   We study tiny dialogue models. It works.
   abs https://arxiv.org/abs/2611.00003 · pdf https://arxiv.org/pdf/2611.00003v1 · HF https://huggingface.co/papers/2611.00003
   > Read this: https://arxiv.org/abs/2611.00003
     — Dave (@dave.bsky.social) https://bsky.app/profile/dave.bsky.social/post/p4
"""  # noqa: E501


def test_digest_week_text_ranks_the_whole_week(monkeypatch, capsys, seeded) -> None:
    code, out, err = week(monkeypatch, capsys, "--date", "2026-11-18")
    assert (code, err) == (0, "")
    assert out == TEXT


def _post(author: str, key: str, arxiv_id: str, likes: int, day: str) -> dict[str, Any]:
    return {
        "platform": "bluesky", "author": f"{author}.bsky.social",
        "text": f"Read this: https://arxiv.org/abs/{arxiv_id}",
        "url": f"https://bsky.app/profile/{author}.bsky.social/post/{key}", "likes": likes,
        "reposts": 0, "created_at": f"{day}T12:00:00+00:00",
    }  # fmt: skip


def _paper(rank: int, arxiv_id: str, title: str, score: float, breakdown: dict[str, float],
           why: str, upvotes: int, posts: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    return {
        "rank": rank, "arxiv_id": arxiv_id, "title": title, "authors": ["Ada Lovelace"],
        "primary_category": "cs.CL", "categories": ["cs.CL"],
        "abs_url": f"https://arxiv.org/abs/{arxiv_id}",
        "pdf_url": f"https://arxiv.org/pdf/{arxiv_id}v1",
        "summary": f"We study {title.lower()}. It works.", "score": score, "why": why,
        # The week's stored days were never built as daily digests here: no trend recorded.
        "trend": {"first_seen": None, "days_hot": 0, "delta_24h": None},
        "section": "day", "listing_date": None, "reactions": 0, "breakdown": breakdown,
        "signals": {"hf_upvotes": upvotes}, "post_count": len(posts),
        "posts": posts,
    }  # fmt: skip


OK = {"ok": True, "error": None, "skipped": False, "status": "ok", "note": None}


def test_digest_week_json_is_the_daily_shape_plus_the_week(monkeypatch, capsys, seeded) -> None:
    code, out, err = week(monkeypatch, capsys, "--date", "2026-11-18", "-f", "json")
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "date": "2026-11-18",
        "categories": ["cs.CL"],
        "generated_at": "2026-11-19T12:00:00+00:00",
        "sources": {"arxiv": OK, "huggingface": OK, "bluesky": OK},
        "degraded": False,
        "total_papers": 3,
        "hot_count": 2,
        "notes": ["Nothing stored for Tuesday 2026-11-17: the week is ranked without it."],
        "papers": [
            # alice's post, found by Monday's and Wednesday's searches, counts once (with its
            # latest 12 likes); carol's post on Wednesday counts for Monday's paper; 16 upvotes
            # is the running total, not 9 + 16.
            _paper(1, A, "Sparse routers", 16.74, {"posts": 8.74, "huggingface": 8.0},
                   "discussed by 3 people on Bluesky, 16 upvotes on Hugging Face", 16, [
                       _post("alice", "p1", A, 12, "2026-11-16"),
                       _post("carol", "p3", A, 5, "2026-11-18"),
                       _post("bob", "p2", A, 3, "2026-11-16"),
                   ]),
            _paper(2, C, "Tiny dialogue models", 5.69, {"posts": 1.69, "huggingface": 4.0},
                   "discussed by 1 person on Bluesky, 4 upvotes on Hugging Face", 4, [
                       _post("dave", "p4", C, 1, "2026-11-18"),
                   ]),
        ],  # the quiet paper B is not padded in
        "catching_fire": [],
        "week": {
            "start": "2026-11-16",
            "end": "2026-11-18",
            "days": ["2026-11-16", "2026-11-18"],
            "missing": ["2026-11-17"],
        },
    }  # fmt: skip


def test_the_daily_digest_of_monday_has_only_mondays_attention(monkeypatch, capsys,
                                                                seeded) -> None:  # fmt: skip
    code, out, _ = run_cli(monkeypatch, capsys, "digest", "--offline", "--date", "2026-11-16",
                           "--category", "cs.CL", "-f", "json", now=NOW)  # fmt: skip
    data = json.loads(out)
    assert code == 0 and "week" not in data
    (first,) = data["papers"]
    # alice 1 + ln 11, bob 1 + ln 4; 2 · √9 upvotes
    assert (first["arxiv_id"], first["score"]) == (A, 11.78)


def test_a_week_with_nothing_stored_is_one_line_and_exit_1(monkeypatch, capsys, seeded) -> None:
    code, out, err = week(monkeypatch, capsys, "--date", "2026-11-13")
    assert (code, out) == (1, "")
    assert err == (
        "error: nothing stored for the week of 2026-11-09 to 2026-11-13 (cs.CL) and --offline "
        "forbids fetching; run the daily digests of that week once without --offline, "
        "or try --demo\n"
    )


def test_a_week_ending_on_a_weekend_names_the_listing(monkeypatch, capsys, seeded) -> None:
    code, out, err = week(monkeypatch, capsys, "--date", "2026-11-14")
    assert (code, out) == (2, "")
    assert err.startswith("error: arXiv has no listing on Saturday 2026-11-14")


def test_the_demo_week_is_its_bundled_monday(monkeypatch, capsys) -> None:
    code, out, _ = run_cli(monkeypatch, capsys, "digest", "--week", "--demo", "--top", "2")
    assert code == 0
    assert out.splitlines()[0].startswith("Hot Papers, week of 2021-04-12 · cs.AI, cs.CL")


async def test_the_service_refuses_a_date_without_listing(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 's.sqlite3'}")
    service = DigestService(Settings(_env_file=None), store, clock=FakeClock(NOW), offline=True)
    try:
        with pytest.raises(UserError, match="no listing on Saturday 2026-11-14"):
            await service.build_week(dt.date(2026, 11, 14), ["cs.CL"], 10)
        with pytest.raises(UserError, match="nothing stored for the week of 2026-11-16"):
            await service.build_week(WEDNESDAY, ["cs.CL"], 10)
    finally:
        await service.aclose()
        store.close()


def test_the_readme_week_block_is_what_the_command_prints() -> None:
    from tests.test_readme_truths import ROOT, readme_demo

    script = readme_demo()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    fresh = script.updated_readme(readme, script.demo_output(), script.week_output())
    assert fresh == readme, "README.md's week block is stale: run python scripts/readme_demo.py"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("week", WeekQuery(("cs.CL",), dt.date(2021, 4, 13), 10)),
        ("WEEK cs.LG 2021-04-12 top=3", WeekQuery(("cs.LG",), dt.date(2021, 4, 12), 3)),
        ("unsubscribe week", Unsubscribe(weekly=True)),
        ("subscribe week fri 16:00 top=5",
         Subscribe(time=dt.time(16, 0), top=5, weekly=True, week_day=4)),
    ],
)  # fmt: skip
def test_the_week_commands_parse(text: str, expected: object) -> None:
    assert parse_command(text, **CONTEXT) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cs.CL week", "`week` comes first: `/hotpapers week cs.CL` (the weekly roundup), or "
         "`/hotpapers subscribe week friday 16:00 Europe/Berlin cs.CL`."),
        ("subscribe friday at 09:00", "A daily subscription posts every listing day, so it takes "
         "no weekday (you wrote `friday`). For a weekly roundup: `/hotpapers subscribe week "
         "friday 16:00 Europe/Berlin cs.CL`."),
        ("subscribe week fri sat 09:00", "Give one weekday, e.g. `friday`."),
        ("week 2021-04-10", "arXiv has no listing on Saturday 2021-04-10 (weekends and holidays "
         "have none); the nearest earlier listing is Friday 2021-04-09."),
    ],
)  # fmt: skip
def test_week_commands_with_bad_input_say_what_to_write(text: str, message: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse_command(text, **CONTEXT)
    assert str(caught.value) == message
