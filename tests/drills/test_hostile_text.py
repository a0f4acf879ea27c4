"""Security drill: hostile third-party text through every real renderer, header and replies.

Whatever a paper, a post or a source error says, and wherever a third-party link points, what we
render must ping no one, show no link that goes somewhere other than it says, carry no terminal
escape or bidi override, and stay within the platform's limits. Each output is read back the way
its reader would read it (see ``tests/drills/hostile.py``), and what the platform fakes received
over the wire is read back the same way.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from adapters import discord_embeds, slack_blocks
from adapters.discord import make_discord_rest_adapter
from adapters.slack import SlackAdapter
from adapters.slack_client import make_web_client
from bot.clock import FakeClock
from bot.config import Settings
from bot.ledger import Ledger
from bot.models import Digest
from bot.posting import deliver
from bot.render import md
from bot.store import Store
from hotpapers.formats import format_digest
from tests.budget import examples
from tests.drills.hostile import (
    ATTACK,
    ATTACKS,
    DISCORD_PING,
    EVIL,
    FORBIDDEN,
    OUR_LABELS,
    PLATFORM_LABELS,
    URLS,
    discord_links,
    host,
    hostile_digest,
    markdown_links,
    slack_links,
    strings,
)
from tests.fake_discord import FakeDiscord, serving
from tests.fake_slack import FakeSlack

CASES = [pytest.param(text, URLS["paren_breakout"], id=name) for name, text in ATTACKS.items()]
CASES += [pytest.param(ATTACK, url, id=f"url-{name}") for name, url in URLS.items()]
ABS = "https://arxiv.org/abs/2104.04001"


def assert_no_invisible_controls(payload: Any) -> None:
    for text in strings(payload):
        assert not FORBIDDEN.search(text), repr(text[:120])


# ----- Slack ------------------------------------------------------------------------------------
def assert_slack_message_is_inert(payload: dict[str, Any]) -> None:
    assert slack_blocks.validate_message(payload) == []
    assert_no_invisible_controls(payload)
    for text in strings(payload):
        for url, label in slack_links(text):
            # <!channel>, <@U1>, <#C1>, <!subteam^..> are not links: they must never be there
            assert url.startswith(("https://", "http://")), (url, text[:120])
            assert host(url) != EVIL, (url, label)
            if label.startswith("Title "):  # the paper's title goes to its arXiv page
                assert url == ABS, url
            else:
                assert label in OUR_LABELS or label.removeprefix("on ") in PLATFORM_LABELS, label


@pytest.mark.parametrize(("text", "url"), CASES)
def test_slack_header_and_replies_ping_no_one_and_forge_no_link(text: str, url: str) -> None:
    for payload in slack_blocks.thread_payloads(hostile_digest(text, url)):
        assert_slack_message_is_inert(payload)


def test_slack_shows_the_hostile_text_literally() -> None:
    """Escaped, not dropped: a reader sees exactly what the paper's authors wrote."""
    reply = slack_blocks.entry_message(digest := hostile_digest(), digest.entries[0])
    section = reply["blocks"][0]["text"]["text"]
    visible = section.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert "<!channel> <!here> <!everyone> <@U123> <#C1>" in visible
    assert "[arxiv.org](https://evil.example)" in visible


# ----- Discord ----------------------------------------------------------------------------------
def assert_discord_message_is_inert(body: dict[str, Any]) -> None:
    assert discord_embeds.validate_message(body) == []
    assert body["allowed_mentions"] == {"parse": []}  # the guarantee; the escaping is belt
    assert_no_invisible_controls(body)
    for embed in body["embeds"]:
        assert embed.get("url") in (None, ABS, "https://arxiv.org/abs/2104.04001")
        assert host((embed.get("thumbnail") or {}).get("url", "")) != EVIL
        for text in strings(embed, skip=("url",)):
            assert not DISCORD_PING.search(text), text[:120]
        marked_up = [embed.get("description", "")]
        marked_up += [f["value"] for f in embed.get("fields", [])]
        for text in marked_up:
            for url, label in discord_links(text):
                assert host(url) != EVIL, (url, label, text[:160])
                assert label in OUR_LABELS or label.removeprefix("on ") in PLATFORM_LABELS, label


@pytest.mark.parametrize(("text", "url"), CASES)
def test_discord_header_and_replies_ping_no_one_and_forge_no_link(text: str, url: str) -> None:
    for body in discord_embeds.thread_payloads(hostile_digest(text, url)):
        assert_discord_message_is_inert(body)


def test_discord_shows_the_hostile_text_literally() -> None:
    digest = hostile_digest(ATTACKS["two_md_links"])
    description = discord_embeds.entry_embed(digest, digest.entries[0])["description"]
    assert "Summary \\[a](https://a.example) \\[arxiv.org](https://evil.example)" in description


# ----- hotpapers digest --format markdown / text / json ------------------------------------------
MARKDOWN_HOSTS = {"arxiv.org", "huggingface.co", "x.example", "bsky.app", "x.com", "news.ycombinator.com"}  # fmt: skip # noqa: E501


