"""Parsers, one pure module per input kind, behind one dispatch table.

Each module exposes ``parse(data: bytes, origin: str) -> list[RawEntry]``. Modules are imported
on first use: the HTML path pulls in trafilatura, which a Markdown-only run need not pay for.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable
from pathlib import PurePath

from syndicate.errors import ParseError
from syndicate.model import RawEntry

Parser = Callable[[bytes, str], list[RawEntry]]

PARSER_MODULES: dict[str, str] = {
    "text": "syndicate.sources.text",
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
        return "json"
    return "text"


def parser_for(kind: str) -> Parser:
    """The ``parse`` function of a kind; ``ParseError`` for a kind we do not know."""
    module_name = PARSER_MODULES.get(kind)
    if module_name is None:
        raise ParseError(kind, f"unknown input kind; expected one of: {', '.join(KINDS)}")
    module = importlib.import_module(module_name)
    parse: Parser = module.parse
    return parse


def parse_bytes(data: bytes, origin: str, kind: str | None = None) -> list[RawEntry]:
    """Parse one input of a given (or detected) kind into raw entries."""
    return parser_for(kind or detect_kind(origin, data))(data, origin)
