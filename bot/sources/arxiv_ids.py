"""Finding arXiv ids in posts, links and titles, and writing them the one way papers are keyed.

Every attention source joins what it found to papers by arXiv id, so every source must agree on
the form: no version (``2104.04015``, not ``2104.04015v2``), old-style ids as ``archive/YYMMNNN``
with the subject class dropped (``math.GT/0309136`` is the paper the arXiv API calls
``math/0309136``). Ids are only taken from an arXiv-ish context (an arxiv.org, alphaxiv or
huggingface.co/papers link, or an ``arXiv:`` prefix): a bare ``2104.04015`` in a post is as likely
a version number or a price as a paper. Ids that cannot exist (month 13, a four-digit number after
2014, which is what a tweet's truncated ``arxiv.org/abs/2104.0401…`` looks like) are rejected.
"""

from __future__ import annotations

import re

# Archives that had old-style (pre-April-2007) identifiers, plus the later ones for safety.
OLD_ARCHIVES = frozenset(
    {
        "acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an",
        "chao-dyn", "chem-ph", "cmp-lg", "comp-gas", "cond-mat", "cs", "dg-ga", "funct-an",
        "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math", "math-ph", "mtrl-th", "nlin",
        "nucl-ex", "nucl-th", "patt-sol", "physics", "plasm-ph", "q-alg", "q-bio", "q-fin",
        "quant-ph", "solv-int", "stat", "supr-con",
    }
)  # fmt: skip

_ID = r"""
    (?:
        (?P<new>(?P<yymm>\d{4})\.(?P<number>\d{4,5}))
      | (?P<archive>[a-z]+(?:-[a-z]+)?)(?:\.[a-z][a-z-]*)?/(?P<old>\d{7})
    )
    (?:v\d+)?
    (?![\d])
"""

_PREFIX = r"""
    (?:
        (?<![\w-])(?:[a-z0-9-]+\.)*arxiv\.org/(?:abs|pdf|html|format|ps|src)/
      | (?<![\w-])(?:www\.)?alphaxiv\.org/(?:abs|overview|pdf)/
      | (?<![\w-])(?:www\.)?(?:huggingface|hf)\.co/papers/
      | (?<![\w/.-])arxiv(?:\.org)?:[ ]?
    )
"""

_IN_TEXT = re.compile(_PREFIX + _ID, re.IGNORECASE | re.VERBOSE)
_BARE = re.compile(r"\s*" + _ID + r"(?:\.pdf)?\s*", re.IGNORECASE | re.VERBOSE)


def _canonical(match: re.Match[str]) -> str | None:
    """The normalised id of a match, or ``None`` when no such id can exist."""
    if match.group("new"):
        yymm, number = match.group("yymm"), match.group("number")
        year, month = int(yymm[:2]), int(yymm[2:])
        if not 1 <= month <= 12:
            return None
        # Four-digit numbers ran from 0704 to 1412, five-digit ones from 1501 on.
        if len(number) == 4 and not (704 <= int(yymm) <= 1412):
            return None
        if len(number) == 5 and year < 15:
            return None
        return f"{yymm}.{number}"
    archive, old = match.group("archive").lower(), match.group("old")
    if archive not in OLD_ARCHIVES or not 1 <= int(old[2:4]) <= 12:
        return None
    return f"{archive}/{old}"


def extract_arxiv_ids(text: str) -> tuple[str, ...]:
    """Every arXiv id linked or cited in ``text``: normalised, deduped, in order of appearance."""
    found: dict[str, None] = {}
    for match in _IN_TEXT.finditer(text or ""):
        arxiv_id = _canonical(match)
        if arxiv_id is not None:
            found.setdefault(arxiv_id)
    return tuple(found)


def normalise_arxiv_id(raw: str) -> str | None:
    """One id (``2104.04015v2``, ``arXiv:…``, ``math.GT/0309136``) or URL, normalised; or None."""
    if not raw:
        return None
    bare = _BARE.fullmatch(raw)
    if bare is not None:
        return _canonical(bare)
    ids = extract_arxiv_ids(raw)
    return ids[0] if ids else None
