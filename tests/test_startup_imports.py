"""What ``hotpapers --help`` and ``hotpapers digest --demo`` load: not the store (SQLAlchemy,
Alembic) nor a chat SDK, so they start fast (issue 15; timed by hand, see CHANGELOG, never here).
``digest --demo`` opens no database at all: ``HOTPAPERS_DATABASE_URL`` is left untouched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import json, sys
from hotpapers.cli import main
sys.argv = ["hotpapers", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
heavy = ("sqlalchemy", "alembic", "discord", "slack_bolt", "slack_sdk", "aiohttp", "pydantic",
         "jinja2", "httpx", "apscheduler", "nacl")
print(json.dumps(sorted(m for m in heavy if m in sys.modules)), file=sys.stderr)
"""


def loaded(args: list[str], tmp_path: Path) -> tuple[str, list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTPAPERS_", "SLACK_",
                                                                      "DISCORD_"))}  # fmt: skip
    env["HOTPAPERS_DATABASE_URL"] = f"sqlite:///{tmp_path / 'untouched.sqlite3'}"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)], env=env, cwd=tmp_path,
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return done.stdout, json.loads(done.stderr.strip().splitlines()[-1])


def test_help_loads_no_store_no_sdk_no_settings(tmp_path: Path) -> None:
    out, heavy = loaded(["--help"], tmp_path)
    assert "digest" in out and heavy == []


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_digest_demo_opens_no_database(tmp_path: Path, fmt: str) -> None:
    out, heavy = loaded(["digest", "--demo", "--format", fmt], tmp_path)
    assert "Hot Papers 2021-04-12" in out or '"date": "2021-04-12"' in out
    assert not {"sqlalchemy", "alembic", "discord", "slack_bolt", "aiohttp"} & set(heavy)
    assert not (tmp_path / "untouched.sqlite3").exists()
