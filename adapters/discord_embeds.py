"""Discord embeds for a digest, and Discord's size limits, which discord.py does not check.

Discord answers an oversized embed with a 400 and the whole message is lost, so every embed is
built as a dict, fitted to the limits here (clamped with an ellipsis, never refused), and only
then turned into a ``discord.Embed``. ``validate_message`` states the same limits as checks, for
tests and for anyone who builds payloads by hand.

Third-party text goes through ``safe_markdown``: mentions are broken with a zero-width space and
markdown is escaped character by character, so no ``[arxiv.org](evil)`` can become a forged link
and ``@everyone`` cannot even look like a mention. Titles, where Discord renders neither masked
links nor mentions (discord-api-docs#6088), only get their mentions broken.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

import discord

from bot.buttons import buttons_for
from bot.models import Digest, Entry, Post
from bot.render import (
    TOP_NAMED,
    authors_short,
    breakdown_text,
    clamp,
    counts_text,
    headline,
    one_line,
    ranked_by,
    render,
    source_label,
    why_sentence,
)
from bot.trends import CATCHING_FIRE, opens_catching_fire, trend_line

# Discord's limits (developers/resources/message.mdx, "Embed Limits"; Create Message).
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELDS_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
EMBED_TOTAL_LIMIT = 6000
CONTENT_LIMIT = 2000
EMBEDS_LIMIT = 10
THREAD_NAME_LIMIT = 100

# Our own budgets, well inside the limits, so a paper reads as a card and not a wall of text.
ENTRY_DESCRIPTION_BUDGET = 1800
QUOTE_BUDGET = 600
MAX_QUOTED_POSTS = 3
TOP_TITLE_CHARS = 200
ACCENT = 0xB31B1B  # arXiv red

_SAFE_URL = re.compile(r"^https://[^\s()<>\[\]]+$")
# Escaped wherever they are: the backslash itself first, emphasis, code, spoilers, and ``[``,
# without which no masked link can start. A backslash before any punctuation is invisible.
_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\*_~`|["})
# Markup that only counts at the start of a line: quotes, headings, lists, subtext.
_LINE_START = re.compile(r"^(?:[>#+-]|\d+[.)](?=\s|$))")


def plain(text: str) -> str:
    """One line without controls or bidi overrides: for titles and names."""
    return one_line(text)


def safe_markdown(text: str) -> str:
    """Third-party text made inert in markdown: no mention, no forged link, no markup.

    ``discord.utils.escape_markdown`` is not enough: it escapes only the first of two masked links
    (``[a](x) [arxiv.org](evil)`` keeps the second) and leaves a backslash before one live.
    """
    escaped = discord.utils.escape_mentions(plain(text)).translate(_MARKDOWN)
    return _LINE_START.sub(lambda m: m.group()[:-1] + "\\" + m.group()[-1], escaped)


def safe_url(url: str | None) -> str | None:
    """``url`` when it is a plain https URL that cannot break out of ``[text](url)``, else None."""
    return url if url and _SAFE_URL.match(url) else None


def _link(label: str, url: str | None) -> str | None:
    target = safe_url(url)
    return f"[{label}]({target})" if target else None


def thread_name(digest: Digest) -> str:
    """``Hot Papers YYYY-MM-DD``: the thread (or forum post) holding one digest."""
    return clamp(digest.title, THREAD_NAME_LIMIT)


def header_embed(digest: Digest) -> dict[str, Any]:
    """The message opening the thread, the only one the channel shows: how many papers are hot,
    the top three by title (one link each), and only the notes that change their meaning.
    Setup advice (a skipped source, missing credentials) never reaches a reader."""
    description = render(
        "discord/header.j2",
        headline=headline(digest, safe_markdown(", ".join(digest.categories))),
        ranked_by=ranked_by(digest),
        top=[_top_line(entry) for entry in digest.entries[:TOP_NAMED]],
        used=", ".join(source_label(n) for n in digest.sources_used) or "none",
        notes=[safe_markdown(note) for note in digest.notes],
    )
    embed = {
        "title": digest.title,
        "description": description,
        "color": ACCENT,
        "footer": {"text": "hotpapers · one reply per paper in the thread"},
    }
    return fit_embed(embed)


def _top_line(entry: Entry) -> str:
    """``1. **Title** · [abs](...)``: the title as escaped text, the link labelled by us, as
    everywhere on Discord: third-party text is never a link's label."""
    title = safe_markdown(clamp(entry.paper.title, TOP_TITLE_CHARS))
    link = _link("abs", entry.paper.abs_url)
    return f"{entry.rank}. **{title}**" + (f" · {link}" if link else "")


