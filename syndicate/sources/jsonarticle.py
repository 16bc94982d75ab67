"""JSON articles to :class:`RawEntry`: one object, a list of them, or ``{"articles": [...]}``.

Keys are read under the names publishing systems and JSON Feed items use (``content_html``,
``date_published``, ``authors`` as objects…). JSON is typed, so types are enforced: a wrong type
raises :class:`ParseError` naming the field's path and what was expected
(``articles[2].tags: expected a list of strings, got 42``), since it means the producer is
broken, not that one article is odd. Unknown keys are ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, NoReturn

from syndicate.errors import ParseError
from syndicate.model import IMAGE, Block, BlockKind, Media, RawEntry
from syndicate.sources import charset
from syndicate.sources.attachments import ENCLOSURE_KEYS, read_media
from syndicate.sources.blocks import collapse, html_to_blocks, strip_unsafe_chars
from syndicate.sources.nesting import too_deep
from syndicate.text.dates import MAX_YEAR, MIN_YEAR, parse_date

Item = Mapping[str, Any]
DECODING = charset.UTF8_ONLY  # RFC 8259 §8.1: JSON exchanged between systems is UTF-8

# Body keys in order of preference; the first two are always HTML, the last two plain text,
# and the middle two are sniffed (JSON Feed 1.1 §items: content_html / content_text).
HTML_KEYS = ("content_html", "html")
SNIFFED_KEYS = ("body", "content")
TEXT_KEYS = ("text", "content_text")
# Containers of several articles; "items" is a JSON Feed document's list.
LIST_KEYS = ("articles", "items")
_HTML_TAG = re.compile(
    r"<(?:p|div|br|h[1-6]|ul|ol|li|blockquote|img|a|em|strong|b|i|figure|pre|table|span"
    r"|section|article)\b[^>]*>",
    re.I,
)


def parse(data: bytes, origin: str) -> list[RawEntry]:
    """Read every article in a JSON document given as bytes (UTF-8, RFC 8259 §8.1)."""
    return read_text(charset.decode(data, origin, policy=DECODING).text, origin)


def read_text(text: str, origin: str) -> list[RawEntry]:
    """Read every article in a JSON document; raises :class:`ParseError` on bad shape."""
    document = _load(text, origin)
    return [_entry(item, path, origin) for path, item in _items(document, origin)]


def _load(text: str, origin: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        reason = f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise ParseError(origin, reason) from exc
    except RecursionError as exc:
        raise too_deep(origin, "JSON") from exc


def _items(document: object, origin: str) -> list[tuple[str, Item]]:
    """Each article object with its path for error messages ("articles[2]", "[0]", "")."""
    if isinstance(document, Mapping):
        key = next((k for k in LIST_KEYS if k in document), None)
        if key is None:
            return [("", document)]
        return _article_list(document[key], key, origin)
    if isinstance(document, list):
        return _article_list(document, "", origin)
    expected = 'an article object, a list of them, or {"articles": [...]}'
    raise ParseError(origin, f"expected {expected}, got {_describe(document)}")


def _article_list(value: object, path: str, origin: str) -> list[tuple[str, Item]]:
    if not isinstance(value, list):
        raise ParseError(
            origin, f"{path}: expected a list of article objects, got {_describe(value)}"
        )
    for index, item in enumerate(value):
        if not isinstance(item, Mapping):
            where = f"{path}[{index}]"
            raise ParseError(origin, f"{where}: expected an article object, got {_describe(item)}")
    return [(f"{path}[{index}]", item) for index, item in enumerate(value)]


def _entry(item: Item, path: str, origin: str) -> RawEntry:
    read = _Reader(item, path, origin)
    title = collapse(read.string("title", "headline"))
    blocks = _body(read)
    if not title:
        what = "no title and no body" if not blocks else "no title"
        raise ParseError(origin, f"{path or 'article'}: {what} (expected a 'title' string)")
    return RawEntry(
        title=title,
        dek=collapse(read.string("subtitle", "dek")),
        blocks=blocks,
        summary=collapse(read.string("summary", "description")),
        categories=_dedupe((*read.strings("categories"), collapse(read.string("category")))),
        tags=read.strings("tags"),
        authors=read.authors(),
        published=read.date("published", "date_published", "datePublished", "date"),
        updated=read.date("updated", "date_modified", "dateModified"),
        language=read.string("language", "lang", "inLanguage").strip(),
        link=(former := read.url("url", "link"))
        or read.optional_url("permalink", "canonical", "canonical_url"),
        former_link=former,  # earlier versions read only url and link
        slug=read.string("slug").strip(),
        media=read.media(),
        guid=read.identifier("id", "guid"),
    )


def _body(read: _Reader) -> tuple[Block, ...]:
    for key in (*HTML_KEYS, *SNIFFED_KEYS, *TEXT_KEYS):
        text = read.string(key)
        if not text.strip():
            continue
        is_html = key in HTML_KEYS or (key in SNIFFED_KEYS and _HTML_TAG.search(text))
        return html_to_blocks(text) if is_html else text_blocks(text)
    return ()


def text_blocks(text: str) -> tuple[Block, ...]:
    """Plain text to paragraphs: blank lines separate them, single newlines are spaces."""
    paragraphs = (collapse(part) for part in re.split(r"\n\s*\n", text))
    return tuple(Block(BlockKind.PARAGRAPH, text=p) for p in paragraphs if p)


class _Reader:
    """Typed access to one article object; every error names the field's full path."""

    def __init__(self, item: Item, path: str, origin: str) -> None:
        self.item, self.path, self.origin = item, path, origin

    def string(self, *keys: str) -> str:
        """The first of ``keys`` present with a non-empty string; "" when none is."""
        for key in keys:
            value = self.item.get(key)
            if value is None:
                continue
            if not isinstance(value, str):
                self.fail(key, "a string", value)
            if value.strip():
                return strip_unsafe_chars(value)  # JSON may escape lone surrogates: "\ud800"
        return ""

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.item.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(key, "a list of strings", value)
        for index, entry in enumerate(value):
            if not isinstance(entry, str):
                self.fail(f"{key}[{index}]", "a string", entry)
        return _dedupe(collapse(entry) for entry in value)

    def authors(self) -> tuple[str, ...]:
        """``authors`` (strings or objects with ``name``), else JSON Feed 1.0's ``author``."""
        value = self.item.get("authors")
        if value is None:
            single = self.item.get("author")
            return () if single is None else _dedupe([self.author_name("author", single)])
        if not isinstance(value, list):
            self.fail("authors", "a list of names or author objects", value)
        return _dedupe(self.author_name(f"authors[{i}]", a) for i, a in enumerate(value))

    def author_name(self, key: str, value: object) -> str:
        if isinstance(value, str):
            return collapse(value)
        name = value.get("name") if isinstance(value, Mapping) else 0
        if isinstance(name, str):
            return collapse(name)
        if isinstance(value, Mapping) and name is None:
            return ""  # JSON Feed 1.1 allows an author with only a url or avatar
        self.fail(key, "a name or an object with a 'name' string", value)

    def date(self, *keys: str) -> datetime | None:
        for key in keys:
            text = self.string(key)
            if not text:
                continue
            parsed = parse_date(text)
            if parsed is None:
                self.fail(key, f"a date (ISO 8601 or RFC 822, years {MIN_YEAR}-{MAX_YEAR})", text)
            return parsed
        return None

    def url(self, *keys: str) -> str:
        for key in keys:
            text = self.string(key).strip()
            if text and not re.match(r"^https?://[^/\s]+", text, re.I):
                self.fail(key, "an absolute http(s) URL", text)
            if text:
                return text
        return ""

    def optional_url(self, *keys: str) -> str:
        """The first of ``keys`` holding an absolute URL; relative paths are not links."""
        for key in keys:
            text = self.string(key).strip()
            if re.match(r"^https?://[^/\s]+", text, re.I):
                return text
        return ""

    def identifier(self, *keys: str) -> str:
        """The article's own id: a string or a number (JSON Feed ids are strings)."""
        for key in keys:
            value = self.item.get(key)
            if isinstance(value, bool) or value is None:
                continue
            if isinstance(value, int):
                return str(value)
            if not isinstance(value, str):
                self.fail(key, "a string or a number", value)
            if value.strip():
                return collapse(strip_unsafe_chars(value))
        return ""

    def media(self) -> tuple[Media, ...]:
        """Enclosures (``attachments`` as JSON Feed writes them, ``enclosure(s)``) and the lead
        image (``image`` as a URL or a schema.org ImageObject, else ``banner_image``)."""
        found: list[Media] = []
        for key in ENCLOSURE_KEYS:
            media = read_media(self.item.get(key))
            if media is None:
                self.fail(key, "a URL, an object with a 'url', or a list of them", self.item[key])
            found += media
        for key in ("image", "banner_image"):
            images = read_media(self.item.get(key), IMAGE)
            if images is None:
                self.fail(key, "a URL string or an object with a 'url' string", self.item[key])
            if images:
                return (*found, images[0])
        return tuple(found)

    def fail(self, key: str, expected: str, value: object) -> NoReturn:
        where = f"{self.path}.{key}" if self.path else key
        raise ParseError(self.origin, f"{where}: expected {expected}, got {_describe(value)}")


def _describe(value: object) -> str:
    """A short rendering of a JSON value for error messages."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    rendered = json.dumps(value, ensure_ascii=False)
    return rendered if len(rendered) <= 40 else rendered[:37] + "..."


def _dedupe(names: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for name in names:
        if name:
            seen.setdefault(name.casefold(), name)
    return tuple(seen.values())
