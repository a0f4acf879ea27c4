"""``hotpapers run --demo``: the real runtime on the bundled snapshot posts a scheduled thread to
the console within a minute of starting, on any day, offline, in a throwaway database.

The job is run as APScheduler would run it (its function and arguments), at the injected clock's
time: no sleeping, no wall clock."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.config import Settings
from hotpapers.demo_run import demo_settings, next_minute
from hotpapers.runtime import Runtime
from tests.cli_runner import run_cli

# A Saturday, when no real subscription fires (no new listing), years ahead of the wall clock so
# the real APScheduler never fires the job by itself during the test.
SATURDAY = dt.datetime(2031, 1, 4, 10, 0, 45, tzinfo=dt.UTC)


def test_next_minute_is_one_to_sixty_seconds_away() -> None:
    assert next_minute(SATURDAY) == dt.datetime(2031, 1, 4, 10, 1, tzinfo=dt.UTC)
    on_the_minute = SATURDAY.replace(second=0)
    assert next_minute(on_the_minute) - on_the_minute == dt.timedelta(seconds=60)


async def test_the_demo_posts_a_scheduled_thread_to_the_console_within_a_minute(
    tmp_path: Path,
) -> None:
    configured = Settings(
        _env_file=None, database_url=f"sqlite:///{tmp_path / 'mine.sqlite3'}",
        slack_bot_token="xoxb-1-never-used", discord_token="never-used-token",  # type: ignore[arg-type]
        arxiv_api_url="http://127.0.0.1:9/api/query",  # type: ignore[arg-type]
    )  # fmt: skip
    clock, out = FakeClock(SATURDAY), io.StringIO()
    with demo_settings(configured) as settings:
        assert settings.database_url != configured.database_url
        runtime = Runtime(settings, clock=clock, host="127.0.0.1", port=0, owner="demo",
                          console_out=out, demo=True)  # fmt: skip
        await runtime.start()
        try:
            assert list(runtime.platforms) == ["console"]  # the tokens are ignored
            assert out.getvalue() == (
                "demo: the scheduler posts Hot Papers 2021-04-12 (top 3) to the console channel "
                "hotpapers-demo at 10:01 UTC, in 15 s; Ctrl-C to stop\n"
            )
            job = runtime.scheduler.scheduler.get_job("sub:1")
            assert job.next_run_time == SATURDAY.replace(minute=1, second=0)
            assert job.next_run_time - SATURDAY <= dt.timedelta(seconds=60)
            clock.set(job.next_run_time)
            await job.func(*job.args, **job.kwargs)  # what APScheduler runs at that time
            status, body = await runtime.health()
        finally:
            await runtime.stop()
        folder = Path(settings.database_url.removeprefix("sqlite:///")).parent
        assert folder.exists()
    assert not folder.exists()  # the throwaway database is gone
    assert not (tmp_path / "mine.sqlite3").exists()  # the configured one never touched
    posted = out.getvalue().splitlines()
    assert posted[1].startswith("[hotpapers-demo] Hot Papers 2021-04-12 · cs.AI, cs.CL")
    assert posted[2] == "The top 3 of 11 hot papers (of 11 new) · sources: arXiv, X"
    assert out.getvalue().count("↳ reply in thread console-1") == 3
    assert "1. CutPaste: Self-Supervised Learning for Anomaly Detection" in out.getvalue()
    assert status == 200
    assert body["scheduler"]["last_result"] == (
        "posted Hot Papers 2021-04-12 to hotpapers-demo: header and 3 replies"
    )


def test_run_demo_wiring(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                         tmp_path: Path) -> None:  # fmt: skip
    seen: dict[str, Any] = {}

    async def fake_serve(settings: Settings, **kw: Any) -> None:
        seen.update(kw, database=settings.database_url, discord=settings.discord_token)

    monkeypatch.setattr("hotpapers.runtime.serve", fake_serve)
    monkeypatch.setenv("DISCORD_TOKEN", "x" * 60)
    monkeypatch.setenv("HOTPAPERS_DATABASE_URL", f"sqlite:///{tmp_path / 'mine.sqlite3'}")
    assert run_cli(monkeypatch, capsys, "run", "--demo") == (0, "", "")
    assert seen["demo"] is True and seen["discord"] is None
    assert seen["database"].endswith("/demo.sqlite3") and "hotpapers-demo-" in seen["database"]
    assert run_cli(monkeypatch, capsys, "run", "--demo", "--no-scheduler") == (
        2, "", "error: --demo shows the scheduler at work: drop --no-scheduler\n",
    )  # fmt: skip
