"""The console adapter: a digest as a thread on standard output (header, then indented replies)."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.models import Digest, Entry
from bot.render import render


class ConsoleAdapter:
    name = "console"
    max_message_chars = 1_000_000
    post_concurrency = 1  # one terminal: threads printed at once would interleave

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self._count = 0

    def _next_id(self) -> str:
        self._count += 1
        return f"console-{self._count}"

    async def post_header(self, channel: str, digest: Digest) -> tuple[str, str]:
        message_id = self._next_id()
        text = render("text/header.j2", digest=digest).rstrip()
        self.out.write(f"[{channel}] {text}\n")
        self.out.flush()
        return message_id, message_id

    async def post_entry(self, channel: str, thread_id: str, digest: Digest, entry: Entry) -> str:
        text = render("text/entry.j2", entry=entry).rstrip()
        indented = "\n".join("    │ " + line if line else "    │" for line in text.splitlines())
        self.out.write(f"    ↳ reply in thread {thread_id}\n{indented}\n")
        self.out.flush()
        return self._next_id()

    async def post_text(self, channel: str, text: str) -> str:
        self.out.write(f"[{channel}] {text}\n")
        self.out.flush()
        return self._next_id()
