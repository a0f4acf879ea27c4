"""The packaging check: build the wheel like the Dockerfile does, install it into a fresh venv,
run ``hotpapers digest --demo`` from another folder. Offline: dependencies come from this venv."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What the Docker build context holds (.dockerignore): the wheel is built from exactly this.
BUILD_INPUTS = ("pyproject.toml", "README.md", "bot", "adapters", "hotpapers", "templates")


def run(argv: list[str], cwd: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        argv, cwd=cwd, capture_output=True, text=True, timeout=120, check=False, **kwargs
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built from a copy of the sources (no build/ or egg-info left here)."""
    missing = [m for m in ("setuptools", "wheel") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed: cannot build the wheel offline")
    src = tmp_path_factory.mktemp("src")
    for name in BUILD_INPUTS:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, src / name)
    out = tmp_path_factory.mktemp("dist")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    args = ["wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(out), "."]
    result = run([*pip, *args], cwd=src)
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = out.glob("hotpapers-*.whl")
    return built


def test_wheel_holds_package_data_and_no_tests(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "bot/templates/text/digest.j2" in names
    assert "bot/templates/slack/header_text.j2" in names
    assert "bot/templates/discord/entry.j2" in names
    # One folder per layer at the top of site-packages, and no generic "templates" package.
    assert {name.split("/")[0] for name in names if "dist-info" not in name} == {
        "bot",
        "adapters",
        "hotpapers",
    }
    assert "bot/data/demo-2021-04-12.json" in names
    # The schema migrations, which every start runs.
    assert {"bot/migrations/env.py", "bot/migrations/script.py.mako",
            "bot/migrations/versions/0001_initial.py",
            "bot/migrations/versions/0002_snapshot_date_index.py",
            "bot/migrations/versions/0004_weekly.py",
            "bot/migrations/versions/0006_fanout_queue.py",
            "bot/migrations/versions/0007_reactions.py"} <= set(names)  # fmt: skip
    assert "adapters/slack.py" in names
    assert not [n for n in names if n.startswith("tests/") or "__pycache__" in n]
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "hotpapers = hotpapers.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_wheel_runs_the_demo_from_another_folder(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(target)
    python = target / "bin" / "python"
    # The dependencies are this venv's (no network); the project itself only from the wheel.
    purelib = Path(sysconfig.get_paths()["purelib"])
    new_purelib = Path(
        run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            cwd=tmp_path).stdout.strip()
    )  # fmt: skip
    (new_purelib / "deps.pth").write_text(f"{purelib}\n", encoding="utf-8")
    install = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--python", str(python)]
    result = run([*install, "install", "--no-deps", "--no-index", str(wheel)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    env = {
        "PATH": str(target / "bin"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "HOME": str(tmp_path),
    }
    where = run([str(python), "-c", "import bot; print(bot.__file__)"], cwd=tmp_path, env=env)
    assert where.stdout.startswith(str(new_purelib)), where.stdout + where.stderr
    demo = run(
        [str(target / "bin" / "hotpapers"), "digest", "--demo", "--top", "2"], cwd=tmp_path, env=env
    )
    assert demo.returncode == 0, demo.stderr
    assert demo.stdout.startswith("Hot Papers 2021-04-12")
    assert (
        "1. CutPaste: Self-Supervised Learning for Anomaly Detection and Localization"
        in demo.stdout
    )
    # --demo opens no database; the migrations shipped in the wheel make one on demand.
    upgrade = run([str(target / "bin" / "hotpapers"), "db", "upgrade"], cwd=tmp_path, env=env)
    assert upgrade.returncode == 0, upgrade.stderr
    current = run([str(target / "bin" / "hotpapers"), "db", "current"], cwd=tmp_path, env=env)
    assert (current.returncode, current.stdout) == (0, "0007 (the latest)\n"), current.stderr
    # ``python -m bot`` finds the command through its entry point (the core imports nothing of
    # the composition root), and the templates come from inside the ``bot`` package.
    module = run(
        [str(python), "-m", "bot", "digest", "--demo", "--top", "1"], cwd=tmp_path, env=env
    )
    assert module.returncode == 0, module.stderr
    assert module.stdout.splitlines()[0] == demo.stdout.splitlines()[0]
    templates = run([str(python), "-c", "import bot.templates as t; print(t.__file__)"],
                    cwd=tmp_path, env=env)  # fmt: skip
    assert templates.stdout.startswith(str(new_purelib / "bot" / "templates")), templates.stdout
