"""The site's pages, written once into bytes for the byte cache and the export.

Pages are to HTML what :mod:`.catalog` is to feeds: the front page (``/``), the category, tag
and author listings (``/categories/<slug>``, ``/tags/<slug>``, ``/authors/<slug>``) and one
page per article (``/articles/<slug>``), each built from the store into a
:class:`~.catalog.FeedDocument` that the cache keeps under ``(path, "html", variant)``.

Listings are newest first and paged by cursor (keyset) links: ``?before=<cursor>`` shows the
articles older than the cursor's, ``?after=<cursor>`` those just newer; a cursor is an
article's ``published`` instant and id (``2024-01-01T05:00:00.000000Z~<id>``). A page costs an
index range read however deep it is, and its members do not shift when new articles arrive,
as they would with ``?page=N``. Pages link their neighbours with ``rel="prev"`` (newer) and
``rel="next"`` (older), in the head and as links. The cursor is the variant of the cache key;
other query parameters do not change a page.

A page route is declared once in :data:`ROUTES`: its URL prefix, how to build the page at a
slug, and how to list every slug (the export writes them all). The document a route builds
says what invalidates it: ``article_ids`` (the articles it shows; a write of one drops the
page) and ``depends_on`` (feed names whose membership it shows: a new article in a category
drops the category's pages). Adding a page kind means adding a route here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs

from syndicate.config import Settings
from syndicate.errors import ArticleGone, UnknownArticle, UnknownFeed
from syndicate.model import Article, Category
from syndicate.publish import catalog
from syndicate.publish.views import (
    Cursor,
    card,
    category_links,
    feed_links,
    format_links,
    language_links,
    page_for,
    subscription,
    term_links,
    window,
    with_query,
)
from syndicate.render.html import (
    ArticleView,
    FeedLink,
    Link,
    Listing,
    render_article,
    render_listing,
)
from syndicate.render.xmlfeed import RenderedFeed, strong_etag, whole_seconds
from syndicate.store import Store
from syndicate.text.slugs import slugify

HTML = "html"
HTML_TYPE = "text/html; charset=utf-8"
# Pages are revalidated on every view (a 304 from the cache costs next to nothing), so a
# correction is seen at once; feeds are polled and keep their sources' interval instead.
PAGE_MAX_AGE = 0
# Defence in depth for pages: bodies are sanitized already, and no script may run anyway.
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src http: https: data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
REFERRER_POLICY = "strict-origin-when-cross-origin"

CacheKey = tuple[str, str, str]
Builder = Callable[[str, str, Store, Settings], catalog.FeedDocument]


@dataclass(frozen=True, slots=True)
class PageRoute:
    """One kind of page: ``prefix`` + slug is its path (the front page: prefix ``/``, no slug).

    ``build(slug, variant, store, settings)`` writes the page (``variant``: ``""`` or the
    cursor, ``before=...``/``after=...``) or raises :class:`UnknownFeed` /
    :class:`UnknownArticle` / :class:`~syndicate.errors.InvalidRequest`; ``every(store)``
    lists the slugs of every page of the kind.
    """

    prefix: str
    build: Builder
    every: Callable[[Store], Iterable[str]]


@dataclass(frozen=True, slots=True)
class Subject:
    """What a listing is of: its path, heading, filters and feeds."""

    path: str
    heading: str
    description: str
    filters: dict[str, str]
    feeds: tuple[FeedLink, ...]
    discovery: tuple[FeedLink, ...] = ()
    image: str = ""
    categories: list[tuple[Category, str, tuple[FeedLink, ...]]] = field(default_factory=list)
    size: int = 0
    depends_on: str = catalog.ALL  # the feed whose members the listing shows


def _index(_slug: str, variant: str, store: Store, settings: Settings) -> catalog.FeedDocument:
    """Categories with their descriptions and feeds, and the newest articles."""
    site = settings.site
    discovery = feed_links(settings, catalog.ALL, f"{site.title}: all articles")
    categories = []
    for found in store.categories():
        declared = settings.category(found.name)
        description = declared.description if declared else ""
        categories.append((found, description, format_links(settings, found.slug)))
        discovery += feed_links(settings, found.slug, found.name)
    subject = Subject(
        "/",
        site.title,
        site.description,
        {},
        format_links(settings, catalog.ALL),
        discovery + language_links(store, settings),
        categories=categories,
        size=catalog.FRONT_PAGE_ARTICLES,
    )
    return _listing(store, settings, subject, variant)


def _category(slug: str, variant: str, store: Store, settings: Settings) -> catalog.FeedDocument:
    """One category's articles, newest first, with its description and feeds."""
    name = store.category_name(slug)
    if name is None:
        raise UnknownFeed(f"no category {slug!r}")
    declared = settings.category(name)
    subject = Subject(
        f"/categories/{slug}",
        (declared.title if declared else "") or name,
        declared.description if declared else "",
        {"category": slug},
        format_links(settings, slug),
        feed_links(settings, slug, f"{settings.site.title}: {name}"),
        image=settings.site.absolute(declared.image) if declared else "",
        depends_on=slug,
    )
    return _listing(store, settings, subject, variant)


