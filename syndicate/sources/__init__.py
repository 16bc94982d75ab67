"""Parsers, one pure module per input kind, behind one dispatch table.

Each module exposes ``read_text(text: str, origin: str) -> list[RawEntry]`` and its
``DECODING`` policy for the one charset chain (:mod:`syndicate.sources.charset`), plus
``parse(data: bytes, origin: str)`` for bytes. :func:`read` goes from bytes to entries and
keeps the decoder's note (a repaired encoding is reported, never silent). Modules are imported
on first use: the HTML path pulls in trafilatura, which a Markdown-only run need not pay for.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from types import ModuleType

from syndicate.errors import ParseError
from syndicate.model import RawEntry
from syndicate.sources import charset
from syndicate.sources.nesting import too_deep

Parser = Callable[[bytes, str], list[RawEntry]]

PARSER_MODULES: dict[str, str] = {
    "text": "syndicate.sources.scraped",
    "markdown": "syndicate.sources.markdown",
    "html": "syndicate.sources.page",
    "json": "syndicate.sources.jsonarticle",
}
EXTENSIONS: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdown": "markdown",
    ".mkd": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".json": "json",
}
KINDS = tuple(PARSER_MODULES)
_FRONT_MATTER = re.compile(rb"\A(\xef\xbb\xbf)?(---|\+\+\+)[ \t]*\r?\n")
_HTML_START = re.compile(
    rb"\A(\xef\xbb\xbf)?\s*<(!doctype\s+html|html|head|body|article|div|p|h[1-6])\b", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Parsed:
    """The entries of one input and, when its bytes were not what they claimed, a note."""

    entries: list[RawEntry]
    note: str = ""
    kind: str = ""


def detect_kind(name: str, data: bytes) -> str:
    """The input kind, from the file extension, else from the first bytes.

    A known extension wins; content sniffing settles files without one (or ``.txt`` files that
    are really HTML or front-matter Markdown, which scrapers produce).
    """
    sniffed = sniff_kind(data)
    by_extension = EXTENSIONS.get(PurePath(name).suffix.lower())
    if by_extension == "text" and sniffed in ("markdown", "html", "json"):
        return sniffed
    return by_extension or sniffed


def sniff_kind(data: bytes) -> str:
    """Guess the kind from content alone; plain text when nothing else fits."""
    head = data[:4096]
    if _FRONT_MATTER.match(head):
        return "markdown"
    if _HTML_START.match(head):
        return "html"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"{", b"["):
        try:
            json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            return "text"
        except RecursionError:
            return "json"  # JSON, nested past what can be read: its parser refuses it by name
        return "json"
    return "text"


def module_for(kind: str) -> ModuleType:
    """The parser module of a kind; ``ParseError`` for a kind we do not know."""
    module_name = PARSER_MODULES.get(kind)
    if module_name is None:
        raise ParseError(kind, f"unknown input kind; expected one of: {', '.join(KINDS)}")
    return importlib.import_module(module_name)


def parser_for(kind: str) -> Parser:
    """The bytes ``parse`` function of a kind; ``ParseError`` for a kind we do not know."""
    parse: Parser = module_for(kind).parse
    return parse


def read(data: bytes, origin: str, kind: str | None = None, *, label: str = "") -> Parsed:
    """Decode one input of a given (or detected) kind and parse it into raw entries.

    ``label`` is a charset the transport declared (HTTP ``Content-Type``), if any.
    """
    kind = kind or detect_kind(origin, data)
    module = module_for(kind)
    decoded = charset.decode(data, origin, policy=module.DECODING, label=label)
    try:
        entries: list[RawEntry] = module.read_text(decoded.text, origin)
    except RecursionError as exc:  # past the parser's own checks: still this input's refusal
        raise too_deep(origin, kind) from exc
    return Parsed(entries, decoded.note, kind)


def parse_bytes(data: bytes, origin: str, kind: str | None = None) -> list[RawEntry]:
    """Parse one input of a given (or detected) kind into raw entries."""
    return read(data, origin, kind).entries
