"""Sitemaps (https://www.sitemaps.org/protocol.html, 0.9) and Google News sitemaps, with lxml.

Deterministic bytes for the same input, like the feeds: URLs in the order given, dates in W3C
datetime (UTC, whole seconds). Every string is made XML-legal first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from syndicate.model import ArticleRef
from syndicate.text.sanitize import clean_text

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
SITEMAP_TYPE = "application/xml; charset=utf-8"


@dataclass(frozen=True, slots=True)
class SitemapUrl:
    """One ``<url>`` (or one ``<sitemap>`` of an index): where, and when it last changed."""

    loc: str
    lastmod: datetime | None = None


def w3c_datetime(value: datetime) -> str:
    """The W3C datetime the protocol asks for, in UTC to the second (``...T09:00:00+00:00``)."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def render_urlset(urls: Iterable[SitemapUrl]) -> bytes:
    """A ``<urlset>`` of these URLs (the caller keeps to 50,000)."""
    root = etree.Element(f"{{{SITEMAP_NS}}}urlset", nsmap={None: SITEMAP_NS})
    for url in urls:
        _located(root, "url", url)
    return _bytes(root)


def render_index(sitemaps: Iterable[SitemapUrl]) -> bytes:
    """A ``<sitemapindex>`` naming each sitemap file and when it last changed."""
    root = etree.Element(f"{{{SITEMAP_NS}}}sitemapindex", nsmap={None: SITEMAP_NS})
    for sitemap in sitemaps:
        _located(root, "sitemap", sitemap)
    return _bytes(root)


def render_news(
    articles: Iterable[tuple[str, ArticleRef]], publication: str, default_language: str
) -> bytes:
    """A Google News sitemap of ``(url, article)``: publication, date and title of each."""
    root = etree.Element(f"{{{SITEMAP_NS}}}urlset", nsmap={None: SITEMAP_NS, "news": NEWS_NS})
    name = " ".join(clean_text(publication).split())
    for loc, article in articles:
        url = _located(root, "url", SitemapUrl(loc))
        news = etree.SubElement(url, f"{{{NEWS_NS}}}news")
        source = etree.SubElement(news, f"{{{NEWS_NS}}}publication")
        etree.SubElement(source, f"{{{NEWS_NS}}}name").text = name
        language = news_language(article.language or default_language)
        etree.SubElement(source, f"{{{NEWS_NS}}}language").text = language
        date = etree.SubElement(news, f"{{{NEWS_NS}}}publication_date")
        date.text = w3c_datetime(article.published)
        title = etree.SubElement(news, f"{{{NEWS_NS}}}title")
        title.text = " ".join(clean_text(article.title).split())
    return _bytes(root)


def news_language(tag: str) -> str:
    """Google News wants an ISO 639 code, except ``zh-cn`` and ``zh-tw`` for Chinese."""
    tag = tag.strip().lower().replace("_", "-")
    if tag in ("zh-cn", "zh-tw"):
        return tag
    if tag in ("zh-hans", "zh-sg"):
        return "zh-cn"
    if tag in ("zh-hant", "zh-hk"):
        return "zh-tw"
    return tag.split("-", 1)[0] or "en"


def _located(parent: etree._Element, tag: str, url: SitemapUrl) -> etree._Element:
    element = etree.SubElement(parent, f"{{{SITEMAP_NS}}}{tag}")
    etree.SubElement(element, f"{{{SITEMAP_NS}}}loc").text = clean_text(url.loc).strip()
    if url.lastmod is not None:
        etree.SubElement(element, f"{{{SITEMAP_NS}}}lastmod").text = w3c_datetime(url.lastmod)
    return element


def _bytes(root: etree._Element) -> bytes:
    body: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return body
