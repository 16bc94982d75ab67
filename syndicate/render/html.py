"""HTML pages for readers, with Jinja autoescaping.

The one Jinja environment of syndicate: every page, the operators' pages included, is
rendered here. This is the one place where article body HTML is marked safe (``Markup``): it
was sanitized when the article was normalized, and everything else in a page is escaped by
Jinja. The one other piece of markup made here is the schema.org JSON-LD of an article page
(:func:`json_ld`), JSON in which ``<``, ``>`` and ``&`` are escaped, so no text of an article
can end its ``<script type="application/ld+json">`` element.

Every render function takes what its page shows and nothing else (no store, no request), so
that the web side can cache pages by what they were made of.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from syndicate.model import Article, Category, Media
from syndicate.render.charts import day_bars

_ENV = Environment(
    loader=PackageLoader("syndicate", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
WORDS_PER_MINUTE = 230  # silent reading of non-fiction prose in English
_HEADLINE_CHARS = 110  # schema.org / Google: longer headlines are cut by consumers anyway


@dataclass(frozen=True, slots=True)
class FeedLink:
    """An autodiscovery link: ``<link rel="alternate" type=... title=... href=...>``."""

    title: str
    type: str
    href: str
    hreflang: str = ""  # a language feed's language, on a site with several


@dataclass(frozen=True, slots=True)
class Link:
    """A named link of a page (a category, tag or author, a neighbour article)."""

    name: str
    href: str


@dataclass(frozen=True, slots=True)
class Page:
    """What every page shares: the site, the page's own URL, its feeds, its social card.

    ``canonical`` is the page's absolute URL; ``newer`` and ``older`` the neighbouring pages of
    a listing (``rel="prev"``/``rel="next"``); ``image`` the picture of its social card (the
    site's logo when it has none of its own).
    """

    site_title: str
    base_url: str
    language: str
    feeds: Sequence[FeedLink] = ()
    description: str = ""
    canonical: str = ""
    icon: str = ""
    image: str = ""
    copyright: str = ""
    newer: str = ""
    older: str = ""
    kind: str = "website"  # OpenGraph og:type
    micropub: str = ""  # the Micropub endpoint, linked from the home page


@dataclass(frozen=True, slots=True)
class Card:
    """One article as a listing shows it: title, date, byline, summary, lead image."""

    article: Article
    url: str
    authors: Sequence[Link]
    image: Media | None


@dataclass(frozen=True, slots=True)
class Listing:
    """A page of articles: what it is about, its articles, and where the others are."""

    heading: str
    description: str
    cards: Sequence[Card]
    feeds: Sequence[FeedLink] = ()
    categories: Sequence[tuple[Category, str, Sequence[FeedLink]]] = ()  # front page only
    first_page: bool = True


@dataclass(frozen=True, slots=True)
class ArticleView:
    """An article page: the article and the links around it."""

    article: Article
    url: str
    categories: Sequence[Link]
    tags: Sequence[Link]
    authors: Sequence[Link]
    subscribe: Sequence[tuple[str, Sequence[FeedLink]]]  # (what, its feed in each format)
    image: Media | None = None
    newer: Link | None = None  # the next article in its first category
    older: Link | None = None
    publisher_logo: str = ""


def lead_image(article: Article) -> Media | None:
    """The article's lead image (front matter ``image:``, ``og:image``, ``media:thumbnail``,
    else its first body image), if it has one."""
    return article.image


def image_in_body(article: Article) -> bool:
    """Whether the lead image is one of the body's own: the page then shows it once."""
    image = article.image
    return image is not None and f'src="{escape(image.url)}"' in article.body_html


def reading_minutes(article: Article) -> int:
    """Whole minutes to read the article, at least one."""
    return max(1, math.ceil(article.word_count / WORDS_PER_MINUTE))


def render_listing(page: Page, listing: Listing, template: str = "listing.html") -> str:
    """A page of articles newest first (front page, category, tag, author)."""
    return _ENV.get_template(template).render(page=page, listing=listing, date=_date)


def render_article(page: Page, view: ArticleView) -> str:
    """One article as a clean, readable page: title, dek, byline, date, body, links."""
    return _ENV.get_template("article.html").render(
        page=page,
        view=view,
        article=view.article,
        body=Markup(view.article.body_html),
        minutes=reading_minutes(view.article),
        structured=json_ld(page, view),
        image_in_body=image_in_body(view.article),
        enclosures=[(m, _file_label(m)) for m in view.article.enclosures],
        date=_date,
    )


def json_ld(page: Page, view: ArticleView) -> Markup:
    """The schema.org ``NewsArticle`` of an article page, safe inside a script element."""
    article = view.article
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": _headline(article.title),
        "url": view.url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": view.url},
        "datePublished": article.published.isoformat(),
        "dateModified": article.updated.isoformat(),
        "inLanguage": article.language or page.language,
        "wordCount": article.word_count,
    }
    if article.summary or article.dek:
        data["description"] = article.summary or article.dek
    if view.image is not None:
        data["image"] = [view.image.url]
    if article.authors:
        data["author"] = [{"@type": "Person", "name": name} for name in article.authors]
    publisher: dict[str, Any] = {"@type": "Organization", "name": page.site_title}
    publisher["url"] = f"{page.base_url}/"
    if view.publisher_logo:
        publisher["logo"] = {"@type": "ImageObject", "url": view.publisher_logo}
    data["publisher"] = publisher
    if view.categories:
        data["articleSection"] = [link.name for link in view.categories]
    if article.tags:
        data["keywords"] = list(article.tags)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # In HTML a script element ends at "</script" and "<!--" changes how it is parsed; JSON
    # may spell any character as \\uXXXX, so none of these survive as markup.
    for char, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        text = text.replace(char, escaped)
    return Markup(text)


