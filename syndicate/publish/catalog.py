"""What goes in a feed: feed names, their channel metadata, their articles, archives and URLs.

Kept apart from how a feed is written (``render``) and from HTTP (``web``), so the web views,
the feed cache, WebSub pings and the CLI share one answer to "which feeds exist and what is in
them".

Feed names are URL paths under ``/feeds/`` without the extension: ``all``, a category slug,
``tags/<slug>``, ``authors/<slug>`` and, on a site whose articles carry more than one language,
``lang/<code>`` (an article without a language of its own is in the site's). Every feed exists
in three formats (RSS, Atom, JSON Feed).

Every feed has a face: the site's icon and logo (a category's own image instead, when it has
one), its copyright, and an XSLT stylesheet (``/static/feed.xsl``) that shows RSS and Atom
documents to a person who opens them in a browser.

Archives (RFC 5005): a feed's articles in the order they were first stored are cut into pages
of ``feeds.items``. Page 1 is the oldest, and a page is published once it is full, so a
published page never changes members: an article stored later (new, or backfilled with an old
date) goes after every published page. The subscription document holds the newest
``feeds.items`` articles by published date, plus every article not yet in a published page
(fewer than ``feeds.items``), newest first. So it always shows the newest articles, and
following ``prev-archive`` from it reaches every article (an article may be met twice: in the
subscription document and in its page). Archive pages link ``current`` and ``prev-archive``
only: a ``next-archive`` link would have to be added to the newest page when the next one is
published, and a published page changes only when an article in it is edited or removed.

Size: no document passes ``feeds.max_bytes``. One that would carries fewer items (the oldest go
first, never one the archive chain needs), then, if it must, the largest items without their
full text (their summaries stand in).
Removing an article takes it out of whichever page holds it.

Removed articles (RFC 6721): an Atom subscription document carries the tombstone of every
article removed from that feed in the last ``feeds.tombstone_days``. Scheduled articles: a
document is good only until the next scheduled article is due (``FeedDocument.expires``), and
so is the ``max-age`` it is served with.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal, TypedDict

from syndicate.config import DEFAULT_INTERVAL_SECONDS, Settings
from syndicate.errors import UnknownFeed
from syndicate.model import Article, Channel
from syndicate.publish.fitting import fit
from syndicate.render.items import newest_first
from syndicate.render.jsonfeed import JSON_FEED_TYPE, render_json_feed
from syndicate.render.opml import Subscription, render_opml
from syndicate.render.xmlfeed import (
    ATOM_TYPE,
    NO_ARCHIVE,
    RSS_TYPE,
    ArchiveLinks,
    RenderedFeed,
    render_feed,
)
from syndicate.store import Store, Tombstone
from syndicate.text.dates import utc_now
from syndicate.text.slugs import slugify

FORMATS: dict[str, str] = {
    "rss": RSS_TYPE,
    "atom": ATOM_TYPE,
    "json": JSON_FEED_TYPE,
}
FORMAT_NAMES = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}
ALL = "all"
TAGS = "tags/"
AUTHORS = "authors/"
LANG = "lang/"
STYLESHEET_PATH = "/static/feed.xsl"
FRONT_PAGE_ARTICLES = 30  # articles on each page of the front page (other listings: items)
ARCHIVE_MAX_AGE = 24 * 60 * 60  # seconds: archive pages do not change
# A scheduled article is due but not released yet (the change watchers release it within a
# second): a document built meanwhile is kept only this long.
PENDING_RELEASE = timedelta(seconds=1)
# Namespace of feed ids: a feed keeps its Atom id for as long as the site keeps its host.
FEED_NAMESPACE = uuid.UUID("0c8a4b8e-2f0e-4d3b-8a7e-6f1b2d9c5e44")
_ARCHIVE_PATH = re.compile(r"^(?P<name>.+)/archive/(?P<page>[1-9][0-9]{0,8})$")


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """One logical feed (all articles, a category, a tag or an author), before a format."""

    name: str  # the URL name: "all", a category slug, "tags/<slug>" or "authors/<slug>"
    title: str
    description: str
    category: str | None = None  # slugs to filter on; None for everything
    tag: str | None = None
    author: str | None = None
    languages: tuple[str, ...] | None = None  # language slugs, any of which matches
    page_path: str = ""  # the site page the feed describes, relative to the base URL
    image: str = ""  # absolute URL of the feed's logo ("" for none)
    language: str = ""  # the language of the feed ("" for the site's)
    within: tuple[str, ...] | None = None  # a partner's categories: an article needs one

    def filters(self) -> Filters:
        """What the store is asked for: every filter of this feed."""
        chosen = self.category if self.category is not None else self.within
        return Filters(category=chosen, tag=self.tag, author=self.author, languages=self.languages)


class Filters(TypedDict):
    """A feed's filters, as the store's listings take them."""

    category: str | tuple[str, ...] | None
    tag: str | None
    author: str | None
    languages: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class FeedDocument:
    """A rendered feed document and what the HTTP side and the cache need to know about it.

    ``article_ids`` are the articles in it, tombstones included (a change to any of them
    makes it stale); ``links`` are ``(rel, href)`` for the ``Link`` header: ``self`` and the
    WebSub hubs; ``expires`` is when it goes stale by itself (a scheduled article is due, a
    tombstone's days are over), ``None`` when only a write can make it stale; ``depends_on``
    the feed names whose membership it shows (a new article in one of them makes it stale):
    its own name for a feed, ``all`` for the OPML list and the front page.
    """

    rendered: RenderedFeed
    article_ids: frozenset[str]
    max_age: int  # seconds, for Cache-Control
    links: tuple[tuple[str, str], ...]
    expires: datetime | None = None
    depends_on: frozenset[str] = frozenset()


def resolve(name: str, store: Store, settings: Settings) -> FeedSpec:
    """The feed called ``name`` in URLs; :class:`UnknownFeed` when there is none."""
    site = settings.site
    if name == ALL:
        return FeedSpec(ALL, site.title, site.description, image=site.logo_url)
    if name.startswith(TAGS):
        return _term_spec(name, store.tag_name, "tag", settings)
    if name.startswith(AUTHORS):
        return _term_spec(name, store.author_name, "author", settings)
    if name.startswith(LANG):
        return _language_spec(name, store, settings)
    title = store.category_name(name) if "/" not in name else None
    if title is None:
        raise UnknownFeed(f"no feed named {name!r}: there is no category with that slug")
    declared = settings.category(title)
    description = (
        declared.description if declared else ""
    ) or f"{title}: articles from {site.title}"
    return FeedSpec(
        name,
        (declared.title if declared else "") or f"{site.title}: {title}",
        description,
        category=name,
        page_path=f"categories/{name}",
        image=site.absolute(declared.image if declared else "") or site.logo_url,
    )


def site_languages(store: Store, settings: Settings) -> list[str]:
    """The language codes (slugs of tags) of the site's articles, the site's own for those
    without one; per-language feeds exist when there are at least two."""
    default = slugify(settings.site.language)
    found = {slug or default for slug in store.languages()}
    return sorted(code for code in found if code)


def language_filter(code: str, settings: Settings) -> tuple[str, ...]:
    """The language slugs a feed of ``code`` matches: articles without a language are in
    the site's."""
    return (code, "") if code == slugify(settings.site.language) else (code,)


def _language_spec(name: str, store: Store, settings: Settings) -> FeedSpec:
    code = name.removeprefix(LANG)
    languages = site_languages(store, settings)
    if len(languages) < 2 or code not in languages:
        shown = ", ".join(languages) if len(languages) > 1 else "none: the site has one language"
        raise UnknownFeed(f"no feed named {name!r}: the language feeds are {shown}")
    site = settings.site
    return FeedSpec(
        name,
        f"{site.title} ({code})",
        f"{site.description} ({code})",
        languages=language_filter(code, settings),
        image=site.logo_url,
        language=code,
    )


def _term_spec(
    name: str, lookup: Callable[[str], str | None], kind: str, settings: Settings
) -> FeedSpec:
    slug = name.partition("/")[2]
    found = lookup(slug) if slug and "/" not in slug else None
    if found is None:
        raise UnknownFeed(f"no feed named {name!r}: there is no {kind} with that slug")
    title = f"{settings.site.title}: {found}"
    logo = settings.site.logo_url
    if kind == "tag":
        return FeedSpec(
            name, title, f"Articles tagged {found}", tag=slug, page_path=name, image=logo
        )
    return FeedSpec(name, title, f"Articles by {found}", author=slug, page_path=name, image=logo)


def all_specs(store: Store, settings: Settings) -> list[FeedSpec]:
    """Every feed listed on the site: everything first, then each category by name."""
    specs = [resolve(ALL, store, settings)]
    specs += [resolve(c.slug, store, settings) for c in store.categories() if c.slug != ALL]
    return specs


def feed_names(article: Article | Tombstone, settings: Settings | None = None) -> set[str]:
    """The names of every feed an article belongs to (a change to it may change them), or
    belonged to when it was removed (its tombstone).

    Its language feed is named for the article's language, or the site's (``settings``) when
    it has none.
    """
    names = {ALL}
    names |= {slug for slug in map(slugify, article.categories) if slug}
    names |= {TAGS + slug for slug in map(slugify, article.tags) if slug}
    names |= {AUTHORS + slug for slug in map(slugify, article.authors) if slug}
    default = settings.site.language if settings is not None else ""
    language = slugify(article.language) or slugify(default)
    if language:
        names.add(LANG + language)
    return names


def slug_name(name: str) -> str | None:
    """The feed name with its tag, author or category as a slug (``tags/Local News`` is
    ``tags/local-news``, ``Business`` is ``business``); ``None`` when it is one already."""
    prefix = next((p for p in (TAGS, AUTHORS) if name.startswith(p)), "")
    rest = name[len(prefix) :]
    if "/" in rest or not rest:
        return None
    slug = slugify(rest)
    return f"{prefix}{slug}" if slug and slug != rest else None


def split_archive(path: str) -> tuple[str, int | None]:
    """``("tags/x", 3)`` for ``tags/x/archive/3``; ``(path, None)`` for a subscription name."""
    match = _ARCHIVE_PATH.match(path)
    if match is None:
        return path, None
    return match["name"], int(match["page"])


def feed_url(settings: Settings, name: str, fmt: str, page: int | None = None) -> str:
    """Absolute URL of a feed (or of one of its archive pages) in a format."""
    stem = name if page is None else f"{name}/archive/{page}"
    return f"{settings.site.base_url}/feeds/{stem}.{fmt}"


def article_url(settings: Settings) -> Callable[[Article], str]:
    """A function giving the absolute URL of an article's page on this site."""
    base = settings.site.base_url

    def permalink(article: Article) -> str:
        return f"{base}/articles/{article.slug}"

    return permalink


def channel(
    spec: FeedSpec, fmt: str, settings: Settings, articles: list[Article], page: int | None = None
) -> Channel:
    """The channel metadata of a feed (or an archive page: no hubs, its own URL) in a format."""
    site = settings.site
    newest = max((a.updated for a in articles), default=None)
    return Channel(
        id=f"urn:uuid:{uuid.uuid5(FEED_NAMESPACE, f'{site.base_url}/feeds/{spec.name}')}",
        title=spec.title,
        site_url=f"{site.base_url}/{spec.page_path}",
        feed_url=feed_url(settings, spec.name, fmt, page),
        description=spec.description,
        language=spec.language or site.language,
        updated=newest,
        hubs=settings.websub.advertised(site.base_url) if page is None else (),
        author=site.author,
        alternates={
            mime: feed_url(settings, spec.name, other, page)
            for other, mime in FORMATS.items()
            if other != fmt
        },
        icon=site.icon_url,
        logo=spec.image,
        copyright=site.copyright,
        stylesheet=site.absolute(STYLESHEET_PATH),
    )


def archived_pages(total: int, size: int) -> int:
    """How many archive pages ``total`` articles make: every full page."""
    return total // size


def build(
    spec: FeedSpec,
    fmt: str,
    store: Store,
    settings: Settings,
    *,
    limit: int | None = None,
    page: int | None = None,
) -> FeedDocument:
    """Query and write one feed document: the subscription document, a ``?limit=`` cut of
    it, or archive page ``page``. :class:`UnknownFeed` for a format or page that is not."""
    if fmt not in FORMATS:
        raise UnknownFeed(f"no feed format {fmt!r}; expected one of: {', '.join(FORMATS)}")
    size = settings.feeds.items
    now = utc_now()
    filters = spec.filters()
    pages = archived_pages(store.count_matching(**filters, now=now), size)
    if page is not None:
        if page > pages:
            raise UnknownFeed(f"feed {spec.name!r} has {pages} archive page(s), not {page}")
        articles = store.in_stored_order(**filters, offset=(page - 1) * size, limit=size, now=now)
        archive = ArchiveLinks(
            current=feed_url(settings, spec.name, fmt),
            prev_archive=feed_url(settings, spec.name, fmt, page - 1) if page > 1 else "",
            is_archive=True,
        )
        needed = {a.id for a in articles}  # an archive page keeps every article it has
    elif limit is None:
        # The newest by date, and whatever no published page holds yet (the chain needs it).
        newest = store.latest(**filters, limit=size, now=now)
        unpaged = store.in_stored_order(**filters, offset=pages * size, limit=size, now=now)
        articles = list({a.id: a for a in newest + unpaged}.values())
        archive = ArchiveLinks(
            prev_archive=feed_url(settings, spec.name, fmt, pages) if pages else ""
        )
        needed = {a.id for a in unpaged}
    else:  # exactly the newest N: a view of the feed, not a link of its archive chain
        articles = store.latest(**filters, limit=min(limit, settings.feeds.max_items), now=now)
        archive, needed = NO_ARCHIVE, set()
    articles = [_as_published(a, settings) for a in newest_first(articles)]
    if page is not None:
        return _document(spec, fmt, settings, articles, page, archive, needed)
    stones = tombstones(spec, store, settings, now)
    document = _document(spec, fmt, settings, articles, page, archive, needed, stones)
    return replace(document, expires=_expiry(store, settings, stones, now))


def tombstones(spec: FeedSpec, store: Store, settings: Settings, now: datetime) -> list[Tombstone]:
    """The tombstones a subscription document of ``spec`` carries, newest first."""
    days = settings.feeds.tombstone_days
    if not days:
        return []
    found = store.states.tombstones(now - timedelta(days=days))
    found = [stone for stone in found if spec.name in feed_names(stone, settings)]
    within = set(spec.within or ())  # a partner's view: its categories' removals alone
    return [s for s in found if not within or within & set(map(slugify, s.categories))]


def _expiry(
    store: Store, settings: Settings, stones: list[Tombstone], now: datetime
) -> datetime | None:
    """When a subscription document goes stale with no write: the next scheduled article is
    due, or the oldest tombstone in it is too old to carry."""
    times: list[datetime] = []
    due = store.states.next_release()
    if due is not None:
        times.append(max(due, now + PENDING_RELEASE))
    if stones:
        oldest = min(stone.removed for stone in stones)
        times.append(oldest + timedelta(days=settings.feeds.tombstone_days))
    return min(times, default=None)


def _document(
    spec: FeedSpec,
    fmt: str,
    settings: Settings,
    articles: list[Article],
    page: int | None,
    archive: ArchiveLinks,
    needed: set[str],
    stones: list[Tombstone] | None = None,
) -> FeedDocument:
    stones = stones or []
    deleted = tuple((stone.id, stone.removed) for stone in stones)

    def write(shown: list[Article]) -> tuple[RenderedFeed, Channel]:
        meta = replace(channel(spec, fmt, settings, shown, page), deleted=deleted)
        permalink = article_url(settings)
        if fmt == "json":
            next_url = archive.prev_archive
            return render_json_feed(meta, shown, permalink=permalink, next_url=next_url), meta
        kind: Literal["rss", "atom"] = "rss" if fmt == "rss" else "atom"
        return render_feed(meta, shown, kind, permalink=permalink, archive=archive), meta

    (rendered, meta), shown = fit(write, articles, needed, settings.feeds.max_bytes)
    links = (("self", meta.feed_url),) + tuple(("hub", hub) for hub in meta.hubs)
    max_age = ARCHIVE_MAX_AGE if page is not None else max_age_of(spec, settings)
    ids = frozenset(a.id for a in shown) | {stone.id for stone in stones}
    return FeedDocument(rendered, ids, max_age, links, depends_on=frozenset({spec.name}))


def _as_published(article: Article, settings: Settings) -> Article:
    """The article as feeds carry it: without its body when a category of it is summary-only.

    The renderers fall back to the summary when there is no body.
    """
    for name in article.categories:
        declared = settings.category(name)
        if declared is not None and declared.summary_only:
            return replace(article, body_html="")
    return article


def max_age_of(spec: FeedSpec, settings: Settings) -> int:
    """Seconds a copy of the feed stays fresh: the shortest refresh interval of the enabled
    sources that can feed it (only those of its category for a category feed)."""
    sources = [s for s in settings.sources if s.enabled]
    if spec.category is not None:
        sources = [s for s in sources if slugify(s.category) == spec.category] or sources
    return min((s.interval for s in sources), default=DEFAULT_INTERVAL_SECONDS)


def render(
    spec: FeedSpec, fmt: str, store: Store, settings: Settings, limit: int | None = None
) -> RenderedFeed:
    """Query the articles of a feed and write them in ``fmt`` (the subscription document)."""
    return build(spec, fmt, store, settings, limit=limit).rendered


def opml(store: Store, settings: Settings) -> RenderedFeed:
    """The OPML 2.0 list of every feed on the site (in RSS), everything first."""
    subscriptions = [
        Subscription(
            title=spec.title,
            xml_url=feed_url(settings, spec.name, "rss"),
            html_url=f"{settings.site.base_url}/{spec.page_path}",
            description=spec.description,
        )
        for spec in all_specs(store, settings)
    ]
    return render_opml(
        f"{settings.site.title}: feeds", subscriptions, owner_url=settings.site.base_url
    )
