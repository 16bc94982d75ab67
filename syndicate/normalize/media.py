"""An article's media: its enclosures and its one lead image, with absolute URLs and types."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Sequence
from html import unescape
from urllib.parse import urljoin, urlsplit

from syndicate.model import ENCLOSURE, IMAGE, MEDIA_ROLES, Media
from syndicate.normalize.identity import canonical_url
from syndicate.text.sanitize import clean_text

# Types of media files by name: Python's own table (never the machine's, so every machine
# guesses alike) plus what podcasts and the web use that it lacks.
_MEDIA_TYPES = mimetypes.MimeTypes()
for _type, _extension in (
    ("audio/mp4", ".m4a"),
    ("video/x-m4v", ".m4v"),
    ("audio/ogg", ".ogg"),
    ("audio/ogg", ".oga"),
    ("audio/flac", ".flac"),
    ("image/webp", ".webp"),
):
    _MEDIA_TYPES.add_type(_type, _extension)
# The first image of a sanitized body (nh3's serialization: src is written as src="...").
_BODY_IMAGE = re.compile(r'<img\s(?:[^>]*?\s)?src="([^"]+)"')


def article_media(given: Sequence[Media], base: str, body_html: str) -> tuple[Media, ...]:
    """Enclosures (each URL once, in input order) and at most one lead image.

    The lead image is the first image the input names (front matter ``image:``, ``og:image``,
    ``media:thumbnail``, JSON Feed ``image``), else the first image of the body. Every URL is
    made absolute against ``base`` (an unusable one is dropped) and a missing type is guessed
    from the file name, since RSS and JSON Feed require one.
    """
    cleaned = [m for m in (_clean_media(m, base) for m in given) if m is not None]
    enclosures = {m.url: m for m in reversed(cleaned) if not m.is_image}  # first one wins
    image = next((m for m in cleaned if m.is_image), None)
    if image is None:
        found = _BODY_IMAGE.search(body_html)
        if found:
            image = _clean_media(Media(unescape(found[1]), role=IMAGE), base)
    result = tuple(reversed(enclosures.values()))
    return result + (image,) if image is not None else result


def _clean_media(media: Media, base: str) -> Media | None:
    try:
        return _cleaned_media(media, base)
    except ValueError:  # urllib refuses it ("Invalid IPv6 URL"): unusable, so dropped
        return None


def _cleaned_media(media: Media, base: str) -> Media | None:
    raw_url = clean_text(media.url).strip()
    url = canonical_url(raw_url) if raw_url.startswith(("http://", "https://")) else ""
    if not url and base and raw_url and not raw_url.lower().startswith("data:"):
        url = canonical_url(urljoin(base, raw_url))
    if not url:
        return None
    kind = _line(media.type).lower()
    if "/" not in kind:
        kind = _MEDIA_TYPES.guess_type(urlsplit(url).path)[0] or ""
    role = media.role if media.role in MEDIA_ROLES else ENCLOSURE
    return Media(
        url=url, type=kind, length=max(media.length, 0), title=_line(media.title), role=role
    )


def _line(text: str) -> str:
    return " ".join(clean_text(text).split())
