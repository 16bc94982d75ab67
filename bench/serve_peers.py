"""The peers of ``bench/serve.py``, loaded by granian or gunicorn: a raw WSGI app and a
Django project (``django.contrib.syndication`` for the feed, a template view for a page).

Both read what ``serve.py`` prepared from ``BENCH_*`` environment variables.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

_FOLDER = Path(os.environ.get("BENCH_FOLDER", "."))
# The documents the raw app serves: URL path -> (file in the folder, content type, ETag).
_DOCUMENTS = {
    "/feed.rss": ("feed.rss", "application/rss+xml; charset=utf-8", "BENCH_FEED_ETAG"),
    "/article.html": ("article.html", "text/html; charset=utf-8", "BENCH_PAGE_ETAG"),
}


def _load() -> dict[str, tuple[bytes, bytes, list[tuple[str, str]]]]:
    found = {}
    for path, (name, content_type, etag_variable) in _DOCUMENTS.items():
        try:
            body, gz = (_FOLDER / name).read_bytes(), (_FOLDER / f"{name}.gz").read_bytes()
        except OSError:
            continue
        common = [
            ("Content-Type", content_type),
            ("ETag", os.environ.get(etag_variable, '"x"')),
            ("Cache-Control", "public, max-age=1800"),
            ("Vary", "Accept-Encoding"),
        ]
        found[path] = (body, gz, common)
    return found


_LOADED = _load()


def raw_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The Python ceiling: the document's bytes, a 304 on a matching ETag, a gzip copy when
    asked; nothing else (no routing framework, no other header)."""
    found = _LOADED.get(environ.get("PATH_INFO", ""))
    if found is None:
        start_response("404 Not Found", [("Content-Length", "0")])
        return []
    body, gz, common = found
    if environ.get("HTTP_IF_NONE_MATCH") == common[1][1]:
        start_response("304 Not Modified", common)
        return []
    if "gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""):
        start_response(
            "200 OK", [*common, ("Content-Encoding", "gzip"), ("Content-Length", str(len(gz)))]
        )
        return [gz]
    start_response("200 OK", [*common, ("Content-Length", str(len(body)))])
    return [body]


def django_app() -> Any:
    """A minimal Django project serving ``django.contrib.syndication`` over our articles."""
    import django
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        USE_TZ=True,
        SECRET_KEY="bench-only",
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.syndication"],
        MIDDLEWARE=[
            "django.middleware.gzip.GZipMiddleware",
            "django.middleware.http.ConditionalGetMiddleware",
        ],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": os.environ.get("BENCH_DATABASE", "bench.db"),
            }
        },
    )
    django.setup()
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def _urls() -> list[Any]:
    from django.contrib.syndication.views import Feed
    from django.db import models
    from django.http import HttpResponse
    from django.template import Context, Engine
    from django.urls import path

    class StoredArticle(models.Model):
        id = models.CharField(primary_key=True, max_length=64)
        slug = models.CharField(max_length=200)
        title = models.TextField()
        body_html = models.TextField()
        summary = models.TextField()
        published = models.DateTimeField()
        updated = models.DateTimeField()

        class Meta:
            app_label = "syndication"
            db_table = "articles"
            managed = False

    class AllArticles(Feed):  # type: ignore[misc]
        title = "syndicate"
        link = "/"
        description = "Articles published through syndicate"

        def items(self) -> Any:
            return StoredArticle.objects.order_by("-published")[:50]

        def item_title(self, item: StoredArticle) -> str:
            return item.title

        def item_description(self, item: StoredArticle) -> str:
            return item.body_html

        def item_link(self, item: StoredArticle) -> str:
            return f"/articles/{item.slug}"

        def item_pubdate(self, item: StoredArticle) -> Any:
            return item.published

        def item_updateddate(self, item: StoredArticle) -> Any:
            return item.updated

    page = Engine().from_string(
        "<!doctype html><html><head><title>{{ a.title }}</title></head><body><article>"
        "<h1>{{ a.title }}</h1><p>{{ a.summary }}</p>{{ a.body_html|safe }}</article>"
        "</body></html>"
    )

    def article(_request: Any, slug: str) -> HttpResponse:
        found = StoredArticle.objects.get(slug=slug)
        return HttpResponse(page.render(Context({"a": found})))

    return [path("feed.rss", AllArticles()), path("articles/<slug>", article)]


def __getattr__(name: str) -> Any:
    if name == "urlpatterns":  # Django reads the URLconf lazily, after setup()
        return _urls()
    raise AttributeError(name)
