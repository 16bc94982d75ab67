"""What every feed writer (RSS, Atom, JSON Feed) is handed: one article's values, cleaned once.

The three formats of a feed agree on ids, titles, links, bodies, authors and media because they
are all written from :class:`FeedItem`. Every string goes through
:func:`~syndicate.text.sanitize.clean_text` (characters XML 1.0 forbids would make lxml raise);
dates are whole seconds in UTC; a media type that is not ``type/subtype`` is replaced by
``application/octet-stream``, since RSS ``<enclosure>`` and JSON Feed attachments require one.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from syndicate.model import Article, Channel, Media
from syndicate.text.sanitize import clean_text, escape_text_to_html

# Neither the channel nor any article has a date (an empty feed): a fixed instant keeps the
# bytes, and so the ETag, the same from one render to the next.
FALLBACK_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)
UNTITLED = "Untitled"
UNKNOWN_TYPE = "application/octet-stream"
_TITLE_WORDS = 8  # a title made from a summary: its first words
_TITLE_CHARS = 80
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")  # RFC 4287 atomLanguageTag
MEDIA_TYPE = re.compile(r"^[^/\s]+/[^/\s]+$")  # RFC 4287 atomMediaType asks only for a slash


@dataclass(frozen=True, slots=True)
class RenderedFeed:
    """A feed document ready to serve.

    ``etag`` is a strong, quoted validator computed from ``body``. ``last_modified`` is the
    channel's ``updated``, else the newest article's, else ``None`` (whole seconds, UTC).
    """

    body: bytes
    content_type: str
    etag: str
    last_modified: datetime | None


@dataclass(frozen=True, slots=True)
class FeedMedia:
    """An enclosure as the writers need it: an absolute URL, a media type, a length (0 when
    unknown, as RSS asks) and a title."""

    url: str
    type: str
    length: int
    title: str


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One article's strings and dates, cleaned once for the writers (RSS, Atom, JSON Feed).

    ``body`` is the HTML to carry as content, ``""`` for an article with neither a body nor a
    summary (a link, a podcast episode): the writers then leave content out. ``source_url``
    is where the article came from, when it says.
    """

    uid: str
    title: str
    link: str
    summary: str
    body: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    published: datetime
    updated: datetime
    enclosures: tuple[FeedMedia, ...] = ()
    image: str = ""
    source_url: str = ""


def feed_item(article: Article, permalink: Callable[[Article], str]) -> FeedItem:
    """The cleaned values of one article; ``body`` falls back to the escaped summary."""
    summary = clean_text(article.summary).strip() or clean_text(article.dek).strip()
    title = clean_line(article.title) or _title_from(summary)
    link = clean_line(permalink(article))
    body = clean_text(article.body_html).strip() or escape_text_to_html(summary)
    if not body and not link:
        body = escape_text_to_html(title)  # Atom: an entry needs content or an alternate link
    image = article.image
    return FeedItem(
        uid=entry_uid(article.id),
        title=title,
        link=link,
        summary=summary,
        # An article without a body (a summary-only category, a summary-only entry) shows its
        # summary; one without either (a link, an episode) carries no content at all.
        body=body,
        authors=distinct(clean_line(name) for name in article.authors),
        categories=distinct(clean_line(name) for name in article.categories),
        published=whole_seconds(article.published),
        updated=whole_seconds(article.updated),
        enclosures=tuple(m for m in (feed_media(m) for m in article.enclosures) if m is not None),
        image=clean_line(image.url) if image is not None else "",
        source_url=clean_line(article.link),
    )


def feed_media(media: Media) -> FeedMedia | None:
    """An enclosure's cleaned values; ``None`` when it has no URL left."""
    url = clean_line(media.url)
    if not url:
        return None
    kind = clean_line(media.type)
    return FeedMedia(
        url=url,
        type=kind if MEDIA_TYPE.match(kind) else UNKNOWN_TYPE,
        length=max(media.length, 0),
        title=clean_line(media.title),
    )


def newest_first(articles: Iterable[Article]) -> list[Article]:
    """Newest ``published`` first; ties by ``id`` ascending (sorts are stable, reversed too)."""
    return sorted(sorted(articles, key=lambda a: a.id), key=lambda a: a.published, reverse=True)


def feed_last_modified(channel: Channel, articles: Sequence[Article]) -> datetime | None:
    """The channel's ``updated``, else the newest article's, to the second; None if neither."""
    newest = channel.updated or max((a.updated for a in articles), default=None)
    return whole_seconds(newest) if newest is not None else None


def strong_etag(body: bytes) -> str:
    """A strong, quoted entity tag of ``body`` (RFC 9110 §8.8.3): same bytes, same tag."""
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def clean_line(text: str) -> str:
    """A one-line value (title, name, URL): cleaned, whitespace runs made one space."""
    return " ".join(clean_text(text).split())


def distinct(values: Iterable[str]) -> tuple[str, ...]:
    """The non-empty values, each once, in order."""
    return tuple(dict.fromkeys(value for value in values if value))


def entry_uid(article_id: str) -> str:
    """``urn:uuid:<id>`` (RFC 4122 §3); an id that is not a UUID is hashed into one (UUIDv5)."""
    text = clean_text(article_id).strip()
    try:
        return f"urn:uuid:{uuid.UUID(text)}"
    except ValueError:
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, text)}"


def whole_seconds(value: datetime) -> datetime:
    """The instant in UTC to the whole second: feeds and HTTP dates carry no fractions."""
    return value.astimezone(UTC).replace(microsecond=0)


def language_tag(channel: Channel) -> str:
    """The channel's language if it is a well-formed tag, else ``""``."""
    language = clean_text(channel.language).strip()
    return language if _LANGUAGE_TAG.match(language) else ""


def hub_urls(channel: Channel) -> tuple[str, ...]:
    """The channel's WebSub hubs, cleaned, each once."""
    return distinct(clean_line(hub) for hub in channel.hubs)


def channel_title(channel: Channel) -> str:
    """The channel's title on one line, ``Untitled`` when it has none."""
    return clean_line(channel.title) or UNTITLED


def channel_author(channel: Channel) -> str:
    """Who the feed is by: the site's author (``site.author``), else the channel's title."""
    return clean_line(channel.author) or channel_title(channel)


def _title_from(summary: str) -> str:
    """A title for an article whose title cleaned to nothing: its summary's first words."""
    words = " ".join(summary.split()[:_TITLE_WORDS])
    if len(words) > _TITLE_CHARS:
        words = words[: _TITLE_CHARS - 1].rstrip() + "…"
    return words or UNTITLED
