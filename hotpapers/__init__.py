"""The composition root: the CLI, ``hotpapers run`` and the checks, where the core (``bot``) is
wired to the chat platforms (``adapters``). Nothing in ``bot`` or ``adapters`` imports it."""