def entry_embed(digest: Digest, entry: Entry) -> dict[str, Any]:
    """One paper: title linked to its abs page, why it is hot, summary, links, quoted posts."""
    paper = entry.paper
    description = render(
        "discord/entry.j2",
        authors=safe_markdown(authors_short(paper.authors)),
        categories=safe_markdown(" · ".join(paper.categories or (paper.primary_category,))),
        why=safe_markdown(why_sentence(entry)),
        trend=safe_markdown(trend_line(entry)),
        breakdown=breakdown_text(entry),
        counts=counts_text(entry),
        summary=safe_markdown(entry.summary or paper.abstract),
    )
    fields = [{"name": "Links", "value": links_text(entry), "inline": False}]
    fields += [quote_field(post) for post in entry.posts[:MAX_QUOTED_POSTS]]
    embed: dict[str, Any] = {
        "title": f"{entry.rank}. {discord.utils.escape_mentions(plain(paper.title))}",
        "url": paper.abs_url,
        "description": clamp(description, ENTRY_DESCRIPTION_BUDGET),
        "color": ACCENT,
        "fields": fields,
        "footer": {"text": f"arXiv:{paper.arxiv_id} · {digest.title}"},
    }
    thumbnail = safe_url(entry.signals.hf_thumbnail)
    if thumbnail:
        embed["thumbnail"] = {"url": thumbnail}
    return fit_embed(embed)


def entry_content(digest: Digest, entry: Entry) -> str | None:
    """The message text above a paper's embed: the "Catching fire" header line on the section's
    first paper, else none."""
    return f"**{CATCHING_FIRE}**" if opens_catching_fire(digest, entry) else None


def links_text(entry: Entry) -> str:
    """``abs | pdf | code | HF``, each only where the paper has one."""
    links = [
        _link("abs", entry.paper.abs_url),
        _link("pdf", entry.paper.pdf_url),
        _link("code", entry.signals.github_repo),
        _link("project", entry.signals.project_page),
        _link("HF", entry.hf_url),
        _link("HN", entry.signals.hn_url),
    ]
    return " | ".join(link for link in links if link)


def quote_field(post: Post) -> dict[str, Any]:
    """A quoted post as an embed field: who said it, where, with what engagement."""
    name = plain(post.author_name) or post.author
    value = render(
        "discord/post.j2",
        text=safe_markdown(clamp(post.text, QUOTE_BUDGET)),
        link=_link(f"on {source_label(post.platform)}", post.url),
        likes=post.likes,
        reposts=post.reposts,
    )
    return {"name": safe_markdown(f"{name} (@{post.author})"), "value": value, "inline": False}


def to_embed(data: dict[str, Any]) -> discord.Embed:
    return discord.Embed.from_dict(data)


