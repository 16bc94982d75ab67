"""Markdown posts with front matter, as Jekyll and Hugo write them, to one :class:`RawEntry`.

Front matter is YAML between ``---`` lines (Jekyll, Hugo) or TOML between ``+++`` lines
(Hugo). The keys are read under the names both generators use, so a post from either site
needs no editing. The body is CommonMark plus tables, rendered by markdown-it-py and walked
into blocks by :mod:`syndicate.sources.blocks`; raw HTML passes through, since the sanitizer
cleans every body during normalize.

Drafts (``draft: true``, or Jekyll's ``published: false``) raise :class:`NotPublished` with that
reason: the one channel a parser has to say why a file made no article.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from syndicate.errors import NotPublished, ParseError
from syndicate.model import IMAGE, Block, Media, RawEntry
from syndicate.sources import charset
from syndicate.sources.attachments import ENCLOSURE_KEYS, read_media
from syndicate.sources.blocks import html_to_blocks
from syndicate.sources.nesting import too_deep
from syndicate.text.dates import MAX_YEAR, MIN_YEAR, parse_date

MD = MarkdownIt("commonmark").enable("table")
DECODING = charset.UTF8_ONLY  # Jekyll and Hugo read posts as UTF-8

# Jekyll closes YAML front matter with "---"; YAML itself also allows "..." as document end.
_FENCES = {"---": ("---", "..."), "+++": ("+++",)}
# Jekyll posts are named YYYY-MM-DD-slug.md and take their date and slug from the name.
_JEKYLL_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-(.+)\.(?:md|markdown|mkd|mkdn)$", re.I)
_TOML_POSITION = re.compile(r"at line (\d+), column (\d+)")
# Front matter keys that may hold the post's canonical URL, in order; earlier versions read all
# but "url" (their ids were made from what they read: see RawEntry.former_link).
LINK_KEYS = ("link", "canonical_url", "canonical", "permalink", "url")
FORMER_LINK_KEYS = LINK_KEYS[:-1]

Meta = Mapping[str, Any]


def parse(data: bytes, origin: str) -> list[RawEntry]:
    """Read one Markdown post from bytes (UTF-8, or UTF-16 with a BOM)."""
    return read_text(charset.decode(data, origin, policy=DECODING).text, origin)


def read_text(text: str, origin: str) -> list[RawEntry]:
    """Read one Markdown post; raises :class:`NotPublished` for drafts, :class:`ParseError` for
    unusable files."""
    meta, body = split_front_matter(text, origin)
    if _is_draft(meta):
        raise NotPublished(origin, "draft (front matter marks it unpublished); skipped")
    title = _string(meta.get("title"))
    tokens, heading = _take_title_heading(MD.parse(body), title)
    title = title or heading
    blocks = html_to_blocks(MD.renderer.render(tokens, MD.options, {}))
    if not title:
        what = "no title and no body" if not blocks else "no title"
        raise ParseError(
            origin, f"{what}: add 'title' to the front matter or start the body with '# Title'"
        )
    name_date, name_slug = _jekyll_name(origin)
    return [
        RawEntry(
            title=title,
            dek=_first_string(meta, "subtitle", "dek"),
            blocks=blocks,
            summary=_first_string(meta, "summary", "description", "excerpt"),
            categories=_categories(meta),
            tags=_dedupe(_split_names(meta.get("tags"))),
            authors=_authors(meta),
            published=_first_date(meta, origin, "date", "publishDate", "pubdate") or name_date,
            updated=_first_date(meta, origin, "updated", "lastmod", "last_modified_at", "modified"),
            language=_first_string(meta, "lang", "language"),
            link=_absolute_link(meta),
            former_link=_absolute_link(meta, FORMER_LINK_KEYS),
            slug=_string(meta.get("slug")) or name_slug,
            media=_media(meta),
            guid=_first_string(meta, "id", "guid", "uid"),
        )
    ]


def split_front_matter(text: str, origin: str) -> tuple[Meta, str]:
    """The front matter as a mapping, and the Markdown body after it.

    Raises :class:`ParseError` naming the file line when the front matter is unclosed,
    malformed, or not a mapping.
    """
    lines = text.splitlines(keepends=True)
    opener = lines[0].strip() if lines else ""
    if opener not in _FENCES:
        return {}, text
    end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() in _FENCES[opener]), None)
    if end is None:
        raise ParseError(origin, f"front matter opened with '{opener}' on line 1 is never closed")
    source = "".join(lines[1:end])
    meta = _load_toml(source, origin) if opener == "+++" else _load_yaml(source, origin)
    return meta, "".join(lines[end + 1 :])


def _load_yaml(source: str, origin: str) -> Meta:
    try:
        loaded = yaml.safe_load(source)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        # Marks count from 0 within the front matter, which starts on file line 2.
        where = f" at line {mark.line + 2}, column {mark.column + 1}" if mark else ""
        reason = exc.problem or exc.context or "cannot be read"
        raise ParseError(origin, f"front matter: invalid YAML{where}: {reason}") from exc
    except yaml.YAMLError as exc:
        raise ParseError(origin, f"front matter: invalid YAML: {exc}") from exc
    except ValueError as exc:  # a value PyYAML's constructors refuse: "hour must be in 0..23"
        raise ParseError(origin, f"front matter: invalid YAML value: {exc}") from exc
    except RecursionError as exc:
        raise too_deep(origin, "front matter: YAML") from exc
    return _require_mapping(loaded, origin)


def _load_toml(source: str, origin: str) -> Meta:
    try:
        return tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        # tomllib counts lines within the front matter, which starts on file line 2.
        message = _TOML_POSITION.sub(lambda m: f"at line {int(m[1]) + 1}, column {m[2]}", str(exc))
        raise ParseError(origin, f"front matter: invalid TOML: {message}") from exc
    except RecursionError as exc:
        raise too_deep(origin, "front matter: TOML") from exc


def _require_mapping(loaded: object, origin: str) -> Meta:
    if loaded is None:
        return {}  # "---\n---": empty front matter, as Jekyll allows
    if not isinstance(loaded, Mapping):
        kind = type(loaded).__name__
        raise ParseError(origin, f"front matter: expected a mapping of keys, got a {kind}")
    return {str(key): value for key, value in loaded.items()}


def _is_draft(meta: Meta) -> bool:
    draft = meta.get("draft")
    # Jekyll hides a post with "published: false"; a date under that key is not a flag.
    return _truthy(draft) or meta.get("published") is False


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "yes", "on", "1"}
    return value is True


def _take_title_heading(tokens: list[Token], title: str) -> tuple[list[Token], str]:
    """Remove the body's first ``# heading`` when it is (or stands in for) the title."""
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h1":
            text = _inline_text(tokens[index + 1])
            leading = all(t.type == "html_block" for t in tokens[:index])
            if title and not (leading and _same(text, title)):
                return tokens, ""  # a real section heading, not a repeat of the title
            return tokens[:index] + tokens[index + 3 :], text
    return tokens, ""


