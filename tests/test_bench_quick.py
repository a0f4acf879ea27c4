"""The bench at its smallest scale, as a smoke test: it runs and reports every figure as a number.

Not a timing test (no targets asserted): the figures depend on the machine. About 10 s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIGURES = (
    "digest_speedup_vs_naive", "digest_vs_bound", "ack_p99_ms", "thread_p50_s",
    "fanout_vs_bound", "idle_rss_mb", "startup_s",
)  # fmt: skip


@pytest.mark.drill
def test_the_bench_smoke_run_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--json", str(out)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())
    reasons = {k: v.get("reason") for k, v in result["details"].items() if v.get("reason")}
    assert reasons == {}
    for key in FIGURES:
        assert isinstance(result[key], int | float) and result[key] > 0, key
        assert key in result["targets"]
    assert result["details"]["fanout"]["unhandled_429_or_failed"] == 0
