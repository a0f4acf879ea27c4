"""How hard the property-based drills try: a few hundred examples in the default run (it must
stay fast), the full budgets when ``HOTPAPERS_DEEP=1`` asks for a deep run before a release:

    HOTPAPERS_DEEP=1 .venv/bin/pytest tests/drills -q
"""

from __future__ import annotations

import os

DEEP = os.environ.get("HOTPAPERS_DEEP", "") not in ("", "0")


def examples(deep: int, quick: int) -> int:
    """``deep`` examples in a deep run, ``quick`` in the default one."""
    return deep if DEEP else quick
