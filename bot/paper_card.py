"""One paper as the person who asked sees it: its card, its full abstract, papers like it.

Answers to ``/hotpapers paper``, to the "Full abstract" and "More like this" buttons, and the
lines of ``/hotpapers search``, as ``Reply`` text: plain words, ``code`` spans and bare links,
which every platform shows alike. Third-party text (titles, names, posts, abstracts) goes through
``neutral`` first: one line, clamped, with nothing left that any platform reads as markup (no
code span, no link or mention syntax), so it can neither forge a link nor ping anyone, whatever
the platform's own escaping then adds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.models import Entry, Paper, Post
from bot.render import authors_short, breakdown_text, clamp, counts_text, one_line, source_label
from bot.render import why_sentence as why_of
from bot.sources.recommendations import Recommendation

TITLE_CHARS = 200
AUTHORS_CHARS = 200
POST_CHARS = 160  # three posts and the rest of a card fit one Discord message (2000)
POSTS_SHOWN = 3
URL_CHARS = 200  # a longer post link is left out rather than cut
CATEGORIES_SHOWN = 5
CARD_CHARS = 1990  # Discord's 2000-character message: posts that would not fit are left out
ABSTRACT_CHARS = 1800  # Discord's 2000-character message, with the title line
#: Stand-ins for what any platform reads as markup: code spans, links, mentions, tables.
_NEUTRAL = str.maketrans({
    "`": "'", "[": "(", "]": ")", "<": "\N{SINGLE LEFT-POINTING ANGLE QUOTATION MARK}",
    ">": "\N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK}", "|": "\N{BROKEN BAR}",
    "@": "@\N{ZERO WIDTH SPACE}", "&": "+",
})  # fmt: skip


def neutral(text: str, limit: int) -> str:
    """Third-party text made inert on every platform: one line, no markup, at most ``limit``."""
    return clamp(one_line(text).translate(_NEUTRAL), limit)


def title_line(paper: Paper) -> str:
    return neutral(paper.title, TITLE_CHARS) or paper.arxiv_id


def byline(paper: Paper, listed: dt.date | None) -> str:
    """ "A, B et al. (9 authors) · cs.CL, cs.LG · listed 2021-04-12" """
    names = neutral(authors_short([one_line(a) for a in paper.authors]), AUTHORS_CHARS)
    codes = paper.categories or (paper.primary_category,)
    categories = ", ".join(neutral(c, 20) for c in codes[:CATEGORIES_SHOWN])
    if len(codes) > CATEGORIES_SHOWN:
        categories += f" +{len(codes) - CATEGORIES_SHOWN} more"
    bits = [names or "unknown authors", categories]
    if listed is not None:
        bits.append(f"listed {listed.isoformat()}")
    return " · ".join(bit for bit in bits if bit)


def post_line(post: Post) -> str:
    name, handle = one_line(post.author_name), one_line(post.author)
    who = f"{name} (@{handle})" if name and handle else name or f"@{handle}"
    where = source_label(post.platform)
    text = neutral(post.text, POST_CHARS)
    url = one_line(post.url)
    link = f" {url}" if url.startswith(("https://", "http://")) and len(url) <= URL_CHARS else ""
    return f'- {neutral(who, 80)} on {neutral(where, 30)}: "{text}"{link}'


def attention_lines(entry: Entry | None) -> list[str]:
    """The score, its parts and counts, the why, and the posts that discussed the paper."""
    if entry is None or entry.score <= 0:
        return ["Attention: none recorded in what I hold for it (no posts, upvotes or points)."]
    counts = counts_text(entry)
    lines = [f"Attention: {breakdown_text(entry)}" + (f" ({counts})" if counts else "")]
    if why := why_of(entry):
        lines.append(neutral(why, 200))
    return lines


def post_lines(entry: Entry | None, budget: int) -> list[str]:
    """The posts that discussed the paper, as many as fit ``budget`` characters (at most 3)."""
    if entry is None or entry.score <= 0 or not entry.posts:
        return []
    shown = [post_line(post) for post in entry.posts[:POSTS_SHOWN]]
    while shown:
        more = entry.post_count - len(shown)
        tail = [f"(and {more} more post{'s' if more != 1 else ''})"] if more > 0 else []
        lines = ["Discussed in:", *shown, *tail]
        if sum(len(line) + 1 for line in lines) <= budget:
            return lines
        shown.pop()
    return []


def card_text(paper: Paper, entry: Entry | None, listed: dt.date | None) -> str:
    """``/hotpapers paper``: title, byline, links, attention and posts."""
    head = [
        title_line(paper),
        byline(paper, listed),
        f"{paper.abs_url} · pdf {paper.pdf_url}",
        *attention_lines(entry),
    ]
    foot = []
    if listed is None:
        foot.append("(Not in a digest I hold: fetched from arXiv; attention from my snapshots.)")
    used = sum(len(line) + 1 for line in head + foot)
    return "\n".join([*head, *post_lines(entry, CARD_CHARS - used), *foot])


def abstract_text(paper: Paper) -> str:
    """The "Full abstract" button: the title, the whole abstract (clamped to one message)."""
    abstract = neutral(paper.abstract, ABSTRACT_CHARS) or "(arXiv lists no abstract for it.)"
    return f"{title_line(paper)}\n{abstract}\n{paper.abs_url}"


def recommendation_line(number: int, item: Recommendation) -> str:
    year = f", {item.year}" if item.year else ""
    who = neutral(authors_short(list(item.authors), keep=2), 100)
    by = f" ({who}{year})" if who else (f" ({item.year})" if item.year else "")
    return f"{number}. {neutral(item.title, TITLE_CHARS)}{by} {item.url}"


def recommendations_text(paper_title: str, items: Sequence[Recommendation]) -> str:
    """The "More like this" button: papers like this one, best first."""
    head = f"More like {neutral(paper_title, 120)} (Semantic Scholar recommendations):"
    return "\n".join([head, *(recommendation_line(n, r) for n, r in enumerate(items, 1))])
