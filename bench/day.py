"""One synthetic listing day for the bench: papers with submission times, posts linking them
(a skewed, Zipf-like attention distribution), HN stories, and the arXiv Atom page of them."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from bot import calendar

CS_CATEGORIES = ("cs.CL", "cs.LG", "cs.AI", "cs.CV", "cs.RO", "cs.CR", "cs.IR", "cs.SE")


@dataclass(frozen=True)
class Day:
    """One synthetic listing day: papers (with submission times) and posts linking them."""

    date: dt.date
    papers: list[dict[str, Any]]
    posts: list[dict[str, Any]]
    hn_hits: list[dict[str, Any]]


def make_day(date: dt.date, n_papers: int, n_posts: int, seed: int = 12) -> Day:
    """A day with a skewed (Zipf-like) attention distribution: few papers get most posts."""
    rng = random.Random(seed)
    start, end = calendar.submission_window(date)
    span = (end - start).total_seconds()
    papers = []
    for i in range(n_papers):
        cats = rng.sample(CS_CATEGORIES, k=rng.choice((1, 1, 2, 3)))
        papers.append(
            {
                "id": f"{date:%y%m}.{10000 + i:05d}",
                "title": f"Synthetic paper {i} on {' and '.join(cats)}",
                "abstract": "We study things. " * rng.randint(20, 60),
                "authors": [f"Author {rng.randint(1, 9000)}" for _ in range(rng.randint(1, 8))],
                "categories": cats,
                "published": start + dt.timedelta(seconds=rng.uniform(0, span - 1)),
            }
        )
    weights = [1 / (rank + 1) ** 1.1 for rank in range(n_papers)]
    announced = calendar.announcement_time(date)
    posts = []
    for i, paper in enumerate(rng.choices(papers, weights=weights, k=n_posts)):
        created = announced + dt.timedelta(seconds=rng.uniform(0, 86_000))
        posts.append(_post_view(i, paper["id"], created, rng))
    hn_hits = [
        {
            "objectID": str(40_000_000 + i),
            "author": f"hn{i}",
            "title": paper["title"],
            "url": f"https://arxiv.org/abs/{paper['id']}",
            "points": rng.randint(1, 500),
            "num_comments": rng.randint(0, 200),
            "created_at_i": int(announced.timestamp()) + rng.randint(0, 86_000),
        }
        for i, paper in enumerate(papers[: max(n_papers // 50, 1)])
    ]  # fmt: skip
    return Day(date, papers, posts, hn_hits)


def _post_view(i: int, arxiv_id: str, created: dt.datetime, rng: random.Random) -> dict[str, Any]:
    return {
        "uri": f"at://did:plc:user{i % 900}/app.bsky.feed.post/3k{i:08d}",
        "author": {"did": f"did:plc:user{i % 900}", "handle": f"user{i % 900}.bsky.social"},
        "record": {
            "text": f"Worth reading https://arxiv.org/abs/{arxiv_id}",
            "createdAt": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        },
        "likeCount": rng.randint(0, 80),
        "repostCount": rng.randint(0, 20),
        "replyCount": rng.randint(0, 10),
        "quoteCount": rng.randint(0, 3),
    }


def atom_feed(papers: list[dict[str, Any]], start: int, size: int) -> bytes:
    """An arXiv API page as arXiv serialises it today (namespaces declared once)."""
    entries = []
    for p in papers[start : start + size]:
        when = p["published"].strftime("%Y-%m-%dT%H:%M:%SZ")
        cats = "".join(f'<category term="{c}"/>' for c in p["categories"])
        authors = "".join(f"<author><name>{escape(a)}</name></author>" for a in p["authors"])
        entries.append(
            f"<entry><id>http://arxiv.org/abs/{p['id']}v1</id><published>{when}</published>"
            f"<updated>{when}</updated><title>{escape(p['title'])}</title>"
            f"<summary>{escape(p['abstract'])}</summary>{authors}"
            f'<arxiv:primary_category term="{p["categories"][0]}"/>{cats}</entry>'
        )
    head = (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom">'
        f"<opensearch:totalResults>{len(papers)}</opensearch:totalResults>"
        f"<opensearch:startIndex>{start}</opensearch:startIndex>"
        f"<opensearch:itemsPerPage>{size}</opensearch:itemsPerPage>"
    )
    return (head + "".join(entries) + "</feed>").encode()
