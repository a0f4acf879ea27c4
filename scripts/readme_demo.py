"""Regenerate the README's demo block from what ``hotpapers digest --demo --top 3`` prints, and
its weekly-roundup block from what ``hotpapers post --platform console --week`` prints for the
stored week of ``tests/week_data.py``.

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
WEEK_START, WEEK_END = "<!-- week:start -->", "<!-- week:end -->"
COMMAND = ("digest", "--demo", "--top", "3")
WEEK_COMMAND = ("post", "--platform", "console", "--channel", "papers", "--week", "--offline",
                "--date", "2026-11-18", "-c", "cs.CL")  # fmt: skip


def demo_output(command: tuple[str, ...] = COMMAND, *, seed_week: bool = False) -> str:
    """The command's standard output, run as ``python -m hotpapers`` from this checkout (with
    ``seed_week``, on a database holding the week of ``tests/week_data.py``)."""
    with tempfile.TemporaryDirectory() as scratch:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTPAPERS_", "SLACK_",
                                                                         "DISCORD_"))}  # fmt: skip
        env.update(XDG_DATA_HOME=scratch, PYTHONPATH=str(ROOT), COLUMNS="100")
        if seed_week:
            url = f"sqlite:///{Path(scratch) / 'week.sqlite3'}"
            env["HOTPAPERS_DATABASE_URL"] = url
            _seed_week(url)
        done = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "hotpapers", *command], cwd=scratch, env=env,
            capture_output=True, text=True, check=True, timeout=120,
        )  # fmt: skip
    return done.stdout


def _seed_week(url: str) -> None:
    sys.path.insert(0, str(ROOT))
    from bot.store import Store
    from tests.week_data import seed

    store = Store(url)
    try:
        seed(store)
    finally:
        store.close()


def week_output() -> str:
    return demo_output(WEEK_COMMAND, seed_week=True)


def week_block(output: str) -> str:
    command = f"$ hotpapers {' '.join(WEEK_COMMAND)}"
    return f"{WEEK_START}\n```text\n{command}\n{output.rstrip()}\n```\n{WEEK_END}"


def demo_block(output: str) -> str:
    return (
        f"{START}\nWhat `hotpapers {' '.join(COMMAND)}` prints (captured from a terminal):\n\n"
        f"```text\n{output.rstrip()}\n```\n{END}"
    )


def updated_readme(readme: str, output: str, week: str | None = None) -> str:
    """``readme`` with its demo block replaced by one made from ``output`` (and its weekly block
    by one made from ``week``, when given)."""
    readme = _replace(readme, START, END, demo_block(output))
    return readme if week is None else _replace(readme, WEEK_START, WEEK_END, week_block(week))


def _replace(readme: str, start_marker: str, end_marker: str, block: str) -> str:
    head, start, rest = readme.partition(start_marker)
    _, end, tail = rest.partition(end_marker)
    if not start or not end:
        raise SystemExit(f"README.md lacks the {start_marker} ... {end_marker} markers")
    return head + block + tail


def main(argv: list[str]) -> int:
    readme = README.read_text(encoding="utf-8")
    fresh = updated_readme(readme, demo_output(), week_output())
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
