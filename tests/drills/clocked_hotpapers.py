"""``hotpapers`` on a shifted clock: ``python clocked_hotpapers.py SECONDS ARGS...``.

The drills start real ``hotpapers`` processes (``kill -9`` needs a process) but must not wait for
the wall clock to reach a subscription's minute: this runs the real CLI, unchanged, with its
injected clock (``State.clock``) moved ``SECONDS`` ahead, so the process believes it is a few
seconds before the minute. APScheduler's timers follow through ``Clock.wall_offset``.
"""

from __future__ import annotations

import datetime as dt
import sys

from bot.clock import ShiftedClock
from hotpapers import cli

if __name__ == "__main__":
    offset = dt.timedelta(seconds=float(sys.argv[1]))
    sys.argv = ["hotpapers", *sys.argv[2:]]
    cli.State.clock = ShiftedClock(offset)
    cli.main()
