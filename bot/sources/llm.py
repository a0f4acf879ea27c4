"""An OpenAI-compatible ``POST {HOTPAPERS_LLM_BASE_URL}/chat/completions``, asked for summaries.

Only the request and its answer live here; when to ask, caching and fallbacks are
``bot.summaries``'. Errors are ``SummaryFailed`` with a message safe to log (no key, no URL).
"""

from __future__ import annotations

from typing import Any

import httpx

from bot.clock import Clock
from bot.config import Settings
from bot.models import Paper
from bot.sources.http import Http, RateLimiter, SourceError

REQUESTS_PER_SECOND = 5
SYSTEM_PROMPT = (
    "You summarise arXiv papers for a daily chat digest. Reply with 1 to 3 plain sentences "
    "(at most 60 words) saying what the paper does and what it finds. No preamble, no "
    "markdown, no links, no mentions."
)


class SummaryFailed(Exception):
    """The model gave no usable summary; the message is safe to log (no key, no URL)."""


def completion_content(body: Any) -> str:
    """The text of an OpenAI-style chat completion, or ``SummaryFailed``."""
    try:
        content = body["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise SummaryFailed("unexpected response shape") from None
    if not isinstance(content, str):
        raise SummaryFailed("unexpected response shape")
    return content


class ChatCompletions:
    """One configured model; ``configured(settings)`` says whether there is one."""

    def __init__(
        self, client: httpx.AsyncClient, settings: Settings, clock: Clock, *, timeout: float
    ) -> None:
        self.model = settings.llm_model or ""
        self._api_key = settings.secret("llm_api_key")
        self._endpoint = settings.url("llm_base_url") + "/chat/completions"
        limiter = RateLimiter(REQUESTS_PER_SECOND, 1.0, clock)
        self.http = Http(client, "llm", limiter, clock=clock, retries=1, timeout=timeout)

    @staticmethod
    def configured(settings: Settings) -> bool:
        return settings.llm_base_url is not None and bool(settings.llm_model)

    async def complete(self, paper: Paper) -> str:
        """The model's raw answer for ``paper``, or ``SummaryFailed``."""
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        try:
            response = await self.http.request(
                "POST", self._endpoint, json=self.request_body(paper), headers=headers
            )
        except SourceError as exc:
            raise SummaryFailed(str(exc)) from None
        except httpx.HTTPError as exc:
            raise SummaryFailed(f"request failed ({type(exc).__name__})") from None
        if response.status_code >= 400:
            raise SummaryFailed(f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise SummaryFailed("malformed JSON") from None
        return completion_content(body)

    def request_body(self, paper: Paper) -> dict[str, Any]:
        """The chat-completions request for one paper (title and abstract, flattened)."""
        title = " ".join(paper.title.split())
        abstract = " ".join(paper.abstract.split())
        return {
            "model": self.model,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": f"Title: {title}\n\nAbstract: {abstract}"},
            ],
            "max_tokens": 160,
            "temperature": 0.2,
        }
