"""The CLI as a user runs it: exact output, exit codes, no tracebacks."""

from __future__ import annotations

import json

import pytest

from tests.cli_runner import run_cli

SEED_ORDER = [
    "2104.04015",
    "2104.04473",
    "2104.04457",
    "2104.04052",
    "2104.03989",
    "2104.04191",
    "2104.04132",
    "2104.04128",
    "2104.04116",
    "2104.04039",
    "2104.04112",
]


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    return run_cli(monkeypatch, capsys, *args)


def test_demo_json_is_in_seed_order(monkeypatch, capsys) -> None:
    code, out, err = run(monkeypatch, capsys, "digest", "--demo", "--top", "20", "-f", "json")
    assert code == 0, err
    data = json.loads(out)
    assert [p["arxiv_id"] for p in data["papers"]] == SEED_ORDER
    assert data["date"] == "2021-04-12"
    assert data["sources"] == {
        "arxiv": {"ok": True, "error": None, "skipped": False, "status": "ok", "note": None},
        "x": {"ok": True, "error": None, "skipped": False, "status": "ok", "note": None},
    }
    first = data["papers"][0]
    assert set(first) >= {
        "rank",
        "arxiv_id",
        "title",
        "authors",
        "primary_category",
        "categories",
        "abs_url",
        "pdf_url",
        "summary",
        "score",
        "signals",
        "posts",
    }
    assert first["title"] == (
        "CutPaste: Self-Supervised Learning for Anomaly Detection and Localization"
    )
    assert first["abs_url"] == "https://arxiv.org/abs/2104.04015"
    assert first["signals"] == {"reported_reposts": 4026, "reported_likes": 306}
    assert first["posts"][0] == {
        "platform": "x",
        "author": "ak92501",
        "url": "https://twitter.com/ak92501/status/1381412371474874370",
        "likes": None,
        "reposts": None,
        "created_at": "2021-04-12T01:02:29.417000+00:00",
        "text": first["posts"][0]["text"],
    }
    assert first["posts"][0]["text"].startswith("CutPaste: Self-Supervised Learning for")


def test_demo_text_top3(monkeypatch, capsys) -> None:
    code, out, _ = run(monkeypatch, capsys, "digest", "--demo", "--top", "3")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("Hot Papers 2021-04-12 · cs.AI, cs.CL, cs.CV")
    assert lines[1] == "The top 3 of 11 hot papers (of 11 new) · sources: arXiv, X"
    titles = [ln for ln in lines if ln[:3] in ("1. ", "2. ", "3. ")]
    assert titles == [
        "1. CutPaste: Self-Supervised Learning for Anomaly Detection and Localization",
        "2. Efficient Large-Scale Language Model Training on GPU Clusters",
        "3. Protein sequence design with deep generative models",
    ]
    assert "   cs.CV · score 8.4 = reported reposts+likes 8.4" in lines
    assert "   1 post · 4026 retweets · 306 favorites" in lines
    assert "   4026 retweets and 306 favorites on Twitter." in lines


def test_demo_markdown_has_seed_layout(monkeypatch, capsys) -> None:
    code, out, _ = run(monkeypatch, capsys, "digest", "--demo", "-f", "markdown", "--top", "11")
    assert code == 0
    assert out.startswith("---\ntitle: Hot Papers 2021-04-12\n")
    assert 'slug: "hot-papers-2021-04-12"\n' in out
    heads = [ln for ln in out.splitlines() if ln.startswith("# ")]
    assert len(heads) == 11 and heads[0] == (
        "# 1. CutPaste: Self-Supervised Learning for Anomaly Detection and Localization"
    )
    assert "- retweets: 4026, favorites: 306 (score 8.4 = reported reposts+likes 8.4)" in out
    assert "- 4026 retweets and 306 favorites on Twitter.\n" in out
    assert (
        "- links: [abs](https://arxiv.org/abs/2104.04015) | [pdf](https://arxiv.org/pdf/2104.04015)"
        in out
    )
    assert (
        "- [cs.CL](https://arxiv.org/list/cs.CL/recent) | [cs.DC](https://arxiv.org/list/cs.DC/recent)"
        in out
    )
    assert "> — AK (@ak92501) [X](https://twitter.com/ak92501/status/1381412371474874370)" in out


