"""Slack Block Kit payloads: escaping, links, limits (no network)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from adapters.slack_blocks import (
    MAX_BLOCKS,
    MAX_MESSAGE_TEXT,
    entry_message,
    escape_clamped,
    escape_mrkdwn,
    fit_message,
    header_message,
    link_label,
    safe_url,
    slack_link,
    text_message,
    thread_payloads,
    validate_message,
)
from bot.models import SourceStatus
from tests.factories import adversarial_digest, make_digest, make_entry, make_post


def test_escape_only_amp_lt_gt() -> None:
    assert escape_mrkdwn("<!channel> <@U123> R&D 'quoted' \"x\" *b*") == (
        "&lt;!channel&gt; &lt;@U123&gt; R&amp;D 'quoted' \"x\" *b*"
    )


def test_escape_clamped_never_cuts_an_entity() -> None:
    assert escape_clamped("a<b", 10) == "a&lt;b"
    assert escape_clamped("ab<<<<", 7) == "ab&lt;…"
    assert escape_clamped("ab<<<<", 6) == "ab…"


@given(st.text(alphabet=st.sampled_from("ab <>&|!@\n"), max_size=300), st.integers(1, 200))
def test_escape_clamped_is_bounded_and_inert(text: str, limit: int) -> None:
    out = escape_clamped(text, limit)
    assert len(out) <= limit
    assert "<" not in out and ">" not in out
    tail = out.rsplit("&", 1)[-1] if "&" in out else ""
    assert not tail or tail.startswith(("amp;", "lt;", "gt;"))


def test_link_label_cannot_forge_a_link() -> None:
    label = link_label("Evil|<https://evil.example|click>\n title")
    assert label == "Evil｜&lt;https://evil.example｜click&gt; title"
    assert slack_link("https://arxiv.org/abs/1", label).count("|") == 1


def test_safe_url_percent_encodes_and_rejects() -> None:
    assert safe_url("https://x.org/a b|c>d?q=1&r=2") == "https://x.org/a%20b%7Cc%3Ed?q=1&amp;r=2"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://") is None
    assert safe_url(None) is None
    assert slack_link("ftp://x", "label") == "label"


def test_header_message_exact() -> None:
    digest = make_digest(
        2,
        sources={
            "arxiv": SourceStatus(ok=True),
            "bluesky": SourceStatus(ok=False, error="timeout after 3 retries"),
            "x": SourceStatus(ok=False, skipped=True, error="no credentials (X_BEARER_TOKEN)"),
        },
        notes=("Citations <stand in> for posts",),
    )
    assert header_message(digest) == {
        "text": "Hot Papers 2021-04-12 · 2 hot papers of 120 new in cs.CL: "
        "Paper number 1: a study; Paper number 2: a study",
        "blocks": [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": "Hot Papers 2021-04-12", "emoji": True},
            },
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "2 hot papers of 120 new in cs.CL, ranked by posts and Hugging Face "
                    "upvotes. One reply per paper in this thread.\n"
                    "1. <https://arxiv.org/abs/2104.04001|Paper number 1: a study>\n"
                    "2. <https://arxiv.org/abs/2104.04002|Paper number 2: a study>\n"
                    "_Citations &lt;stand in&gt; for posts_",
                },
            },
            # The skipped X source and its setup advice stay out: that is the operator's.
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "Sources: arXiv"}]},
        ],
    }


def test_header_names_the_top_three_and_how_many_were_hot() -> None:
    digest = make_digest(5, hot_count=8)
    section = header_message(digest)["blocks"][1]["text"]["text"]
    assert section.splitlines() == [
        "The top 5 of 8 hot papers (of 120 new in cs.CL), ranked by posts and Hugging Face "
        "upvotes. One reply per paper in this thread.",
        "1. <https://arxiv.org/abs/2104.04001|Paper number 1: a study>",
        "2. <https://arxiv.org/abs/2104.04002|Paper number 2: a study>",
        "3. <https://arxiv.org/abs/2104.04003|Paper number 3: a study>",
    ]
    empty = make_digest(0, entries=(), total_papers=44)
    assert header_message(empty)["blocks"][1]["text"]["text"] == (
        "None of the 44 new papers in cs.CL got enough attention to be hot."
    )


def test_entry_message_escapes_posts_and_title() -> None:
    post = make_post(1, text="<!here> look\nat this & that", author="a<@U1>", author_name="")
    entry = make_entry(1, posts=(post,), summary="Sum <@U9>.")
    entry = entry.model_copy(
        update={"paper": entry.paper.model_copy(update={"title": "A <b>|x</b> & y"})}
    )
    payload = entry_message(make_digest(1), entry)
    blocks = payload["blocks"]
    assert payload["text"] == "1. A &lt;b&gt;|x&lt;/b&gt; &amp; y (score 9.0)"
    assert blocks[0]["text"]["text"].startswith(
        "*1. <https://arxiv.org/abs/2104.04001|A &lt;b&gt;｜x&lt;/b&gt; &amp; y>*\n"
    )
    assert blocks[1]["text"]["text"] == "Sum &lt;@U9&gt;."
    assert blocks[3]["text"]["text"] == (
        "> &lt;!here&gt; look at this &amp; that\n"
        "> — @a&lt;@U1&gt; · <https://bsky.app/profile/user1.bsky.social/post/1|on Bluesky>"
        " · 10 likes · 1 repost"
    )


def test_entry_without_summary_posts_or_code_keeps_valid_blocks() -> None:
    entry = make_entry(1, posts=(), summary="  ", signals={})
    payload = entry_message(make_digest(1), entry)
    types = [b["type"] for b in payload["blocks"]]
    assert types == ["section", "context", "context", "actions"]
    assert payload["blocks"][-2]["elements"][0]["text"] == (
        "<https://arxiv.org/abs/2104.04001|abs> | <https://arxiv.org/pdf/2104.04001v1|pdf>"
    )
    assert payload["blocks"][-1] == {
        "type": "actions",
        "block_id": "hp_buttons_2104.04001",
        "elements": [
            {"type": "button", "action_id": "hotpapers_more",
             "text": {"type": "plain_text", "text": "More like this"},
             "value": "hp:more:2104.04001:v1"},
            {"type": "button", "action_id": "hotpapers_abstract",
             "text": {"type": "plain_text", "text": "Full abstract"},
             "value": "hp:abstract:2104.04001:v1"},
        ],
    }  # fmt: skip
    assert validate_message(payload) == []


def test_adversarial_digest_within_limits_and_inert() -> None:
    payloads = thread_payloads(adversarial_digest())
    assert len(payloads) == 11
    for payload in payloads:
        assert validate_message(payload) == []
        wire = json.dumps(payload, ensure_ascii=False)
        assert "<!" not in wire and "<@" not in wire and "<#" not in wire
        assert "<https://evil" not in wire


def test_validate_message_reports_each_limit() -> None:
    payload = {
        "text": "x" * 4001,
        "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]
        + [{"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3001}}]
        + [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}] * 11}]
        + [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}]
        + [{"type": "section", "text": {"type": "mrkdwn", "text": ""}}]
        + [{"type": "divider"}] * 46,
    }
    assert validate_message(payload) == [
        "text fallback over 4000 chars",
        "51 blocks, more than 50",
        "block 0 (header): header text over 150 chars",
        "block 1 (section): text over 3000 chars",
        "block 2 (section): more than 10 fields",
        "block 2 (section): a field over 2000 chars",
        "block 3 (context): needs 1 to 10 elements",
        "block 4 (section): empty text",
        "25174 chars of block text, more than 10000",
    ]
    assert validate_message({"blocks": "[]"}) == ["text fallback missing"]


def test_fit_message_clamps_blocks_and_total() -> None:
    big = {"type": "section", "text": {"type": "mrkdwn", "text": "w" * 2900}}
    fitted = fit_message({"text": "t" * 5000, "blocks": [big] * 60})
    assert len(fitted["blocks"]) == MAX_BLOCKS
    assert len(fitted["text"]) == 4000 and fitted["text"].endswith("…")
    total = sum(len(b["text"]["text"]) for b in fitted["blocks"])
    assert total <= MAX_MESSAGE_TEXT
    assert validate_message(fitted) == []
    assert big["text"]["text"] == "w" * 2900  # the input is not changed


def test_text_message_is_escaped() -> None:
    assert text_message("No listing <!channel> on 2021-04-10") == {
        "text": "No listing &lt;!channel&gt; on 2021-04-10",
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "No listing &lt;!channel&gt; on 2021-04-10"},
            }
        ],
    }


def test_entry_matches_discord_hn_link_thumbnail_why_and_post_counts() -> None:
    signals = {
        "hf_upvotes": 120,
        "hf_thumbnail": "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/1.png",
        "hn_points": 250,
        "hn_url": "https://news.ycombinator.com/item?id=42",
    }
    why = (
        "discussed by 26 people on Bluesky, 120 upvotes on Hugging Face, 250 points on Hacker News"
    )
    entry = make_entry(1, signals=signals, why=why)
    blocks = entry_message(make_digest(1), entry)["blocks"]
    assert blocks[0] == {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": "*1. <https://arxiv.org/abs/2104.04001|Paper number 1: a study>*\n"
            "Ada Lovelace, Alan Turing\n_cs.CL, cs.LG_\n"
            "Discussed by 26 people on Bluesky, 120 upvotes on Hugging Face, "
            "250 points on Hacker News.",
        },
        "accessory": {
            "type": "image",
            "image_url": "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/1.png",
            "alt_text": "paper thumbnail",
        },
    }
    assert blocks[3]["text"]["text"].endswith("|on Bluesky> · 10 likes · 1 repost")
    assert blocks[-2]["elements"][0]["text"] == (
        "<https://arxiv.org/abs/2104.04001|abs> | <https://arxiv.org/pdf/2104.04001v1|pdf> | "
        "<https://huggingface.co/papers/2104.04001|HF> | "
        "<https://news.ycombinator.com/item?id=42|HN>"
    )
    bad_urls = ("javascript:alert(1)", "http://cdn.example/t.png", "https://x.example/a b.png")
    for bad in (*bad_urls, "https://x.example/a|b.png", "https://x.example/a>b.png"):
        odd = make_entry(1, signals={"hf_thumbnail": bad})
        assert "accessory" not in entry_message(make_digest(1), odd)["blocks"][0]


def test_header_wording_follows_the_signal_that_ranked_the_digest() -> None:
    cited = make_entry(1, breakdown={"citations": 4.01}, signals={"citations": 54})
    digest = make_digest(1, entries=(cited,), total_papers=30)
    intro = header_message(digest)["blocks"][1]["text"]["text"].splitlines()[0]
    assert intro == (
        "1 hot paper of 30 new in cs.CL, ranked by citations. One reply per paper in this thread."
    )


def test_button_blocks_are_held_to_slacks_limits() -> None:
    from adapters.slack_blocks import buttons_block

    good = {"text": "x", "blocks": [buttons_block("math/0309136")]}
    assert validate_message(good) == []
    bad = buttons_block("2104.04001")
    bad["elements"][0]["text"]["text"] = "x" * 76
    bad["elements"][1]["action_id"] = bad["elements"][0]["action_id"]
    bad["elements"][1]["value"] = "v" * 2001
    assert validate_message({"text": "x", "blocks": [bad]}) == [
        "block 0 (actions): an action_id twice",
        "block 0 (actions): a button label over 75 chars",
        "block 0 (actions): a button value over 2000 chars",
    ]
    assert validate_message({"text": "x", "blocks": [{"type": "actions", "elements": []}]}) == [
        "block 0 (actions): needs 1 to 25 elements"
    ]
