"""Discord embeds: exact content, limits held on hostile input, no mention, no forged link."""

from __future__ import annotations

import re

import discord

from adapters.discord_embeds import (
    EMBED_TOTAL_LIMIT,
    embed_length,
    entry_embed,
    fit_embed,
    header_embed,
    safe_markdown,
    thread_name,
    thread_payloads,
    validate_embed,
    validate_message,
)
from bot.models import SourceStatus
from tests.factories import adversarial_digest, make_digest, make_entry, make_paper


def test_header_embed_says_date_count_categories_and_sources() -> None:
    digest = make_digest(3, notes=("Ranked by citations: social sources do not reach back.",))
    assert header_embed(digest) == {
        "title": "Hot Papers 2021-04-12",
        "description": (
            "3 hot papers of 120 new in cs.CL, ranked by posts and Hugging Face upvotes.\n"
            "1. **Paper number 1: a study** · [abs](https://arxiv.org/abs/2104.04001)\n"
            "2. **Paper number 2: a study** · [abs](https://arxiv.org/abs/2104.04002)\n"
            "3. **Paper number 3: a study** · [abs](https://arxiv.org/abs/2104.04003)\n"
            "Sources: arXiv, Bluesky\n"
            "Ranked by citations: social sources do not reach back.\n"
        ),
        "color": 0xB31B1B,
        "footer": {"text": "hotpapers · one reply per paper in the thread"},
    }


def test_header_embed_shows_the_readers_note_not_the_operators_reason() -> None:
    sources = {
        "arxiv": SourceStatus(ok=True),
        "hackernews": SourceStatus(ok=False, error="timeout"),
        "x": SourceStatus(ok=False, skipped=True, error="no credentials (X_BEARER_TOKEN)"),
    }
    note = "Hacker News unavailable today: ranked by Bluesky."
    description = header_embed(make_digest(1, sources=sources, notes=(note,)))["description"]
    assert description.splitlines()[2:] == ["Sources: arXiv", note]


def test_header_titles_are_text_and_the_link_is_labelled_by_us() -> None:
    paper = make_paper(1, title="Tricky** [arxiv.org](https://evil.example) @everyone")
    digest = make_digest(1, entries=(make_entry(1, paper=paper),))
    line = header_embed(digest)["description"].splitlines()[1]
    assert line == (
        "1. **Tricky\\*\\* \\[arxiv.org](https://evil.example) @\u200beveryone** · "
        "[abs](https://arxiv.org/abs/2104.04001)"
    )


def test_entry_embed_is_exact() -> None:
    entry = make_entry(1, why="discussed by 3 people on Bluesky, 12 upvotes on Hugging Face")
    digest = make_digest(1, entries=(entry,))
    assert entry_embed(digest, digest.entries[0]) == {
        "title": "1. Paper number 1: a study",
        "url": "https://arxiv.org/abs/2104.04001",
        "description": (
            "Ada Lovelace, Alan Turing\ncs.CL · cs.LG\n"
            "**Discussed by 3 people on Bluesky, 12 upvotes on Hugging Face.**\n"
            "score 9.0 = posts 7.0 + HF upvotes 2.0 · 3 posts · 12 HF upvotes · 42 GitHub stars"
            "\n\nSummary of paper 1."
        ),
        "color": 0xB31B1B,
        "fields": [
            {
                "name": "Links",
                "value": "[abs](https://arxiv.org/abs/2104.04001) | "
                "[pdf](https://arxiv.org/pdf/2104.04001v1) | [code](https://github.com/example/repo)"
                " | [HF](https://huggingface.co/papers/2104.04001)",
                "inline": False,
            },
            {
                "name": "User 1 (@user1.bsky.social)",
                "value": "> Great paper https://arxiv.org/abs/2104.04001 number 1\n"
                "[on Bluesky](https://bsky.app/profile/user1.bsky.social/post/1)"
                " · 10 likes · 1 repost",
                "inline": False,
            },
        ],
        "footer": {"text": "arXiv:2104.04001 · Hot Papers 2021-04-12"},
    }


def test_entry_embed_shows_the_hf_thumbnail_only_when_it_is_a_safe_https_url() -> None:
    digest = make_digest(1)
    good = make_entry(1, signals={"hf_upvotes": 3, "hf_thumbnail": "https://cdn.hf.co/t/1.png"})
    bad = make_entry(1, signals={"hf_thumbnail": "javascript:alert(1)"})
    assert entry_embed(digest, good)["thumbnail"] == {"url": "https://cdn.hf.co/t/1.png"}
    assert "thumbnail" not in entry_embed(digest, bad)


