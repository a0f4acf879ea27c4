"""Bluesky ``postView``s as Posts, and what was wrong with the ones that could not be used.

Decided for Bluesky: a view without a valid ``uri``, ``author`` or ``record`` (or one that is not
an object) is skipped, and a count (``likeCount``...) that is not a number is taken as unknown;
either way the post is counted in a problem ("3 posts without a valid uri, author or record
skipped"), which leaves the source degraded, never ok. A ``NaN`` count is a number the service
could not give: unknown, not a problem.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.models import Post
from bot.sources.arxiv_ids import extract_arxiv_ids
from bot.sources.values import count, mistyped_count, parse_time, plural, string

COUNT_FIELDS = ("likeCount", "repostCount", "replyCount", "quoteCount")
# What may go into a bsky.app link: a handle (a domain name) or a DID, and a record key.
_ACTOR = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,252}|did:[a-z]+:[A-Za-z0-9._:%-]{1,2048}")
_RKEY = re.compile(r"[A-Za-z0-9._:~-]{1,512}")


class ViewParser:
    """Posts parsed page by page as the pages arrive, with the problems counted over all."""

    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.skipped = self.mistyped = 0

    def add(self, views: Sequence[Any]) -> None:
        for view in views:
            post = parse_post_view(view) if isinstance(view, Mapping) else None
            if post is None:
                self.skipped += 1
                continue
            self.posts.append(post)
            self.mistyped += any(mistyped_count(view.get(name)) for name in COUNT_FIELDS)

    def problems(self) -> list[str]:
        problems = []
        if self.skipped:
            problems.append(
                f"{plural(self.skipped, 'post')} without a valid uri, author or record skipped"
            )
        if self.mistyped:
            problems.append(
                f"{plural(self.mistyped, 'post')} with counts that are not numbers (unknown)"
            )
        return problems


def parse_views(views: Sequence[Any]) -> tuple[list[Post], list[str]]:
    """The posts of ``views`` (``arxiv_ids`` may be empty), and the problems found in them."""
    parser = ViewParser()
    parser.add(views)
    return parser.posts, parser.problems()


def parse_post_view(view: Mapping[str, Any]) -> Post | None:
    """A ``postView`` as a Post (``arxiv_ids`` may be empty); ``None`` if it lacks its basics."""
    uri, author, record = view.get("uri"), view.get("author"), view.get("record")
    if not isinstance(uri, str) or not isinstance(author, Mapping):
        return None
    if not isinstance(record, Mapping):
        return None
    handle = link_actor(author)
    rkey = uri.rsplit("/", 1)[-1]
    if handle is None or not _RKEY.fullmatch(rkey):
        return None
    text = string(record.get("text"))
    # Every field is checked and converted above: no second validation (a third of a build
    # of 5,000 posts went to pydantic re-checking them).
    return Post.model_construct(
        platform="bluesky",
        post_id=uri,
        author=handle,
        author_name=string(author.get("displayName")),
        text=text,
        url=f"https://bsky.app/profile/{handle}/post/{rkey}",
        arxiv_ids=extract_arxiv_ids("\n".join([text, *post_links(view)])),
        likes=count(view.get("likeCount")),
        reposts=count(view.get("repostCount")),
        replies=count(view.get("replyCount")),
        quotes=count(view.get("quoteCount")),
        created_at=parse_time(record.get("createdAt")),
    )


def link_actor(author: Mapping[str, Any]) -> str | None:
    """The handle, else the DID, that can safely go into a bsky.app link; ``None`` if neither."""
    for actor in (author.get("handle"), author.get("did")):
        if isinstance(actor, str) and _ACTOR.fullmatch(actor):
            return actor
    return None


def post_links(view: Mapping[str, Any]) -> list[str]:
    """The post's own links: link facets and the external card (not those of a quoted post)."""
    record = view.get("record") or {}
    links = []
    for facet in _dicts(record.get("facets")):
        for feature in _dicts(facet.get("features")):
            if feature.get("$type") == "app.bsky.richtext.facet#link":
                links.append(feature.get("uri"))
    for embed in (record.get("embed"), view.get("embed")):
        if isinstance(embed, Mapping):
            media: Mapping[str, Any] = embed
            if isinstance(embed.get("media"), Mapping):
                media = embed["media"]
            external = media.get("external")
            if isinstance(external, Mapping):
                links.append(external.get("uri"))
    return [link for link in links if isinstance(link, str)]


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []
