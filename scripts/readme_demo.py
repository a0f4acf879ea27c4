"""Regenerate the README's demo block from what ``hotpapers digest --demo --top 3`` prints.

    python scripts/readme_demo.py           # rewrite the block between the demo markers
    python scripts/readme_demo.py --check   # exit 1 if the README is stale (what the test does)

The command runs in a subprocess with a scratch data folder and database, so the captured text
is exactly a newcomer's first run, and nothing of the developer's settings leaks in.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
START, END = "<!-- demo:start -->", "<!-- demo:end -->"
COMMAND = ("digest", "--demo", "--top", "3")


def demo_output() -> str:
    """The command's standard output, run as ``python -m hotpapers`` from this checkout."""
    with tempfile.TemporaryDirectory() as scratch:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTPAPERS_", "SLACK_",
                                                                         "DISCORD_"))}  # fmt: skip
        env.update(XDG_DATA_HOME=scratch, PYTHONPATH=str(ROOT), COLUMNS="100")
        done = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "hotpapers", *COMMAND], cwd=scratch, env=env,
            capture_output=True, text=True, check=True, timeout=120,
        )  # fmt: skip
    return done.stdout


def demo_block(output: str) -> str:
    return (
        f"{START}\nWhat `hotpapers {' '.join(COMMAND)}` prints (captured from a terminal):\n\n"
        f"```text\n{output.rstrip()}\n```\n{END}"
    )


def updated_readme(readme: str, output: str) -> str:
    """``readme`` with its demo block replaced by one made from ``output``."""
    head, start, rest = readme.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise SystemExit(f"README.md lacks the {START} ... {END} markers")
    return head + demo_block(output) + tail


def main(argv: list[str]) -> int:
    readme = README.read_text(encoding="utf-8")
    fresh = updated_readme(readme, demo_output())
    if fresh == readme:
        print("README.md demo block is up to date")
        return 0
    if "--check" in argv:
        print("README.md demo block is stale: run python scripts/readme_demo.py", file=sys.stderr)
        return 1
    README.write_text(fresh, encoding="utf-8")
    print("README.md demo block regenerated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