def test_demo_category_filter(monkeypatch, capsys) -> None:
    code, out, _ = run(monkeypatch, capsys, "digest", "--demo", "-c", "cs.CL", "-f", "json")
    assert code == 0
    assert [p["arxiv_id"] for p in json.loads(out)["papers"]] == [
        "2104.04473",
        "2104.04052",
        "2104.04128",
        "2104.04039",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["-c", "cs.XX"],
            "error: unknown arXiv category 'cs.XX'. Did you mean cs.AI, cs.AR, cs.CC?",
        ),
        (
            ["--date", "2021-04-10"],
            "error: arXiv has no listing on Saturday 2021-04-10 "
            "(weekends and holidays have none); the nearest earlier listing is Friday 2021-04-09.",
        ),
        (
            ["--date", "2021-13-10"],
            "error: `2021-13-10` is not a real date: expected YYYY-MM-DD, today or yesterday.",
        ),
        (
            ["--date", "1990-04-10"],
            "error: 1990-04-10 is before arXiv began; its first listing is Wednesday 1991-08-14.",
        ),
        (["--top", "0"], "error: --top must be between 1 and 50"),
        (["--top", "51"], "error: --top must be between 1 and 50"),
        (
            ["-f", "yaml"],
            "error: unknown --format 'yaml'; choose one of text, markdown, json, slack, discord",
        ),
    ],
)
def test_bad_input_is_one_line(monkeypatch, capsys, args: list[str], message: str) -> None:
    code, out, err = run(monkeypatch, capsys, "digest", *args)
    assert code == 2
    assert out == ""
    assert err == message + "\n"


def test_future_date(monkeypatch, capsys) -> None:
    code, _, err = run(monkeypatch, capsys, "digest", "--date", "2026-12-01")
    assert code == 2
    assert err.startswith("error: The listing of Tuesday 2026-12-01 is not out yet")
    assert "Traceback" not in err


def test_offline_with_empty_store(monkeypatch, capsys) -> None:
    code, _, err = run(monkeypatch, capsys, "digest", "--date", "2026-11-20", "--offline")
    assert code == 1
    assert err == (
        "error: nothing stored for 2026-11-20 (cs.AI cs.CL cs.LG) and --offline "
        "forbids fetching; run once without --offline, or try --demo\n"
    )


def test_arxiv_unreachable(monkeypatch, capsys) -> None:
    monkeypatch.setenv("HOTPAPERS_ARXIV_API_URL", "http://127.0.0.1:9/api/query")
    monkeypatch.setenv("HOTPAPERS_HTTP_RETRIES", "0")
    code, _, err = run(monkeypatch, capsys, "digest", "--date", "2026-11-20", "-c", "cs.CL")
    assert code == 1
    assert err.startswith("error: arXiv is unreachable (connection failed")
    assert err.endswith("try again later, or use --demo or --offline\n")


def test_bad_setting_stops_with_one_line(monkeypatch, capsys) -> None:
    monkeypatch.setenv("HOTPAPERS_DEFAULT_TOP", "-1")
    monkeypatch.setenv("DISCORD_TOKEN", "SECRET-DISCORD-TOKEN-VALUE")
    code, out, err = run(monkeypatch, capsys, "digest", "--demo")
    assert code == 2
    assert err == (
        "error: invalid configuration: HOTPAPERS_DEFAULT_TOP: Input should be "
        "greater than or equal to 1\n"
    )


POST_TO_LAB = ("post", "--platform", "console", "--channel", "lab", "--demo", "--top", "2")


def test_post_console_once_then_already_posted(monkeypatch, capsys) -> None:
    code, out, err = run(monkeypatch, capsys, *POST_TO_LAB)
    assert code == 0, err
    assert out.startswith("[lab] Hot Papers 2021-04-12")
    assert "    ↳ reply in thread console-1\n    │ 1. CutPaste" in out
    assert out.endswith("posted Hot Papers 2021-04-12 to lab: header and 2 replies\n")
    code, out, _ = run(monkeypatch, capsys, *POST_TO_LAB)
    assert code == 0
    assert out == ("already posted Hot Papers 2021-04-12 to lab (use --force to post it again)\n")
    code, out, _ = run(monkeypatch, capsys, *POST_TO_LAB, "--force")
    assert code == 0 and out.startswith("[lab] Hot Papers 2021-04-12")


def test_help_lists_commands(monkeypatch, capsys) -> None:
    code, out, _ = run(monkeypatch, capsys, "--help")
    assert code == 0
    for command in ("digest", "post"):
        assert command in out


def test_post_without_the_platform_token_says_so_before_any_work(monkeypatch, capsys) -> None:
    monkeypatch.setenv("HOTPAPERS_ARXIV_API_URL", "http://127.0.0.1:9/api/query")
    code, out, err = run(
        monkeypatch, capsys, "post", "--platform", "slack", "--channel", "C0123456789"
    )
    assert (code, out) == (2, "")
    assert err == (
        "error: SLACK_BOT_TOKEN is not set: install the Slack app to your workspace and set its "
        "Bot User OAuth Token (xoxb-...)\n"
    )
