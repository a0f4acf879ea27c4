"""The buttons on each paper message, as the core names them: what a press carries, and reading it.

Every platform carries one string per button (Slack: the button's ``value``; Discord: the
component's ``custom_id``), the same everywhere: ``hp:<action>:<arXiv id>:v1``. The trailing
version marks the format, so a press on a message posted by another version of the bot is told
apart from a garbled one: anything this version does not read is an old button, answered with one
short reply (``OLD_BUTTON``) and nothing posted anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.sources.arxiv_ids import normalise_arxiv_id

PREFIX = "hp"
VERSION = "v1"
MAX_ID = 100  # Discord's custom_id limit (Slack's value allows 2000)
OLD_BUTTON = (
    "That button is from a message of an older Hot Papers version, which I no longer "
    "understand. Try `/hotpapers paper <arXiv id>` for the paper, or `/hotpapers help`."
)


class Action(StrEnum):
    MORE = "more"  # "More like this": Semantic Scholar recommendations
    ABSTRACT = "abstract"  # "Full abstract"


LABELS = {Action.MORE: "More like this", Action.ABSTRACT: "Full abstract"}


@dataclass(frozen=True)
class Button:
    """One button of a paper message."""

    action: Action
    arxiv_id: str

    @property
    def value(self) -> str:
        """What the platform carries for this button (``hp:more:2104.04015:v1``)."""
        return f"{PREFIX}:{self.action.value}:{self.arxiv_id}:{VERSION}"

    @property
    def label(self) -> str:
        return LABELS[self.action]


def buttons_for(arxiv_id: str) -> list[Button]:
    """The buttons of a paper message, in the order they are shown."""
    return [Button(Action.MORE, arxiv_id), Button(Action.ABSTRACT, arxiv_id)]


def read_button(value: str) -> Button | None:
    """The button ``value`` stands for, or ``None`` (another version's button, or garbage)."""
    if not isinstance(value, str) or len(value) > MAX_ID:
        return None
    parts = value.split(":")
    if len(parts) != 4 or parts[0] != PREFIX or parts[3] != VERSION:
        return None
    try:
        action = Action(parts[1])
    except ValueError:
        return None
    arxiv_id = normalise_arxiv_id(parts[2])
    if arxiv_id is None or arxiv_id != parts[2]:
        return None
    return Button(action, arxiv_id)
