"""A realistic day for the ranking and the messages, written for the tests (no recorded data).

One cs.CL listing of 44 papers (Friday 2026-11-20). An aggregator account posts every new paper
("New paper: ...", 3 likes each). One paper is broadly discussed (26 people on Bluesky), one has
300 Hugging Face upvotes, one a 400-point Hacker News story, four are mentioned by three readers
each (5 to 7 likes). Titles, names and abstracts carry arXiv's LaTeX. X has no credentials
(skipped), Semantic Scholar fails.
"""

from __future__ import annotations

import datetime as dt

from bot.models import Paper, Post, Signals
from bot.sources.base import Collected

DATE = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 21, 15, 0, tzinfo=dt.UTC)
FEED = "arxiv-cs-cl.bsky.social"
POSTED = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)

BROAD, HF_300, HN_400 = "2611.10001", "2611.10002", "2611.10003"
MILD = ("2611.10004", "2611.10005", "2611.10006", "2611.10007")

LATEX = {
    BROAD: (
        r"Sparse {M}ixture-of-{E}xperts Language Models at $10^{12}$ Parameters",
        (r"Przemys{\l}aw Nowak", r"Jan Schl\"uter", r"Ale\v{s} Hor\'ak"),
    ),
    HF_300: (r"\textsc{TinyTalk}: Distilling Dialogue into 1B Models", ("Mei Chen", "Omar Haddad")),
    HN_400: (r"Why $\approx$90\% of Benchmarks Leak", ("Sara Lindqvist", r"J\"org M\"uller")),
}
ABSTRACT = (
    r"Scaling laws for \emph{sparse} models remain unclear. The problem is twofold. First, "
    r"routing is unstable at scale. This makes training brittle. We propose a router that keeps "
    r"accuracy within $\pm 5\%$ of dense models while using 4x less compute. Experiments on 12 "
    r"tasks show consistent gains~\cite{kaplan2020}."
)


def paper(n: int) -> Paper:
    arxiv_id = f"2611.{10000 + n}"
    title, authors = LATEX.get(
        arxiv_id, (f"A Study of Topic {n} in Language Models", ("A. Author",))
    )
    return Paper(
        arxiv_id=arxiv_id,
        version=1,
        title=title,
        authors=authors,
        abstract=ABSTRACT if n <= 3 else f"We study topic {n}. We report results on 3 datasets.",
        primary_category="cs.CL",
        categories=("cs.CL",),
        published=dt.datetime(2026, 11, 19, 15, 0, tzinfo=dt.UTC),
    )


PAPERS = [paper(n) for n in range(1, 45)]


def bluesky_post(
    key: str, author: str, arxiv_id: str, text: str, likes: int, reposts: int = 0
) -> Post:
    return Post(
        platform="bluesky",
        post_id=key,
        author=author,
        author_name=author.split(".")[0].title(),
        text=text,
        url=f"https://bsky.app/profile/{author}/post/{key}",
        arxiv_ids=(arxiv_id,),
        likes=likes,
        reposts=reposts,
        replies=0,
        quotes=0,
        created_at=POSTED,
    )


def posts() -> list[Post]:
    feed = [
        bluesky_post(
            f"feed{n}",
            FEED,
            p.arxiv_id,
            f"New paper: {p.title} https://arxiv.org/abs/{p.arxiv_id}",
            3,
        )
        for n, p in enumerate(PAPERS)
    ]
    broad = [
        bluesky_post(
            f"b{k}",
            f"reader{k}.bsky.social",
            BROAD,
            f"Thoughts on the sparse MoE paper ({k})",
            4 + 2 * k,
            k % 3,
        )
        for k in range(26)
    ]
    mild = [
        bluesky_post(f"m{i}{k}", f"fan{i}{k}.bsky.social", arxiv_id, f"Nice read {i}.{k}", 5 + k)
        for i, arxiv_id in enumerate(MILD)
        for k in range(3)
    ]
    story = Post(
        platform="hackernews",
        post_id="hn1",
        author="pg_fan",
        text="Why ~90% of benchmarks leak",
        url="https://news.ycombinator.com/item?id=4242",
        arxiv_ids=(HN_400,),
        likes=400,
        replies=180,
    )
    return [*feed, *broad, *mild, story]


def social() -> Collected:
    return Collected(posts=posts())


def huggingface() -> Collected:
    return Collected(
        signals={
            HF_300: Signals(
                hf_upvotes=300,
                hf_comments=12,
                hf_thumbnail="https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2611.10002.png",
                hf_ai_summary=r"TinyTalk distills dialogue into 1B models with $\le 2\%$ loss.",
            )
        }
    )


def hackernews() -> Collected:
    return Collected(
        signals={
            HN_400: Signals(
                hn_points=400, hn_comments=180, hn_url="https://news.ycombinator.com/item?id=4242"
            )
        }
    )
