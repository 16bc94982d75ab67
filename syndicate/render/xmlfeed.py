"""RSS 2.0 and Atom 1.0 documents from a channel and its articles: the only importer of feedgen.

Output is deterministic (same input, same bytes, so ETags are stable) and valid for any input:

- every string goes through :func:`~syndicate.text.sanitize.clean_text` (characters XML 1.0 forbids
  would make lxml raise), and text is escaped by lxml, never wrapped in CDATA that a ``]]>``
  inside the text would end early;
- dates are formatted here: RFC 822 with a four-digit year in GMT for RSS, RFC 3339 for Atom.
  feedgen formats RSS dates under ``locale.setlocale()``, which is process-wide and not
  thread-safe, so we never hand it an RSS date (see :class:`_ChannelExtras`);
- feedgen's defaults that vary between runs (``lastBuildDate``/``updated`` = now, a generator
  naming its own version) are always overridden.

Identity: an entry's Atom ``id`` and RSS ``guid`` are both ``urn:uuid:<article.id>``, with
``isPermaLink="false"``. The permalink can change (a slug edit, a new domain) and readers that key
on it would show the article again; the uuid never changes, and the permalink is the ``link``.

Categories carry the article's category name as both ``term`` and ``label``: articles hold names,
and a slug made here could drift from the one the site uses in its URLs.

Archives (RFC 5005) and WebSub: a document may carry ``current``, ``prev-archive`` and
``next-archive`` links and ``<fh:archive/>`` (:class:`ArchiveLinks`), and ``rel="hub"`` links;
RSS gets them as ``atom:link`` elements, which feedgen does not write on its own.

A face: the channel's ``logo`` is RSS ``<image>`` (with the channel's title and link, as RSS
2.0 asks) and Atom ``<logo>``, its ``icon`` Atom ``<icon>``, its ``copyright`` RSS
``<copyright>`` and Atom ``<rights>``. A channel ``stylesheet`` becomes an
``<?xml-stylesheet type="text/xsl"?>`` processing instruction right after the XML declaration
(feedgen writes none), so a browser shows the document as a page; feed readers ignore it.

Removed articles: the channel's ``deleted`` become RFC 6721 ``<at:deleted-entry ref when/>`` in
Atom (``ref``: the entry's id); RSS 2.0 and JSON Feed have none and just no longer list them.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from typing import Any, Literal

from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from syndicate.model import Article, Channel
from syndicate.text.sanitize import clean_text, escape_text_to_html

RSS_CONTENT_TYPE = "application/rss+xml; charset=utf-8"
ATOM_CONTENT_TYPE = "application/atom+xml; charset=utf-8"
RSS_TYPE = "application/rss+xml"
ATOM_TYPE = "application/atom+xml"
ATOM_NS = "http://www.w3.org/2005/Atom"
FH_NS = "http://purl.org/syndication/history/1.0"  # RFC 5005 §3, §4
AT_NS = "http://purl.org/atompub/tombstones/1.0"  # RFC 6721 §2

# Neither the channel nor any article has a date (an empty feed): a fixed instant keeps the
# bytes, and so the ETag, the same from one render to the next.
FALLBACK_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)
UNTITLED = "Untitled"
_TITLE_WORDS = 8  # a title made from a summary: its first words
_TITLE_CHARS = 80

_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")  # RFC 4287 atomLanguageTag
_MEDIA_TYPE = re.compile(r"^[^/\s]+/[^/\s]+$")  # RFC 4287 atomMediaType asks only for a slash


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
class ArchiveLinks:
    """RFC 5005 §4 paging of a feed: where the subscription document and the archives are.

    A subscription document sets only ``prev_archive``; an archive page sets ``is_archive``
    (``<fh:archive/>``), ``current`` and whichever neighbours exist.
    """

    current: str = ""
    prev_archive: str = ""
    next_archive: str = ""
    is_archive: bool = False

    def links(self) -> list[tuple[str, str]]:
        """``(rel, href)`` of every link that is set, in a fixed order."""
        pairs = [
            ("current", self.current),
            ("prev-archive", self.prev_archive),
            ("next-archive", self.next_archive),
        ]
        return [(rel, clean_line(href)) for rel, href in pairs if clean_line(href)]


NO_ARCHIVE = ArchiveLinks()


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One article's strings and dates, cleaned once for the writers (RSS, Atom, JSON Feed)."""

    uid: str
    title: str
    link: str
    summary: str
    body: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    published: datetime
    updated: datetime


