"""Articles submitted over HTTP (the articles API, Micropub) to :class:`RawEntry` fields.

The same shape as a JSON Feed item, with the names publishing systems use: ``title``, one
body (``content_html``, ``content_text`` or ``markdown``), ``summary``, ``categories``,
``tags``, ``authors``, ``published``, ``url``, ``id``, ``image``, ``attachments``, and also
``dek``, ``slug`` and ``language``. The body becomes blocks with the same helpers as files of
each kind (HTML and Markdown through :mod:`.blocks`), and everything then goes through
``normalize`` like any other input: nothing submitted skips the sanitizer.

A submission is typed and checked strictly: an unknown field, a wrong type, a date that cannot
be read or a relative URL is an :class:`~syndicate.errors.InvalidField` naming the field
(``tags[2]``, ``attachments[0].url``), since it means the client is wrong, not the article.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from syndicate.errors import InvalidField
from syndicate.model import Block, Media
from syndicate.sources.blocks import collapse, html_to_blocks, strip_unsafe_chars
from syndicate.sources.jsonarticle import text_blocks
from syndicate.sources.markdown import body_blocks
from syndicate.text.dates import MAX_YEAR, MIN_YEAR, parse_date

BODY_FIELDS = ("content_html", "content_text", "markdown")
TEXT_FIELDS = ("title", "summary", "dek", "slug", "language")
LIST_FIELDS = ("categories", "tags", "authors")
OTHER_FIELDS = ("id", "published", "url", "image", "attachments", "status")
FIELDS = frozenset((*BODY_FIELDS, *TEXT_FIELDS, *LIST_FIELDS, *OTHER_FIELDS))
STATUSES = ("published", "unpublished")
MAX_KEY = 200  # characters of a client's own id
_ABSOLUTE = re.compile(r"^https?://[^/\s]+", re.I)


@dataclass(frozen=True, slots=True)
class Submission:
    """What a submission asks for: ``changes`` are :class:`RawEntry` fields by name (only
    those given), ``key`` the client's own id, ``status`` a requested status change."""

    changes: dict[str, Any]
    key: str = ""
    status: str = ""

    @property
    def dated(self) -> bool:
        """Whether the client gave the published date."""
        return "published" in self.changes


def read_submission(payload: object, origin: str, *, partial: bool = False) -> Submission:
    """Check and convert one submitted article.

    A full submission (create) needs a body or a ``summary``, and a ``title`` unless its body
    can give one (a note: ``normalize`` titles it from its first sentence); a ``partial`` one
    (an update) may give any fields, each replacing the stored one.
    """
    if not isinstance(payload, Mapping):
        raise InvalidField(origin, "(body)", f"expected a JSON object, got {_kind(payload)}")
    read = _Reader(payload, origin)
    for name in payload:
        if name not in FIELDS:
            read.fail(str(name), f"unknown field; expected one of: {', '.join(sorted(FIELDS))}")
    changes: dict[str, Any] = {}
    for name in ("title", "summary", "dek", "language"):
        if name in payload:
            changes[name] = collapse(read.string(name))
    if "slug" in payload:
        changes["slug"] = read.string("slug").strip()
    body = read.body()
    if body is not None:
        changes["blocks"] = body
    for name in LIST_FIELDS:
        if name in payload:
            changes[name] = read.authors() if name == "authors" else read.strings(name)
    if "published" in payload:
        changes["published"] = read.date("published")
    if "url" in payload:
        changes["link"] = read.url("url")
    if "image" in payload or "attachments" in payload:
        changes["media"] = read.media()
    status = read.string("status") if "status" in payload else ""
    if status and status not in STATUSES:
        read.fail("status", f"expected one of: {', '.join(STATUSES)}")
    key = read.string("id").strip() if "id" in payload else ""
    if len(key) > MAX_KEY:
        read.fail("id", f"at most {MAX_KEY} characters")
    if not partial:
        if not changes.get("title") and not changes.get("blocks"):
            read.fail("title", "required: a non-empty string (or a body to take one from)")
        if not changes.get("blocks") and not changes.get("summary"):
            read.fail("content_html", f"required: one of {', '.join(BODY_FIELDS)} or a summary")
    return Submission(changes, key, status)


