"""``python -m bot``: the installed ``hotpapers`` command.

The core imports nothing of the composition root (``hotpapers``), so this finds the command the
way the shell does: through the console-script entry point the package declares.
"""

from importlib.metadata import entry_points

(command,) = entry_points(group="console_scripts", name="hotpapers")
command.load()()
