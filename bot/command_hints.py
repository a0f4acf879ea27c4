"""The help, and the replies to a word ``bot.commands`` does not understand: "did you mean" a
keyword, a category or an IANA time zone, with the user's word quoted so it can ping nobody."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from functools import lru_cache
from zoneinfo import available_timezones

from bot.categories import close_matches

QUOTE_LIMIT = 40
USAGE = "`/hotpapers [category ...] [YYYY-MM-DD|today|yesterday] [top=N]`"
TAXONOMY_URL = "https://arxiv.org/category_taxonomy"
_HELP_HINT = "Try `/hotpapers help`."
_CATEGORY_LIKE = re.compile(r"[a-z]+(?:-[a-z]+)?\.[a-z*-]+|[a-z]+-[a-z]+")
_KEYWORDS = ("help", "today", "yesterday", "subscribe", "unsubscribe", "settings", "top=10", "week",
             "paper", "search")  # fmt: skip


def quote(token: str) -> str:
    """A user's word as a code span that can ping nobody: no ``<>@&``, clamped to 40 characters."""
    cleaned = "".join(ch for ch in token if ch not in "<>@&`" and ch.isprintable()).strip()
    if len(cleaned) > QUOTE_LIMIT:
        cleaned = cleaned[: QUOTE_LIMIT - 1] + "…"
    return f"`{cleaned or '?'}`"


def unknown_word_message(token: str) -> str:
    probe = token.lower()[:64]
    keyword = difflib.get_close_matches(probe, _KEYWORDS, n=1, cutoff=0.75)
    if keyword:
        return f"I don't understand {quote(token)}. Did you mean `{keyword[0]}`? {_HELP_HINT}"
    matches = close_matches(probe)
    if matches:
        suggestion = alternatives(matches)
        return f"Unknown category {quote(token)}. Did you mean {suggestion}? {_HELP_HINT}"
    if _CATEGORY_LIKE.fullmatch(probe):
        return (
            f"Unknown category {quote(token)}. See the list at {TAXONOMY_URL} "
            "or try `/hotpapers help`."
        )
    return f"I don't understand {quote(token)}. Usage: {USAGE}. {_HELP_HINT}"


def alternatives(options: Sequence[str]) -> str:
    """```a`, `b` or `c``` for a "did you mean" question."""
    quoted = [f"`{option}`" for option in options]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


@lru_cache(maxsize=1)
def zones() -> dict[str, str]:
    """IANA zone names by their lower-case spelling (``europe/berlin`` -> ``Europe/Berlin``)."""
    names = available_timezones() - {"localtime", "Factory"}
    return {name.lower(): name for name in sorted(names)}


def unknown_zone_message(token: str) -> str | None:
    """For a word that looks like a time zone, the error that suggests the right one."""
    probe = token.lower()[:64]
    by_city = [name for key, name in zones().items() if key.rsplit("/", 1)[-1] == probe]
    close = difflib.get_close_matches(probe, list(zones()), n=3, cutoff=0.8)
    suggestions = list(dict.fromkeys(by_city + [zones()[key] for key in close]))[:3]
    if not suggestions and "/" not in probe:
        return None
    hint = f" Did you mean {alternatives(suggestions)}?" if suggestions else ""
    return (
        f"Unknown time zone {quote(token)}.{hint} "
        "Use an IANA name like `Europe/Berlin`, `America/New_York` or `UTC`."
    )


# Each form of the command once: how it is typed as text (Slack), as typed options (Discord),
# and what it does. ``help_text`` is the one help every platform shows.
HELP_FORMS = (
    ("`/hotpapers`", "`/hotpapers`", "the latest listing for the default categories"),
    ("`/hotpapers cs.CL cs.LG`", "`/hotpapers category:cs.CL cs.LG`",
     "pick categories (`cs.*` means every cs category)"),
    ("`/hotpapers cs.CV 2021-04-12 top=5`", "`/hotpapers category:cs.CV date:2021-04-12 top:5`",
     "a past listing, the top 5 papers"),
    ("`/hotpapers week cs.CL`", "`/hotpapers action:week category:cs.CL`",
     "the weekly roundup: this arXiv week so far"),
    ("`/hotpapers today` or `/hotpapers yesterday`", "`/hotpapers date:today` or `date:yesterday`",
     "dates in US Eastern time"),
    ("`/hotpapers subscribe cs.CL at 09:00 Europe/Berlin top=10`",
     "`/hotpapers action:subscribe category:cs.CL time:09:00 Europe/Berlin top:10`",
     "a daily digest in this channel"),
    ("`/hotpapers subscribe top=5 include=llm,agents exclude=survey notify=on`",
     "`/hotpapers action:subscribe top:5 include:llm,agents exclude:survey notify:on`",
     "change only what you name (`include=none` clears a filter; notify: a line on holidays)"),
    ("`/hotpapers paper 2104.04015`", "`/hotpapers action:paper query:2104.04015`",
     "one paper's attention and posts, for you only"),
    ("`/hotpapers search anomaly detection`", "`/hotpapers action:search query:anomaly detection`",
     "search my digests, for you only"),
    ("`/hotpapers subscribe catching=3 reactions=off`",
     "`/hotpapers action:subscribe catching:3 reactions:off`",
     "Catching fire: papers of the last 3 listing days hot since; reactions here not "
     "counted (`on`: they lift similar papers)"),
    ("`/hotpapers subscribe week friday 16:00 Europe/Berlin cs.CL`",
     "`/hotpapers action:subscribe week_day:friday time:16:00 Europe/Berlin category:cs.CL`",
     "a weekly roundup in this channel"),
    ("`/hotpapers unsubscribe` stops it (`unsubscribe week`: the weekly one); "
     "`/hotpapers settings` shows them",
     "`/hotpapers action:unsubscribe` stops it (`week_day:`: the weekly one); "
     "`action:settings` shows them", ""),
    ("`/hotpapers help`", "`/hotpapers action:help`", "this text"),
)  # fmt: skip


def help_text(*, options: bool, max_top: int) -> str:
    """The help, with each form as the platform's users type it (``options``: typed options)."""
    lines = ["Hot Papers: the day's arXiv papers, ranked by the attention they get."]
    for text, typed, what in HELP_FORMS:
        form = typed if options else text
        lines.append(f"{form}: {what}" if what else form)
    lines.append(
        f"top goes from 1 to {max_top}. arXiv lists new papers Monday to Friday: weekends and "
        "arXiv holidays have no listing."
    )
    lines.append(f"Categories: {TAXONOMY_URL}")
    return "\n".join(lines)
