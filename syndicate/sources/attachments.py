"""Files named in front matter and JSON articles: enclosures and lead images, as people write them.

A value may be a URL string, an object (``{url: ..., type: ..., length: ...}`` under the names
JSON Feed, RSS and site generators use), or a list of those. Markdown front matter and JSON
articles read their ``enclosure``/``enclosures``/``attachments`` and ``image`` keys through
:func:`read_media`, so both accept the same shapes.
"""

from __future__ import annotations

from collections.abc import Mapping

from syndicate.model import ENCLOSURE, Media

ENCLOSURE_KEYS = ("enclosures", "enclosure", "attachments", "audio", "video", "podcast")
_URL_KEYS = ("url", "href", "src", "path", "file", "image", "feature")
_TYPE_KEYS = ("mime_type", "type", "mime", "mimetype")
_LENGTH_KEYS = ("size_in_bytes", "length", "size", "fileSize", "filesize", "bytes")
_TITLE_KEYS = ("title", "alt", "caption")


def read_media(value: object, role: str = ENCLOSURE) -> list[Media] | None:
    """The media a value names, in order; ``None`` when the value has no such shape."""
    items = value if isinstance(value, list) else [value]
    found: list[Media] = []
    for item in items:
        if item is None or item == "":
            continue
        medium = _one(item, role)
        if medium is None:
            return None
        if medium.url:
            found.append(medium)
    return found


def _one(item: object, role: str) -> Media | None:
    if isinstance(item, str):
        return Media(url=item.strip(), role=role)
    if not isinstance(item, Mapping):
        return None
    url = _first_text(item, _URL_KEYS)
    return Media(
        url=url,
        type=_first_text(item, _TYPE_KEYS),
        length=_first_length(item),
        title=_first_text(item, _TITLE_KEYS),
        role=role,
    )


def _first_text(item: Mapping[str, object], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return ""


def _first_length(item: Mapping[str, object]) -> int:
    for key in _LENGTH_KEYS:
        value = item.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            return max(value, 0)
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
    return 0
