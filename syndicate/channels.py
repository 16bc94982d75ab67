"""What goes in a feed: feed names, their channel metadata, their articles and URLs.

Kept apart from how a feed is written (``render.feeds``) and from HTTP (``web``), so the web
views, the CLI's ``feeds`` listing and later the feed cache share one answer to "which feeds
exist and what is in them".
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from syndicate.config import Settings
from syndicate.errors import UnknownFeed
from syndicate.model import Article, Channel
from syndicate.render.feeds import RenderedFeed, render_feed
from syndicate.store import Store

FeedFormat = Literal["rss", "atom"]
FORMATS: dict[str, str] = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
}
ALL = "all"
# Namespace of feed ids: a feed keeps its Atom id for as long as the site keeps its host.
FEED_NAMESPACE = uuid.UUID("0c8a4b8e-2f0e-4d3b-8a7e-6f1b2d9c5e44")


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """One logical feed (all articles, or one category), before a format is chosen."""

    name: str  # the URL name: "all" or a category slug
    title: str
    description: str
    category: str | None = None  # category slug to filter on; None for everything


def resolve(name: str, store: Store, settings: Settings) -> FeedSpec:
    """The feed called ``name`` in URLs; :class:`UnknownFeed` when there is none."""
    site = settings.site
    if name == ALL:
        return FeedSpec(ALL, site.title, site.description)
    category = store.category(name)
    if category is None:
        raise UnknownFeed(f"no feed named {name!r}: there is no category with that slug")
    declared = settings.category(category.name)
    description = (declared.description if declared else "") or \
        f"{category.name}: articles from {site.title}"
    return FeedSpec(category.slug, f"{site.title}: {category.name}", description, category.slug)


def all_specs(store: Store, settings: Settings) -> list[FeedSpec]:
    """Every feed the site serves: everything first, then each category by name."""
    specs = [resolve(ALL, store, settings)]
    specs += [resolve(c.slug, store, settings) for c in store.categories() if c.slug != ALL]
    return specs


def feed_url(settings: Settings, name: str, fmt: str) -> str:
    """Absolute URL of a feed in a format."""
    return f"{settings.site.base_url}/feeds/{name}.{fmt}"


def article_url(settings: Settings) -> Callable[[Article], str]:
    """A function giving the absolute URL of an article's page on this site."""
    base = settings.site.base_url

    def permalink(article: Article) -> str:
        return f"{base}/articles/{article.slug}"

    return permalink


def channel(spec: FeedSpec, fmt: str, settings: Settings, articles: list[Article]) -> Channel:
    """The channel metadata of a feed in one format."""
    site = settings.site
    newest = max((a.updated for a in articles), default=None)
    page = settings.site.base_url + "/" + (f"categories/{spec.name}" if spec.category else "")
    return Channel(
        id=f"urn:uuid:{uuid.uuid5(FEED_NAMESPACE, f'{site.base_url}/feeds/{spec.name}')}",
        title=spec.title,
        site_url=page,
        feed_url=feed_url(settings, spec.name, fmt),
        description=spec.description,
        language=site.language,
        updated=newest,
        alternates={mime: feed_url(settings, spec.name, other)
                    for other, mime in FORMATS.items() if other != fmt},
    )


def render(spec: FeedSpec, fmt: str, store: Store, settings: Settings,
           limit: int | None = None) -> RenderedFeed:
    """Query the articles of a feed and write them in ``fmt``."""
    if fmt not in FORMATS:
        raise UnknownFeed(f"no feed format {fmt!r}; expected one of: {', '.join(FORMATS)}")
    count = min(limit or settings.feeds.items, settings.feeds.max_items)
    articles = store.latest(category=spec.category, limit=count)
    return render_feed(channel(spec, fmt, settings, articles), articles, fmt,  # type: ignore[arg-type]
                       permalink=article_url(settings))