def _inline_text(token: Token) -> str:
    parts = (c.content for c in token.children or () if c.type in ("text", "code_inline"))
    return " ".join("".join(parts).split())


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _string(value: object) -> str:
    """A scalar as stripped text; YAML reads ``title: 2024`` as a number."""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        return ""
    return str(value)


def _first_string(meta: Meta, *keys: str) -> str:
    return next((text for key in keys if (text := _string(meta.get(key)))), "")


def _split_names(value: object) -> list[str]:
    """A list of names, or a string of them as Jekyll allows ("a b" or "a, b")."""
    if isinstance(value, str):
        # Jekyll splits on spaces; a comma means the names themselves may hold spaces.
        parts = value.split(",") if "," in value else value.split()
        return [p for part in parts if (p := _string(part))]
    if isinstance(value, list):
        return [name for item in value if (name := _name(item))]
    return []


def _name(value: object) -> str:
    if isinstance(value, Mapping):
        return _string(value.get("name"))  # Jekyll: author: {name: …, email: …}
    return _string(value)


def _categories(meta: Meta) -> tuple[str, ...]:
    names = _split_names(meta.get("categories"))
    # A singular "category" names one category, spaces and all (Jekyll, Hugo themes).
    single = meta.get("category")
    for item in single if isinstance(single, list) else [single]:
        if name := _string(item):
            names.append(name)
    return _dedupe(names)


def _authors(meta: Meta) -> tuple[str, ...]:
    names: list[str] = []
    for key in ("authors", "author"):
        value = meta.get(key)
        if isinstance(value, list):
            names += [name for item in value if (name := _name(item))]
        elif name := _name(value):
            names.append(name)
    return _dedupe(names)


def _first_date(meta: Meta, origin: str, *keys: str) -> datetime | None:
    """The first date given under ``keys``; one that cannot be read is an error, as in Jekyll."""
    for key in keys:
        value = meta.get(key)
        if value is None or value == "":
            continue
        # PyYAML and tomllib already give date/datetime objects; strings are parsed here.
        parsed = parse_date(value) if isinstance(value, (str, date)) else None
        if parsed is None:
            reason = f"front matter: {key}: cannot read the date {str(value)!r}"
            raise ParseError(origin, f"{reason} (years {MIN_YEAR}-{MAX_YEAR})")
        return parsed
    return None


def _absolute_link(meta: Meta, keys: tuple[str, ...] = LINK_KEYS) -> str:
    # Jekyll's permalink is usually a path pattern ("/:year/:title/"): only URLs count.
    for key in keys:
        text = _string(meta.get(key))
        if re.match(r"^https?://[^/\s]+", text, re.I):
            return text
    return ""


def _media(meta: Meta) -> tuple[Media, ...]:
    """The enclosures the front matter names, then its lead image."""
    found: list[Media] = []
    for key in ENCLOSURE_KEYS:
        found += read_media(meta.get(key)) or []
    for key in ("image", "cover", "images", "featured_image", "thumbnail"):
        # Hugo: images: [a.jpg, b.jpg] (the first leads); themes: cover: {image: …, alt: …};
        # Jekyll themes: image: {path: …}
        images = read_media(meta.get(key), IMAGE)
        if images:
            return (*found, images[0])
    return tuple(found)


def _jekyll_name(origin: str) -> tuple[datetime | None, str]:
    match = _JEKYLL_NAME.match(PurePath(origin).name)
    if not match:
        return None, ""
    return parse_date(match[1]), match[2]


def _dedupe(names: list[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(name.casefold(), name)
    return tuple(seen.values())


def body_blocks(text: str) -> tuple[Block, ...]:
    """A Markdown body (no front matter) as blocks: the articles API's ``markdown`` field."""
    return html_to_blocks(MD.render(text))
