"""``python -m bench.child run``: ``hotpapers run`` exactly as installed, with two test seams set
from the environment, both of which the test suite sets the same way:

- ``HOTPAPERS_BENCH_CLOCK_OFFSET`` (seconds): the CLI's clock reads that far from the wall clock
  (``bot.clock.ShiftedClock``; APScheduler follows it through ``wall_offset``), so the bench's
  subscriptions fall due on the synthetic listing day whatever the real date is;
- ``HOTPAPERS_BENCH_DISCORD_GATEWAY``: discord.py's gateway URL (``tests.fake_discord``'s
  ``point_gateway_at``), which the library does not take from settings.

Everything else -- settings, the scheduler, the platforms, posting, the ledger -- is the
production path.
"""

from __future__ import annotations

import datetime as dt
import os
import sys


def main() -> None:
    offset = os.environ.get("HOTPAPERS_BENCH_CLOCK_OFFSET")
    if offset:
        from bot.clock import ShiftedClock
        from hotpapers.cli_common import State

        State.clock = ShiftedClock(dt.timedelta(seconds=float(offset)))
    gateway = os.environ.get("HOTPAPERS_BENCH_DISCORD_GATEWAY")
    if gateway:
        import yarl
        from discord.gateway import DiscordWebSocket

        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    from hotpapers.cli import main as hotpapers

    sys.argv = ["hotpapers", *sys.argv[1:]]
    hotpapers()


if __name__ == "__main__":
    main()
