"""The README's screenshots: the demo digest as a Slack thread and as a Discord thread.

    python scripts/screenshots.py              # docs/img/{slack,discord}-thread.png
    python scripts/screenshots.py --html-only  # build/screenshots/*.html only, no Chromium

How they are made, so that they show what the bot really sends:

1. the bundled demo digest (``hotpapers digest --demo``: the 2021-04-12 listing, no network);
2. posted through the real adapters (``SlackAdapter`` on slack_sdk, ``DiscordAdapter`` on
   discord.py) to the tests' loopback fakes (``tests/fake_slack.py``, ``tests/fake_discord.py``);
3. the payloads the fakes recorded, and only those, rendered as each client shows them
   (``scripts/render_payloads.py``, templates in ``scripts/screenshot_templates/``);
4. each page photographed by headless Chromium (Debian: ``apt-get install chromium``; a tool
   for this script only, not a project dependency). The thread panes show the first 3 replies
   (``--replies N``); the window is as tall as the page.

It needs the test extras (``pip install -e ".[test]"``), because the fakes are test code.
"""

# ruff: noqa: E402 (the repository root goes on sys.path first: the script runs from scripts/)

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from adapters.discord import make_discord_rest_adapter
from adapters.slack import make_slack_adapter
from bot import demo
from bot.clock import FakeClock
from bot.config import Settings
from bot.delivery import post_thread
from bot.models import Digest
from bot.service import DigestService
from bot.store import Store
from scripts.render_payloads import Thread, discord_page, slack_page
from tests.fake_discord import serving
from tests.fake_slack import FakeSlack

WIDTH = 1200
MIN_HEIGHT = 720
PAGES = {"slack": slack_page, "discord": discord_page}
SLACK_CHANNEL = "C0PAPERS"
DISCORD_CHANNEL = "2000"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--force-device-scale-factor=1",
]  # fmt: skip


async def demo_digest() -> Digest:
    """What ``hotpapers digest --demo`` shows: the bundled snapshot, default top, no network."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'screenshots.sqlite3'}")
        settings = Settings(_env_file=None, database_url=store.url)  # type: ignore[call-arg]
        service = DigestService(settings, store, clock=FakeClock(), offline=True)
        try:
            categories = demo.bundled_categories(demo.DEMO_DATE)
            return await service.build(demo.DEMO_DATE, categories, settings.default_top)
        finally:
            await service.aclose()
            store.close()


async def slack_thread(digest: Digest) -> Thread:
    """The digest through ``SlackAdapter`` to ``FakeSlack``: the chat.postMessage bodies."""
    async with FakeSlack() as fake:
        values: dict[str, Any] = {
            "slack_api_url": fake.api_url,
            "slack_bot_token": "xoxb-screenshots",  # any token: the fake takes it
        }
        settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
        adapter = make_slack_adapter(settings, FakeClock())  # FakeClock: no 1 s pacing waits
        delivery = await post_thread(adapter, SLACK_CHANNEL, digest)
        if not delivery.ok:
            raise RuntimeError(f"Slack delivery failed: {delivery.error}")
        parent, *replies = fake.posts
    if {r.get("thread_ts") for r in replies} != {delivery.thread_id}:
        raise RuntimeError("Slack replies are not all in the header's thread")
    return Thread(parent=parent, replies=replies)


async def discord_thread(digest: Digest) -> Thread:
    """The digest through ``DiscordAdapter`` to ``FakeDiscord``: message and thread bodies."""
    async with serving() as fake:
        fake.add_text_channel(DISCORD_CHANNEL, name="papers")
        adapter = await make_discord_rest_adapter(fake.settings())
        try:
            delivery = await post_thread(adapter, DISCORD_CHANNEL, digest)
        finally:
            await adapter.close()
        if not delivery.ok:
            raise RuntimeError(f"Discord delivery failed: {delivery.error}")
        posts = fake.posts()
    header, opened, *replies = posts
    if not opened.path.endswith("/threads") or {r.path for r in replies} != {
        f"/channels/{delivery.thread_id}/messages"
    }:
        raise RuntimeError(f"unexpected Discord requests: {[p.path for p in posts]}")
    return Thread(parent=header.json, replies=[r.json for r in replies], name=opened.json["name"])


async def capture(digest: Digest) -> dict[str, Thread]:
    """Both platforms' threads of ``digest``, as the fakes recorded them."""
    return {"slack": await slack_thread(digest), "discord": await discord_thread(digest)}


async def demo_threads() -> dict[str, Thread]:
    return await capture(await demo_digest())


def write_pages(threads: dict[str, Thread], html_dir: Path, shown: int) -> dict[str, Path]:
    """``<platform>-thread.html`` for each thread; returns the paths written."""
    html_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for platform, thread in threads.items():
        path = html_dir / f"{platform}-thread.html"
        path.write_text(PAGES[platform](thread, shown=shown), encoding="utf-8")
        written[platform] = path
    return written


def find_chromium(name: str | None) -> str:
    for candidate in [name] if name else ["chromium", "chromium-browser", "google-chrome"]:
        found = shutil.which(candidate)
        if found:
            return found
    raise SystemExit("no Chromium found: apt-get install chromium, or pass --html-only")


def run_chromium(binary: str, page: Path, window: tuple[int, int], *action: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        args = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
        args += [f"--window-size={window[0]},{window[1]}", *action, page.resolve().as_uri()]
        done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603 (our own arguments)
    if done.returncode != 0:
        raise SystemExit(f"chromium failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return done.stdout


def page_height(binary: str, page: Path, width: int) -> int:
    """The page's height at ``width``, from the ``data-height`` its probe script sets."""
    dom = run_chromium(binary, page, (width, MIN_HEIGHT), "--dump-dom")
    found = re.search(r'data-height="(\d+)"', dom)
    if not found:
        raise SystemExit(f"no data-height in {page}: did the page's probe script run?")
    return max(int(found.group(1)), MIN_HEIGHT)


def screenshot(binary: str, page: Path, png: Path, width: int = WIDTH) -> tuple[int, int]:
    """``png``: the whole of ``page`` at ``width``; returns the window size used."""
    window = (width, page_height(binary, page, width))
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    run_chromium(binary, page, window, f"--screenshot={png.resolve()}")
    if not png.exists():
        raise SystemExit(f"chromium wrote no {png}")
    return window


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--html-only", action="store_true", help="write the HTML pages only")
    parser.add_argument("--replies", type=int, default=3, help="replies shown in the thread pane")
    parser.add_argument("--html-dir", type=Path, default=ROOT / "build" / "screenshots")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img", help="PNG folder")
    parser.add_argument("--chromium", help="the browser binary (default: chromium on PATH)")
    args = parser.parse_args(argv)
    threads = asyncio.run(demo_threads())
    pages = write_pages(threads, args.html_dir, args.replies)
    for page in pages.values():
        print(f"wrote {page}")
    if args.html_only:
        return 0
    binary = find_chromium(args.chromium)
    for platform, page in pages.items():
        png = args.out / f"{platform}-thread.png"
        width, height = screenshot(binary, page, png)
        print(f"wrote {png} ({width}x{height})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
