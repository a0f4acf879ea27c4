"""Output formats of ``hotpapers digest``: text, markdown, json (the contract), slack, discord."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the models (pydantic) and jinja2 load when a digest is formatted, not at --help
    from bot.models import Digest, Entry

FORMATS = ("text", "markdown", "json", "slack", "discord")


def entry_json(entry: Entry) -> dict[str, Any]:
    paper = entry.paper
    return {
        "rank": entry.rank,
        "arxiv_id": paper.arxiv_id,
        "title": paper.title,
        "authors": list(paper.authors),
        "primary_category": paper.primary_category,
        "categories": list(paper.categories),
        "abs_url": paper.abs_url,
        "pdf_url": paper.pdf_url,
        "summary": entry.summary,
        "score": entry.score,
        "why": entry.why,
        # PRODUCT.md's binding names; bot.trends says how each is computed.
        "trend": {
            "first_seen": entry.trend.first_seen.isoformat() if entry.trend.first_seen else None,
            "days_hot": entry.trend.days_hot,
            "delta_24h": entry.trend.delta_24h,
        },
        "section": entry.section,
        "listing_date": entry.listed.isoformat() if entry.listed else None,
        "reactions": entry.reactions,
        "breakdown": dict(entry.breakdown),
        "signals": entry.signals.model_dump(mode="json", exclude_none=True),
        "post_count": entry.post_count,
        "posts": [
            {
                "platform": p.platform,
                "author": p.author,
                "text": p.text,
                "url": p.url,
                "likes": p.likes,
                "reposts": p.reposts,
                "created_at": p.created_at.isoformat() if p.created_at else None,
            }
            for p in entry.posts
        ],
    }


def digest_json(digest: Digest) -> dict[str, Any]:
    """The JSON contract of PRODUCT.md (extra keys only add to it: a source's ``status`` and
    ``note``)."""
    return {
        "date": digest.date.isoformat(),
        "categories": list(digest.categories),
        "generated_at": digest.generated_at.isoformat(),
        # "status": ok, degraded (used in part: "note" says why), failed or skipped.
        "sources": {
            name: {
                "ok": s.ok,
                "error": s.error,
                "skipped": s.skipped,
                "status": s.state,
                "note": s.note,
            }
            for name, s in digest.sources.items()
        },
        "degraded": digest.degraded,
        "total_papers": digest.total_papers,
        "hot_count": digest.hot_count,
        "notes": list(digest.notes),
        "papers": [entry_json(e) for e in digest.entries],
        # Earlier listings' papers hot since ("Catching fire"): never counted in "papers".
        "catching_fire": [entry_json(e) for e in digest.catching_fire],
    } | _week_json(digest)


def _week_json(digest: Digest) -> dict[str, Any]:
    """A weekly roundup's ``week``: its Monday, its last listing, the days it ranks and the
    days it lacks (nothing stored for them, offline)."""
    if digest.week is None:
        return {}
    week = digest.week
    return {
        "week": {
            "start": week.start.isoformat(),
            "end": week.end.isoformat(),
            "days": [d.isoformat() for d in week.days],
            "missing": [d.isoformat() for d in week.missing],
        }
    }


def format_digest(digest: Digest, fmt: str) -> str:
    from bot.render import render

    if fmt == "text":
        return render("text/digest.j2", digest=digest).rstrip() + "\n"
    if fmt == "markdown":
        return render("markdown/digest.j2", digest=digest).rstrip() + "\n"
    if fmt == "json":
        return json.dumps(digest_json(digest), indent=2, ensure_ascii=False) + "\n"
    if fmt == "slack":
        from adapters.slack_blocks import thread_payloads as slack_payloads

        return json.dumps(slack_payloads(digest), indent=2, ensure_ascii=False) + "\n"
    if fmt == "discord":
        from adapters.discord_embeds import thread_payloads as discord_payloads

        return json.dumps(discord_payloads(digest), indent=2, ensure_ascii=False) + "\n"
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
