"""Slack Block Kit payloads for a digest: every third-party string escaped, every limit held.

Why in code and why so careful: slack_sdk validates nothing on dict blocks and nothing counts blocks
or total length (research/platforms.md 1.2), while Slack answers ``invalid_blocks``,
``msg_blocks_too_long`` or silently truncates. So each payload is clamped here and
``validate_message`` checks what Slack would refuse; the adapter never sends what fails it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import quote, urlsplit

from adapters.slack_limits import (
    MAX_BLOCKS,
    MAX_CONTEXT_ELEMENT_TEXT,
    MAX_CONTEXT_ELEMENTS,
    MAX_FALLBACK_TEXT,
    MAX_HEADER_TEXT,
    MAX_MESSAGE_TEXT,
    MAX_SECTION_TEXT,
    MAX_URL,
    Block,
    Payload,
    fit_message,
    validate_message,
)
from bot.buttons import buttons_for
from bot.models import Digest, Entry, Post
from bot.render import (
    ELLIPSIS,
    TOP_NAMED,
    authors_short,
    breakdown_text,
    clamp,
    counts_text,
    headline,
    one_line,
    ranked_by,
    render,
    why_sentence,
)
from bot.render import source_label as _source_label
from bot.trends import CATCHING_FIRE, opens_catching_fire, trend_line

# Re-exported: callers and tests check payloads where they build them.
__all__ = [
    "MAX_BLOCKS",
    "MAX_FALLBACK_TEXT",
    "MAX_MESSAGE_TEXT",
    "BUTTON_ACTION",
    "buttons_block",
    "entry_message",
    "escape_mrkdwn",
    "fit_message",
    "header_message",
    "text_message",
    "thread_payloads",
    "validate_message",
]

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

#: The ``action_id`` prefix of the paper buttons (``hotpapers_more``, ``hotpapers_abstract``);
#: each button's ``value`` is the core's ``bot.buttons`` value, read by the core alone.
BUTTON_ACTION = "hotpapers_"

_PLAIN_HTTPS = re.compile(r"^https://[^\s()<>\[\]|]+$")
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
    """The message that opens the thread, the only one the channel shows: how many papers are
    hot, the top three by title (one link each), and only the notes that change their meaning.
    Setup advice (a skipped source, missing credentials) never reaches a reader."""
    categories = categories_text(digest.categories)
    top = digest.entries[:TOP_NAMED]
    text = _render(
        "header_text.j2",
        title=digest.title,
        headline=headline(digest, categories),
        titles=[escape_clamped(one_line(e.paper.title), 80) for e in top],
    )
    intro = _render(
        "header_intro.j2",
        headline=headline(digest, categories),
        ranked_by=ranked_by(digest),
        top=[f"{e.rank}. {slack_link(e.paper.abs_url, link_label(e.paper.title))}" for e in top],
        notes=[escape_clamped(one_line(n), NOTE_CHARS) for n in digest.notes[:5]],
    )
    sources = _render(
        "header_sources.j2", used=[escape_mrkdwn(_source_label(n)) for n in digest.sources_used]
    )
    blocks = [
        header_block(digest.title),
        section_block(intro),
        context_block(sources),
    ]
    return fit_message({"text": text, "blocks": blocks})


def _post_quote(post: Post) -> dict[str, str | int | None]:
    name = one_line(post.author_name)
    handle = one_line(post.author)
    who = f"{name} (@{handle})" if name and handle else name or f"@{handle}"
    author = escape_clamped(who, POST_AUTHOR_CHARS)
    link = slack_link(post.url, f"on {escape_mrkdwn(_source_label(post.platform))}")
    return {
        "text": escape_clamped(one_line(post.text), POST_CHARS),
        "author": author,
        "link": link,
        "likes": post.likes,
        "reposts": post.reposts,
    }


def entry_links(entry: Entry) -> list[str]:
    paper = entry.paper
    links = [slack_link(paper.abs_url, "abs"), slack_link(paper.pdf_url, "pdf")]
    for url, label in (
        (entry.signals.github_repo, "code"),
        (entry.signals.project_page, "project"),
        (entry.hf_url, "HF"),
        (entry.signals.hn_url, "HN"),
    ):
        if safe_url(url):
            links.append(slack_link(url, label))
    return links


def thumbnail_accessory(entry: Entry) -> Block | None:
    """Hugging Face's thumbnail as an image accessory, where it is a plain https URL."""
    url = entry.signals.hf_thumbnail
    if not url or not _PLAIN_HTTPS.match(url) or safe_url(url) != url:
        return None
    # Our words only: alt text is one more place third-party text could try to look like markup.
    return {"type": "image", "image_url": url, "alt_text": "paper thumbnail"}


def buttons_block(arxiv_id: str) -> Block:
    """The paper buttons ("More like this", "Full abstract") as one ``actions`` block."""
    elements = [
        {
            "type": "button",
            "action_id": BUTTON_ACTION + button.action.value,
            "text": {"type": "plain_text", "text": button.label},
            "value": button.value,
        }
        for button in buttons_for(arxiv_id)
    ]
    return {"type": "actions", "block_id": f"hp_buttons_{arxiv_id}"[:255], "elements": elements}


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
        why=escape_mrkdwn(why_sentence(entry)),
        trend=escape_mrkdwn(trend_line(entry)),
    )
    title_block = section_block(head)
    accessory = thumbnail_accessory(entry)
    if accessory is not None:
        title_block["accessory"] = accessory
    blocks = [title_block]
    if opens_catching_fire(digest, entry):  # the section's first reply: its header line
        blocks.insert(0, header_block(CATCHING_FIRE))
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
    blocks.append(buttons_block(paper.arxiv_id))
    text = _render(
        "entry_text.j2",
        rank=entry.rank,
        title=escape_clamped(one_line(paper.title), TITLE_CHARS),
        score=f"score {entry.score:.1f}",
    )
    return fit_message({"text": text, "blocks": blocks})


def thread_payloads(digest: Digest) -> list[Payload]:
    """Every message of a digest's thread, header first (``hotpapers digest --format slack``)."""
    return [header_message(digest)] + [entry_message(digest, e) for e in digest.thread_entries]


def text_message(text: str) -> Payload:
    """A plain notice ("no listing on Saturday...") as fallback text and one section."""
    body = escape_clamped(text.strip(), MAX_SECTION_TEXT) or ELLIPSIS
    return fit_message({"text": body, "blocks": [section_block(body)]})
