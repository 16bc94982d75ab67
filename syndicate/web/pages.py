"""Pages for readers: the front page, category, tag and author pages, one page per article.

Listings are newest first and paged by cursor (keyset) links: ``?before=<cursor>`` shows the
articles older than the cursor's, ``?after=<cursor>`` those just newer; a cursor is an
article's ``published`` instant and id (``2024-01-01T05:00:00.000000Z~<id>``). A page costs an
index range read however deep it is, and its members do not shift when new articles arrive,
as they would with ``?page=N``. Pages link their neighbours with ``rel="prev"`` (newer) and
``rel="next"`` (older), in the head and as links.

The routes read the store through :mod:`syndicate.web.views`; the render functions take only
what a page shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from flask import Blueprint, Response, request

from syndicate.errors import ArticleGone, UnknownArticle, UnknownFeed
from syndicate.model import Article, Category
from syndicate.publish import catalog
from syndicate.render.html import (
    ArticleView,
    FeedLink,
    Link,
    Listing,
    render_article,
    render_listing,
)
from syndicate.store import Store
from syndicate.text.slugs import slugify
from syndicate.web import get_settings, get_store
from syndicate.web.views import (
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

bp = Blueprint("pages", __name__)


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


@bp.get("/")
def index() -> Response:
    """Categories with their descriptions and feeds, and the newest articles."""
    store, settings = get_store(), get_settings()
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
    response = _listing(store, subject)
    response.headers["Link"] = f'<{settings.site.base_url}/micropub>; rel="micropub"'
    return response


@bp.get("/categories/<slug>")
def category(slug: str) -> Response:
    """One category's articles, newest first, with its description and feeds."""
    store, settings = get_store(), get_settings()
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
    )
    return _listing(store, subject)


@bp.get("/tags/<slug>")
def tag(slug: str) -> Response:
    """The articles of one tag, newest first, with its feeds."""
    store, settings = get_store(), get_settings()
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
    )
    return _listing(store, subject)


@bp.get("/authors/<slug>")
def author(slug: str) -> Response:
    """The articles of one author, newest first, with their feeds."""
    store, settings = get_store(), get_settings()
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
    )
    return _listing(store, subject)


def _listing(store: Store, subject: Subject) -> Response:
    """One page of a listing, as the request's cursor asks (InvalidRequest: a bad one)."""
    settings = get_settings()
    before = Cursor.parse(request.args.get("before"))
    after = Cursor.parse(request.args.get("after"))
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
    if subject.path == "/":  # the home page names the Micropub endpoint (Micropub §5.3)
        page = replace(page, micropub=f"{settings.site.base_url}/micropub")
    listing = Listing(
        heading=subject.heading,
        description=subject.description,
        cards=[card(settings, a) for a in shown.articles],
        feeds=subject.feeds,
        categories=subject.categories if shown.first else [],
        first_page=shown.first,
    )
    return _html(render_listing(page, listing))


@bp.get("/articles/<slug>")
def article(slug: str) -> Response:
    """One article as a clean page, with links to its categories, tags, authors, its
    neighbours in its category and every feed it is in."""
    store, settings = get_store(), get_settings()
    found = store.get_by_slug(slug)
    if found is None:
        if store.states.removal_by_slug(slug) is not None:
            raise ArticleGone(f"the article {slug!r} was removed and is no longer published")
        raise UnknownArticle(f"no article {slug!r}")
    categories = category_links(store, settings, found)
    subscribe = subscription(settings, found, categories)
    newer, older = _neighbours(store, found)
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
    return _html(render_article(page, view))


def _feed_name(url: str) -> str:
    """The feed name in a feed URL (``.../feeds/tags/x.rss`` -> ``tags/x``)."""
    return url.split("/feeds/", 1)[1].rsplit(".", 1)[0]


def _neighbours(store: Store, found: Article) -> tuple[Link | None, Link | None]:
    """The articles just newer and just older than ``found`` in its first category."""
    slug = next((s for s in map(slugify, found.categories) if s), "")
    if not slug:
        return None, None
    key = (found.published, found.id)
    permalink = catalog.article_url(get_settings())
    newer = store.latest(category=slug, after=key, limit=1)
    older = store.latest(category=slug, before=key, limit=1)
    return (
        Link(newer[0].title, permalink(newer[0])) if newer else None,
        Link(older[0].title, permalink(older[0])) if older else None,
    )


def _html(body: str) -> Response:
    return Response(body, content_type="text/html; charset=utf-8")
