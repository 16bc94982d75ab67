"""The nginx site file that serves an export (:mod:`.export`) as syndicate would.

Included in nginx's ``http`` block (Debian: ``/etc/nginx/sites-enabled/``), it answers every
exported URL with the headers the web app sends:

- content types per kind (RSS, Atom, JSON Feed, OPML, HTML, CSS);
- precompressed copies: ``gzip_static`` for ``.gz``; brotli by ``try_files`` on the ``.br``
  beside each file when the client accepts ``br`` (stock nginx has no brotli module; with
  ngx_brotli, ``brotli_static on`` does the same), with ``Content-Encoding`` and ``Vary``;
- ``ETag`` and ``Last-Modified`` from each file (the export rewrites a file only when its
  bytes change, so they move exactly when the document does) and 304s for conditional GETs;
- ``Cache-Control`` as the app decides it (each feed's shortest source interval, archives a
  day, pages revalidated on every view); ``Link`` (``rel="self"`` and the WebSub hubs) on
  feeds; CORS on feeds; the Content-Security-Policy and referrer policy on pages;
- ``/healthz``; nothing else (every other path is a 404, the export's own files included).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from syndicate.config import Settings
from syndicate.publish import catalog, pages
from syndicate.render.jsonfeed import JSON_FEED_CONTENT_TYPE
from syndicate.render.opml import OPML_CONTENT_TYPE
from syndicate.render.xmlfeed import ATOM_CONTENT_TYPE, RSS_CONTENT_TYPE
from syndicate.store import Store

STATIC_MAX_AGE = 3600
# The package's static files, by extension, with the types the app sends them with.
STATIC_TYPES = {
    "css": "text/css; charset=utf-8",
    "xsl": "application/xslt+xml; charset=utf-8",
    "ico": "image/vnd.microsoft.icon",
}
FEED_TYPES = {"rss": RSS_CONTENT_TYPE, "atom": ATOM_CONTENT_TYPE, "json": JSON_FEED_CONTENT_TYPE}
# The brotli copy when the client accepts br (and did not refuse it with q=0).
_BR_MAP = r"""map $http_accept_encoding $syndicate_br {
    default "";
    "~*(^|[\s,])br\s*;\s*q=0(\.0*)?\s*($|,)" "";
    "~*(^|[\s,])br([\s,;]|$)" ".br";
}
map $uri $syndicate_coding {
    default "";
    "~\.br$" "br";
}"""


def site_file(store: Store, settings: Settings, root: Path, *, listen: str = "80") -> str:
    """The nginx configuration (``map``\\ s and one ``server``) serving the export at ``root``."""
    host = urlsplit(settings.site.base_url).hostname or "_"
    default_age = catalog.max_age_of(catalog.resolve(catalog.ALL, store, settings), settings)
    ages = _feed_ages(store, settings, default_age)
    hubs = "".join(f', <{hub}>; rel=\\"hub\\"' for hub in settings.websub.hubs)
    base = settings.site.base_url
    page_prefixes = sorted({route.prefix for route in pages.ROUTES if route.prefix != "/"})
    lines = [
        "# Written by `syndicate export`: serves the exported site as syndicate would.",
        "# Include it in nginx's http block; export again after each change (or on a timer).",
        _BR_MAP,
        "map $syndicate_feed $syndicate_feed_age {",
        f"    default {default_age};",
        *(f'    "{name}" {age};' for name, age in ages),
        "}",
        "server {",
        f"    listen {listen};",
        f"    server_name {host};",
        f"    root {root};",
        "    sendfile on;",
        "    tcp_nopush on;",
        "    etag on;",
        "    # Open files and their metadata are kept: a rewritten file is seen within 5 s.",
        "    open_file_cache max=10000 inactive=60s;",
        "    open_file_cache_valid 5s;",
        "    gzip off;  # the export carries its own compressed copies",
        "    gzip_static on;",
        "    gzip_vary off;  # Vary is sent below, for every coding",
        "",
        "    location = /healthz {",
        "        default_type application/json;",
        '        add_header Cache-Control "no-store" always;',
        '        return 200 \'{"status": "ok"}\\n\';',
        "    }",
        "    # Archive pages never change; they name themselves only.",
        *(
            line
            for fmt in FEED_TYPES
            for line in _feed_location(
                f"^(?<syndicate_archive>/feeds/.+/archive/[0-9]+)\\.{fmt}$",
                fmt,
                f"public, max-age={catalog.ARCHIVE_MAX_AGE}",
                f'<{base}$syndicate_archive.{fmt}>; rel=\\"self\\"',
            )
        ),
        *(
            line
            for fmt in FEED_TYPES
            for line in _feed_location(
                f"^/feeds/(?<syndicate_feed>.+)\\.{fmt}$",
                fmt,
                "public, max-age=$syndicate_feed_age",
                f'<{base}/feeds/$syndicate_feed.{fmt}>; rel=\\"self\\"{hubs}',
            )
        ),
        "    location = /feeds.opml {",
        "        types { }",
        f'        default_type "{OPML_CONTENT_TYPE}";',
        "        try_files $uri$syndicate_br $uri =404;",
        *_headers(f"public, max-age={default_age}", cors=True),
        "    }",
        "    location = / {",
        *_page_body("/index.html", link=f'<{base}/micropub>; rel=\\"micropub\\"'),
        "    }",
        *(line for prefix in page_prefixes for line in _page_location(prefix)),
        *(line for ext, mime in STATIC_TYPES.items() for line in _static_location(ext, mime)),
        "    location / {",
        "        return 404;",
        "    }",
        "}",
        "",
    ]
    return "\n".join(lines)


def _feed_ages(store: Store, settings: Settings, default: int) -> list[tuple[str, int]]:
    """Category feeds whose Cache-Control differs from the site's (their own sources)."""
    ages = []
    for spec in catalog.all_specs(store, settings):
        age = catalog.max_age_of(spec, settings)
        if age != default:
            ages.append((spec.name, age))
    return ages