def render_feed(
    channel: Channel,
    articles: Sequence[Article],
    fmt: Literal["rss", "atom"],
    *,
    permalink: Callable[[Article], str],
    archive: ArchiveLinks = NO_ARCHIVE,
) -> RenderedFeed:
    """Write ``articles`` as an RSS 2.0 or Atom 1.0 feed of ``channel``, newest first.

    Every given article is written (the caller limits the count). ``permalink(article)`` is the
    absolute URL of the article's page on our site. ``archive`` adds RFC 5005 links;
    Raises ``ValueError`` for another ``fmt``.
    """
    items = [feed_item(article, permalink) for article in newest_first(articles)]
    last_modified = feed_last_modified(channel, articles)
    updated = last_modified or FALLBACK_UPDATED
    if fmt == "rss":
        body, content_type = _rss(channel, items, updated, archive), RSS_CONTENT_TYPE
    elif fmt == "atom":
        body, content_type = _atom(channel, items, updated, archive), ATOM_CONTENT_TYPE
    else:
        raise ValueError(f"unknown feed format {fmt!r}: expected 'rss' or 'atom'")
    return RenderedFeed(body, content_type, strong_etag(body), last_modified)


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


# --- cleaned values -------------------------------------------------------------------------


def feed_item(article: Article, permalink: Callable[[Article], str]) -> FeedItem:
    """The cleaned strings of one article; ``body`` falls back to the summary, then title."""
    summary = clean_text(article.summary).strip() or clean_text(article.dek).strip()
    title = clean_line(article.title) or _title_from(summary)
    return FeedItem(
        uid=_entry_id(article.id),
        title=title,
        link=clean_line(permalink(article)),
        summary=summary,
        # Atom needs content or an alternate link; RSS readers show content:encoded. An article
        # without a body (normalize keeps those when they have a summary) shows its summary.
        body=clean_text(article.body_html).strip() or escape_text_to_html(summary or title),
        authors=_distinct(clean_line(name) for name in article.authors),
        categories=_distinct(clean_line(name) for name in article.categories),
        published=whole_seconds(article.published),
        updated=whole_seconds(article.updated),
    )


def clean_line(text: str) -> str:
    """A one-line value (title, name, URL): cleaned, whitespace runs made one space."""
    return " ".join(clean_text(text).split())


def _title_from(summary: str) -> str:
    """A title for an article whose title cleaned to nothing: its summary's first words."""
    words = " ".join(summary.split()[:_TITLE_WORDS])
    if len(words) > _TITLE_CHARS:
        words = words[: _TITLE_CHARS - 1].rstrip() + "…"
    return words or UNTITLED


def _distinct(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value for value in values if value))


def _entry_id(article_id: str) -> str:
    """``urn:uuid:<id>`` (RFC 4122 §3); an id that is not a UUID is hashed into one (UUIDv5)."""
    text = clean_text(article_id).strip()
    try:
        return f"urn:uuid:{uuid.UUID(text)}"
    except ValueError:
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, text)}"


def whole_seconds(value: datetime) -> datetime:
    """The instant in UTC to the whole second: feeds and HTTP dates carry no fractions."""
    return value.astimezone(UTC).replace(microsecond=0)


def _rfc822(value: datetime) -> str:
    # RSS 2.0 "Elements of <item>": RFC 822 date-time, written with a 4-digit year and "GMT".
    return format_datetime(value.astimezone(UTC), usegmt=True)


def language_tag(channel: Channel) -> str:
    """The channel's language if it is a well-formed tag, else ``""``."""
    language = clean_text(channel.language).strip()
    return language if _LANGUAGE_TAG.match(language) else ""


def hub_urls(channel: Channel) -> tuple[str, ...]:
    """The channel's WebSub hubs, cleaned, each once."""
    return _distinct(clean_line(hub) for hub in channel.hubs)


def channel_title(channel: Channel) -> str:
    """The channel's title on one line, ``Untitled`` when it has none."""
    return clean_line(channel.title) or UNTITLED


# --- feedgen ------------------------------------------------------------------------------


def _new_feed(channel: Channel) -> Any:
    """A FeedGenerator with what both formats share; feedgen's defaults overridden."""
    fg = FeedGenerator()
    fg.title(channel_title(channel))
    fg.generator(clean_line(channel.generator))  # no feedgen version: output must not vary with it
    language = language_tag(channel)
    if language:
        fg.language(language)  # RSS <language>, Atom xml:lang
    return fg


