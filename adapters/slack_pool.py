"""The Slack adapters of a long-running process: one per workspace token, one HTTP session.

A fan-out to thousands of channels in hundreds of workspaces asks for an adapter per channel.
``SlackAdapters`` keeps one ``SlackAdapter`` per workspace (its token's Web API client and its
``WorkspaceBudget``), all on one aiohttp session whose connections every message reuses (slack_sdk
alone opens a connection per call), and one ``ChannelPacer`` shared with the slash commands'
answers. An adapter is rebuilt when its workspace's token changes (a reinstall).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp

from adapters.slack import SlackAdapter
from adapters.slack_client import ChannelPacer, make_web_client
from adapters.slack_rate import PER_MINUTE, WorkspaceBudget
from bot.clock import Clock
from bot.config import Settings

#: Connections of the shared session: a fan-out's messages in flight (the slots of every
#: workspace posting at once) beyond this queue for a connection instead of opening more.
CONNECTIONS = 256

TokenOf = Callable[[str], Awaitable[str | None] | str | None]


class SlackAdapters:
    """``bot.jobs.AdapterProvider`` for Slack: the adapter of a workspace, made once."""

    def __init__(
        self, settings: Settings, clock: Clock, *, token_of: TokenOf,
        pacer: ChannelPacer | None = None, per_minute: int = PER_MINUTE,
    ) -> None:  # fmt: skip
        self.settings = settings
        self.clock = clock
        self.token_of = token_of
        self.pacer = pacer or ChannelPacer(clock)
        self.per_minute = per_minute
        self.instances = 1
        self._session: aiohttp.ClientSession | None = None
        self._adapters: dict[str, tuple[str, SlackAdapter]] = {}
        self._budgets: dict[str, WorkspaceBudget] = {}

    async def adapter(self, platform: str, workspace: str) -> SlackAdapter:
        return await self.for_workspace(workspace)

    async def for_workspace(self, workspace: str) -> SlackAdapter:
        """The workspace's adapter; ``LookupError`` when the workspace has no token."""
        token = self.token_of(workspace)
        if not isinstance(token, str | None):
            token = await token
        if not token:
            raise LookupError(f"Slack workspace {workspace} has not installed the app")
        known = self._adapters.get(workspace)
        if known is not None and known[0] == token:
            return known[1]
        budget = self.budget(workspace)
        client = make_web_client(self.settings, token, self.clock, budget.rate_limited)
        client.session = self._shared_session(client.timeout)
        adapter = SlackAdapter(client, clock=self.clock, pacer=self.pacer, budget=budget,
                               workspace=workspace)  # fmt: skip
        self._adapters[workspace] = (token, adapter)
        return adapter

    def budget(self, workspace: str) -> WorkspaceBudget:
        """The workspace's one posting budget, shared by its scheduled posts and the threads
        its slash commands post (``adapters.slack_app.SlashCommand``)."""
        budget = self._budgets.get(workspace)
        if budget is None:
            share = max(1, self.per_minute // self.instances)
            budget = self._budgets[workspace] = WorkspaceBudget(share, self.clock, workspace)
        return budget

    def _shared_session(self, timeout: int) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=CONNECTIONS)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)
            )
        return self._session

    def share(self, instances: int) -> None:
        """Slack's workspace limit is per app: N instances each keep 1/N of every workspace's
        budget (as learnt so far), and new workspaces start from that share."""
        instances = max(1, instances)
        if instances == self.instances:
            return
        for budget in self.budgets().values():
            budget.resize(max(1, budget.calls * self.instances // instances))
        self.instances = instances

    def budgets(self) -> dict[str, WorkspaceBudget]:
        """Each known workspace's budget (for ``/healthz`` and tests)."""
        return dict(self._budgets)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._adapters.clear()