def _feed_location(pattern: str, fmt: str, cache_control: str, link: str) -> list[str]:
    return [
        f'    location ~ "{pattern}" {{',
        "        types { }",
        f'        default_type "{FEED_TYPES[fmt]}";',
        "        try_files $uri$syndicate_br $uri =404;",
        *_headers(cache_control, cors=True, link=link),
        "    }",
    ]


def _static_location(extension: str, mime: str) -> list[str]:
    return [
        f'    location ~ "^/static/[^/]+\\.{extension}$" {{',
        "        types { }",
        f'        default_type "{mime}";',
        "        try_files $uri$syndicate_br $uri =404;",
        *_headers(f"public, max-age={STATIC_MAX_AGE}"),
        "    }",
    ]


def _page_location(prefix: str) -> list[str]:
    return [f"    location {prefix} {{", *_page_body("$uri.html"), "    }"]


def _page_body(file: str, link: str = "") -> list[str]:
    return [
        "        types { }",
        '        default_type "text/html; charset=utf-8";',
        f"        try_files {file}$syndicate_br {file} =404;",
        *_headers("public, max-age=0", page=True, link=link),
    ]


def _headers(
    cache_control: str, *, cors: bool = False, link: str = "", page: bool = False
) -> list[str]:
    """``add_header`` lines (nginx inherits none into a block that has its own)."""
    lines = [
        "add_header Content-Encoding $syndicate_coding;",
        f'add_header Cache-Control "{cache_control}";',
        "add_header Vary Accept-Encoding;",
        "add_header X-Content-Type-Options nosniff;",
    ]
    if cors:
        lines += [
            'add_header Access-Control-Allow-Origin "*";',
            'add_header Access-Control-Expose-Headers "ETag, Link";',
        ]
    if link:
        lines.append(f'add_header Link "{link}";')
    if page:
        lines += [
            f'add_header Content-Security-Policy "{pages.PAGE_CSP}";',
            f"add_header Referrer-Policy {pages.REFERRER_POLICY};",
        ]
    return ["        " + line for line in lines]