def _with_stylesheet(body: bytes, channel: Channel) -> bytes:
    """``body`` with the channel's XSLT stylesheet named after the XML declaration."""
    href = clean_line(channel.stylesheet)
    if not href:
        return body
    declaration, end, rest = body.partition(b"?>")
    if not end or not declaration.startswith(b"<?xml "):
        raise ValueError("a feed document must start with its XML declaration")
    attribute = escape(href, quote=True).encode("utf-8")
    instruction = b'<?xml-stylesheet type="text/xsl" href="' + attribute + b'"?>'
    return declaration + end + b"\n" + instruction + rest


def _rss(
    channel: Channel, items: Sequence[FeedItem], updated: datetime, archive: ArchiveLinks
) -> bytes:
    fg = _new_feed(channel)
    # Readers take the channel <description> as HTML, like an item's: escape the plain text.
    fg.description(
        escape_text_to_html(clean_text(channel.description).strip() or channel_title(channel))
    )
    if clean_line(channel.feed_url):
        fg.link(href=clean_line(channel.feed_url), rel="self", type=RSS_TYPE)
    # feedgen writes the LAST link added as the RSS channel <link>: the site comes last.
    site_link = clean_line(channel.site_url) or clean_line(channel.feed_url)
    fg.link(href=site_link, rel="alternate")
    if clean_line(channel.logo):  # RSS 2.0: the image's title and link are the channel's
        fg.image(url=clean_line(channel.logo), title=channel_title(channel), link=site_link)
    if clean_text(channel.copyright).strip():
        fg.copyright(clean_line(channel.copyright))
    fg.load_extension("dc", atom=False, rss=True)
    fg.register_extension("syndicate", _ChannelExtras, _EntryExtras, atom=False, rss=True)
    fg.syndicate.build_date = updated
    fg.syndicate.hubs = hub_urls(channel)
    fg.syndicate.archive = archive
    _drop_default_build_date(fg)
    for item in items:
        _rss_item(fg.add_entry(order="append"), item)
    body: bytes = fg.rss_str(pretty=False)
    return _with_stylesheet(body, channel)


def _rss_item(fe: Any, item: FeedItem) -> None:
    fe.title(item.title)
    fe.guid(item.uid, permalink=False)
    if item.link:
        fe.link(href=item.link, rel="alternate")
    # RSS 2.0 <description> is read as HTML: a plain-text summary is escaped once for HTML here,
    # then once more for XML by lxml, so "<b>" in a summary stays text.
    fe.description(escape_text_to_html(item.summary or item.title), isSummary=True)
    fe.content(item.body)  # no type: escaped text in content:encoded, never CDATA
    if item.categories:
        fe.category([{"term": name} for name in item.categories])
    if item.authors:
        fe.dc.dc_creator(list(item.authors))  # <author> must be an email address; dc:creator not
    fe.syndicate.published = item.published


def _drop_default_build_date(fg: Any) -> None:
    """Remove feedgen's ``lastBuildDate`` (now(), formatted under ``locale.setlocale``).

    feedgen has no way to unset it; :class:`_ChannelExtras` writes ours instead.
    """
    fg._FeedGenerator__rss_lastBuildDate = None


def _atom(
    channel: Channel, items: Sequence[FeedItem], updated: datetime, archive: ArchiveLinks
) -> bytes:
    fg = _new_feed(channel)
    fg.id(
        clean_line(channel.id) or clean_line(channel.feed_url) or _entry_id(channel_title(channel))
    )
    fg.updated(updated)
    # RFC 4287 §4.1.1: a feed needs an author unless every entry has one; entries without one
    # inherit this.
    fg.author({"name": channel_title(channel)})
    fg.register_extension("syndicate", _ChannelExtras, _EntryExtras, atom=True, rss=False)
    description = clean_text(channel.description).strip()
    if description:
        fg.subtitle(description)
    for link in _atom_links(channel):
        fg.link(link)
    if clean_line(channel.icon):
        fg.icon(clean_line(channel.icon))
    if clean_line(channel.logo):
        fg.logo(clean_line(channel.logo))
    if clean_text(channel.copyright).strip():
        fg.rights(clean_line(channel.copyright))
    fg.syndicate.archive = archive
    fg.syndicate.deleted = channel.deleted
    for item in items:
        _atom_entry(fg.add_entry(order="append"), item)
    body: bytes = fg.atom_str(pretty=False)
    return _with_stylesheet(body, channel)