def _headline(title: str) -> str:
    if len(title) <= _HEADLINE_CHARS:
        return title
    return title[: _HEADLINE_CHARS - 1].rsplit(" ", 1)[0] + "…"


@dataclass(frozen=True, slots=True)
class Admin:
    """What every admin page shares: who is logged in, the form token, a message to show."""

    user: str = ""
    csrf: str = ""  # empty: the page is read-only (a bearer-token request has no forms)
    notice: str = ""
    error: str = ""


@dataclass(frozen=True, slots=True)
class Bar:
    """One run in a sparkline: its place, height and outcome (the CSS class)."""

    x: int
    y: int
    height: int
    outcome: str
    label: str


SPARK_WIDTH, SPARK_HEIGHT, SPARK_BAR = 120, 24, 4


def sparkline(runs: Sequence[Any], width: int = SPARK_WIDTH) -> list[Bar]:
    """Bars of the latest runs (newest first in ``runs``, drawn oldest first, left to right):
    height from the articles each run wrote (new + updated), a failed run at full height."""
    shown = list(reversed(runs[: width // SPARK_BAR]))
    most = max((run.new + run.updated for run in shown), default=0) or 1
    bars = []
    for index, run in enumerate(shown):
        written = run.new + run.updated
        height = (
            SPARK_HEIGHT if run.outcome == "failed" else 2 + (SPARK_HEIGHT - 2) * written // most
        )
        label = f"{run.started:%Y-%m-%d %H:%M} {run.outcome}: {run.new} new, {run.updated} updated"
        bars.append(Bar(index * SPARK_BAR, SPARK_HEIGHT - height, height, str(run.outcome), label))
    return bars


def render_admin_login(page: Page, admin: Admin) -> str:
    """The admin's login form: an admin token, once."""
    return _ENV.get_template("admin_login.html").render(page=page, admin=admin)


def render_admin_sources(
    page: Page,
    sources: Sequence[Any],
    scheduler_running: bool,
    admin: Admin = Admin(),
    runs: Mapping[str, Sequence[Any]] | None = None,
) -> str:
    """The operators' page of source health (``sources``: the health records, as the API
    shows them; ``runs``: each source's latest runs, for its sparkline). With ``admin.csrf``
    it has the forms: refresh now, pause, resume, remove (added sources), add."""
    sparks = {name: sparkline(found) for name, found in (runs or {}).items()}
    return _ENV.get_template("admin_sources.html").render(
        page=page,
        sources=sources,
        scheduler_running=scheduler_running,
        admin=admin,
        sparks=sparks,
        spark=(SPARK_WIDTH, SPARK_HEIGHT, SPARK_BAR - 1),
    )


def render_admin_source(page: Page, source: Any, runs: Sequence[Any], admin: Admin) -> str:
    """One source's run log."""
    return _ENV.get_template("admin_source.html").render(
        page=page,
        source=source,
        runs=runs,
        admin=admin,
        bars=sparkline(runs, width=SPARK_BAR * 100),
        spark=(SPARK_BAR * 100, SPARK_HEIGHT, SPARK_BAR - 1),
    )


def render_admin_articles(
    page: Page,
    rows: Sequence[tuple[Any, str]],
    filters: dict[str, str],
    choices: Mapping[str, Sequence[str]],
    next_url: str,
    admin: Admin,
) -> str:
    """The editors' article list: search and filters, and per article unpublish, publish
    and delete (``rows``: each listed article with its page URL)."""
    return _ENV.get_template("admin_articles.html").render(
        page=page, rows=rows, filters=filters, choices=choices, next_url=next_url, admin=admin
    )


def render_admin_stats(
    page: Page, feeds: Sequence[Any], days: int, counting: bool, admin: Admin
) -> str:
    """Who reads each feed (``feeds``: ``syndicate.publish.stats.FeedStats``): subscribers,
    a chart of their days, aggregators, top readers, the 304 share and the bytes it saved."""
    charts = {f.feed: day_bars(f.days) for f in feeds}
    return _ENV.get_template("admin_stats.html").render(
        page=page, feeds=feeds, charts=charts, days=days, counting=counting, admin=admin
    )


def render_error(page: Page, status: int, title: str, message: str) -> str:
    """An error page that says what was wrong."""
    return _ENV.get_template("error.html").render(
        page=page,
        status=status,
        title=title,
        message=message,
    )


def _date(value: datetime) -> str:
    return f"{value:%d %B %Y}".lstrip("0")


def _file_label(media: Media) -> str:
    """How an enclosure is listed: its title or file name, its type and size when known."""
    name = media.title or unquote(urlsplit(media.url).path.rsplit("/", 1)[-1]) or media.url
    details = [media.type] if media.type else []
    if media.length:
        details.append(_size(media.length))
    return f"{name} ({', '.join(details)})" if details else name


def _size(length: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if length >= scale:
            return f"{length / scale:.1f} {unit}"
    return f"{length} bytes"
