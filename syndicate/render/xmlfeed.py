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

Media: RSS 2.0 allows one ``<enclosure>`` per item: the first enclosure is written so (url,
length, type, all required); the others follow as Media RSS ``media:content``. Atom writes
each as ``link rel="enclosure"`` with its type and length. The lead image is
``media:thumbnail`` in both. The Media RSS namespace is declared only on documents that use it.

People: entries carry their authors (RSS ``dc:creator``, since ``<author>`` must be an address);
the feed's author is ``site.author`` (else the channel title) in Atom, and the ``dc:creator``
of RSS items that name nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from typing import Any, Literal

from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from syndicate.model import Article, Channel
from syndicate.render.items import (
    FALLBACK_UPDATED,
    MEDIA_TYPE,
    UNTITLED,
    FeedItem,
    RenderedFeed,
    channel_author,
    channel_title,
    clean_line,
    entry_uid,
    feed_item,
    feed_last_modified,
    hub_urls,
    language_tag,
    newest_first,
    strong_etag,
    whole_seconds,
)
from syndicate.text.sanitize import clean_text, escape_text_to_html

__all__ = [
    "ATOM_CONTENT_TYPE",
    "ATOM_TYPE",
    "FALLBACK_UPDATED",
    "RSS_CONTENT_TYPE",
    "RSS_TYPE",
    "UNTITLED",
    "NO_ARCHIVE",
    "ArchiveLinks",
    "RenderedFeed",
    "clean_line",
    "render_feed",
    "strong_etag",
    "whole_seconds",
]

RSS_CONTENT_TYPE = "application/rss+xml; charset=utf-8"
ATOM_CONTENT_TYPE = "application/atom+xml; charset=utf-8"
RSS_TYPE = "application/rss+xml"
ATOM_TYPE = "application/atom+xml"
ATOM_NS = "http://www.w3.org/2005/Atom"
FH_NS = "http://purl.org/syndication/history/1.0"  # RFC 5005 §3, §4
AT_NS = "http://purl.org/atompub/tombstones/1.0"  # RFC 6721 §2
MRSS_NS = "http://search.yahoo.com/mrss/"  # Media RSS 1.5.1


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
    return render_items(channel, items, fmt, feed_last_modified(channel, articles), archive)


def render_items(
    channel: Channel,
    items: Sequence[FeedItem],
    fmt: Literal["rss", "atom"],
    last_modified: datetime | None,
    archive: ArchiveLinks = NO_ARCHIVE,
) -> RenderedFeed:
    """Write items already cleaned and in order (see :func:`render_feed`)."""
    updated = last_modified or FALLBACK_UPDATED
    if fmt == "rss":
        body, content_type = _rss(channel, items, updated, archive), RSS_CONTENT_TYPE
    elif fmt == "atom":
        body, content_type = _atom(channel, items, updated, archive), ATOM_CONTENT_TYPE
    else:
        raise ValueError(f"unknown feed format {fmt!r}: expected 'rss' or 'atom'")
    return RenderedFeed(body, content_type, strong_etag(body), last_modified)


def _rfc822(value: datetime) -> str:
    # RSS 2.0 "Elements of <item>": RFC 822 date-time, written with a 4-digit year and "GMT".
    return format_datetime(value.astimezone(UTC), usegmt=True)


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
    fg.syndicate.media = _uses_media(items)
    _drop_default_build_date(fg)
    author = clean_line(channel.author)
    for item in items:
        _rss_item(fg.add_entry(order="append"), item, author)
    body: bytes = fg.rss_str(pretty=False)
    return _with_stylesheet(body, channel)


def _rss_item(fe: Any, item: FeedItem, site_author: str) -> None:
    fe.title(item.title)
    fe.guid(item.uid, permalink=False)
    if item.link:
        fe.link(href=item.link, rel="alternate")
    if item.summary:
        # RSS 2.0 <description> is read as HTML: a plain-text summary is escaped once for HTML
        # here, then once more for XML by lxml, so "<b>" in a summary stays text.
        fe.description(escape_text_to_html(item.summary), isSummary=True)
    if item.body:
        fe.content(item.body)  # no type: escaped text in content:encoded, never CDATA
    if item.categories:
        fe.category([{"term": name} for name in item.categories])
    creators = list(item.authors) or ([site_author] if site_author else [])
    if creators:
        fe.dc.dc_creator(creators)  # <author> must be an email address; dc:creator not
    fe.syndicate.published = item.published
    fe.syndicate.item = item


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
        clean_line(channel.id) or clean_line(channel.feed_url) or entry_uid(channel_title(channel))
    )
    fg.updated(updated)
    # RFC 4287 §4.1.1: a feed needs an author unless every entry has one; entries without one
    # inherit this.
    fg.author({"name": channel_author(channel)})
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
    fg.syndicate.media = _uses_media(items)
    for item in items:
        _atom_entry(fg.add_entry(order="append"), item)
    body: bytes = fg.atom_str(pretty=False)
    return _with_stylesheet(body, channel)