@pytest.mark.parametrize(("text", "url"), CASES)
def test_markdown_output_has_no_forged_link_and_no_html(text: str, url: str) -> None:
    out = format_digest(hostile_digest(text, url), "markdown")
    assert not FORBIDDEN.search(out)
    links, html = markdown_links(out)
    assert html == []
    assert links, "the paper's own links are there"
    for href, label in links:
        assert href.startswith("https://") and host(href) in MARKDOWN_HOSTS, (href, label)
        if href.startswith("https://arxiv.org/list/"):  # a category page, labelled by its name
            continue
        assert label in OUR_LABELS or label in PLATFORM_LABELS, (href, label)


@pytest.mark.parametrize(("text", "url"), CASES)
def test_text_output_carries_no_terminal_escape_and_no_injected_line(text: str, url: str) -> None:
    out = format_digest(hostile_digest(text, url), "text")
    assert not FORBIDDEN.search(out), repr(out[:200])
    for line in out.splitlines():
        assert not line.strip().startswith(("# Heading", "[arxiv.org]:", "- item")), line


def test_json_output_keeps_third_party_text_as_exact_data() -> None:
    digest = hostile_digest()
    data = json.loads(format_digest(digest, "json"))
    paper = data["papers"][0]
    assert paper["title"] == f"Title {ATTACK}"
    assert paper["posts"][0]["text"] == f"Post {ATTACK}"
    assert paper["posts"][0]["url"] == URLS["paren_breakout"]


# ----- over the wire, through the real adapters and the platform fakes -------------------------
@pytest.fixture
def ledger(tmp_path: Path) -> Any:
    store = Store(f"sqlite:///{tmp_path / 'ledger.db'}")
    yield Ledger(store, "drill", FakeClock())
    store.close()


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    async with serving() as fake:
        fake.add_text_channel(2000)
        yield fake


@pytest.mark.parametrize("url", [URLS["paren_breakout"], URLS["bracket_host"]])
async def test_what_slack_receives_pings_no_one_and_forges_no_link(
    ledger: Ledger, url: str
) -> None:
    digest: Digest = hostile_digest(ATTACK, url)
    clock = FakeClock()
    async with FakeSlack() as fake:
        settings = Settings(_env_file=None, slack_api_url=fake.api_url)  # type: ignore[call-arg]
        adapter = SlackAdapter(make_web_client(settings, "xoxb-drill", clock), clock=clock)
        outcome = await deliver(adapter, ledger, "T1", "C1", digest)
        assert outcome.ok, outcome.message
        posts = fake.posts
    assert len(posts) == 1 + len(digest.entries)
    for body in posts:
        assert "link_names" not in body and body.get("parse") in (None, "none")
        blocks = body["blocks"]
        payload = {"text": body["text"], "blocks": json.loads(blocks) if isinstance(blocks, str) else blocks}  # fmt: skip # noqa: E501
        assert_slack_message_is_inert(payload)


async def test_what_discord_receives_pings_no_one_and_forges_no_link(
    discord_fake: FakeDiscord, ledger: Ledger
) -> None:
    digest = hostile_digest()
    adapter = await make_discord_rest_adapter(discord_fake.settings())
    try:
        outcome = await deliver(adapter, ledger, "G1", "2000", digest)
    finally:
        await adapter.close()
    assert outcome.ok, outcome.message
    bodies = discord_fake.message_bodies()
    assert len(bodies) == 1 + len(digest.entries)
    for body in bodies:
        assert_discord_message_is_inert(body)


# ----- any text, through the Markdown escaping, is one paragraph of plain text -----------------
_MARKERS = st.sampled_from(["#", "##", ">", "-", "+", "*", "1.", "2)", "---", "===", "~~~", "```",
                            "    ", "\t", "<b>", "[x](https://e.example)", "![i](x)", "_", "\\",
                            "&lt;", "|", "<https://e.example>", "\n", "\n\n", " "])  # fmt: skip
_LINES = st.lists(st.one_of(_MARKERS, st.text(max_size=8)), max_size=12).map("".join)


@settings(max_examples=examples(5_000, 400), deadline=None)
@given(text=_LINES)
def test_escaped_text_renders_as_plain_paragraphs(text: str) -> None:
    """What ``md`` returns opens no heading, list, quote, code block, link, image or HTML in
    CommonMark: only paragraphs of text (the issue's ``\\n# Heading`` in a post included)."""
    allowed = {"paragraph_open", "paragraph_close", "inline"}
    inline = {"text", "softbreak", "hardbreak"}
    for token in MarkdownIt("commonmark").parse(md(text)):
        assert token.type in allowed, (text, token.type)
        assert {c.type for c in token.children or ()} <= inline, (text, token.children)


def test_a_post_with_a_heading_line_stays_in_its_quote() -> None:
    digest = hostile_digest("fine\n# Heading\n- item\n1. one", "https://bsky.app/profile/a/post/1")
    out = format_digest(digest, "markdown")
    tokens = MarkdownIt("commonmark").parse(out)
    assert "ordered_list_open" not in {t.type for t in tokens}
    # The only heading is the paper's own "# 1. Title"; the only list items are ours.
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings == ["1. Title fine # Heading - item 1. one"]
    items = [tokens[i + 2].content for i, t in enumerate(tokens) if t.type == "list_item_open"]
    ours = ('"', "links:", "3 posts", "[cs.CL]")  # front matter tags, counts, links, categories
    assert items and all(item.startswith(ours) for item in items), items