class _Reader:
    """Typed access to one submission; every error names the field."""

    def __init__(self, payload: Mapping[str, Any], origin: str) -> None:
        self.payload, self.origin = payload, origin

    def fail(self, field: str, reason: str) -> NoReturn:
        raise InvalidField(self.origin, field, reason)

    def string(self, name: str, value: object = None, where: str = "") -> str:
        value = self.payload.get(name) if value is None and not where else value
        if value is None:
            return ""
        if not isinstance(value, str):
            self.fail(where or name, f"expected a string, got {_kind(value)}")
        return strip_unsafe_chars(value)

    def body(self) -> tuple[Block, ...] | None:
        given = [name for name in BODY_FIELDS if name in self.payload]
        if len(given) > 1:
            self.fail(given[1], f"give one body only, not both {given[0]} and {given[1]}")
        if not given:
            return None
        text = self.string(given[0])
        if given[0] == "content_html":
            return html_to_blocks(text) if text.strip() else ()
        if given[0] == "markdown":
            return body_blocks(text)
        return text_blocks(text)

    def strings(self, name: str) -> tuple[str, ...]:
        value = self.payload.get(name)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(name, f"expected a list of strings, got {_kind(value)}")
        return tuple(collapse(self.string(name, v, f"{name}[{i}]")) for i, v in enumerate(value))

    def authors(self) -> tuple[str, ...]:
        value = self.payload.get("authors")
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail("authors", f"expected a list of names or objects, got {_kind(value)}")
        names = []
        for index, item in enumerate(value):
            where = f"authors[{index}]"
            if isinstance(item, Mapping):
                item = item.get("name")
                where += ".name"
            names.append(collapse(self.string("authors", item, where)))
        return tuple(names)

    def date(self, name: str) -> Any:
        text = self.string(name).strip()
        if not text:
            return None
        parsed = parse_date(text)
        if parsed is None:
            self.fail(
                name, f"expected an ISO 8601 date (years {MIN_YEAR}-{MAX_YEAR}), got {text!r}"
            )
        return parsed

    def url(self, name: str, value: object = None, where: str = "") -> str:
        text = self.string(name, value, where).strip()
        if text and not _ABSOLUTE.match(text):
            self.fail(where or name, f"expected an absolute http(s) URL, got {text[:80]!r}")
        return text

    def media(self) -> tuple[Media, ...]:
        found: list[Media] = []
        image = self.url("image") if "image" in self.payload else ""
        if image:
            found.append(Media(url=image))
        value = self.payload.get("attachments")
        if value is None:
            return tuple(found)
        if not isinstance(value, list):
            self.fail("attachments", f"expected a list of objects, got {_kind(value)}")
        for index, item in enumerate(value):
            found.append(self.attachment(item, f"attachments[{index}]"))
        return tuple(found)

    def attachment(self, item: object, where: str) -> Media:
        """A JSON Feed attachment: ``url`` (required), ``mime_type``, ``title``,
        ``size_in_bytes``."""
        if not isinstance(item, Mapping):
            self.fail(where, f"expected an object, got {_kind(item)}")
        url = self.url("", item.get("url"), f"{where}.url")
        if not url:
            self.fail(f"{where}.url", "required: an absolute http(s) URL")
        size = item.get("size_in_bytes", 0)
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            self.fail(f"{where}.size_in_bytes", f"expected a whole number, got {_kind(size)}")
        return Media(
            url=url,
            type=self.string("", item.get("mime_type"), f"{where}.mime_type").strip(),
            length=size,
            title=collapse(self.string("", item.get("title"), f"{where}.title")),
        )


def _kind(value: object) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    return f"{type(value).__name__} {value!r}"[:60]
