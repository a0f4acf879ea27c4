"""Safe parsing of arXiv API Atom feeds into :class:`bot.models.Paper`.

arXiv has served two serialisations of the same feed (per-element namespace declarations,
hard-wrapped text and ``scheme`` attributes in 2016; namespaces declared once and unwrapped text
today), so elements are found by namespace and tag, never by position or prefix. The body is
untrusted: DTDs, entity expansion and external references are refused before any element is read.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from bot.models import Paper
from bot.sources.http import SourceError

log = logging.getLogger(__name__)

ATOM = "{http://www.w3.org/2005/Atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
ARXIV = "{http://arxiv.org/schemas/atom}"

# New-style ids (0704.0001 onwards, 4 or 5 digits after the dot) and old-style archive/YYMMNNN
# ids, whose subject class (``math.GT/0309136``) is dropped as the API itself does (``math/...``).
_ID = re.compile(
    r"(?:(?P<new>\d{4}\.\d{4,5})|(?P<archive>[a-z][a-z-]*)(?:\.[A-Za-z-]+)?/(?P<old>\d{7}))"
    r"(?:v(?P<version>\d+))?"
)
_ABS_PATH = re.compile(r"/abs/(?P<rest>.+)$")
_WHITESPACE = re.compile(r"\s+")
_DOI_URL = re.compile(r"^https?://(?:dx\.)?doi\.org/")
_UNSAFE_REASONS = {
    "DTDForbidden": "a DTD",
    "EntitiesForbidden": "an entity declaration",
    "ExternalReferenceForbidden": "an external reference",
}


class ArxivRejected(SourceError):
    """arXiv answered with its error feed (an entry titled ``Error``): the query itself is wrong."""


@dataclass(frozen=True)
class Feed:
    """One page of an arXiv API answer: the opensearch paging numbers and the papers on it."""

    total_results: int
    start_index: int
    items_per_page: int
    papers: list[Paper] = field(default_factory=list)


def normalise_space(text: str | None) -> str:
    """Collapse runs of whitespace (the 2016 feeds hard-wrap titles with newline + indent)."""
    return _WHITESPACE.sub(" ", text or "").strip()


def split_arxiv_id(raw: str) -> tuple[str, int | None]:
    """``http://arxiv.org/abs/2104.12255v1`` -> ``("2104.12255", 1)``; also bare and old-style ids.

    Ids are keyed as :mod:`bot.sources.arxiv_ids` keys them: no version, no subject class.

    Raises ``ValueError`` when ``raw`` holds no arXiv identifier.
    """
    text = raw.strip()
    abs_path = _ABS_PATH.search(text)
    if abs_path:
        text = abs_path.group("rest")
    match = _ID.fullmatch(text)
    if not match:
        raise ValueError(f"not an arXiv id: {raw!r}")
    arxiv_id = match.group("new") or f"{match.group('archive')}/{match.group('old')}"
    version = match.group("version")
    return arxiv_id, int(version) if version else None


def parse_feed(xml: bytes) -> Feed:
    """Parse one API response body; raise ``SourceError`` for unsafe, malformed or error feeds."""
    root = _parse_safely(xml)
    if root.tag != f"{ATOM}feed":
        raise SourceError("arXiv returned XML that is not an Atom feed")
    entries = root.findall(f"{ATOM}entry")
    for entry in entries:
        _raise_if_error_entry(entry)
    papers = [paper for entry in entries if (paper := _paper(entry)) is not None]
    total = _opensearch_int(root, "totalResults", default=None)
    if total is None:
        raise SourceError("arXiv returned a feed without opensearch:totalResults")
    return Feed(
        total_results=total,
        start_index=_opensearch_int(root, "startIndex", default=0) or 0,
        items_per_page=_opensearch_int(root, "itemsPerPage", default=len(papers)) or 0,
        papers=papers,
    )


def _parse_safely(xml: bytes) -> Element:
    try:
        return SafeET.fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        reason = _UNSAFE_REASONS.get(type(exc).__name__, "forbidden XML construct")
        raise SourceError(f"arXiv returned unsafe XML ({reason}); refused to parse it") from None
    except ParseError:
        raise SourceError("arXiv returned malformed XML") from None


def _raise_if_error_entry(entry: Element) -> None:
    """arXiv reports a bad query as a feed whose one entry is titled ``Error`` (HTTP 400 or 200)."""
    title = normalise_space(entry.findtext(f"{ATOM}title"))
    entry_id = entry.findtext(f"{ATOM}id") or ""
    if "/api/errors" in entry_id or (title == "Error" and "/abs/" not in entry_id):
        message = normalise_space(entry.findtext(f"{ATOM}summary")) or "no reason given"
        raise ArxivRejected(f"arXiv rejected the query: {message}")


def _opensearch_int(root: Element, name: str, *, default: int | None) -> int | None:
    text = root.findtext(f"{OPENSEARCH}{name}")
    if text is None or not text.strip():
        return default
    try:
        return int(text.strip())
    except ValueError:
        raise SourceError(f"arXiv returned a non-numeric opensearch:{name}") from None


def _paper(entry: Element) -> Paper | None:
    """One entry as a Paper; an entry without a usable id is logged and left out."""
    raw_id = entry.findtext(f"{ATOM}id") or ""
    try:
        arxiv_id, version = split_arxiv_id(raw_id)
    except ValueError:
        log.warning("arxiv: skipping an entry with an unusable id %r", raw_id[:100])
        return None
    primary, categories = _categories(entry)
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=normalise_space(entry.findtext(f"{ATOM}title")),
        authors=tuple(
            name
            for author in entry.findall(f"{ATOM}author")
            if (name := normalise_space(author.findtext(f"{ATOM}name")))
        ),
        abstract=normalise_space(entry.findtext(f"{ATOM}summary")),
        primary_category=primary,
        categories=categories,
        published=_datetime(entry.findtext(f"{ATOM}published")),
        updated=_datetime(entry.findtext(f"{ATOM}updated")),
        comment=_optional(entry, f"{ARXIV}comment"),
        journal_ref=_optional(entry, f"{ARXIV}journal_ref"),
        doi=_optional(entry, f"{ARXIV}doi") or _doi_from_link(entry),
    )


def _categories(entry: Element) -> tuple[str, tuple[str, ...]]:
    """The primary category and every category (cross-lists too), primary first, no duplicates."""
    terms = [c.get("term", "").strip() for c in entry.findall(f"{ATOM}category")]
    primary_element = entry.find(f"{ARXIV}primary_category")
    primary = (primary_element.get("term", "") if primary_element is not None else "").strip()
    if not primary:
        primary = next((t for t in terms if t), "")
    ordered = dict.fromkeys(t for t in [primary, *terms] if t)
    return primary, tuple(ordered)


def _optional(entry: Element, tag: str) -> str | None:
    return normalise_space(entry.findtext(tag)) or None


def _doi_from_link(entry: Element) -> str | None:
    """The 2016 backend also gave the DOI as ``<link title="doi" href="http://dx.doi.org/...">``."""
    for link in entry.findall(f"{ATOM}link"):
        if link.get("title") == "doi" and link.get("href"):
            return _DOI_URL.sub("", link.get("href", "")) or None
    return None


def _datetime(text: str | None) -> dt.datetime | None:
    """An Atom timestamp as an aware UTC datetime; ``None`` when absent or unreadable."""
    if not text or not text.strip():
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        log.warning("arxiv: unreadable timestamp %r", text[:40])
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)
