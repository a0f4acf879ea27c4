"""PostgreSQL advisory-lock keys: one per deployment (its schema) and purpose, so that leader
election and migrations of one deployment never block another's."""

from __future__ import annotations

import hashlib

#: The advisory lock every instance of one deployment competes for ("HOTPAPER" as 8 bytes),
#: mixed with the deployment's schema by ``lock_key``.
LOCK_KEY = 0x484F545041504552

__all__ = ["LOCK_KEY", "lock_key"]


def lock_key(schema: str) -> int:
    """The advisory-lock key of the deployment working in ``schema`` (63 bits, non-negative)."""
    digest = hashlib.blake2b(schema.encode(), digest_size=8, key=LOCK_KEY.to_bytes(8)).digest()
    return int.from_bytes(digest) >> 1
