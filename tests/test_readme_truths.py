"""What the README and the CHANGELOG claim, checked: the demo block is today's output, and the
changelog has its released version and compare links."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def readme_demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "readme_demo", ROOT / "scripts" / "readme_demo.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_demo_block_is_what_the_command_prints() -> None:
    script = readme_demo()
    output = script.demo_output()
    assert output.startswith("Hot Papers 2021-04-12 · ")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert script.updated_readme(readme, output) == readme, (
        "README.md's demo block is stale: run python scripts/readme_demo.py"
    )


def test_a_stale_block_is_replaced_between_the_markers_only() -> None:
    script = readme_demo()
    text = "intro\n<!-- demo:start -->\nold\n<!-- demo:end -->\noutro\n"
    assert script.updated_readme(text, "new output\n") == (
        "intro\n<!-- demo:start -->\nWhat `hotpapers digest --demo --top 3` prints (captured "
        "from a terminal):\n\n```text\nnew output\n```\n<!-- demo:end -->\noutro\n"
    )


def test_changelog_has_the_release_and_compare_links() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    assert headings[:2] == ["[Unreleased]", "[0.1.0] - 2026-11-26"]  # main at 8cd03ba
    assert "\n[Unreleased]: ../../compare/v0.1.0...HEAD\n" in text
    assert text.endswith("\n[0.1.0]: ../../releases/tag/v0.1.0\n")
    from bot import __version__

    assert __version__ == "0.1.0"
