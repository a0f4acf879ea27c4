"""Which posts a paper's reply quotes: the most engaging, without repeats or reposts.

Up to ``limit`` per paper, highest engagement first (ties: earlier ``created_at``, then post id);
posts whose counts are all unknown follow, in input order; reposts come last and only when their
original is not among the paper's posts. A post with the same normalised text by the same author
as a shown one is skipped, as is a repost with the text of a shown post. HN stories are not
quoted (the entry links them through ``hn_url``). Split from ``bot.ranking`` because choosing
what to show is a different question from scoring.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.models import Post

HACKERNEWS = "hackernews"
_URL = re.compile(r"https?://\S+")


def is_original(post: Post) -> bool:
    """A post of its own, not a repost of someone else's."""
    return not post.is_repost and post.repost_of is None


def engagement(post: Post) -> int:
    """likes + 2·reposts + quotes + replies, unknown counts as 0 (reposts spread a post most)."""
    likes, reposts, quotes, replies = (
        max(0, n or 0) for n in (post.likes, post.reposts, post.quotes, post.replies)
    )
    return likes + 2 * reposts + quotes + replies


def counts_known(post: Post) -> bool:
    return any(n is not None for n in (post.likes, post.reposts, post.quotes, post.replies))


def account(post: Post) -> tuple[str, str]:
    """(platform, author): one account, whatever the case of its handle."""
    return post.platform, post.author.casefold()


def normalised_text(text: str) -> str:
    """Text without links, case or spacing differences: what makes two posts "the same"."""
    return " ".join(_URL.sub(" ", text).casefold().split())


def _quote_order(post: Post, position: int) -> tuple[int, int, int, int, float, str, str, int]:
    repost = 0 if is_original(post) else 1
    if not counts_known(post):
        return (repost, 1, 0, 0, 0.0, "", "", position)
    created = post.created_at
    when = created.timestamp() if created else 0.0
    return (repost, 0, -engagement(post), created is None, when, post.post_id, post.platform, 0)


def select_quotes(linked: Sequence[Post], limit: int) -> tuple[Post, ...]:
    """The posts worth quoting for one paper, without repeats (see the module docstring)."""
    candidates = [p for p in linked if p.platform != HACKERNEWS]
    present = {(p.platform, p.post_id) for p in candidates if is_original(p)}
    ordered = sorted(enumerate(candidates), key=lambda pair: _quote_order(pair[1], pair[0]))
    shown: list[Post] = []
    texts: set[str] = set()
    author_texts: set[tuple[str, str, str]] = set()
    reposted: set[tuple[str, str]] = set()
    for _, post in ordered:
        if len(shown) >= limit:
            break
        text = normalised_text(post.text)
        platform, author = account(post)
        if not is_original(post):
            original = (post.platform, post.repost_of or "")
            if original in present or original in reposted or text in texts:
                continue
            if post.repost_of:
                reposted.add(original)
        if (platform, author, text) in author_texts:
            continue
        shown.append(post)
        texts.add(text)
        author_texts.add((platform, author, text))
    return tuple(shown)
