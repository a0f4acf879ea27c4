"""The ranking's weights, read from settings (``bot.ranking`` explains what each one does)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings


@dataclass(frozen=True)
class Weights:
    """How much each kind of attention weighs; read from settings (``HOTPAPERS_WEIGHT_*``...)."""

    posts: float = 1.0
    huggingface: float = 2.0
    hackernews: float = 1.7
    citations: float = 1.0
    reported: float = 1.0
    account_cap: float = 6.0
    min_score: float = 1.0
    broad_share: float = 0.2
    broad_min_papers: int = 5

    @classmethod
    def from_settings(cls, settings: Settings) -> Weights:
        return cls(
            posts=settings.weight_posts,
            huggingface=settings.weight_hf,
            hackernews=settings.weight_hn,
            citations=settings.weight_citations,
            reported=settings.weight_reported,
            account_cap=settings.account_cap,
            min_score=settings.min_score,
            broad_share=settings.broad_share,
            broad_min_papers=settings.broad_min_papers,
        )
