"""Text rendering shared by every output: the jinja2 environment and small formatting helpers.

Templates live in the repository's ``templates/`` folder, one folder per output (``text``,
``markdown``, ``slack``, ``discord``), installed as ``bot.templates`` (package data of the core, so
no top-level ``templates`` package reaches site-packages). They produce text only; payload JSON is
built as data by the adapters.
Autoescape is off: each platform escapes third-party text its own way before it reaches a template.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from urllib.parse import quote, urlsplit

import jinja2

from bot.models import Digest, Entry
from bot.trends import CATCHING_FIRE, trend_line

ELLIPSIS = "…"
# What third-party text may not carry into any output: C0 and C1 controls but tab and new line
# (terminal escapes, OSC 8 hyperlinks that show one URL and open another), and the bidi
# embeddings, overrides and isolates that reorder the text after them (our labels, our links).
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

SOURCE_LABELS = {
    "arxiv": "arXiv",
    "huggingface": "Hugging Face",
    "bluesky": "Bluesky",
    "x": "X",
    "hackernews": "Hacker News",
    "semantic_scholar": "Semantic Scholar",
    "seed": "the seed post",
}

BREAKDOWN_LABELS = {
    "posts": "posts",
    "huggingface": "HF upvotes",
    "hackernews": "HN points",
    "citations": "citations",
    "reported": "reported reposts+likes",
    "channel": "this channel's reactions",
}


def clamp(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in an ellipsis when cut."""
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    return text[: limit - 1].rstrip() + ELLIPSIS


def authors_short(authors: Sequence[str], keep: int = 3) -> str:
    """ "A, B, C et al. (12 authors)" for long lists; every name when there are few."""
    if len(authors) <= keep + 1:
        return ", ".join(authors)
    return f"{', '.join(authors[:keep])} et al. ({len(authors)} authors)"


def breakdown_text(entry: Entry) -> str:
    """ "score 4.2 = posts 3.1 + HF upvotes 1.1", the why of a rank."""
    parts = [
        f"{BREAKDOWN_LABELS.get(name, name)} {value:.1f}"
        for name, value in entry.breakdown.items()
        if value
    ]
    head = f"score {entry.score:.1f}"
    return head + (" = " + " + ".join(parts) if parts else "")


def counts_text(entry: Entry) -> str:
    """The raw attention counts behind an entry, e.g. "3 posts · 120 likes · 45 HF upvotes"."""
    sig = entry.signals
    bits: list[str] = []
    if entry.post_count:
        bits.append(f"{entry.post_count} post{'s' if entry.post_count != 1 else ''}")
    if sig.reported_reposts is not None:
        bits.append(f"{sig.reported_reposts} retweets")
    if sig.reported_likes is not None:
        bits.append(f"{sig.reported_likes} favorites")
    if sig.hf_upvotes is not None:
        bits.append(f"{sig.hf_upvotes} HF upvotes")
    if sig.hn_points is not None:
        bits.append(f"{sig.hn_points} HN points")
    if sig.citations is not None:
        bits.append(f"{sig.citations} citations")
    if sig.github_stars is not None:
        bits.append(f"{sig.github_stars} GitHub stars")
    return " · ".join(bits)


def clean(text: str) -> str:
    """Third-party text without control characters or bidi overrides (new lines kept)."""
    return _INVISIBLE.sub("", text)


def one_line(text: str) -> str:
    """``clean`` text on one line: whitespace runs (new lines too) become single spaces."""
    return " ".join(clean(text).split())


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|"})


# A line that would open a block in CommonMark: a heading, a quote, a list item (``-``, ``+``,
# ``1.``, ``1)``), a thematic break or setext underline (``---``, ``===``), a fence (``~~~``).
_BLOCK_START = re.compile(r"^([#>+=~-]|[0-9]{1,9}[.)])", re.MULTILINE)
_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)


def md(text: str) -> str:
    """Third-party text made inert in Markdown: no heading, list, quote, link, emphasis or HTML
    can be forged. Inline markers are backslash-escaped; on every line, the indentation that
    would make a code block is dropped and a block marker at its start is escaped."""
    inline = _INDENT.sub("", clean(text).translate(_MD_SPECIAL))
    return _BLOCK_START.sub(lambda m: _escape_last(m.group(1)), inline)


