"""Recorded chat payloads -> HTML pages that look like the Slack and Discord clients.

Used by ``scripts/screenshots.py`` (the README's screenshots) and tested by
``tests/test_screenshots.py``. The input is exactly what the loopback fakes recorded: Slack
``chat.postMessage`` bodies (Block Kit ``blocks`` with mrkdwn) and Discord message bodies
(``embeds`` with Discord markdown). Each client's formatting is turned into HTML here the way the
client would show it: Slack's ``&lt;`` entities become ``<`` on screen, ``<url|label>`` a link, a
bare ``<!channel>`` a highlighted mention (so a ping that slipped through would show up in the
picture); Discord's ``\\*`` escapes become ``*``, ``[label](url)`` a link, ``@everyone`` a mention.

Every piece of text reaches the page through ``markupsafe.escape`` (or jinja2's autoescape):
titles and posts are third-party text and never become markup. Only http(s) links get an
``href``, and each page carries a Content-Security-Policy that allows no script but its own
height probe, no remote fetch and no remote image, as a second fence.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

TEMPLATES = Path(__file__).resolve().parent / "screenshot_templates"
#: The page's only script: it records the page's height for the screenshot's window size.
HEIGHT_PROBE = "document.documentElement.dataset.height=document.documentElement.scrollHeight;"

Handler = Callable[[str], Markup]


def safe_href(url: object) -> str | None:
    """``url`` when it is an http(s) URL (fit for an ``href``), else None."""
    if not isinstance(url, str):
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def link(url: str, label: Markup | str) -> Markup:
    href = safe_href(url)
    if href is None:
        return escape(label)
    return Markup('<a href="{}">{}</a>').format(href, label)


def mention(text: str, kind: str = "user") -> Markup:
    return Markup('<span class="mention mention-{}">{}</span>').format(kind, text)


class Inline:
    """One line of a client's inline markup -> HTML: named token rules, escaped text between."""

    def __init__(self, rules: Sequence[tuple[str, str, Handler]], plain: Callable[[str], str]):
        self.pattern = re.compile("|".join(f"(?P<{name}>{rx})" for name, rx, _ in rules))
        self.handlers = {name: handler for name, _, handler in rules}
        self.plain = plain

    def __call__(self, text: str) -> Markup:
        out: list[Markup] = []
        pos = 0
        for match in self.pattern.finditer(text):
            out.append(escape(self.plain(text[pos : match.start()])))
            out.append(self.handlers[str(match.lastgroup)](match.group(0)))
            pos = match.end()
        out.append(escape(self.plain(text[pos:])))
        return Markup("").join(out)


def lines_to_html(text: str, inline: Callable[[str], Markup]) -> Markup:
    """Lines joined by ``<br>``; consecutive ``> `` lines become one (block-level) blockquote."""
    out: list[Markup] = []
    quote: list[Markup] = []
    plain: list[Markup] = []

    def flush(into: list[Markup], tag: str) -> None:
        if into:
            body = Markup("<br>").join(into)
            out.append(Markup("<{0}>{1}</{0}>").format(tag, body) if tag else body)
            into.clear()

    for line in text.strip("\n").split("\n"):
        if line == ">" or line.startswith("> "):
            flush(plain, "")
            quote.append(inline(line[2:]))
        else:
            flush(quote, "blockquote")
            plain.append(inline(line))
    flush(quote, "blockquote")
    flush(plain, "")
    return Markup("").join(out)


