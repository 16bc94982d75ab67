"""HTTP header policy: what every response of the site says about caching, origins and types.

Feeds (and every document served from the byte cache) carry, besides their ETag:

- ``Last-Modified``: the newest ``updated`` in the document;
- ``Cache-Control: public, max-age=N``: the shortest refresh interval of the sources that can
  change it (archives: a day), as the catalog decides, and never past the moment the document
  expires by itself (the next scheduled article is due): no copy outlives that;
- ``Vary: Accept-Encoding``: one URL, three content codings; RSS and Atom add ``Accept``: a
  request that prefers ``text/html`` (a browser) gets the same bytes as ``application/xml``,
  since browsers show ``application/rss+xml`` and ``application/atom+xml`` as text and never
  apply the feed's XSLT stylesheet, while they do for ``application/xml``. That variant has its
  own ETag (its Content-Type differs) and the pages' CSP, which also holds for what the
  stylesheet makes of it;
- ``Access-Control-Allow-Origin: *`` and the ETag and Link headers exposed: feeds are public,
  and browser-based readers may fetch them from any site;
- ``X-Content-Type-Options: nosniff``;
- ``Link``: RFC 8288 links, ``rel="self"`` and the WebSub hubs (WebSub §4 discovery).

A partner's view (``CachedFeed.private``) says ``Cache-Control: private`` instead (RFC 9111
§5.2.2.7: no shared cache may store it) and adds ``Authorization`` to ``Vary``: the same URL
answers the public and each key differently.

A 304 carries the ETag, Cache-Control and Vary a 200 would, and no other representation
metadata (RFC 9110 §15.4.5). Pages get a Content-Security-Policy that allows no script and a
referrer policy, whether they come from the byte cache (:func:`document_headers`) or from
Flask (:func:`security_headers`: error pages, the admin pages); cached pages carry no CORS
headers (they are for readers, not for scripts of other sites).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from flask import Response

from syndicate.publish.cache import CachedFeed
from syndicate.publish.pages import PAGE_CSP, REFERRER_POLICY

Headers = list[tuple[str, str]]
# Feed types a browser would show as text: for it, the same bytes are sent as XML.
BROWSER_NEGOTIATED = ("application/rss+xml", "application/atom+xml")
BROWSER_TYPE = "application/xml; charset=utf-8"
PUBLIC, PRIVATE = "public", "private"
EXPOSED = "ETag, Link"  # CORS: headers a browser app may read besides the safelisted ones
PAGE_HEADERS = [("Content-Security-Policy", PAGE_CSP), ("Referrer-Policy", REFERRER_POLICY)]
# The admin pages: the same, but their forms post to this site.
ADMIN_CSP = PAGE_CSP.replace("form-action 'none'", "form-action 'self'")


def feed_csp(stylesheet: str) -> str:
    """The CSP of a feed sent to a browser: the pages' policy, plus the one stylesheet.

    Chromium loads an XSLT stylesheet under ``script-src``; a source expression with a path
    allows that one file (served as ``application/xslt+xml`` with nosniff, it can never run
    as script), and nothing else: what the stylesheet makes of the feed runs no script either.
    """
    return PAGE_CSP.replace("default-src 'none';", f"default-src 'none'; script-src {stylesheet};")


@dataclass(frozen=True, slots=True)
class Prepared:
    """A cached document in one content coding, ready for the server: body and both header
    lists (200 and 304)."""

    body: bytes
    etag: str
    full: Headers
    short: Headers


def negotiates_for_browsers(entry: CachedFeed) -> bool:
    """Whether the document is sent as ``application/xml`` to a browser (RSS and Atom)."""
    return entry.content_type.startswith(BROWSER_NEGOTIATED)


def prepare(
    entry: CachedFeed, coding: str, browser_policy: str = "", now: datetime | None = None
) -> Prepared:
    """The bytes and headers of ``entry`` in ``coding`` (compressing it the first time), as
    served at ``now`` (an expiring entry's ``max-age`` counts down).

    ``browser_policy``: the CSP of the variant for a request that prefers HTML (see
    :func:`feed_csp`), when the document has one; ``""`` for every other request.
    """
    body = entry.body_for(coding)
    etag = entry.etag_for(coding)
    content_type = entry.content_type
    common = [*document_headers(entry, now or datetime.now(UTC))]
    if browser_policy and negotiates_for_browsers(entry):
        etag, content_type = f'{etag[:-1]}-xml"', BROWSER_TYPE
        common.append(("Content-Security-Policy", browser_policy))
    common.insert(0, ("ETag", etag))
    if coding != "identity":
        common.append(("Content-Encoding", coding))
    full = [("Content-Type", content_type), *common, ("Content-Length", str(len(body)))]
    return Prepared(body, etag, full, common)


def document_headers(entry: CachedFeed, now: datetime) -> Headers:
    """The headers of a cached document that do not depend on its content coding."""
    headers: Headers = []
    if entry.last_modified is not None:
        headers.append(("Last-Modified", format_datetime(entry.last_modified, usegmt=True)))
    vary = "Accept-Encoding, Accept" if negotiates_for_browsers(entry) else "Accept-Encoding"
    headers += [
        (
            "Cache-Control",
            f"{PRIVATE if entry.private else PUBLIC}, max-age={entry.max_age_at(now)}",
        ),
        ("Vary", f"{vary}, Authorization" if entry.private else vary),
    ]
    if entry.is_page:
        headers += PAGE_HEADERS
    else:
        headers += [
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Expose-Headers", EXPOSED),
        ]
    headers.append(("X-Content-Type-Options", "nosniff"))
    if entry.links:
        headers.append(("Link", ", ".join(f'<{href}>; rel="{rel}"' for rel, href in entry.links)))
    return headers


def security_headers(response: Response) -> Response:
    """Every Flask response: nosniff; pages also a CSP without script and a referrer policy."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        response.headers.setdefault("Referrer-Policy", REFERRER_POLICY)
    return response
