"""Slack Block Kit payloads for a digest: every third-party string escaped, every limit held.

Why in code and why so careful: slack_sdk validates nothing on dict blocks and nothing counts blocks
or total length (research/platforms.md 1.2), while Slack answers ``invalid_blocks``,
``msg_blocks_too_long`` or silently truncates. So each payload is clamped here and
``validate_message`` checks what Slack would refuse; the adapter never sends what fails it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from bot.models import Digest, Entry, Post
from bot.render import (
    ELLIPSIS,
    authors_short,
    breakdown_text,
    clamp,
    counts_text,
    one_line,
    render,
)
from bot.render import source_label as _source_label

Block = dict[str, Any]
Payload = dict[str, Any]

# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks and chat.postMessage).
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_CONTEXT_ELEMENT_TEXT = 2000  # text objects allow 3000; kept at the section-field size
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_FALLBACK_TEXT = 4000
# Undocumented cumulative cap on block text (~12k; bolt-js#2867 saw 11,341 chars refused).
MAX_MESSAGE_TEXT = 10_000
MAX_URL = 1000

# How much of each third-party string a message shows (escaped length).
TITLE_CHARS = 300
AUTHORS_CHARS = 400
SUMMARY_CHARS = 1500
POST_CHARS = 300
POST_AUTHOR_CHARS = 80
NOTE_CHARS = 300
REASON_CHARS = 200
CATEGORIES_SHOWN = 8
POSTS_SHOWN = 3

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape_mrkdwn(text: str) -> str:
    """Only ``&``, ``<``, ``>`` become entities: ``<!channel>`` or ``<@U1>`` can no longer ping."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_clamped(text: str, limit: int) -> str:
    """``text`` escaped and cut to ``limit`` characters, never in the middle of an entity."""
    escaped = escape_mrkdwn(text)
    if len(escaped) <= limit:
        return escaped
    out: list[str] = []
    size = 0
    for char in text:
        piece = _ENTITIES.get(char, char)
        if size + len(piece) > limit - 1:
            break
        out.append(piece)
        size += len(piece)
    return "".join(out).rstrip() + ELLIPSIS


def link_label(text: str, limit: int = TITLE_CHARS) -> str:
    """A label for ``<url|label>``: escaped, one line, ``|`` neutralised: no link can be forged."""
    return escape_clamped(one_line(text).replace("|", "\N{FULLWIDTH VERTICAL LINE}"), limit)


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit for ``<url|label>`` (``| < >`` and spaces percent-encoded), else None."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:  # a bracketed host that is no IP address, an unbalanced bracket
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > MAX_URL:
        return None
    return escape_mrkdwn(quote(url, safe=":/?#[]@!$&'()*+,;=%~"))


def slack_link(url: str | None, label: str) -> str:
    """``<url|label>`` where the URL is safe, else the (already escaped) label alone."""
    target = safe_url(url)
    return f"<{target}|{label}>" if target else label


def categories_text(categories: Sequence[str], shown: int = CATEGORIES_SHOWN) -> str:
    names = [escape_clamped(one_line(c), 40) for c in categories]
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" +{more} more" if more > 0 else "")


def _render(template: str, **context: object) -> str:
    """A ``templates/slack/`` template's text, without the blank edges loops leave."""
    return render("slack/" + template, **context).strip()


def header_block(text: str) -> Block:
    plain = {"type": "plain_text", "text": clamp(text, MAX_HEADER_TEXT), "emoji": True}
    return {"type": "header", "text": plain}


def section_block(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clamp(text, MAX_SECTION_TEXT)}}


def context_block(*texts: str) -> Block:
    elements = [{"type": "mrkdwn", "text": clamp(t, MAX_CONTEXT_ELEMENT_TEXT)} for t in texts if t]
    return {"type": "context", "elements": elements[:MAX_CONTEXT_ELEMENTS]}


