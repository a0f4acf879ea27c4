"""Hostile third-party text and URLs, and the checks that what we render of them is inert.

Shared by the hostile-text drills: ``hostile_digest`` puts an attacker's string into every
third-party field (titles, authors, abstracts, summaries, categories, post texts and authors,
source errors, notes) and an attacker's URL into every third-party link. The strings are short on
purpose: a long padding would let a clamp cut the attack off before any renderer saw it.

The checkers read a rendered message the way the platform does (Slack's ``<...>`` syntax,
Discord's markdown with backslash escapes, CommonMark for ``--format markdown``) and return every
link in it, so a test can assert where each one goes and what it says.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt

from bot.models import Digest, Signals, SourceStatus
from tests.factories import make_digest, make_entry, make_paper, make_post

EVIL = "evil.example"
# Pings and links in every syntax a platform knows, markup, terminal escapes, bidi overrides.
ATTACKS = {
    "slack_specials": "<!channel> <!here> <!everyone> <@U123> <#C1> <!subteam^S1>",
    "slack_link": "<https://evil.example|arxiv.org>",
    "md_link": "[arxiv.org](https://evil.example)",
    "two_md_links": "[a](https://a.example) [arxiv.org](https://evil.example)",
    "escaped_md_link": "\\[arxiv.org](https://evil.example)",
    "angle_md_link": "[arxiv.org](<https://evil.example>)",
    "discord_pings": "@everyone @here <@&123456789012345678> <@!123456789012345678>",
    "discord_user": "<@123456789012345678> <#123456789012345678>",
    "zero_width": "@\u200beveryone @\u2060here",
    "javascript": "[arxiv.org](javascript:alert(1)) javascript:alert(1)",
    "html": "<script>alert(1)</script> <a href='https://evil.example'>arxiv.org</a>",
    "rtl_override": "\u202egro.vixra//:sptth\u202c and \u2067isolated",
    "terminal": "\x1b]8;;https://evil.example\x1b\\arxiv.org\x1b]8;;\x1b\\ \x1b[2J\x07",
    "new_lines": "ok\n# Heading\n[arxiv.org]: https://evil.example\n- item",
    "markup": "*bold* _it_ ~~s~~ `code` ||spoiler|| > quote | pipe & amp",
    "very_long": "<!channel> [arxiv.org](https://evil.example) " * 400,
}
ATTACK = " ".join(ATTACKS.values())
URLS = {
    "javascript": "javascript:alert(1)",
    "paren_breakout": "https://x.example/a)[arxiv.org](https://evil.example)",
    "bracket_host": "https://x)[arxiv.org](https://evil.example)",
    "pipe": "https://x.example/|arxiv.org",
    "angle": "https://x.example/>x<!channel>",
    "space": "https://news.ycombinator.com/item?id=1) [arxiv.org](https://evil.example",
    "ipv6_broken": "https://[::1/x",
    "very_long": "https://x.example/" + "a" * 5000 + "?q=[arxiv.org](https://evil.example)",
}
# What a link's label may say: our own words, or the paper's title (linked to its arXiv page).
OUR_LABELS = {"abs", "pdf", "code", "project", "HF", "HN"}
PLATFORM_LABELS = {"Bluesky", "X", "Hacker News", "Hugging Face", "the seed post"}
# Invisible characters that may not survive rendering: C0/C1 controls (bar tab and new line),
# bidi embeddings, overrides and isolates, which reorder the text that follows them.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def hostile_digest(text: str = ATTACK, url: str = URLS["paren_breakout"]) -> Digest:
    """A one-paper digest with ``text`` in every third-party text and ``url`` in every link."""
    paper = make_paper(
        1, title=f"Title {text}", authors=(f"Ann {text}", "Bob"), abstract=f"Abstract {text}",
        categories=("cs.CL", f"cs.{text}"),
    )  # fmt: skip
    posts = tuple(
        make_post(k, paper.arxiv_id, platform=platform, text=f"Post {text}", author=f"h{text}",
                  author_name=f"Name {text}", url=url)
        for k, platform in enumerate(("bluesky", "x", "hackernews"), start=1)
    )  # fmt: skip
    signals = Signals(
        hf_upvotes=3, github_repo=url, project_page=url, hf_thumbnail=url, hn_url=url, hn_points=5
    )
    entry = make_entry(1, paper=paper, posts=posts, summary=f"Summary {text}", signals=signals)
    sources = {
        "arxiv": SourceStatus(ok=True),
        "bluesky": SourceStatus(ok=False, error=f"Error {text}"),
    }
    return make_digest(1, entries=(entry,), notes=(f"Note {text}",), sources=sources)


def strings(value: Any, skip: tuple[str, ...] = ()) -> Iterator[str]:
    """Every string anywhere in a JSON-like payload (values only; keys in ``skip`` left out)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in skip:
                yield from strings(item, skip)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item, skip)


def host(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return "unparsable"


# ----- Slack mrkdwn ----------------------------------------------------------------------------
SLACK_TOKEN = re.compile(r"<([^<>]*)>")


def slack_links(text: str) -> list[tuple[str, str]]:
    """``(url, label)`` of every ``<...>`` Slack would parse; specials (``<!..>``) keep ``url``."""
    links = []
    for token in SLACK_TOKEN.findall(text):
        url, _, label = token.partition("|")
        links.append((url, label))
    return links


# ----- Discord markdown ------------------------------------------------------------------------
# Discord's (simple-markdown's) rules: a backslash escapes any following non-alphanumeric
# character; a masked link is ``[label](url)`` whose ``[`` is not escaped.
_DISCORD_LINK = re.compile(
    r"\[((?:\[[^\]]*\]|[^\[\]]|\](?=[^\[]*\]))*)\]\(\s*<?((?:\([^)]*\)|[^\s\\])*?)>?"
    r"(?:\s+['\"][\s\S]*?['\"])?\s*\)"
)
DISCORD_PING = re.compile(r"@(everyone|here)|<@[!&]?\d{17,20}>")


def discord_links(text: str) -> list[tuple[str, str]]:
    """``(url, label)`` of every masked link Discord would render in an embed's text."""
    links = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and not text[i + 1].isalnum():
            i += 2
            continue
        if char == "[" and (match := _DISCORD_LINK.match(text, i)):
            links.append((match.group(2), match.group(1)))
            links += discord_links(match.group(1))  # a link inside a label is a link too
            i = match.end()
            continue
        i += 1
    return links


# ----- CommonMark --------------------------------------------------------------------------------
def markdown_links(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """``(href, label)`` of every link a CommonMark renderer makes, and every raw HTML piece."""
    links: list[tuple[str, str]] = []
    html: list[str] = []
    for token in MarkdownIt("commonmark").parse(text):
        if token.type == "html_block":
            html.append(token.content)
        for i, child in enumerate(token.children or ()):
            if child.type == "html_inline":
                html.append(child.content)
            elif child.type == "link_open":
                label = []
                for inner in (token.children or ())[i + 1 :]:
                    if inner.type == "link_close":
                        break
                    label.append(inner.content)
                links.append((str(child.attrs.get("href", "")), "".join(label)))
    return links, html
