"""What the sitemaps list: every page of the site, split into files the protocol allows.

The URLs, in a fixed order: the front page, each category, tag and author page, then every
article in the order it was first stored (so a file's members stay put as articles are
added). Up to ``site.sitemap_max_urls`` (50,000, the protocol's limit) ``/sitemap.xml`` is the
list itself; past it, ``/sitemap.xml`` is a sitemap index of ``/sitemaps/<n>.xml``, each
holding that many. Every URL whose time of change is known carries ``lastmod``: articles their
``updated``, the front page and category pages the newest ``updated`` among the articles of
their first page (read through the listing's index, so a sitemap never reads every article),
and each file of an index the newest of its URLs.

``/sitemaps/news.xml`` is the Google News sitemap: the articles published in the last two days
(at most 1,000, Google's limit), newest first.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from syndicate.config import Settings
from syndicate.errors import UnknownFeed
from syndicate.publish.catalog import FRONT_PAGE_ARTICLES
from syndicate.render.sitemap import SitemapUrl, render_index, render_news, render_urlset
from syndicate.store import Store

NEWS_WINDOW = timedelta(days=2)
NEWS_MAX_URLS = 1000


def site_pages(store: Store, settings: Settings) -> list[SitemapUrl]:
    """The listing pages of the site: front page, categories, tags, authors."""
    base = settings.site.base_url
    first = settings.feeds.items
    pages = [SitemapUrl(f"{base}/", store.first_page_updated(limit=FRONT_PAGE_ARTICLES))]
    for category in store.categories():
        changed = store.first_page_updated(category=category.slug, limit=first)
        pages.append(SitemapUrl(f"{base}/categories/{category.slug}", changed))
    pages += [SitemapUrl(f"{base}/tags/{t.slug}") for t in store.tags()]
    pages += [SitemapUrl(f"{base}/authors/{a.slug}") for a in store.authors()]
    return pages


def files(pages: int, articles: int, size: int) -> int:
    """How many sitemap files ``pages + articles`` URLs make at ``size`` per file."""
    return max(1, -(-(pages + articles) // size))


def sitemap(store: Store, settings: Settings) -> bytes:
    """``/sitemap.xml``: every URL, or an index of the files when there are too many."""
    size = settings.site.sitemap_max_urls
    pages = site_pages(store, settings)
    total = store.count()
    count = files(len(pages), total, size)
    if count == 1:
        return render_urlset(pages + _articles(store, settings, 0, total))
    base = settings.site.base_url
    entries = []
    for number in range(1, count + 1):
        start, end = (number - 1) * size, number * size
        offset, limit = max(0, start - len(pages)), max(0, end - max(start, len(pages)))
        newest = store.newest_updated_in_order(offset=offset, limit=limit) if limit else None
        if start < len(pages):
            newest = max(
                (p.lastmod for p in pages[start:end] if p.lastmod is not None),
                default=newest,
            )
        entries.append(SitemapUrl(f"{base}/sitemaps/{number}.xml", newest))
    return render_index(entries)


def sitemap_file(number: int, store: Store, settings: Settings) -> bytes:
    """``/sitemaps/<number>.xml`` of the index; :class:`UnknownFeed` past the last."""
    size = settings.site.sitemap_max_urls
    pages = site_pages(store, settings)
    count = files(len(pages), store.count(), size)
    if count == 1 or not 1 <= number <= count:
        shown = "the site fits one sitemap, /sitemap.xml" if count == 1 else f"1 to {count}"
        raise UnknownFeed(f"no sitemap {number}: the sitemap files are {shown}")
    start, end = (number - 1) * size, number * size
    urls = pages[start:end]
    offset = max(0, start - len(pages))
    limit = size - len(urls)
    if limit:
        urls += _articles(store, settings, offset, limit)
    return render_urlset(urls)


def news_sitemap(store: Store, settings: Settings, now: datetime) -> bytes:
    """The Google News sitemap of the articles published since two days before ``now``."""
    base = settings.site.base_url
    recent = store.published_since(now - NEWS_WINDOW, limit=NEWS_MAX_URLS)
    return render_news(
        ((f"{base}/articles/{ref.slug}", ref) for ref in recent if ref.published <= now),
        settings.site.title,
        settings.site.language,
    )


def _articles(store: Store, settings: Settings, offset: int, limit: int) -> list[SitemapUrl]:
    if limit <= 0:
        return []
    base = settings.site.base_url
    refs = store.sitemap_entries(offset=offset, limit=limit)
    return [SitemapUrl(f"{base}/articles/{ref.slug}", ref.updated) for ref in refs]
