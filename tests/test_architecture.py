"""The layers, checked: the core (``bot``) <- the adapters <- the composition root (``hotpapers``).

Every import statement of every module is read (module level, inside functions, under
``TYPE_CHECKING``: a lazy import is still a dependency), so these fail as soon as a change
reaches the wrong way or closes a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("bot", "adapters", "hotpapers")
#: What each layer may import of the project: never a layer above it.
ALLOWED = {"bot": {"bot"}, "adapters": {"bot", "adapters"}, "hotpapers": set(LAYERS)}
MAX_LINES = 300
PARSER = {"parse_command", "parse_for", "from_options", "tokenize"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for layer in LAYERS
        for path in sorted((ROOT / layer).rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def imports(path: Path) -> Iterator[tuple[str, set[str]]]:
    """(module, names taken from it) for every import statement in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, set()
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, {alias.name for alias in node.names}


def project_edges(name: str) -> set[str]:
    """The project modules ``name`` imports (``from bot import calendar`` is ``bot.calendar``)."""
    found = set()
    for module, names in imports(modules()[name]):
        if module.split(".")[0] not in LAYERS:
            continue
        subs = {f"{module}.{n}" for n in names if f"{module}.{n}" in modules()}
        found |= subs or {module}
    return found - {name}


@pytest.mark.parametrize("name", sorted(modules()))
def test_each_layer_imports_only_itself_and_the_layers_below(name: str) -> None:
    layer = name.split(".")[0]
    wrong = sorted(m for m in project_edges(name) if m.split(".")[0] not in ALLOWED[layer])
    assert wrong == [], f"{name} ({layer}) imports {wrong}"


def test_no_import_cycle_among_the_project_modules() -> None:
    graph = {name: project_edges(name) & set(modules()) for name in modules()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        state[node] = 2
        path.pop()
        return None

    for start in sorted(graph):
        if start not in state:
            cycle = visit(start)
            assert cycle is None, " -> ".join(cycle or [])


def test_no_adapter_parses_the_command_text() -> None:
    for name, path in modules().items():
        if not name.startswith("adapters"):
            continue
        for module, names in imports(path):
            assert not (module == "bot.commands" and names & PARSER), (name, names & PARSER)


@pytest.mark.parametrize("folder", [*LAYERS, "bench"])
def test_no_module_is_over_300_lines(folder: str) -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in sorted((ROOT / folder).rglob("*.py"))
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_the_walk_sees_lazy_and_type_only_imports() -> None:
    # The checks above are only as good as this: a function-level import and one under
    # TYPE_CHECKING both count as dependencies.
    runtime = project_edges("hotpapers.platforms")
    assert "adapters.slack_app" in runtime  # imported inside SlackPlatform's methods
    assert "bot.handler" in runtime  # imported under TYPE_CHECKING


def test_contributing_lists_every_module() -> None:
    """CONTRIBUTING's layout names every module (one line each), so a new one is explained."""
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    layout = text[text.index("## Layout") : text.index("## Adding a data source")]
    unnamed = [
        str(path.relative_to(ROOT))
        for folder in (*LAYERS, "bench")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "__pycache__" not in path.parts and "versions" not in path.parts
        and path.name != "__init__.py" and path.name not in layout
    ]  # fmt: skip
    assert unnamed == []
