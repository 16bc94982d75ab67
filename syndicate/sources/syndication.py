"""Upstream feeds to :class:`RawEntry`: RSS 0.9x/1.0/2.0 and Atom via feedparser, JSON Feed.

feedparser reads the XML dialects, including broken real-world ones (it falls back to a
lenient parser; a document it cannot read at all, or that is no feed, is a
:class:`ParseError`). JSON Feed 1.0/1.1 is plain JSON and is read with the standard library.

One entry that makes no article (no title and no text, a value of the wrong type) is skipped
and counted in :attr:`ParsedFeed.skipped`, never failing its feed. An entry with a title but no
text (a link blog's link, a podcast episode's file) is kept with an empty body. HTML found in
entries is kept as found: ``normalize`` sanitizes it (one sanitizer, one policy).

What feedparser reads is checked where it is known to go wrong: its split of an RSS
``<author>`` into name and address keeps only top-level domains of up to four letters
(``desk@wire.example (Wire Desk)`` becomes the name ``ple (Wire Desk``), so authors are read
from the raw string where it is there and repaired where it is not (:func:`_authors`).
"""

from __future__ import annotations

import calendar
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from syndicate.config.settings import DEFAULT_MAX_FEED_ENTRIES
from syndicate.errors import ParseError
from syndicate.model import IMAGE, Media, RawEntry
from syndicate.sources.blocks import collapse, html_to_blocks, parse_fragment, text_of
from syndicate.sources.feedcap import cut_entries
from syndicate.sources.jsonarticle import text_blocks
from syndicate.sources.nesting import too_deep
from syndicate.text.dates import parse_date