def _escape_last(marker: str) -> str:
    """``#`` -> ``\\#``, ``12.`` -> ``12\\.``: the character that makes the marker, escaped."""
    return marker[:-1] + "\\" + marker[-1]


def md_url(url: str | None) -> str | None:
    """A third-party URL fit for a Markdown link target: http(s) only, with the characters that
    could end the target (``( ) < >``, spaces, backslashes) percent-encoded; else ``None``."""
    url = one_line(url or "")
    try:
        parts = urlsplit(url)
    except ValueError:  # an unbalanced or non-IP bracketed host
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return quote(url, safe=":/?#[]@!$&'*+,;=%~")


def join_words(words: Sequence[str]) -> str:
    """ "A", "A and B", "A, B and C": a list as a reader says it."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


# What each breakdown term means to a reader, for "ranked by ...".
RANKED_BY = {
    "posts": "posts",
    "reach": "posts",
    "reported": "posts",
    "huggingface": "Hugging Face upvotes",
    "hackernews": "Hacker News points",
    "citations": "citations",
}
TOP_NAMED = 3


def ranked_by(digest: Digest) -> str:
    """The signals that actually ranked the digest ("posts and Hacker News points"), or ""."""
    used: list[str] = []
    for entry in digest.entries:
        for term, value in entry.breakdown.items():
            label = RANKED_BY.get(term)
            if value and label and label not in used:
                used.append(label)
    order = list(dict.fromkeys(RANKED_BY.values()))
    return join_words(sorted(used, key=order.index))


def headline(digest: Digest, where: str = "") -> str:
    """ "5 hot papers of 44 new in cs.CL", "The top 10 of 23 hot papers (of 120 new in cs.CL)":
    the count says how many were hot and never pads. ``where`` is the (escaped) categories."""
    shown = len(digest.entries)
    hot = max(digest.hot_count, shown)
    total = max(digest.total_papers, hot)
    place = f" in {where}" if where else ""
    if shown == 0:
        return f"None of the {total} new papers{place} got enough attention to be hot"
    if shown < hot:
        return f"The top {shown} of {hot} hot papers (of {total} new{place})"
    return f"{shown} hot paper{'s' if shown != 1 else ''} of {total} new{place}"


def why_sentence(entry: Entry) -> str:
    """``entry.why`` as a sentence for a message ("Discussed by 3 people on Bluesky."), then how
    many people of the channel reacted to the paper ("4 people here reacted.")."""
    why = one_line(entry.why)
    sentence = why[:1].upper() + why[1:] + "." if why else ""
    return " ".join(part for part in (sentence, reacted_text(entry.reactions)) if part)


def reacted_text(people: int) -> str:
    """ "4 people here reacted." (empty for none): the channel's reactions, shown back to it."""
    if people <= 0:
        return ""
    return f"{people} {'person' if people == 1 else 'people'} here reacted."


def source_label(name: str) -> str:
    return SOURCE_LABELS.get(name, name)


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bot.templates", ""),
        autoescape=False,  # noqa: S701 - text for terminals and chat; escaping is per platform
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["clamp"] = clamp
    env.filters["authors_short"] = authors_short
    env.filters["source_label"] = source_label
    env.filters["md"] = md
    env.filters["md_url"] = md_url
    env.filters["clean"] = clean
    env.filters["one_line"] = one_line
    env.globals["breakdown_text"] = breakdown_text
    env.globals["counts_text"] = counts_text
    env.globals["headline"] = headline
    env.globals["ranked_by"] = ranked_by
    env.globals["why_sentence"] = why_sentence
    env.globals["trend_line"] = trend_line
    env.globals["CATCHING_FIRE"] = CATCHING_FIRE
    return env


def render(template: str, **context: object) -> str:
    """Render ``templates/<template>`` (e.g. ``"text/digest.j2"``) with ``context``."""
    return environment().get_template(template).render(**context)
