"""Slack's message limits as checks and as a fitter, for every payload the bot sends.

slack_sdk validates nothing on dict blocks and nothing counts blocks or total length
(research/platforms.md 1.2), while Slack answers ``invalid_blocks``, ``msg_blocks_too_long`` or
silently truncates. Split from ``adapters.slack_blocks`` so building a message and holding it to
Slack's limits are read apart.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from bot.render import ELLIPSIS, clamp

Block = dict[str, Any]
Payload = dict[str, Any]

# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks and chat.postMessage).
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_CONTEXT_ELEMENT_TEXT = 2000  # text objects allow 3000; kept at the section-field size
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_FALLBACK_TEXT = 4000
# Undocumented cumulative cap on block text (~12k; bolt-js#2867 saw 11,341 chars refused).
MAX_MESSAGE_TEXT = 10_000
MAX_URL = 1000
MAX_ALT_TEXT = 2000
MAX_ACTIONS = 25  # elements of an actions block
MAX_BUTTON_TEXT = 75
MAX_ACTION_ID = 255
MAX_BUTTON_VALUE = 2000


def _texts(block: Mapping[str, Any]) -> list[str]:
    """Every text a block carries (what Slack counts towards a message's size)."""
    texts = []
    if isinstance(block.get("text"), Mapping):
        texts.append(str(block["text"].get("text", "")))
    texts += [str(f.get("text", "")) for f in block.get("fields") or () if isinstance(f, Mapping)]
    for element in block.get("elements") or ():
        if isinstance(element, Mapping):
            text = element.get("text", "")
            texts.append(str(text.get("text", "") if isinstance(text, Mapping) else text))
    return texts


def _shrink_longest_section(blocks: list[Block], excess: int) -> bool:
    sections = [b for b in blocks if b["type"] == "section" and "text" in b]
    if not sections:
        return False
    longest = max(sections, key=lambda b: len(b["text"]["text"]))
    current = len(longest["text"]["text"])
    target = max(current - excess, 200)
    if target >= current:
        return False
    longest["text"]["text"] = clamp(longest["text"]["text"], target)
    return True


def fit_message(payload: Payload) -> Payload:
    """``payload`` within every limit: ≤50 blocks, per-block sizes, total text, fallback text."""
    blocks = [json.loads(json.dumps(b)) for b in payload.get("blocks") or ()][:MAX_BLOCKS]
    while (excess := sum(len(t) for b in blocks for t in _texts(b)) - MAX_MESSAGE_TEXT) > 0:
        if not _shrink_longest_section(blocks, excess):
            blocks.pop()
    fitted = dict(payload)
    fitted["text"] = clamp(payload.get("text") or ELLIPSIS, MAX_FALLBACK_TEXT)
    fitted["blocks"] = blocks
    return fitted


def _block_problems(index: int, block: Mapping[str, Any]) -> Iterable[str]:
    kind = block.get("type")
    where = f"block {index} ({kind})"
    texts = _texts(block)
    if any(not t for t in texts):
        yield f"{where}: empty text"
    if kind == "header":
        text = block.get("text") or {}
        if text.get("type") != "plain_text":
            yield f"{where}: header text must be plain_text"
        if len(text.get("text", "")) > MAX_HEADER_TEXT:
            yield f"{where}: header text over {MAX_HEADER_TEXT} chars"
    elif kind == "section":
        text = block.get("text")
        fields = block.get("fields") or []
        if not text and not fields:
            yield f"{where}: neither text nor fields"
        if text and len(text.get("text", "")) > MAX_SECTION_TEXT:
            yield f"{where}: text over {MAX_SECTION_TEXT} chars"
        if len(fields) > MAX_FIELDS:
            yield f"{where}: more than {MAX_FIELDS} fields"
        if any(len(f.get("text", "")) > MAX_FIELD_TEXT for f in fields):
            yield f"{where}: a field over {MAX_FIELD_TEXT} chars"
    elif kind == "context":
        elements = block.get("elements") or []
        if not 1 <= len(elements) <= MAX_CONTEXT_ELEMENTS:
            yield f"{where}: needs 1 to {MAX_CONTEXT_ELEMENTS} elements"
        if any(len(e.get("text", "")) > MAX_CONTEXT_ELEMENT_TEXT for e in elements):
            yield f"{where}: an element over {MAX_CONTEXT_ELEMENT_TEXT} chars"
    elif kind == "actions":
        yield from _actions_problems(where, block.get("elements") or [])
    elif kind != "divider":
        yield f"{where}: unexpected block type"


def _actions_problems(where: str, elements: list[Any]) -> Iterable[str]:
    """Buttons: 1 to 25, plain_text labels of at most 75 characters, an ``action_id`` (at most
    255) and a ``value`` (at most 2000) each, no ``action_id`` twice."""
    if not 1 <= len(elements) <= MAX_ACTIONS:
        yield f"{where}: needs 1 to {MAX_ACTIONS} elements"
    ids = [e.get("action_id") for e in elements]
    if len(set(ids)) != len(ids):
        yield f"{where}: an action_id twice"
    for element in elements:
        text = element.get("text") or {}
        if element.get("type") != "button" or text.get("type") != "plain_text":
            yield f"{where}: only buttons with plain_text labels"
        elif len(text.get("text", "")) > MAX_BUTTON_TEXT:
            yield f"{where}: a button label over {MAX_BUTTON_TEXT} chars"
        if not element.get("action_id") or len(element["action_id"]) > MAX_ACTION_ID:
            yield f"{where}: a button without action_id, or one over {MAX_ACTION_ID} chars"
        if len(element.get("value", "")) > MAX_BUTTON_VALUE:
            yield f"{where}: a button value over {MAX_BUTTON_VALUE} chars"


def validate_message(payload: Mapping[str, Any]) -> list[str]:
    """What Slack would refuse (or truncate) in a chat.postMessage payload; empty when it is fine.

    Accepts ``blocks`` as a list or as the JSON string a form-encoded request carries.
    """
    problems: list[str] = []
    text = payload.get("text")
    if not text:
        problems.append("text fallback missing")
    elif len(text) > MAX_FALLBACK_TEXT:
        problems.append(f"text fallback over {MAX_FALLBACK_TEXT} chars")
    blocks = payload.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks, more than {MAX_BLOCKS}")
    for index, block in enumerate(blocks):
        problems.extend(_block_problems(index, block))
    total = sum(len(t) for b in blocks for t in _texts(b))
    if total > MAX_MESSAGE_TEXT:
        problems.append(f"{total} chars of block text, more than {MAX_MESSAGE_TEXT}")
    return problems