def _uses_media(items: Sequence[FeedItem]) -> bool:
    """Whether any item writes a Media RSS element (more than one enclosure, or an image)."""
    return any(item.image or len(item.enclosures) > 1 for item in items)


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
        if url and MEDIA_TYPE.match(media_type) and media_type not in (ATOM_TYPE, "text/html"):
            links.append({"href": url, "rel": "alternate", "type": media_type})
    links += [{"href": hub, "rel": "hub"} for hub in hub_urls(channel)]
    return [link for link in links if link["href"]]


def _atom_entry(fe: Any, item: FeedItem) -> None:
    fe.id(item.uid)
    fe.title(item.title)
    fe.updated(item.updated)  # RFC 3339 via isoformat(): 4-digit year, "+00:00"
    fe.published(item.published)
    if item.link:
        # Given to feedgen too (it refuses an entry without content or an alternate link);
        # the extension puts back the rel and type feedgen drops.
        fe.link(href=item.link, rel="alternate", type="text/html")
    if item.authors:
        fe.author([{"name": name} for name in item.authors])
    if item.summary:
        fe.summary(item.summary, type="text")
    if item.body:  # RFC 4287 §4.1.2: without content, the alternate link stands in
        fe.content(item.body, type="html")
    if item.categories:
        fe.category([{"term": name, "label": name} for name in item.categories])
    fe.syndicate.item = item


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
        self.media = False  # some item writes media:content or media:thumbnail

    def extend_ns(self) -> dict[str, str]:
        spaces = {"fh": FH_NS} if self.archive.is_archive else {}
        spaces |= {"at": AT_NS} if self.deleted else {}
        return spaces | ({"media": MRSS_NS} if self.media else {})

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
            xml_elem(f"{{{AT_NS}}}deleted-entry", atom, ref=entry_uid(gone), when=when)
        return atom

    def _archive(self, parent: Any, link_tag: str) -> None:
        for rel, href in self.archive.links():  # RFC 5005 §4: archive link relations
            xml_elem(link_tag, parent, href=href, rel=rel)
        if self.archive.is_archive:  # RFC 5005 §4: an archive document says it is one
            xml_elem(f"{{{FH_NS}}}archive", parent)


class _EntryExtras:
    """feedgen entry extension: the RSS ``pubDate``, the Atom alternate link, and media.

    feedgen 1.0 loses an Atom entry link's ``rel`` and ``type`` (its loop rebinds the link dict
    to the new element before reading them), so they are set here on the link it writes; and
    it writes one RSS enclosure at most, from the last enclosure link, so enclosures are
    written here too.
    """

    def __init__(self) -> None:
        self.published: datetime | None = None
        self.item: FeedItem | None = None

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_rss(self, item: Any) -> Any:
        if self.published is not None:
            xml_elem("pubDate", item).text = _rfc822(self.published)
        if self.item is not None:
            enclosures = self.item.enclosures
            for index, media in enumerate(enclosures):
                if index == 0:  # RSS 2.0: one enclosure, its three attributes required
                    length, kind = str(media.length), media.type
                    xml_elem("enclosure", item, url=media.url, length=length, type=kind)
                else:
                    _media_content(item, media.url, media.type, media.length)
            if self.item.image:
                xml_elem(f"{{{MRSS_NS}}}thumbnail", item, url=self.item.image)
        return item

    def extend_atom(self, entry: Any) -> Any:
        for link in entry.findall("link"):  # RFC 4287 §4.2.7: feedgen wrote href alone
            if link.get("rel") is None:
                link.set("rel", "alternate")
                link.set("type", "text/html")
        if self.item is not None:
            for media in self.item.enclosures:
                attributes = {"href": media.url, "rel": "enclosure", "type": media.type}
                if media.length:
                    attributes["length"] = str(media.length)
                if media.title:
                    attributes["title"] = media.title
                xml_elem("link", entry, **attributes)
            if self.item.image:
                xml_elem(f"{{{MRSS_NS}}}thumbnail", entry, url=self.item.image)
        return entry


def _media_content(parent: Any, url: str, kind: str, length: int) -> None:
    """A Media RSS ``media:content`` (fileSize only when known)."""
    attributes = {"url": url, "type": kind}
    if length:
        attributes["fileSize"] = str(length)
    xml_elem(f"{{{MRSS_NS}}}content", parent, **attributes)
