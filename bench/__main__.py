"""``python -m bench [--quick] [--json PATH] [--only NAME]``: run the measurements, print, write
the JSON. ``bench/README.md`` says what each measures and records runs."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from bench.chat import fanout_scenario, idle_scenario, instances_scenario, slash_scenario
from bench.limits import LIMITS, PINNED_LATENCY
from bench.scenarios import FULL, QUICK, SMOKE, Scale, digest_scenario

TARGETS: dict[str, str] = {
    "digest_speedup_vs_seed": ">= 100",
    "digest_vs_bound": "<= 1.2",
    "ack_p99_ms": "<= 50",
    "ack_p99_under_fanout_ms": "<= 100",
    "fanout_rate_vs_allowed": ">= 0.9 with 0 failed",
    "fanout_channels": "10,000 Slack + 2,000 Discord (full)",
    "fanout_workspaces": ">= 200 (full)",
    "instances": "3 on PostgreSQL: each posts, faster than 1, no duplicate",
    "rss_10k_subscriptions_mb": "<= 100",
    "startup_s": "<= 1",
}
SCENARIOS = ("digest", "slash", "fanout", "instances", "idle")


def machine() -> dict[str, Any]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "loadavg_at_start": list(os.getloadavg())}  # fmt: skip


async def run_all(scale: Scale, only: set[str] | None, profile: Path | None) -> dict[str, Any]:
    """Every scenario in turn; a scenario that crashes reports ``None`` and why, never a guess."""
    scenarios = {
        "digest": lambda s: digest_scenario(s, profile),
        "slash": slash_scenario,
        "fanout": fanout_scenario,
        "instances": instances_scenario,
        "idle": idle_scenario,
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
        details[name]["loadavg_after"] = list(os.getloadavg())
    return details


def summary(details: dict[str, Any], scale: Scale, mode: str) -> dict[str, Any]:
    digest, slash = details.get("digest", {}), details.get("slash", {})
    fanout, idle = details.get("fanout", {}), details.get("idle", {})
    return {
        "digest_speedup_vs_seed": digest.get("digest_speedup_vs_seed"),
        "digest_vs_bound": digest.get("digest_vs_bound"),
        "ack_p99_ms": slash.get("ack_p99_ms"),
        "ack_p99_under_fanout_ms": fanout.get("ack_p99_under_fanout_ms"),
        "fanout_channels": fanout.get("fanout_channels"),
        "fanout_workspaces": fanout.get("fanout_workspaces"),
        "fanout_rate_vs_allowed": fanout.get("fanout_rate_vs_allowed"),
        "instances": details.get("instances", {}).get("instances"),
        "rss_10k_subscriptions_mb": idle.get("rss_10k_subscriptions_mb"),
        "startup_s": idle.get("startup_s"),
        "thread_p50_s": slash.get("thread_p50_s"),
        "idle_rss_mb": idle.get("idle_rss_mb"),
        "targets": TARGETS,
        "mode": mode,
        "scale": {
            **asdict(scale),
            "latency": {
                "base_s": scale.latency_base,
                "per_kb_s": scale.latency_per_kb,
                "pinned": scale.latency == PINNED_LATENCY,
            },
            "limits": {name: asdict(limit) for name, limit in LIMITS.items()},
        },  # fmt: skip
        "machine": machine(),
        "details": details,
    }


def print_table(result: dict[str, Any]) -> None:
    print(
        f"hotpapers bench ({result['mode']}), load at start {result['machine']['loadavg_at_start']}"
    )
    for key, target in TARGETS.items():
        value = result[key]
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if k in ("wall_s", "one_instance_wall_s",
                                                             "failed", "duplicated")}  # fmt: skip
        shown = f"{value:.3g}" if isinstance(value, float) else str(value)
        print(f"{key:<26} {shown:>12}   target {target}")
    for name, detail in result["details"].items():
        if detail.get("reason"):
            print(f"{name}: {detail['reason']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller scale, under 3 minutes")
    parser.add_argument("--smoke", action="store_true", help="tiny scale for the test suite")
    parser.add_argument("--json", type=Path, help="write the result object here")
    parser.add_argument("--only", action="append", choices=SCENARIOS, help="repeatable")
    parser.add_argument("--profile", type=Path, help="cProfile stats of the digest build")
    parser.add_argument("--latency", type=float,
                        help=f"base latency (s); default {PINNED_LATENCY.base} (pinned: "
                        "figures measured otherwise are marked unpinned in the JSON)")  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    scale = SMOKE if args.smoke else QUICK if args.quick else FULL
    if args.latency is not None:
        scale = replace(scale, latency_base=args.latency)
        mode += " (unpinned latency)"
    details = asyncio.run(run_all(scale, set(args.only) if args.only else None, args.profile))
    result = summary(details, scale, mode)
    print_table(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