_JSON_FEED_VERSION = re.compile(r"^https?://jsonfeed\.org/version/1(\.\d+)?/?$")
_XML_DECLARATION = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
# A category domain or scheme naming tags rather than categories (WordPress "post_tag").
_TAG_SCHEME = re.compile(r"tag|keyword|label")
# feedparser's address pattern stops after four letters of top-level domain.
_CUT_SHORT = re.compile(r"\.[A-Za-z]{4}$")


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One usable entry; ``summary_only`` when its body is only the feed's summary."""

    entry: RawEntry
    summary_only: bool = False


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What a feed document holds: usable items, and why the others were skipped."""

    items: tuple[FeedItem, ...]
    skipped: tuple[str, ...] = ()
    title: str = ""
    note: str = ""  # e.g. "not well-formed XML, read leniently: ..."
    over_cap: int = 0  # entries past ``max_entries``, skipped unread

    @property
    def entries(self) -> list[RawEntry]:
        """The raw entries, in feed order."""
        return [item.entry for item in self.items]


def parse(data: bytes, origin: str) -> list[RawEntry]:
    """The dispatch-table form: raw entries of a feed document (skipped ones dropped)."""
    return parse_feed(data, origin).entries


def parse_feed(
    data: bytes, origin: str, *, charset: str = "", max_entries: int = DEFAULT_MAX_FEED_ENTRIES
) -> ParsedFeed:
    """Read a feed document; ``origin`` is its URL (the base for relative links) or name.

    ``charset`` is the encoding the caller already established (see :func:`utf8_document`);
    without it feedparser looks at the BOM and the XML declaration itself. Entries past the
    first ``max_entries`` are skipped and counted (``over_cap``): an XML document is cut before
    feedparser sees them, so they cost no memory.
    """
    try:
        if is_json_feed(data):
            return _json_feed(data, origin, max_entries)
        return _xml_feed(data, origin, charset, max_entries)
    except RecursionError as exc:  # past the parsers' own checks: still this feed's refusal
        raise too_deep(origin, "feed") from exc


def read_feed(text: str, origin: str, *, max_entries: int = DEFAULT_MAX_FEED_ENTRIES) -> ParsedFeed:
    """A feed document already decoded by the charset chain (see :func:`parse_feed`)."""
    return parse_feed(utf8_document(text), origin, charset="utf-8", max_entries=max_entries)


def utf8_document(text: str) -> bytes:
    """Decoded feed text as UTF-8 bytes whose XML declaration says so too."""
    return _XML_DECLARATION.sub(r"\1\2utf-8\2", text, count=1).encode("utf-8")


def is_json_feed(data: bytes) -> bool:
    """True when the bytes look like a JSON document rather than XML."""
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


# -- RSS and Atom ----------------------------------------------------------------------------


def _xml_feed(data: bytes, origin: str, charset: str, max_entries: int) -> ParsedFeed:
    data, extra = cut_entries(data, max_entries)
    headers = {"content-location": origin} if origin.startswith(("http:", "https:")) else {}
    if charset:
        headers["content-type"] = f"application/xml; charset={charset}"
    # A BytesIO, never bytes or str: feedparser would treat a string as a path or a URL.
    try:
        parsed = feedparser.parse(
            io.BytesIO(data),
            response_headers=headers,
            sanitize_html=False,
            resolve_relative_uris=True,
        )
    except (ValueError, LookupError) as exc:  # an encoding declaration it cannot decode
        raise ParseError(origin, f"not an RSS or Atom feed: unreadable encoding: {exc}") from exc
    problem = _bozo(parsed)
    if not parsed.get("version") and not parsed.entries:
        raise ParseError(origin, f"not an RSS or Atom feed{': ' + problem if problem else ''}")
    language = str(parsed.feed.get("language", ""))
    items, skipped = _collect(lambda e: _xml_entry(e, language), parsed.entries, _entry_label)
    note = f"not well-formed XML, read leniently: {problem}" if problem else ""
    return ParsedFeed(items, skipped, collapse(parsed.feed.get("title", "")), note, extra)


def _bozo(parsed: Any) -> str:
    if not parsed.get("bozo"):
        return ""
    exc = parsed.get("bozo_exception")
    # Encoding overrides are feedparser reporting our own re-labelling: not a problem.
    if type(exc).__name__ in ("CharacterEncodingOverride", "NonXMLContentType"):
        return ""
    return str(exc) or type(exc).__name__


def _xml_entry(entry: Any, language: str) -> FeedItem:
    content = _content(entry)
    summary_html = str(entry.get("summary", ""))
    body = content or summary_html
    title = _title(entry)
    blocks = (
        (html_to_blocks(body) if _is_html(entry, content) else text_blocks(body))
        if body.strip()
        else ()
    )
    if not title and not blocks:
        raise ValueError("no title and no text")
    categories, tags = _categories_and_tags(entry.get("tags", ()) or ())
    return FeedItem(
        RawEntry(
            title=title,
            blocks=blocks,
            summary=_plain(summary_html) if content else "",
            categories=categories,
            tags=tags,
            authors=_authors(entry),
            published=_date(entry, "published"),
            updated=_date(entry, "updated"),
            language=str(entry.get("language", "") or language),
            link=str(entry.get("link", "")),
            media=_xml_media(entry),
            guid=collapse(str(entry.get("id", "") or "")),
        ),
        summary_only=not content,
    )


def _content(entry: Any) -> str:
    """The fullest body: ``content:encoded``/Atom content, HTML preferred over text."""
    contents = list(entry.get("content", ()))
    contents.sort(key=lambda c: c.get("type", "") not in _HTML_TYPES)
    return next((str(c.get("value", "")) for c in contents if str(c.get("value", "")).strip()), "")


def _is_html(entry: Any, content: str) -> bool:
    detail = entry.get("content", [{}])[0] if content else entry.get("summary_detail", {})
    return str(detail.get("type", "text/html")) in _HTML_TYPES or "<" in content


def _title(entry: Any) -> str:
    title = str(entry.get("title", ""))
    detail = entry.get("title_detail", {})
    return _plain(title) if detail.get("type") in _HTML_TYPES else collapse(title)


def _plain(html: str) -> str:
    return text_of(parse_fragment(html)) if "<" in html else collapse(html)


def _categories_and_tags(terms: Iterable[Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """An entry's RSS ``<category>`` and Atom ``<category>`` names are its categories, except
    those whose domain or scheme says they are tags (WordPress ``post_tag``, ``.../tags``)."""
    categories: list[str] = []
    tags: list[str] = []
    for term in terms:
        name = collapse(str(term.get("label") or term.get("term") or ""))
        scheme = str(term.get("scheme") or "").lower()
        if name:
            (tags if _TAG_SCHEME.search(scheme) else categories).append(name)
    return tuple(dict.fromkeys(categories)), tuple(dict.fromkeys(tags))


def _authors(entry: Any) -> tuple[str, ...]:
    """The entry's authors as written: feedparser's split is used only when it is sound.

    ``entry.author`` keeps the raw string of the last author element, which is what the split
    cut short; other authors whose split left a broken name are repaired (:func:`_rejoined`).
    """
    raw = collapse(str(entry.get("author", "") or ""))
    names: list[str] = []
    for detail in entry.get("authors", ()) or ():
        name = collapse(str(detail.get("name", "") or ""))
        email = str(detail.get("email", "") or "")
        if email and email in raw:
            names.append(raw)
        elif email:
            names.append(_rejoined(name, email))
        else:
            names.append(name)
    if not any(names):
        names = [raw]
    return tuple(dict.fromkeys(n for n in names if n))


def _rejoined(name: str, email: str) -> str:
    """A name feedparser left broken, repaired: the rest of the address it cut short is at
    the start of the name (``ple (Wire Desk``) or in its brackets (``Jane Roe <ple>``)."""
    if not _CUT_SHORT.search(email):
        return name  # a top-level domain shorter than four letters: the split was sound
    # The rest of a domain is lower case letters, digits, dots and hyphens; names are not.
    if re.fullmatch(r"[a-z0-9.-]+", name):
        return ""  # the whole name is the rest of the address: there was no name
    name = re.sub(r"<[a-z0-9.-]*>", "", name)
    name = re.sub(r"^[a-z0-9.-]+(?=\s*\()", "", name)
    return name.strip().strip("()").strip()


def _date(entry: Any, key: str) -> datetime | None:
    """The raw date string through our chain, else feedparser's own reading of it."""
    found = parse_date(str(entry.get(key, ""))) if entry.get(key) else None
    struct = entry.get(f"{key}_parsed")
    if found is None and struct:
        found = parse_date(datetime.fromtimestamp(calendar.timegm(struct), UTC))
    return found


def _xml_media(entry: Any) -> tuple[Media, ...]:
    """Enclosures (RSS ``<enclosure>``, Atom ``rel="enclosure"``, Media RSS ``media:content``)
    and lead images (``media:thumbnail``, ``itunes:image``), in that order."""
    found: list[Media] = []
    for link in entry.get("links", ()) or ():
        if link.get("rel") == "enclosure" and link.get("href"):
            length = _int(link.get("length"))
            found.append(Media(str(link["href"]), str(link.get("type", "")), length))
    for item in entry.get("media_content", ()) or ():
        if item.get("url"):
            kind = str(item.get("type", "") or "")
            length = _int(item.get("filesize") or item.get("fileSize"))
            found.append(Media(str(item["url"]), kind, length))
    for item in entry.get("media_thumbnail", ()) or ():
        if item.get("url"):
            found.append(Media(str(item["url"]), role=IMAGE))
    image = entry.get("image")
    if isinstance(image, Mapping) and image.get("href"):
        found.append(Media(str(image["href"]), role=IMAGE))
    return _unique_media(found)


# -- JSON Feed -------------------------------------------------------------------------------


def _json_feed(data: bytes, origin: str, max_entries: int) -> ParsedFeed:
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(origin, f"not a JSON Feed: invalid JSON: {exc}") from exc
    except RecursionError as exc:
        raise too_deep(origin, "JSON Feed") from exc
    if not isinstance(document, dict) or not _JSON_FEED_VERSION.match(
        str(document.get("version", ""))
    ):
        raise ParseError(origin, "not a JSON Feed: no https://jsonfeed.org/version/1 'version'")
    raw_items = document.get("items")
    if not isinstance(raw_items, list):
        raise ParseError(origin, "not a JSON Feed: 'items' is not a list")
    base = str(document.get("feed_url") or origin)
    language = str(document.get("language", ""))
    try:
        authors = _json_authors(document)
    except (ValueError, TypeError):  # the feed's own authors are of the wrong type: none
        authors = ()
    items, skipped = _collect(
        lambda item: _json_item(item, base, language, authors),
        raw_items[:max_entries],
        lambda _item, i: f"items[{i}]",
    )
    extra = max(0, len(raw_items) - max_entries)
    return ParsedFeed(items, skipped, collapse(str(document.get("title", ""))), "", extra)


def _json_item(item: Any, base: str, language: str, feed_authors: tuple[str, ...]) -> FeedItem:
    if not isinstance(item, Mapping):
        raise ValueError(f"expected an object, got {type(item).__name__}")
    html, text, summary = (_str(item, k) for k in ("content_html", "content_text", "summary"))
    blocks = html_to_blocks(html) if html.strip() else text_blocks(text or summary)
    title = collapse(_str(item, "title"))
    if not title and not blocks:
        raise ValueError("no title and no text")
    link = _str(item, "url") or _str(item, "external_url")
    guid = item.get("id")
    return FeedItem(
        RawEntry(
            title=title,
            blocks=blocks,
            summary=collapse(summary),
            tags=tuple(collapse(str(t)) for t in _list(item, "tags") if str(t).strip()),
            authors=_json_authors(item) or feed_authors,
            published=parse_date(_str(item, "date_published")),
            updated=parse_date(_str(item, "date_modified")),
            language=_str(item, "language") or language,
            link=urljoin(base, link) if link else "",
            media=_json_media(item, base),
            # JSON Feed 1.1: id is a string; 1.0 feeds sometimes wrote numbers.
            guid=collapse(str(guid)) if isinstance(guid, str | int) and guid != "" else "",
        ),
        summary_only=not (html or text).strip(),
    )


def _json_authors(obj: Mapping[str, Any]) -> tuple[str, ...]:
    # JSON Feed 1.1 has "authors"; 1.0 had a single "author" object.
    people = _list(obj, "authors") or (
        [obj["author"]] if isinstance(obj.get("author"), dict) else []
    )
    names = (collapse(str(p.get("name", ""))) for p in people if isinstance(p, Mapping))
    return tuple(dict.fromkeys(n for n in names if n))


def _json_media(item: Mapping[str, Any], base: str) -> tuple[Media, ...]:
    """``attachments`` (enclosures), then ``image`` (else ``banner_image``) as the lead image."""
    found: list[Media] = []
    for attachment in _list(item, "attachments"):
        if isinstance(attachment, Mapping) and attachment.get("url"):
            found.append(
                Media(
                    urljoin(base, str(attachment["url"])),
                    str(attachment.get("mime_type", "")),
                    _int(attachment.get("size_in_bytes")),
                    str(attachment.get("title", "")),
                )
            )
    image = _str(item, "image") or _str(item, "banner_image")
    if image:
        found.append(Media(urljoin(base, image), role=IMAGE))
    return _unique_media(found)


def _str(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{key}: expected a string, got {type(value).__name__}")
    return value


def _list(obj: Mapping[str, Any], key: str) -> list[Any]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{key}: expected a list, got {type(value).__name__}")
    return value


# -- shared ----------------------------------------------------------------------------------


def _collect(
    read: Callable[[Any], FeedItem], raw: Iterable[Any], label: Callable[[Any, int], str]
) -> tuple[tuple[FeedItem, ...], tuple[str, ...]]:
    """Items that could be read, and "label: reason" for each that could not."""
    items: list[FeedItem] = []
    skipped: list[str] = []
    for index, thing in enumerate(raw):
        try:
            items.append(read(thing))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            skipped.append(f"{label(thing, index)}: {exc}")
    return tuple(items), tuple(skipped)


def _entry_label(entry: Any, index: int) -> str:
    return str(entry.get("id") or entry.get("link") or f"entry {index + 1}")


def _int(value: object) -> int:
    try:
        return max(0, int(str(value)))
    except (TypeError, ValueError):
        return 0


def _unique_media(found: list[Media]) -> tuple[Media, ...]:
    seen: dict[str, Media] = {}
    for media in found:
        seen.setdefault(media.url, media)
    return tuple(seen.values())
