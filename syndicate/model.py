"""The canonical article model every input is normalized into.

Plain frozen dataclasses: parsers produce :class:`RawEntry`, ``normalize`` turns one into an
:class:`Article`, the store keeps articles and the renderers write them. Every datetime here is
timezone-aware UTC; constructing a model with a naive one raises ``ValueError`` early, since
feedgen and the feed specs reject naive dates much later and far from the cause.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

# What a :class:`Media` is to its article: a file that goes with it (a podcast episode, a
# video: RSS <enclosure>, Atom rel="enclosure", JSON Feed attachments) or its lead image
# (media:thumbnail, JSON Feed image, shown at the top of its page).
ENCLOSURE = "enclosure"
IMAGE = "image"
MEDIA_ROLES = (ENCLOSURE, IMAGE)


class BlockKind(StrEnum):
    """What a body block is; the order of blocks is the order of the article."""

    PARAGRAPH = "paragraph"
    HEADING = "heading"
    QUOTE = "quote"
    LIST = "list"
    IMAGE = "image"


@dataclass(frozen=True, slots=True)
class Block:
    """One block of an article body.

    ``text`` is always plain text (for a list: the items joined by newlines; for an image: its
    caption). ``html`` optionally carries the same content as inline HTML (links, emphasis) from
    inputs that have markup; it is sanitized when the article is normalized. When it is empty the
    HTML is the escaped ``text``.
    """

    kind: BlockKind
    text: str = ""
    html: str = ""
    level: int = 0  # headings: 2..6 (the article title is the h1)
    items: tuple[str, ...] = ()  # lists: plain text of each item
    items_html: tuple[str, ...] = ()  # lists: inline HTML of each item, when the input had markup
    ordered: bool = False  # lists
    # Ordered lists: each item's number where they are not 1, 2, 3... (a list starting at 5,
    # a countdown, "1. 2. 5."): the source's numbers are part of what it says.
    numbers: tuple[int, ...] = ()
    src: str = ""  # images: URL
    alt: str = ""  # images: alternative text
    srcset: str = ""  # images: the candidate list (absolute URLs once normalized), if any

    def plain_text(self) -> str:
        """The block's words as plain text (list items one per line, an ordered list's
        numbered "1. ", as plain text has no other way to show the order)."""
        if self.kind is BlockKind.LIST:
            if self.ordered:
                return "\n".join(f"{n}. {item}" for n, item in self.numbered())
            return "\n".join(self.items)
        return self.text

    def numbered(self) -> list[tuple[int, str]]:
        """An ordered list's items with their numbers."""
        if len(self.numbers) == len(self.items):
            return list(zip(self.numbers, self.items, strict=True))
        return list(enumerate(self.items, start=1))


def item_numbers(numbers: Sequence[int]) -> tuple[int, ...]:
    """``numbers`` as :attr:`Block.numbers` holds them: empty when they are 1, 2, 3..."""
    if list(numbers) == list(range(1, len(numbers) + 1)):
        return ()
    return tuple(numbers)


@dataclass(frozen=True, slots=True)
class Media:
    """A file attached to an article: an enclosure (podcast file, video) or its lead image.

    ``role`` is :data:`ENCLOSURE` or :data:`IMAGE` (see :data:`MEDIA_ROLES`).
    """

    url: str
    type: str = ""  # MIME type when known, e.g. "image/jpeg"
    length: int = 0  # bytes, 0 when unknown
    title: str = ""
    role: str = ENCLOSURE

    @property
    def is_image(self) -> bool:
        """True for the article's lead image."""
        return self.role == IMAGE


