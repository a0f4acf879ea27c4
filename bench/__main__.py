"""``python -m bench [--quick] [--json PATH]``: run the four measurements, print, write JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import platform
import sys
import time
from pathlib import Path
from typing import Any

from bench.chat import fanout_scenario, idle_scenario, slash_scenario
from bench.scenarios import FULL, QUICK, SMOKE, Scale, digest_scenario

TARGETS: dict[str, str] = {
    "digest_speedup_vs_naive": ">= 20",
    "digest_vs_bound": "<= 1.5",
    "ack_p99_ms": "< 300",
    "thread_p50_s": "< 2 + per-channel pacing",
    "fanout_vs_bound": "<= 1.3",
    "idle_rss_mb": "< 150",
    "startup_s": "< 3",
}


def machine() -> dict[str, Any]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    import os

    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version()}


async def run_all(scale: Scale, only: set[str] | None) -> dict[str, Any]:
    """Every scenario in turn; a scenario that crashes reports ``None`` and why, never a guess."""
    scenarios = {
        "digest": digest_scenario,
        "slash": slash_scenario,
        "fanout": fanout_scenario,
        "idle": lambda _scale: idle_scenario(),
    }
    details: dict[str, Any] = {}
    for name, scenario in scenarios.items():
        if only and name not in only:
            continue
        started = time.perf_counter()
        try:
            details[name] = await scenario(scale)
        except Exception as exc:  # report, never fake
            details[name] = {"reason": f"{type(exc).__name__}: {exc}"}
        details[name]["scenario_s"] = time.perf_counter() - started
    return details


def summary(details: dict[str, Any], scale: Scale, mode: str) -> dict[str, Any]:
    digest, slash = details.get("digest", {}), details.get("slash", {})
    fanout, idle = details.get("fanout", {}), details.get("idle", {})
    return {
        "digest_speedup_vs_naive": digest.get("digest_speedup_vs_naive"),
        "digest_vs_bound": digest.get("digest_vs_bound"),
        "ack_p99_ms": slash.get("ack_p99_ms"),
        "thread_p50_s": slash.get("thread_p50_s"),
        "fanout_vs_bound": fanout.get("fanout_vs_bound"),
        "idle_rss_mb": idle.get("idle_rss_mb"),
        "startup_s": idle.get("startup_s"),
        "targets": TARGETS,
        "mode": mode,
        "scale": scale.__dict__,
        "machine": machine(),
        "details": details,
    }


def print_table(result: dict[str, Any]) -> None:
    rows = []
    for key, target in TARGETS.items():
        value = result[key]
        shown = (
            "null" if value is None else f"{value:.3g}" if isinstance(value, float) else str(value)
        )
        rows.append((key, shown, target))
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # plain table
        for row in rows:
            print(f"{row[0]:<26} {row[1]:>10}   target {row[2]}")
        return
    table = Table(title=f"hotpapers bench ({result['mode']})")
    for column in ("figure", "value", "target"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    Console().print(table)
    for name, detail in result["details"].items():
        if detail.get("reason"):
            print(f"{name}: {detail['reason']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller scale, under 2 minutes")
    parser.add_argument("--smoke", action="store_true", help="tiny scale for the test suite")
    parser.add_argument("--json", type=Path, help="write the result object here")
    parser.add_argument("--only", action="append", help="digest, slash, fanout or idle")
    parser.add_argument("--latency", type=float, help="fake latency per request (s), default 0.05")
    parser.add_argument("--arxiv-scale", type=float, help="arXiv 3 s interval x this, default 0.01")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    scale = SMOKE if args.smoke else QUICK if args.quick else FULL
    overrides = {"latency": args.latency, "arxiv_scale": args.arxiv_scale}
    scale = Scale(**{**scale.__dict__, **{k: v for k, v in overrides.items() if v is not None}})
    details = asyncio.run(run_all(scale, set(args.only) if args.only else None))
    result = summary(details, scale, mode)
    print_table(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
