"""What crawlers read: ``/sitemap.xml`` and its files, the news sitemap, ``/robots.txt``, and
the site's icon at ``/favicon.ico``.

Sitemaps are made from the store on each request (a sitemap file is one index range read
without article bodies) and answered conditionally: a strong ETag of the bytes, 304 when it
matches.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from flask import Blueprint, Response, redirect, request

from syndicate.publish import sitemaps
from syndicate.render.sitemap import SITEMAP_TYPE
from syndicate.text.dates import utc_now
from syndicate.web import get_settings, get_store

bp = Blueprint("discovery", __name__)
SITEMAP_MAX_AGE = 15 * 60  # seconds; crawlers come back far less often than that
ROBOTS_MAX_AGE = 24 * 60 * 60
ICON_MAX_AGE = 7 * 24 * 60 * 60
ICON_TYPE = "image/vnd.microsoft.icon"


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    """Every page of the site, or the index of the sitemap files."""
    return _xml(sitemaps.sitemap(get_store(), get_settings()))


@bp.get("/sitemaps/<int:number>.xml")
def sitemap_file(number: int) -> Response:
    """One file of the sitemap index (UnknownFeed: the 404 page)."""
    return _xml(sitemaps.sitemap_file(number, get_store(), get_settings()))


@bp.get("/sitemaps/news.xml")
def news() -> Response:
    """The Google News sitemap: articles of the last two days."""
    return _xml(sitemaps.news_sitemap(get_store(), get_settings(), utc_now()))


@bp.get("/robots.txt")
def robots() -> Response:
    """Crawl everything but the operators' pages and the publishers' endpoints; where the
    sitemaps are."""
    base = get_settings().site.base_url
    body = (
        "User-agent: *\n"
        "Disallow: /admin/\n"
        "Disallow: /api/\n"
        "Disallow: /micropub\n"
        "Allow: /\n"
        f"Sitemap: {base}/sitemap.xml\n"
        f"Sitemap: {base}/sitemaps/news.xml\n"
    )
    response = Response(body, content_type="text/plain; charset=utf-8")
    response.cache_control.public = True
    response.cache_control.max_age = ROBOTS_MAX_AGE
    response.make_conditional(request)  # turns itself into the 304 when it matches
    return response


@bp.get("/favicon.ico")
def favicon() -> Response:
    """syndicate's own icon, or a redirect to the configured ``site.icon``."""
    site = get_settings().site
    if site.icon and site.icon_url != f"{site.base_url}/favicon.ico":
        return redirect(site.icon_url, code=302)  # type: ignore[return-value]
    response = Response(_own_icon(), content_type=ICON_TYPE)
    response.cache_control.public = True
    response.cache_control.max_age = ICON_MAX_AGE
    response.add_etag()
    response.make_conditional(request)
    return response


@cache
def _own_icon() -> bytes:
    """syndicate's icon (a 32 × 32 PNG in an ICO), read once: it is 504 bytes."""
    return (files("syndicate") / "static" / "favicon.ico").read_bytes()


def _xml(body: bytes) -> Response:
    response = Response(body, content_type=SITEMAP_TYPE)
    response.cache_control.public = True
    response.cache_control.max_age = SITEMAP_MAX_AGE
    response.add_etag()
    response.make_conditional(request)  # turns itself into the 304 when it matches
    return response