@dataclass(frozen=True, slots=True)
class RawEntry:
    """What a parser found in one input, before ids, dates and HTML are settled.

    Parsers fill what their input has and leave the rest empty; ``normalize`` decides defaults.
    Either ``blocks`` or ``body_html`` carries the body (``blocks`` wins when both are given).
    """

    title: str = ""
    dek: str = ""
    blocks: tuple[Block, ...] = ()
    body_html: str = ""
    summary: str = ""
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    published: datetime | None = None
    updated: datetime | None = None
    language: str = ""
    link: str = ""  # canonical URL of the article where it came from
    slug: str = ""  # a slug the input asked for (front matter); otherwise made from the title
    media: tuple[Media, ...] = ()
    # Identity, as far as the input tells it (normalize.article_key makes the id from these):
    guid: str = ""  # an id the input gives: front matter or JSON id/guid, a feed's guid/Atom id
    path: str = ""  # the file's path under its source root (plus "#title" in a multi-entry file)
    # The link earlier versions read from this input when it is not ``link`` (they did not read
    # front matter ``url:``, say); ``None``: the same. Their id was made from it (see
    # normalize.legacy_ids), so this is how an article they stored is found again.
    former_link: str | None = None

    def __post_init__(self) -> None:
        _require_aware("published", self.published)
        _require_aware("updated", self.updated)


@dataclass(frozen=True, slots=True)
class Article:
    """One article in canonical form, as stored and as rendered.

    ``id`` is stable for the same article from the same source: made from the source and the
    input's own id, else its canonical link, else its file's path under the source root, else
    its normalized title (see ``normalize.article_key``), never from the body.
    ``date_estimated`` is true when the input gave no date and ``published`` is the time the
    article was first seen. ``content_hash`` changes exactly when the content does.

    Two fields are for the write path only and take no part in comparisons: ``legacy_ids``
    are the ids an earlier version of the id rule gave the same input (the store keeps an
    article stored under one of them at that id), and ``seen`` is when this copy was read
    from its source (an edit the source does not date is dated by it).
    """

    id: str
    source: str
    slug: str
    title: str
    blocks: tuple[Block, ...]
    body_html: str
    summary: str
    published: datetime
    updated: datetime
    content_hash: str
    dek: str = ""
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    date_estimated: bool = False
    language: str = ""
    link: str = ""
    media: tuple[Media, ...] = ()
    word_count: int = 0
    legacy_ids: tuple[str, ...] = field(default=(), compare=False)
    seen: datetime | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        _require_aware("published", self.published)
        _require_aware("updated", self.updated)
        _require_aware("seen", self.seen)
        if not self.title.strip():
            raise ValueError("an article needs a non-empty title")

    @property
    def image(self) -> Media | None:
        """The lead image, if the article has one."""
        return next((m for m in self.media if m.is_image), None)

    @property
    def enclosures(self) -> tuple[Media, ...]:
        """The files that go with the article, in the order the input gave them."""
        return tuple(m for m in self.media if not m.is_image)


@dataclass(frozen=True, slots=True)
class Category:
    """A category as listed on the site: its display name and URL slug."""

    name: str
    slug: str
    description: str = ""
    count: int = 0


@dataclass(frozen=True, slots=True)
class ArticleRef:
    """What a sitemap says of an article, read without its body."""

    slug: str
    title: str
    language: str
    published: datetime
    updated: datetime


@dataclass(frozen=True, slots=True)
class Channel:
    """What a feed is about: the metadata the feed writer needs besides the articles.

    ``feed_url`` is the feed's own absolute URL (``rel="self"``), ``site_url`` the page it
    describes, ``id`` a permanent URI for Atom. ``alternates`` maps MIME types to the URLs of the
    same feed in other formats. ``icon`` (small, square) and ``logo`` (larger) are absolute image
    URLs; ``stylesheet`` is the URL of an XSLT stylesheet that shows an RSS or Atom document to
    a person who opens it in a browser. Empty strings are left out of the document.
    """

    id: str
    title: str
    site_url: str
    feed_url: str
    description: str = ""
    language: str = ""
    updated: datetime | None = None
    hubs: tuple[str, ...] = ()
    generator: str = "syndicate"
    alternates: dict[str, str] = field(default_factory=dict)
    # RFC 6721: (article id, when) of articles removed from the feed, for Atom tombstones.
    deleted: tuple[tuple[str, datetime], ...] = ()
    icon: str = ""
    logo: str = ""
    copyright: str = ""
    stylesheet: str = ""
    author: str = ""  # the feed's author (site.author); the title stands in when empty

    def __post_init__(self) -> None:
        _require_aware("updated", self.updated)


def _require_aware(name: str, value: datetime | None) -> None:
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    if value is not None and value.utcoffset() != timedelta(0):
        raise ValueError(f"{name} must be in UTC, got {value.isoformat()}")