def test_entry_embed_links_only_what_the_paper_has() -> None:
    entry = make_entry(1, signals={}, posts=())
    fields = entry_embed(make_digest(1), entry)["fields"]
    assert fields == [
        {
            "name": "Links",
            "value": "[abs](https://arxiv.org/abs/2104.04001) | "
            "[pdf](https://arxiv.org/pdf/2104.04001v1)",
            "inline": False,
        }
    ]


def test_at_most_three_quoted_posts() -> None:
    digest = adversarial_digest(1)
    entry = digest.entries[0].model_copy(update={"posts": digest.entries[0].posts * 3})
    assert len(entry_embed(digest, entry)["fields"]) == 1 + 3


def test_every_payload_of_an_adversarial_digest_is_within_discord_limits() -> None:
    payloads = thread_payloads(adversarial_digest(10))
    assert len(payloads) == 11
    for payload in payloads:
        assert validate_message(payload) == []
        assert payload["allowed_mentions"] == {"parse": []}
        assert len(discord.Embed.from_dict(payload["embeds"][0])) <= EMBED_TOTAL_LIMIT


def test_adversarial_text_neither_mentions_nor_forges_a_link() -> None:
    for payload in thread_payloads(adversarial_digest(3)):
        embed = payload["embeds"][0]
        marked_up = [embed.get("description", "")] + [
            text for f in embed.get("fields", []) for text in (f["name"], f["value"])
        ]
        for text in marked_up:
            assert "@everyone" not in text and "@here" not in text
            assert "<@123456789012345678>" not in text
            assert "[link](https://evil.example)" not in text  # left as \[link](...)
            masked = re.findall(r"(?<!\\)\[([^\]]*)\]\((https?://[^)]*)\)", text)
            assert all("evil" not in url for _, url in masked)


def test_safe_markdown() -> None:
    text = "[arxiv.org](https://evil.example) *bold* @everyone <@123456789012345678>\n# big"
    assert safe_markdown(text) == (
        "\\[arxiv.org](https://evil.example) \\*bold\\* @\u200beveryone "
        "<@\u200b123456789012345678> # big"
    )
    assert safe_markdown("# heading") == "\\# heading"


def test_thread_name() -> None:
    assert thread_name(make_digest(1)) == "Hot Papers 2021-04-12"


def test_fit_embed_clamps_every_part_and_the_total() -> None:
    huge = {
        "title": "t" * 300,
        "description": "d" * 5000,
        "fields": [{"name": "n" * 300, "value": "v" * 2000, "inline": False}] * 30,
        "footer": {"text": "f" * 3000},
        "author": {"name": "a" * 300},
    }
    fitted = fit_embed(huge)
    assert validate_embed(fitted) == []
    assert embed_length(fitted) <= EMBED_TOTAL_LIMIT
    assert fitted["title"] == "t" * 255 + "…"
    assert fitted["footer"]["text"] == "f" * 2047 + "…"
    assert fitted["author"]["name"] == "a" * 255 + "…"
    assert len(fitted["fields"]) < 25
    assert embed_length(fitted) == len(discord.Embed.from_dict(fitted))


def test_fit_embed_fills_an_empty_field() -> None:
    assert fit_embed({"fields": [{"name": "", "value": ""}]})["fields"] == [
        {"name": "-", "value": "-"}
    ]


def test_validate_embed_names_every_violation() -> None:
    bad = {
        "title": "t" * 257,
        "description": "d" * 4097,
        "fields": [{"name": "n" * 257, "value": "v" * 1025}] + [{"name": "x", "value": ""}] * 25,
        "footer": {"text": "f" * 2049},
        "author": {"name": "a" * 257},
    }
    assert validate_embed(bad) == [
        *(f"fields[{i}] has an empty name or value" for i in range(1, 26)),
        "title is 257 > 256",
        "description is 4097 > 4096",
        "footer.text is 2049 > 2048",
        "author.name is 257 > 256",
        "fields is 26 > 25",
        "fields[0].name is 257 > 256",
        "fields[0].value is 1025 > 1024",
    ]


def test_validate_message_checks_content_count_and_total() -> None:
    embed = {"description": "d" * 4000}
    payload = {"content": "c" * 2001, "embeds": [embed] * 11}
    assert validate_message(payload) == [
        "11 embeds > 10",
        "embeds total 44000 > 6000",
        "content is 2001 > 2000",
    ]
    assert validate_message({"content": "ok", "embeds": [fit_embed({"title": "x"})]}) == []


def test_a_paper_without_categories_shows_its_primary_one() -> None:
    entry = make_entry(1, paper=make_paper(1, categories=()))
    assert "\ncs.CL\n" in entry_embed(make_digest(1), entry)["description"]