def _atom_links(channel: Channel) -> list[dict[str, str]]:
    """Feed links: self, the site, the same feed in other formats, and WebSub hubs."""
    links = [{"href": clean_line(channel.feed_url), "rel": "self", "type": ATOM_TYPE}]
    if clean_line(channel.site_url):
        links.append(
            {"href": clean_line(channel.site_url), "rel": "alternate", "type": "text/html"}
        )
    for media_type, url in sorted(channel.alternates.items()):
        media_type, url = clean_line(media_type), clean_line(url)
        # RFC 4287 §4.1.1: at most one alternate link per type (and hreflang).
        if url and _MEDIA_TYPE.match(media_type) and media_type not in (ATOM_TYPE, "text/html"):
            links.append({"href": url, "rel": "alternate", "type": media_type})
    links += [{"href": hub, "rel": "hub"} for hub in hub_urls(channel)]
    return [link for link in links if link["href"]]


def _atom_entry(fe: Any, item: FeedItem) -> None:
    fe.id(item.uid)
    fe.title(item.title)
    fe.updated(item.updated)  # RFC 3339 via isoformat(): 4-digit year, "+00:00"
    fe.published(item.published)
    fe.syndicate.alternate = item.link
    if item.authors:
        fe.author([{"name": name} for name in item.authors])
    if item.summary:
        fe.summary(item.summary, type="text")
    fe.content(item.body, type="html")
    if item.categories:
        fe.category([{"term": name, "label": name} for name in item.categories])


class _ChannelExtras:
    """feedgen extension: the RSS ``lastBuildDate``, WebSub hubs, and RFC 5005 archive links.

    feedgen writes only the ``rel="self"`` atom:link in RSS, and formats dates itself. The
    ``atom`` prefix is declared by feedgen on every RSS document.
    """

    def __init__(self) -> None:
        self.build_date = FALLBACK_UPDATED
        self.hubs: tuple[str, ...] = ()
        self.archive = NO_ARCHIVE
        self.deleted: tuple[tuple[str, datetime], ...] = ()

    def extend_ns(self) -> dict[str, str]:
        spaces = {"fh": FH_NS} if self.archive.is_archive else {}
        return spaces | ({"at": AT_NS} if self.deleted else {})

    def extend_rss(self, rss: Any) -> Any:
        channel = rss[0]
        xml_elem("lastBuildDate", channel).text = _rfc822(self.build_date)
        for hub in self.hubs:  # WebSub §4: discovery through rel="hub" links
            xml_elem(f"{{{ATOM_NS}}}link", channel, href=hub, rel="hub")
        self._archive(channel, f"{{{ATOM_NS}}}link")
        return rss

    def extend_atom(self, atom: Any) -> Any:
        # feedgen's Atom elements carry no namespace (the root declares xmlns): match them.
        self._archive(atom, "link")
        for gone, at in self.deleted:  # RFC 6721 §2.1: ref is the entry's atom:id
            when = whole_seconds(at).isoformat()
            xml_elem(f"{{{AT_NS}}}deleted-entry", atom, ref=_entry_id(gone), when=when)
        return atom

    def _archive(self, parent: Any, link_tag: str) -> None:
        for rel, href in self.archive.links():  # RFC 5005 §4: archive link relations
            xml_elem(link_tag, parent, href=href, rel=rel)
        if self.archive.is_archive:  # RFC 5005 §4: an archive document says it is one
            xml_elem(f"{{{FH_NS}}}archive", parent)


class _EntryExtras:
    """feedgen entry extension: the RSS ``pubDate`` and the Atom alternate link.

    feedgen 1.0 loses an Atom entry link's ``rel`` and ``type`` (its loop rebinds the link dict
    to the new element before reading them), so the entry's link is written here.
    """

    def __init__(self) -> None:
        self.published: datetime | None = None
        self.alternate = ""

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_rss(self, item: Any) -> Any:
        if self.published is not None:
            xml_elem("pubDate", item).text = _rfc822(self.published)
        return item

    def extend_atom(self, entry: Any) -> Any:
        if self.alternate:  # RFC 4287 §4.2.7; unqualified like feedgen's own Atom elements
            xml_elem("link", entry, href=self.alternate, rel="alternate", type="text/html")
        return entry
