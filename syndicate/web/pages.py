"""Pages for readers: the front page, category pages and one page per article."""

from __future__ import annotations

from flask import Blueprint, Response

from syndicate.config import Settings
from syndicate.errors import UnknownArticle, UnknownFeed
from syndicate.model import Category
from syndicate.publish import catalog
from syndicate.render.html import FeedLink, render_article, render_category, render_index
from syndicate.text.slugs import slugify
from syndicate.web import get_settings, get_store, page_context

bp = Blueprint("pages", __name__)
FRONT_PAGE_ARTICLES = 30


def feed_links(settings: Settings, name: str, title: str) -> tuple[FeedLink, ...]:
    """Autodiscovery links of one feed in every format (RSS, Atom, JSON Feed)."""
    return tuple(
        FeedLink(
            f"{title} ({catalog.FORMAT_NAMES[fmt]})", mime, catalog.feed_url(settings, name, fmt)
        )
        for fmt, mime in catalog.FORMATS.items()
    )


@bp.get("/")
def index() -> Response:
    """Categories with their feeds, and the newest articles."""
    store, settings = get_store(), get_settings()
    all_links = feed_links(settings, catalog.ALL, f"{settings.site.title}: all articles")
    categories = [(c, feed_links(settings, c.slug, c.name)) for c in store.categories()]
    discovery = all_links + tuple(link for _, links in categories for link in links)
    articles = store.latest(limit=FRONT_PAGE_ARTICLES)
    permalink = catalog.article_url(settings)
    body = render_index(
        page_context(discovery), categories, all_links, articles, [permalink(a) for a in articles]
    )
    return _html(body)


@bp.get("/categories/<slug>")
def category(slug: str) -> Response:
    """One category's newest articles, with its feeds."""
    store, settings = get_store(), get_settings()
    name = store.category_name(slug)
    if name is None:
        raise UnknownFeed(f"no category {slug!r}")
    found = Category(name, slug)  # the page shows no count: don't pay for one
    articles = store.latest(category=slug, limit=settings.feeds.items)
    permalink = catalog.article_url(settings)
    page = page_context(feed_links(settings, found.slug, f"{settings.site.title}: {found.name}"))
    return _html(render_category(page, found, articles, [permalink(a) for a in articles]))


@bp.get("/articles/<slug>")
def article(slug: str) -> Response:
    """One article as a clean page, with autodiscovery links to every feed it is in."""
    store, settings = get_store(), get_settings()
    found = store.get_by_slug(slug)
    if found is None:
        raise UnknownArticle(f"no article {slug!r}")
    base = settings.site.base_url
    slugs = [slugify(n) for n in found.categories]
    categories = [Category(name, s) for s in slugs if (name := store.category_name(s))]
    discovery: tuple[FeedLink, ...] = ()
    for cat in categories:
        discovery += feed_links(settings, cat.slug, f"{settings.site.title}: {cat.name}")
    for prefix, names in ((catalog.TAGS, found.tags), (catalog.AUTHORS, found.authors)):
        for name in dict.fromkeys(names):
            if slugify(name):
                discovery += feed_links(
                    settings, prefix + slugify(name), f"{settings.site.title}: {name}"
                )
    discovery += feed_links(settings, catalog.ALL, f"{settings.site.title}: all articles")
    links = [(c.name, f"{base}/categories/{c.slug}") for c in categories]
    url = catalog.article_url(settings)(found)
    return _html(render_article(page_context(discovery), found, url, links))


def _html(body: str) -> Response:
    return Response(body, content_type="text/html; charset=utf-8")
