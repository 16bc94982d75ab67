"""What pages show, read from the store: paging windows, article cards, links, feed lists.

Kept apart from the page builders (:mod:`syndicate.publish.pages`) so each is a few reads and one
render, and from the templates (:mod:`syndicate.render.html`), which take only these values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from syndicate.config import Settings
from syndicate.errors import InvalidRequest
from syndicate.model import Article
from syndicate.publish import catalog
from syndicate.render.html import Card, FeedLink, Link, Page, lead_image
from syndicate.store import Store
from syndicate.text.bylines import is_address
from syndicate.text.slugs import slugify

_CURSOR_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in a newest-first listing: an article's ``(published, id)``."""

    published: datetime
    id: str

    @classmethod
    def of(cls, article: Article) -> Cursor:
        return cls(article.published, article.id)

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        """The cursor of a ``?before=`` or ``?after=`` value; :class:`InvalidRequest` when
        it is not one."""
        if text is None:
            return None
        stamp, sep, article_id = text.partition("~")
        try:
            published = datetime.strptime(stamp, _CURSOR_TIME).replace(tzinfo=UTC)
        except ValueError:
            published = None
        if published is None or not sep or not article_id:
            raise InvalidRequest(
                f"{text!r} is not a page cursor; expected <published>~<id> such as "
                f"2024-01-01T05:00:00.000000Z~<article id>, as the page links give"
            )
        return cls(published, article_id)

    @property
    def key(self) -> tuple[datetime, str]:
        return (self.published, self.id)

    def __str__(self) -> str:
        return f"{self.published.astimezone(UTC):{_CURSOR_TIME}}~{self.id}"


@dataclass(frozen=True, slots=True)
class Window:
    """One page of a listing: its articles and the query strings of its neighbours.

    ``newer``/``older`` are ``None`` when there is no such page; ``""`` is the first page.
    """

    articles: list[Article]
    first: bool
    newer: str | None
    older: str | None


def window(
    store: Store, filters: dict[str, str], size: int, before: Cursor | None, after: Cursor | None
) -> Window:
    """The page of ``size`` articles a request asks for (``before`` wins over ``after``)."""
    if before is None and after is not None:
        nearer = store.latest(**filters, after=after.key, limit=size + 1)  # type: ignore[arg-type]
        if len(nearer) > size:  # more beyond: a page of its own
            shown = nearer[1:]
            return Window(shown, False, f"after={Cursor.of(shown[0])}", _older(shown))
        before = None  # it reaches the newest: that is the first page
    if before is None:
        rows = store.latest(**filters, limit=size + 1)  # type: ignore[arg-type]
        shown = rows[:size]
        return Window(shown, True, None, _older(shown) if len(rows) > size else None)
    rows = store.latest(**filters, before=before.key, limit=size + 1)  # type: ignore[arg-type]
    shown = rows[:size]
    newer = f"after={Cursor.of(shown[0])}" if shown else ""
    return Window(shown, False, newer, _older(shown) if len(rows) > size else None)


def _older(shown: Sequence[Article]) -> str:
    return f"before={Cursor.of(shown[-1])}"


def with_query(url: str, query: str | None) -> str:
    """``url`` with a neighbour's query string; ``""`` when there is no neighbour."""
    if query is None:
        return ""
    return f"{url}?{query}" if query else url


def feed_links(
    settings: Settings, name: str, title: str, hreflang: str = ""
) -> tuple[FeedLink, ...]:
    """Autodiscovery links of one feed in every format (RSS, Atom, JSON Feed)."""
    return tuple(
        FeedLink(
            f"{title} ({catalog.FORMAT_NAMES[fmt]})",
            mime,
            catalog.feed_url(settings, name, fmt),
            hreflang,
        )
        for fmt, mime in catalog.FORMATS.items()
    )


def format_links(settings: Settings, name: str) -> tuple[FeedLink, ...]:
    """One feed's links titled by format alone ("RSS", "Atom", "JSON Feed"), for lists."""
    return tuple(
        FeedLink(catalog.FORMAT_NAMES[fmt], mime, catalog.feed_url(settings, name, fmt))
        for fmt, mime in catalog.FORMATS.items()
    )


def language_links(store: Store, settings: Settings) -> tuple[FeedLink, ...]:
    """The language feeds with ``hreflang``, on a site with several languages; else none."""
    languages = catalog.site_languages(store, settings)
    if len(languages) < 2:
        return ()
    title = settings.site.title
    found: tuple[FeedLink, ...] = ()
    for code in languages:
        found += feed_links(settings, catalog.LANG + code, f"{title} ({code})", hreflang=code)
    return found


def term_links(settings: Settings, kind: str, names: Iterable[str]) -> list[Link]:
    """Links to the tag or author pages (``kind``: ``tags`` or ``authors``) of names."""
    base = settings.site.base_url
    links: dict[str, Link] = {}
    for name in names:
        slug = slugify(name)
        if slug and slug not in links:
            links[slug] = Link(name, f"{base}/{kind}/{slug}")
    return list(links.values())


def category_links(store: Store, settings: Settings, article: Article) -> list[Link]:
    """Links to the pages of an article's categories, by their display names."""
    base = settings.site.base_url
    links: dict[str, Link] = {}
    for name in article.categories:
        slug = slugify(name)
        shown = store.category_name(slug) if slug and slug not in links else None
        if shown is not None:
            links[slug] = Link(shown, f"{base}/categories/{slug}")
    return list(links.values())


def card(settings: Settings, article: Article) -> Card:
    """An article as a listing shows it."""
    return Card(
        article,
        catalog.article_url(settings)(article),
        # A byline is names: an address (stored by an earlier version) is not printed.
        term_links(settings, "authors", [a for a in article.authors if not is_address(a)]),
        lead_image(article),
    )


def subscription(
    settings: Settings, article: Article, categories: Sequence[Link]
) -> list[tuple[str, tuple[FeedLink, ...]]]:
    """Every feed an article is in, by what it follows: its categories, tags, authors, all."""
    feeds: list[tuple[str, tuple[FeedLink, ...]]] = []
    for link in categories:
        feeds.append((link.name, format_links(settings, link.href.rsplit("/", 1)[1])))
    for prefix, kind, names in (
        (catalog.TAGS, "tag", article.tags),
        (catalog.AUTHORS, "author", article.authors),
    ):
        for link in term_links(settings, prefix.rstrip("/"), names):
            slug = link.href.rsplit("/", 1)[1]
            feeds.append((f"{link.name} ({kind})", format_links(settings, prefix + slug)))
    feeds.append(("Everything", format_links(settings, catalog.ALL)))
    return feeds


def page_for(
    settings: Settings,
    feeds: Sequence[FeedLink],
    *,
    description: str = "",
    canonical: str = "",
    newer: str = "",
    older: str = "",
    image: str = "",
    kind: str = "website",
    language: str = "",
) -> Page:
    """The parts every page shares, for the templates."""
    site = settings.site
    return Page(
        site_title=site.title,
        base_url=site.base_url,
        language=language or site.language,
        feeds=feeds,
        description=description,
        canonical=canonical,
        icon=site.icon_url,
        image=image or site.logo_url,
        copyright=site.copyright,
        newer=newer,
        older=older,
        kind=kind,
    )