def header_message(digest: Digest) -> Payload:
    """The message that opens the thread: date, categories, counts, sources, degraded flag."""
    categories = categories_text(digest.categories)
    count = len(digest.entries)
    text = _render(
        "header_text.j2", date=digest.date.isoformat(), categories=categories, count=count
    )
    intro = _render(
        "header_intro.j2",
        count=count,
        total=max(digest.total_papers, count),
        categories=categories,
        notes=[escape_clamped(one_line(n), NOTE_CHARS) for n in digest.notes[:5]],
    )
    sources = _render(
        "header_sources.j2",
        degraded=digest.degraded,
        used=[escape_mrkdwn(_source_label(n)) for n in digest.sources_used],
        missing=[
            f"{escape_mrkdwn(_source_label(name))} ({escape_clamped(one_line(why), REASON_CHARS)})"
            for name, why in digest.sources_missing.items()
        ],
    )
    blocks = [
        header_block(f"Hot Papers {digest.date.isoformat()}"),
        section_block(intro),
        context_block(sources),
    ]
    return fit_message({"text": text, "blocks": blocks})


def _post_quote(post: Post) -> dict[str, str]:
    name = one_line(post.author_name)
    handle = one_line(post.author)
    who = f"{name} (@{handle})" if name and handle else name or f"@{handle}"
    author = escape_clamped(who, POST_AUTHOR_CHARS)
    link = slack_link(post.url, f"on {escape_mrkdwn(_source_label(post.platform))}")
    return {"text": escape_clamped(one_line(post.text), POST_CHARS), "author": author, "link": link}


def entry_links(entry: Entry) -> list[str]:
    paper = entry.paper
    links = [slack_link(paper.abs_url, "abs"), slack_link(paper.pdf_url, "pdf")]
    if safe_url(entry.signals.github_repo):
        links.append(slack_link(entry.signals.github_repo, "code"))
    if entry.hf_url:
        links.append(slack_link(entry.hf_url, "HF"))
    return links


def entry_message(digest: Digest, entry: Entry) -> Payload:
    """One paper as a reply: title link, authors, categories, summary, score, posts, links."""
    paper = entry.paper
    names = [one_line(a) for a in paper.authors]
    head = _render(
        "entry_title.j2",
        rank=entry.rank,
        title_link=slack_link(paper.abs_url, link_label(paper.title)),
        authors=escape_clamped(authors_short(names), AUTHORS_CHARS) or "unknown authors",
        categories=categories_text(paper.categories or (paper.primary_category,)),
    )
    blocks = [section_block(head)]
    if one_line(entry.summary):
        blocks.append(section_block(escape_clamped(one_line(entry.summary), SUMMARY_CHARS)))
    score = _render(
        "entry_score.j2",
        breakdown=escape_mrkdwn(breakdown_text(entry)),
        counts=escape_mrkdwn(counts_text(entry)),
    )
    blocks.append(context_block(score))
    posts = [_post_quote(p) for p in entry.posts[:POSTS_SHOWN]]
    if posts:
        blocks.append(section_block(_render("entry_posts.j2", posts=posts)))
    blocks.append(context_block(_render("entry_links.j2", links=entry_links(entry))))
    text = _render(
        "entry_text.j2",
        rank=entry.rank,
        title=escape_clamped(one_line(paper.title), TITLE_CHARS),
        score=f"score {entry.score:.1f}",
    )
    return fit_message({"text": text, "blocks": blocks})


def thread_payloads(digest: Digest) -> list[Payload]:
    """Every message of a digest's thread, header first (``hotpapers digest --format slack``)."""
    return [header_message(digest)] + [entry_message(digest, e) for e in digest.entries]


def text_message(text: str) -> Payload:
    """A plain notice ("no listing on Saturday...") as fallback text and one section."""
    body = escape_clamped(text.strip(), MAX_SECTION_TEXT) or ELLIPSIS
    return fit_message({"text": body, "blocks": [section_block(body)]})