# ----- Slack mrkdwn ---------------------------------------------------------------------------
def slack_text(text: str) -> str:
    """mrkdwn's three entities back to the characters Slack shows."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _slack_angle(token: str) -> Markup:
    """``<...>``: a link, a user/channel mention or a broadcast (``<!channel>``)."""
    inner = token[1:-1]
    target, _, label = inner.partition("|")
    if target.startswith("!"):
        name = target[1:].split("^")[0]
        if name in ("channel", "here", "everyone"):
            return mention("@" + name, "broadcast")
        return escape(slack_text(label or name))
    if target.startswith("@"):
        return mention("@" + slack_text(label or target[1:]))
    if target.startswith("#"):
        return mention("#" + slack_text(label or target[1:]), "channel")
    url = slack_text(target)
    return link(url, slack_text(label or url))


def _wrap(tag: str, strip: int, inline: Callable[[str], Markup]) -> Handler:
    return lambda token: Markup("<{0}>{1}</{0}>").format(tag, inline(token[strip:-strip]))


def _code(strip: int, plain: Callable[[str], str]) -> Handler:
    return lambda token: Markup("<code>{}</code>").format(plain(token[strip:-strip]))


def _bare_url(plain: Callable[[str], str]) -> Handler:
    return lambda token: link(plain(token), plain(token))


def _slack_span(char: str) -> str:
    """``*bold*`` / ``_italic_`` / ``~strike~`` at word edges; a ``<link>`` inside stays whole."""
    c = re.escape(char)
    return rf"(?<![\w{c}]){c}(?=\S)(?:<[^<>\n]*>|[^{c}\n<])+?(?<=\S){c}(?!\w)"


def _slack_inner(text: str) -> Markup:
    return MRKDWN(text)


URL = r"https?://[^\s<>\"]*[^\s<>\".,;:!?)\]]"
MRKDWN = Inline(
    [
        ("angle", r"<[^<>\n]*>", _slack_angle),
        ("code", r"`[^`\n]+`", _code(1, slack_text)),
        ("bold", _slack_span("*"), _wrap("b", 1, _slack_inner)),
        ("italic", _slack_span("_"), _wrap("i", 1, _slack_inner)),
        ("strike", _slack_span("~"), _wrap("s", 1, _slack_inner)),
        ("url", URL, _bare_url(slack_text)),
    ],
    slack_text,
)

SLACK_EMOJI = {":warning:": "\N{WARNING SIGN}\N{VARIATION SELECTOR-16}"}


def mrkdwn(text: str) -> Markup:
    """Slack mrkdwn (as a bot posts it, ``verbatim`` false: bare URLs are linked) -> HTML."""
    for code, char in SLACK_EMOJI.items():
        text = text.replace(code, char)
    return lines_to_html(text, MRKDWN)


def text_object(obj: Any) -> Markup:
    """A Block Kit text object: mrkdwn rendered, plain_text escaped."""
    if not isinstance(obj, dict):
        return Markup("")
    text = str(obj.get("text", ""))
    return mrkdwn(text) if obj.get("type") == "mrkdwn" else escape(text)


# ----- Discord markdown -----------------------------------------------------------------------
def discord_text(text: str) -> str:
    """Discord text needs no decoding: backslash escapes are tokens of their own."""
    return text


def _discord_link(token: str) -> Markup:
    label, _, rest = token[1:].partition("](")
    return link(rest.rstrip(")").strip().strip("<>"), DISCORD(label))


def _discord_mention(token: str) -> Markup:
    if token.startswith("<#"):
        return mention("#channel", "channel")
    if token.startswith("<@&"):
        return mention("@role")
    if token.startswith("@"):
        return mention(token, "broadcast")
    return mention("@user")


def _discord_inner(text: str) -> Markup:
    return DISCORD(text)


ESCAPED = r"\\[^\w\s]"
DISCORD = Inline(
    [
        ("escaped", ESCAPED, lambda token: escape(token[1:])),
        ("code", r"`[^`\n]+`", _code(1, discord_text)),
        ("link", rf"\[(?:{ESCAPED}|[^\]\\\n])+\]\(\s*<?https?://[^\s()<>]+>?\s*\)", _discord_link),
        ("bold", rf"\*\*(?:{ESCAPED}|[^\\\n])+?\*\*", _wrap("b", 2, _discord_inner)),
        ("under", rf"__(?:{ESCAPED}|[^\\\n])+?__", _wrap("u", 2, _discord_inner)),
        ("strike", rf"~~(?:{ESCAPED}|[^\\\n])+?~~", _wrap("s", 2, _discord_inner)),
        ("italic", rf"\*(?=\S)(?:{ESCAPED}|[^\\*\n])+?\*", _wrap("i", 1, _discord_inner)),
        ("italic_", rf"(?<!\w)_(?:{ESCAPED}|[^\\_\n])+?_(?!\w)", _wrap("i", 1, _discord_inner)),
        ("mention", r"@(?:everyone|here)\b|<[@#][!&]?\d+>", _discord_mention),
        ("url", URL, _bare_url(discord_text)),
    ],
    discord_text,
)


def discord_markdown(text: str) -> Markup:
    """Discord markdown (embed descriptions and field values) -> HTML."""
    return lines_to_html(text, DISCORD)


def embed_color(value: object) -> str:
    """An embed's ``color`` integer as CSS (Discord's default grey when there is none)."""
    return f"#{value:06x}" if isinstance(value, int) and 0 <= value <= 0xFFFFFF else "#1e1f22"


# ----- pages ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Thread:
    """A posted thread: the message that opens it and its replies, as the fake recorded them."""

    parent: dict[str, Any]
    replies: list[dict[str, Any]]
    name: str = ""


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        mrkdwn=mrkdwn,
        text_object=text_object,
        discord_markdown=discord_markdown,
        embed_color=embed_color,
        safe_href=safe_href,
    )
    return env


def csp() -> str:
    digest = hashlib.sha256(HEIGHT_PROBE.encode()).digest()
    script = "'sha256-" + base64.b64encode(digest).decode() + "'"
    return f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src {script}"


def render_page(template: str, thread: Thread, shown: int, **context: Any) -> str:
    return (
        environment()
        .get_template(template)
        .render(
            parent=thread.parent,
            replies=thread.replies[:shown],
            reply_count=len(thread.replies),
            hidden=max(len(thread.replies) - shown, 0),
            thread_name=thread.name,
            csp=csp(),
            probe=Markup(HEIGHT_PROBE),  # noqa: S704 (a constant of this module)
            **context,
        )
    )


#: What the pages show around the payloads: made-up names, the demo's posting day.
CHROME = {
    "workspace": "Hot Papers Lab",
    "app_name": "hotpapers",
    "time": "9:00 AM",
    "day": "April 13, 2021",
}


def slack_page(thread: Thread, shown: int = 3, channel: str = "papers") -> str:
    """The Slack client: the header in #channel, the thread pane with ``shown`` replies."""
    return render_page("slack.html.j2", thread, shown, channel=channel, **CHROME)


def discord_page(thread: Thread, shown: int = 3, channel: str = "papers") -> str:
    """The Discord client (dark): the header in #channel, the thread panel with replies."""
    return render_page("discord.html.j2", thread, shown, channel=channel, **CHROME)
