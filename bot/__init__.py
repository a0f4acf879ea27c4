"""hotpapers: a daily Hot Papers digest of arXiv papers for Slack and Discord."""

__version__ = "0.1.0"