def _texts(block: Mapping[str, Any]) -> list[str]:
    """Every text a block carries (what Slack counts towards a message's size)."""
    texts = []
    if isinstance(block.get("text"), Mapping):
        texts.append(str(block["text"].get("text", "")))
    texts += [str(f.get("text", "")) for f in block.get("fields") or () if isinstance(f, Mapping)]
    texts += [str(e.get("text", "")) for e in block.get("elements") or () if isinstance(e, Mapping)]
    return texts


def _shrink_longest_section(blocks: list[Block], excess: int) -> bool:
    sections = [b for b in blocks if b["type"] == "section" and "text" in b]
    if not sections:
        return False
    longest = max(sections, key=lambda b: len(b["text"]["text"]))
    current = len(longest["text"]["text"])
    target = max(current - excess, 200)
    if target >= current:
        return False
    longest["text"]["text"] = clamp(longest["text"]["text"], target)
    return True


def fit_message(payload: Payload) -> Payload:
    """``payload`` within every limit: ≤50 blocks, per-block sizes, total text, fallback text."""
    blocks = [json.loads(json.dumps(b)) for b in payload.get("blocks") or ()][:MAX_BLOCKS]
    while (excess := sum(len(t) for b in blocks for t in _texts(b)) - MAX_MESSAGE_TEXT) > 0:
        if not _shrink_longest_section(blocks, excess):
            blocks.pop()
    fitted = dict(payload)
    fitted["text"] = clamp(payload.get("text") or ELLIPSIS, MAX_FALLBACK_TEXT)
    fitted["blocks"] = blocks
    return fitted


def _block_problems(index: int, block: Mapping[str, Any]) -> Iterable[str]:
    kind = block.get("type")
    where = f"block {index} ({kind})"
    texts = _texts(block)
    if any(not t for t in texts):
        yield f"{where}: empty text"
    if kind == "header":
        text = block.get("text") or {}
        if text.get("type") != "plain_text":
            yield f"{where}: header text must be plain_text"
        if len(text.get("text", "")) > MAX_HEADER_TEXT:
            yield f"{where}: header text over {MAX_HEADER_TEXT} chars"
    elif kind == "section":
        text = block.get("text")
        fields = block.get("fields") or []
        if not text and not fields:
            yield f"{where}: neither text nor fields"
        if text and len(text.get("text", "")) > MAX_SECTION_TEXT:
            yield f"{where}: text over {MAX_SECTION_TEXT} chars"
        if len(fields) > MAX_FIELDS:
            yield f"{where}: more than {MAX_FIELDS} fields"
        if any(len(f.get("text", "")) > MAX_FIELD_TEXT for f in fields):
            yield f"{where}: a field over {MAX_FIELD_TEXT} chars"
    elif kind == "context":
        elements = block.get("elements") or []
        if not 1 <= len(elements) <= MAX_CONTEXT_ELEMENTS:
            yield f"{where}: needs 1 to {MAX_CONTEXT_ELEMENTS} elements"
        if any(len(e.get("text", "")) > MAX_CONTEXT_ELEMENT_TEXT for e in elements):
            yield f"{where}: an element over {MAX_CONTEXT_ELEMENT_TEXT} chars"
    elif kind != "divider":
        yield f"{where}: unexpected block type"


def validate_message(payload: Mapping[str, Any]) -> list[str]:
    """What Slack would refuse (or truncate) in a chat.postMessage payload; empty when it is fine.

    Accepts ``blocks`` as a list or as the JSON string a form-encoded request carries.
    """
    problems: list[str] = []
    text = payload.get("text")
    if not text:
        problems.append("text fallback missing")
    elif len(text) > MAX_FALLBACK_TEXT:
        problems.append(f"text fallback over {MAX_FALLBACK_TEXT} chars")
    blocks = payload.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks, more than {MAX_BLOCKS}")
    for index, block in enumerate(blocks):
        problems.extend(_block_problems(index, block))
    total = sum(len(t) for b in blocks for t in _texts(b))
    if total > MAX_MESSAGE_TEXT:
        problems.append(f"{total} chars of block text, more than {MAX_MESSAGE_TEXT}")
    return problems
