"""``GET /healthz``: what a load balancer or an operator needs to know, and never a secret.

``{"status": "ok"|"degraded", "platforms": {name: {"ok", "mode", ...}}, "scheduler": {"running",
"leader", "jobs", "next_run", "last_run", "last_result", "last_error", "election_error"},
"database": {"ok", "schema", "error"}, "version"}``, answered 200 when every configured platform
is connected, the scheduler runs (a follower, which has no jobs, is healthy, unless its leader
election cannot reach the database: then no instance may be posting) and the database answers a
read of every table at the schema this code expects, else 503. Every text in it passes through the
log redactor first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot import __version__
from bot.logs import redact

HEALTH_PATH = "/healthz"

Report = Callable[[], Awaitable[tuple[int, dict[str, Any]]]]


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    return value


def health_report(
    platforms: dict[str, dict[str, Any]],
    scheduler: dict[str, Any],
    database: dict[str, Any] | None = None,
) -> tuple[int, dict[str, Any]]:
    """The HTTP status and the JSON body, from each part's own status."""
    healthy = (
        all(part.get("ok") for part in platforms.values())
        and bool(scheduler.get("running"))
        and not scheduler.get("election_error")
        and (database is None or bool(database.get("ok")))
    )
    body: dict[str, Any] = {
        "status": "ok" if healthy else "degraded",
        "platforms": platforms,
        "scheduler": scheduler,
    }
    if database is not None:
        body["database"] = database
    body["version"] = __version__
    return (200 if healthy else 503), _clean(body)


def health_routes(report: Report) -> list[web.RouteDef]:
    async def healthz(request: web.Request) -> web.Response:
        status, body = await report()
        return web.json_response(body, status=status, headers={"Cache-Control": "no-store"})

    return [web.get(HEALTH_PATH, healthz)]
