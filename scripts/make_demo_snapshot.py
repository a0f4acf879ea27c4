"""Build the bundled demo snapshot (bot/data/demo-2021-04-12.json) from the seed blog post.

    python scripts/make_demo_snapshot.py ../shared/seed/hot-papers-2021-04-12.md

The seed is one day of the original "Hot Papers" blog: for each paper its title, authors,
aggregate retweet and favorite counts, links, categories, abstract and the embedded tweets.
Tweets carry no per-tweet counts there, so they become posts with unknown counts, and the
paper's totals become ``reported_reposts`` / ``reported_likes`` signals.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "bot" / "data" / "demo-2021-04-12.json"
TWITTER_EPOCH_MS = 1288834974657
# The seed's counts were captured at 2021-04-13 10:00:52 JST.
CAPTURED = "2021-04-13T01:00:52+00:00"

ENTRY = re.compile(r"^# (\d+)\. (.+)$", re.M)
COUNTS = re.compile(r"^- retweets: (\d+), favorites: (\d+)", re.M)
ABS = re.compile(r"\[abs\]\(https://arxiv\.org/abs/([^)]+)\)")
CATS = re.compile(r"\[([a-zA-Z-]+(?:\.[A-Za-z-]+)?)\]\(https://arxiv\.org/list/")
QUOTE = re.compile(
    r'<blockquote class="twitter-tweet"><p lang="[^"]*" dir="ltr">(?P<text>.*?)</p>&mdash; '
    r'(?P<name>.*?) \(@(?P<handle>\w+)\) <a href="https://twitter\.com/\w+/status/(?P<id>\d+)',
    re.S,
)
TAG = re.compile(r"<[^>]+>")


def tweet_time(tweet_id: str) -> str:
    ms = (int(tweet_id) >> 22) + TWITTER_EPOCH_MS
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat()


def tweet_text(raw: str) -> str:
    text = raw.replace("<br>", "\n")
    text = TAG.sub("", text)
    return html.unescape(text).strip()


def parse_entry(block: str, title: str) -> tuple[dict, list[dict], dict]:
    lines = [ln for ln in block.splitlines() if ln.strip()]
    arxiv_id = ABS.search(block).group(1)  # type: ignore[union-attr]
    cats = CATS.findall(block)
    counts = COUNTS.search(block)
    abstract = next(
        ln for ln in lines[2:] if not ln.startswith(("-", "<")) and not ln.startswith("[")
    )
    paper = {
        "arxiv_id": arxiv_id,
        "title": " ".join(title.split()),
        "authors": [a.strip() for a in lines[0].split(",") if a.strip()],
        "abstract": " ".join(abstract.split()),
        "primary_category": cats[0],
        "categories": cats,
    }
    posts = []
    for m in QUOTE.finditer(block):
        posts.append(
            {
                "platform": "x",
                "post_id": m["id"],
                "author": m["handle"],
                "author_name": html.unescape(m["name"]),
                "text": tweet_text(m["text"]),
                "url": f"https://twitter.com/{m['handle']}/status/{m['id']}",
                "arxiv_ids": [arxiv_id],
                "created_at": tweet_time(m["id"]),
            }
        )
    signals = {"reported_reposts": int(counts[1]), "reported_likes": int(counts[2])}  # type: ignore[index]
    return paper, posts, signals


def parse_seed(text: str) -> dict:
    body = text.split("\n---\n", 1)[1]
    heads = list(ENTRY.finditer(body))
    papers, posts, signals = [], [], {}
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(body)
        paper, entry_posts, sig = parse_entry(body[head.end() : end], head[2])
        papers.append(paper)
        posts.extend(entry_posts)
        signals[paper["arxiv_id"]] = sig
    categories = sorted({c for p in papers for c in p["categories"]})
    return {
        "date": "2021-04-12",
        "origin": "the seed blog post 'Hot Papers 2021-04-12' (Twitter v1.1 search sums)",
        "categories": categories,
        "fetched_at": CAPTURED,
        "snapshots": {
            "arxiv": {"scope": "*", "payload": {"papers": papers}},
            "x": {"scope": "", "payload": {"posts": posts, "signals": signals}},
        },
    }


def main(argv: list[str]) -> None:
    seed = Path(argv[1] if len(argv) > 1 else "../shared/seed/hot-papers-2021-04-12.md")
    data = parse_seed(seed.read_text(encoding="utf-8"))
    OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    papers = data["snapshots"]["arxiv"]["payload"]["papers"]
    print(f"wrote {OUT} ({len(papers)} papers)")


if __name__ == "__main__":
    main(sys.argv)
