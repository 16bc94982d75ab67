"""The peers of ``bench/serve.py``, loaded by gunicorn: a raw WSGI app and a Django project.

Both read what ``serve.py`` prepared from ``BENCH_*`` environment variables.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

_FOLDER = Path(os.environ.get("BENCH_FOLDER", "."))


def _load() -> tuple[bytes, bytes]:
    try:
        return (_FOLDER / "feed.rss").read_bytes(), (_FOLDER / "feed.rss.gz").read_bytes()
    except OSError:
        return b"", b""


_BODY, _GZIP = _load()
_ETAG = os.environ.get("BENCH_ETAG", '"x"')
_COMMON = [
    ("Content-Type", "application/rss+xml; charset=utf-8"),
    ("ETag", _ETAG),
    ("Cache-Control", "public, max-age=1800"),
    ("Vary", "Accept-Encoding"),
]


def raw_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The Python ceiling: the feed bytes, a 304 on a matching ETag, a gzip copy when asked."""
    if environ.get("HTTP_IF_NONE_MATCH") == _ETAG:
        start_response("304 Not Modified", _COMMON)
        return []
    if "gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""):
        start_response(
            "200 OK", [*_COMMON, ("Content-Encoding", "gzip"), ("Content-Length", str(len(_GZIP)))]
        )
        return [_GZIP]
    start_response("200 OK", [*_COMMON, ("Content-Length", str(len(_BODY)))])
    return [_BODY]


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

    return [path("feed.rss", AllArticles())]


def __getattr__(name: str) -> Any:
    if name == "urlpatterns":  # Django reads the URLconf lazily, after setup()
        return _urls()
    raise AttributeError(name)