def fit_embed(embed: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``embed`` within every per-field limit and the 6000-character total."""
    out = dict(embed)
    for key, limit in (("title", TITLE_LIMIT), ("description", DESCRIPTION_LIMIT)):
        if key in out:
            out[key] = clamp(out[key], limit)
    if "footer" in out:
        out["footer"] = {**out["footer"], "text": clamp(out["footer"]["text"], FOOTER_LIMIT)}
    if "author" in out:
        out["author"] = {**out["author"], "name": clamp(out["author"]["name"], AUTHOR_LIMIT)}
    out["fields"] = [
        {**f, "name": clamp(f["name"], FIELD_NAME_LIMIT) or "-", "value": _field_value(f["value"])}
        for f in out.get("fields", [])[:FIELDS_LIMIT]
    ]
    _shrink_to_total(out, EMBED_TOTAL_LIMIT)
    if not out["fields"]:
        del out["fields"]
    return out


def _field_value(value: str) -> str:
    return clamp(value, FIELD_VALUE_LIMIT) or "-"  # Discord refuses an empty field value


def _shrink_to_total(embed: dict[str, Any], limit: int) -> None:
    """Cut the description, then fields from the last, until the embed's text fits ``limit``."""
    over = embed_length(embed) - limit
    if over > 0 and embed.get("description"):
        keep = max(len(embed["description"]) - over, 0)
        embed["description"] = clamp(embed["description"], keep)
        over = embed_length(embed) - limit
    while over > 0 and embed["fields"]:
        embed["fields"].pop()
        over = embed_length(embed) - limit


def embed_length(embed: dict[str, Any]) -> int:
    """Characters Discord counts toward the 6000 total (same rule as ``len(discord.Embed)``)."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    return total + sum(len(f.get("name", "")) + len(f.get("value", "")) for f in _fields(embed))


def _fields(embed: dict[str, Any]) -> Iterable[dict[str, Any]]:
    return embed.get("fields") or []


def validate_embed(embed: dict[str, Any]) -> list[str]:
    """Every way ``embed`` breaks Discord's embed limits (empty when it is fine)."""
    problems = []
    checks = [
        ("title", len(embed.get("title") or ""), TITLE_LIMIT),
        ("description", len(embed.get("description") or ""), DESCRIPTION_LIMIT),
        ("footer.text", len((embed.get("footer") or {}).get("text") or ""), FOOTER_LIMIT),
        ("author.name", len((embed.get("author") or {}).get("name") or ""), AUTHOR_LIMIT),
        ("fields", len(list(_fields(embed))), FIELDS_LIMIT),
    ]
    for i, field in enumerate(_fields(embed)):
        checks.append((f"fields[{i}].name", len(field.get("name", "")), FIELD_NAME_LIMIT))
        checks.append((f"fields[{i}].value", len(field.get("value", "")), FIELD_VALUE_LIMIT))
        if not field.get("name") or not field.get("value"):
            problems.append(f"fields[{i}] has an empty name or value")
    problems += [f"{name} is {size} > {limit}" for name, size, limit in checks if size > limit]
    return problems


def validate_message(payload: dict[str, Any]) -> list[str]:
    """Every way a Create Message (or followup) JSON body breaks Discord's limits."""
    embeds = payload.get("embeds") or []
    problems = [f"embeds[{i}].{p}" for i, e in enumerate(embeds) for p in validate_embed(e)]
    if len(embeds) > EMBEDS_LIMIT:
        problems.append(f"{len(embeds)} embeds > {EMBEDS_LIMIT}")
    total = sum(embed_length(e) for e in embeds)
    if total > EMBED_TOTAL_LIMIT:
        problems.append(f"embeds total {total} > {EMBED_TOTAL_LIMIT}")
    content = payload.get("content") or ""
    if len(content) > CONTENT_LIMIT:
        problems.append(f"content is {len(content)} > {CONTENT_LIMIT}")
    return problems


NO_MENTIONS: dict[str, Any] = {"parse": []}  # what AllowedMentions.none() sends
AUTO_ARCHIVE_MINUTES: Final = 1440  # one day; Discord allows 60, 1440, 4320 or 10080


def entry_components(arxiv_id: str) -> list[dict[str, Any]]:
    """A paper message's buttons: one action row (type 1) of secondary buttons (type 2, style
    2) whose ``custom_id`` is the core's value (``hp:more:<id>:v1``, ``bot.buttons``)."""
    buttons = [{"type": 2, "style": 2, "disabled": False, "label": b.label, "custom_id": b.value}
               for b in buttons_for(arxiv_id)]  # fmt: skip
    return [{"type": 1, "components": buttons}]


def thread_payloads(digest: Digest) -> list[dict[str, Any]]:
    """The whole thread as JSON-able message bodies (for ``hotpapers digest --format discord``)."""
    header: dict[str, Any] = {
        "part": "header",
        "thread": {"name": thread_name(digest), "auto_archive_duration": AUTO_ARCHIVE_MINUTES},
        "embeds": [header_embed(digest)],
        "allowed_mentions": NO_MENTIONS,
    }
    entries = [
        {"part": str(e.rank), "embeds": [entry_embed(digest, e)], "allowed_mentions": NO_MENTIONS,
         "components": entry_components(e.paper.arxiv_id)}
        | ({"content": content} if (content := entry_content(digest, e)) else {})
        for e in digest.thread_entries
    ]  # fmt: skip
    return [header, *entries]
