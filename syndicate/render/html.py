"""HTML pages for readers, with Jinja autoescaping.

The one Jinja environment of syndicate: every page, the operators' pages included, is
rendered here. This is the one place where article body HTML is marked safe (``Markup``): it
was sanitized when the article was normalized, and everything else in a page is escaped by
Jinja.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from syndicate.model import Article, Category

_ENV = Environment(
    loader=PackageLoader("syndicate", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True, slots=True)
class FeedLink:
    """An autodiscovery link: ``<link rel="alternate" type=... title=... href=...>``."""

    title: str
    type: str
    href: str


@dataclass(frozen=True, slots=True)
class Page:
    """What every page shares: site name, base URL, and its feeds for autodiscovery."""

    site_title: str
    base_url: str
    language: str
    feeds: Sequence[FeedLink] = ()


def render_index(
    page: Page,
    categories: Sequence[tuple[Category, Sequence[FeedLink]]],
    all_feeds: Sequence[FeedLink],
    articles: Sequence[Article],
    article_urls: Sequence[str],
) -> str:
    """The front page: categories with their feed links, and the newest articles."""
    return _ENV.get_template("index.html").render(
        page=page,
        categories=categories,
        all_feeds=all_feeds,
        articles=list(zip(articles, article_urls, strict=True)),
        date=_date,
    )


def render_category(
    page: Page, category: Category, articles: Sequence[Article], article_urls: Sequence[str]
) -> str:
    """A category page: its newest articles and its feeds."""
    return _ENV.get_template("category.html").render(
        page=page,
        category=category,
        articles=list(zip(articles, article_urls, strict=True)),
        date=_date,
    )


def render_article(
    page: Page, article: Article, url: str, category_links: Sequence[tuple[str, str]]
) -> str:
    """One article as a clean, readable page: title, dek, byline, date, body."""
    return _ENV.get_template("article.html").render(
        page=page,
        article=article,
        url=url,
        body=Markup(article.body_html),
        category_links=category_links,
        date=_date,
    )


def render_admin_sources(page: Page, sources: Sequence[Any], scheduler_running: bool) -> str:
    """The operators' page of source health (``sources``: the health records, as
    ``syndicate.refresh.health`` makes them; the template reads their attributes)."""
    return _ENV.get_template("admin_sources.html").render(
        page=page, sources=sources, scheduler_running=scheduler_running
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