def _tag(slug: str, variant: str, store: Store, settings: Settings) -> catalog.FeedDocument:
    """The articles of one tag, newest first, with its feeds."""
    name = store.tag_name(slug)
    if name is None:
        raise UnknownFeed(f"no tag {slug!r}")
    feed = catalog.TAGS + slug
    subject = Subject(
        f"/tags/{slug}",
        f"Tagged {name}",
        f"Articles tagged {name}",
        {"tag": slug},
        format_links(settings, feed),
        feed_links(settings, feed, f"{settings.site.title}: {name}"),
        depends_on=feed,
    )
    return _listing(store, settings, subject, variant)


def _author(slug: str, variant: str, store: Store, settings: Settings) -> catalog.FeedDocument:
    """The articles of one author, newest first, with their feeds."""
    name = store.author_name(slug)
    if name is None:
        raise UnknownFeed(f"no author {slug!r}")
    feed = catalog.AUTHORS + slug
    subject = Subject(
        f"/authors/{slug}",
        name,
        f"Articles by {name}",
        {"author": slug},
        format_links(settings, feed),
        feed_links(settings, feed, f"{settings.site.title}: {name}"),
        depends_on=feed,
    )
    return _listing(store, settings, subject, variant)


def _listing(
    store: Store, settings: Settings, subject: Subject, variant: str
) -> catalog.FeedDocument:
    """One page of a listing, as the cursor asks (InvalidRequest: a bad one)."""
    kind, _, value = variant.partition("=")
    before = Cursor.parse(value) if kind == "before" else None
    after = Cursor.parse(value) if kind == "after" else None
    size = subject.size or settings.feeds.items
    shown = window(store, subject.filters, size, before, after)
    url = f"{settings.site.base_url}{subject.path}"
    # The canonical URL names the page by its cursor alone (no other parameters).
    query = "" if shown.first else (f"before={before}" if before else f"after={after}")
    page = page_for(
        settings,
        subject.discovery,
        description=subject.description,
        canonical=with_query(url, query),
        newer=with_query(url, shown.newer),
        older=with_query(url, shown.older),
        image=subject.image,
    )
    links: tuple[tuple[str, str], ...] = ()
    if subject.path == "/":  # the home page names the Micropub endpoint (Micropub §5.3)
        micropub = f"{settings.site.base_url}/micropub"
        page = replace(page, micropub=micropub)
        links = (("micropub", micropub),)
    listing = Listing(
        heading=subject.heading,
        description=subject.description,
        cards=[card(settings, a) for a in shown.articles],
        feeds=subject.feeds,
        categories=subject.categories if shown.first else [],
        first_page=shown.first,
    )
    body = render_listing(page, listing)
    return _document(body, shown.articles, {subject.depends_on}, links)


def _article(slug: str, _variant: str, store: Store, settings: Settings) -> catalog.FeedDocument:
    """One article as a clean page, with links to its categories, tags, authors, its
    neighbours in its category and every feed it is in."""
    found = store.get_by_slug(slug)
    if found is None:
        if store.states.removal_by_slug(slug) is not None:
            raise ArticleGone(f"the article {slug!r} was removed and is no longer published")
        raise UnknownArticle(f"no article {slug!r}")
    categories = category_links(store, settings, found)
    subscribe = subscription(settings, found, categories)
    neighbours, first_category = _neighbours(store, settings, found)
    newer, older = (
        Link(a.title, catalog.article_url(settings)(a)) if a else None for a in neighbours
    )
    shown = card(settings, found)
    view = ArticleView(
        article=found,
        url=shown.url,
        categories=categories,
        tags=term_links(settings, "tags", found.tags),
        authors=shown.authors,
        subscribe=subscribe,
        image=shown.image,
        newer=newer,
        older=older,
        publisher_logo=settings.site.logo_url or settings.site.icon_url,
    )
    discovery: tuple[FeedLink, ...] = ()
    for what, links in subscribe:
        discovery += feed_links(
            settings, _feed_name(links[0].href), f"{settings.site.title}: {what}"
        )
    page = page_for(
        settings,
        discovery + language_links(store, settings),
        description=found.summary or found.dek,
        canonical=view.url,
        image=view.image.url if view.image else "",
        kind="article",
        language=found.language,
    )
    # Its neighbours are the newest on each side in its first category: a new article there
    # may become one.
    shows = [found, *(a for a in neighbours if a is not None)]
    depends = {first_category} if first_category else set()
    return _document(render_article(page, view), shows, depends)


