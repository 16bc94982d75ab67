"""Pages for readers, as Flask routes: the front page, category, tag and author listings, and
one page per article.

What is on each page, and its bytes, come from :mod:`syndicate.publish.pages` through the
byte cache; :class:`~syndicate.web.fastpath.FeedLayer` answers these paths before Flask sees
them. These routes are what a request reaches when the layer let it through (a page that does
not exist, a cursor that is not one): they raise the error the app turns into a 404 or 400
page that says what was wrong.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from syndicate.publish.pages import HTML, cursor_variant
from syndicate.web.fastpath import serve_cached

bp = Blueprint("pages", __name__)


def _page() -> Response:
    query = request.query_string.decode("latin-1")
    return serve_cached((request.path, HTML, cursor_variant(query)))


@bp.get("/")
def index() -> Response:
    """Categories with their descriptions and feeds, and the newest articles."""
    return _page()


@bp.get("/categories/<slug>")
def category(slug: str) -> Response:
    """One category's articles, newest first, with its description and feeds."""
    return _page()


@bp.get("/tags/<slug>")
def tag(slug: str) -> Response:
    """The articles of one tag, newest first, with its feeds."""
    return _page()


@bp.get("/authors/<slug>")
def author(slug: str) -> Response:
    """The articles of one author, newest first, with their feeds."""
    return _page()


@bp.get("/articles/<slug>")
def article(slug: str) -> Response:
    """One article as a clean page, with links to its categories, tags, authors, its
    neighbours in its category and every feed it is in."""
    return _page()
