"""``hotpapers run`` as a real subprocess for the bench and the drills: start it on a free port,
wait until ``/healthz`` answers, read its memory, stop it."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    port: int
    startup_s: float | None
    reason: str | None
    log: Path


async def start_run(
    env: dict[str, str], tmp: str, timeout: float = 20.0, module: str = "bot", name: str = "run"
) -> Running:
    """``python -m bot run`` in ``tmp`` (no .env there); waits until GET /healthz answers 200.
    ``module="bench.child"``: the same command with the bench's clock and gateway seams."""
    port = free_port()
    full_env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "HOTPAPERS_PORT": str(port),
        "HOTPAPERS_DATABASE_URL": f"sqlite:///{tmp}/run.db",
        **env,
    }
    log = Path(tmp) / f"{name}.log"
    started = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-m", module, "run"], cwd=tmp, env=full_env, stdout=out, stderr=out
        )
    async with httpx.AsyncClient(timeout=1.0) as client:
        while time.perf_counter() - started < timeout:
            if process.poll() is not None:
                tail = log.read_text(errors="replace").strip().splitlines()[-3:]
                reason = f"`hotpapers run` exited {process.returncode}: " + " | ".join(tail)
                return Running(process, port, None, reason, log)
            try:
                answer = await client.get(f"http://127.0.0.1:{port}/healthz")
                if answer.status_code == 200:
                    return Running(process, port, time.perf_counter() - started, None, log)
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.02)
    return Running(process, port, None, f"/healthz not 200 within {timeout:g} s", log)


def stop(running: Running) -> None:
    if running.process.poll() is None:
        running.process.terminate()
        try:
            running.process.wait(10)
        except subprocess.TimeoutExpired:
            running.process.kill()
            running.process.wait()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc status")