def _feed_name(url: str) -> str:
    """The feed name in a feed URL (``.../feeds/tags/x.rss`` -> ``tags/x``)."""
    return url.split("/feeds/", 1)[1].rsplit(".", 1)[0]


def _neighbours(
    store: Store, settings: Settings, found: Article
) -> tuple[tuple[Article | None, Article | None], str]:
    """The articles just newer and just older than ``found`` in its first category."""
    slug = next((s for s in map(slugify, found.categories) if s), "")
    if not slug:
        return (None, None), ""
    key = (found.published, found.id)
    newer = store.latest(category=slug, after=key, limit=1)
    older = store.latest(category=slug, before=key, limit=1)
    return (newer[0] if newer else None, older[0] if older else None), slug


def _article_slugs(store: Store, batch: int = 1000) -> Iterator[str]:
    """Every visible article's slug, read ``batch`` at a time without bodies."""
    offset = 0
    while refs := store.sitemap_entries(offset=offset, limit=batch):
        yield from (ref.slug for ref in refs)
        offset += len(refs)


ROUTES: tuple[PageRoute, ...] = (
    PageRoute("/", _index, lambda _store: ("",)),
    PageRoute("/categories/", _category, lambda store: (c.slug for c in store.categories())),
    PageRoute("/tags/", _tag, lambda store: (t.slug for t in store.tags())),
    PageRoute("/authors/", _author, lambda store: (a.slug for a in store.authors())),
    PageRoute("/articles/", _article, lambda store: _article_slugs(store)),
)


def page_key(path: str, query: str = "") -> CacheKey | None:
    """The cache key of a page URL; None when no route has the path."""
    if _route(path) is None:
        return None
    return (path, HTML, cursor_variant(query))


def cursor_variant(query: str) -> str:
    """``before=<cursor>`` or ``after=<cursor>`` from a query string (before wins), or ``""``."""
    if "before=" not in query and "after=" not in query:
        return ""
    args = parse_qs(query, keep_blank_values=True)
    for name in ("before", "after"):
        if name in args:
            return f"{name}={args[name][-1]}"
    return ""


def build_page(path: str, variant: str, store: Store, settings: Settings) -> catalog.FeedDocument:
    """Write the page at ``path``; :class:`UnknownFeed` or :class:`UnknownArticle` if none."""
    route = _route(path)
    if route is None:
        raise UnknownFeed(f"no page at {path}")
    return route.build(path.removeprefix(route.prefix), variant, store, settings)


def every_page(store: Store) -> Iterator[str]:
    """The path of every page of the site (first pages of listings), front page first."""
    for route in ROUTES:
        for slug in route.every(store):
            if slug or route.prefix == "/":
                yield route.prefix + slug


def _route(path: str) -> PageRoute | None:
    for route in ROUTES:
        if route.prefix == "/":
            if path == "/":
                return route
            continue
        slug = path.removeprefix(route.prefix)
        if slug != path and slug and "/" not in slug:
            return route
    return None


def _document(
    body: str,
    articles: Sequence[Article],
    depends_on: set[str],
    links: tuple[tuple[str, str], ...] = (),
) -> catalog.FeedDocument:
    data = body.encode("utf-8")
    newest = max((a.updated for a in articles), default=None)
    rendered = RenderedFeed(
        data, HTML_TYPE, strong_etag(data), whole_seconds(newest) if newest else None
    )
    ids = frozenset(a.id for a in articles)
    return catalog.FeedDocument(
        rendered, ids, PAGE_MAX_AGE, links, depends_on=frozenset(depends_on)
    )
