"""Feeds and pages, served from the byte cache by a WSGI layer in front of Flask.

``/feeds/<name>.<rss|atom|json>`` (``name``: ``all``, a category slug, ``tags/<slug>``,
``authors/<slug>``), their archive pages ``/feeds/<name>/archive/<n>.<format>``,
``/feeds.opml``, and every page route of :mod:`syndicate.publish.pages` (``/``,
``/categories/<slug>``, ``/tags/<slug>``, ``/authors/<slug>``, ``/articles/<slug>``). A
request for a cached document never reaches Flask: :class:`FeedLayer` looks the key up,
negotiates the content coding, evaluates the preconditions and hands the server prepared bytes
and headers. A miss builds the document once (single-flight in the cache); an unknown feed or
page falls through to Flask, which answers with the 404 page. ``/healthz`` (without
``deep``) is answered here too, with constant bytes.

A request whose ``Accept`` prefers ``text/html`` over the feed's own type (a browser opening
a feed) gets RSS and Atom as ``application/xml`` (:func:`prefers_html`, memoized per header
value like the content coding), so the browser applies the feed's XSLT stylesheet.

Conditional GET is decided here rather than by werkzeug's ``Response.make_conditional``,
which would need a Response object per request (the fast path hands the server prepared
lists) and also answers ``Range``; the entity tags and dates are parsed by werkzeug
(``parse_etags``, ``parse_date``), which follow RFC 9110: ``If-None-Match`` by weak comparison
over a list or ``*`` (§13.1.2), and ``If-Modified-Since`` only when there is no
``If-None-Match`` (§13.1.3). Headers come from :mod:`syndicate.web.headers`, prepared once per
document and content coding.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, quote

from flask import Blueprint, Response, request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header, parse_date, parse_etags, unquote_etag

from syndicate.config import Settings
from syndicate.errors import InvalidRequest, NotGranted, StoreError, UnknownArticle, UnknownFeed
from syndicate.publish import catalog
from syndicate.publish import partners as views
from syndicate.publish.cache import OPML, CachedFeed, CacheKey, FeedCache
from syndicate.publish.pages import page_key
from syndicate.publish.polls import PollCounter
from syndicate.text.dates import utc_now
from syndicate.web import get_feed_cache, partners
from syndicate.web.auth import FailureLimiter
from syndicate.web.headers import Prepared, feed_csp, prepare
from syndicate.web.health import HEALTH_PATH, answer_shallow
from syndicate.web.outage import internal_error, unavailable

bp = Blueprint("feeds", __name__)
POLLED = catalog.FORMATS  # the formats whose requests are polls of a feed (not OPML, pages)
log = logging.getLogger(__name__)
StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
_MEMO_LIMIT = 4096  # parsed paths and header values; cleared when full
NOT_FOUND_HINT = (
    "feeds are /feeds/<name>.rss, .atom or .json, with <name> 'all', a category, "
    "tags/<tag> or authors/<author>; archives at /feeds/<name>/archive/<n>.<format>"
)


class FeedLayer:
    """WSGI middleware answering GET and HEAD of feeds and pages from the cache, and the
    shallow health check; the rest goes to ``app``.

    ``limiter`` counts wrong partner keys per address (:mod:`.partners`); ``counter`` is told
    of every answered poll of a feed (``syndicate.publish.polls``: one append per request).
    """

    def __init__(
        self,
        app: WSGIApp,
        cache: FeedCache,
        settings: Settings,
        *,
        limiter: FailureLimiter | None = None,
        counter: PollCounter | None = None,
    ) -> None:
        self.app, self.cache, self.settings = app, cache, settings
        self.limiter = limiter or FailureLimiter()
        self.counter = counter
        self._count = counter.record if counter is not None else None
        self._keys: dict[tuple[str, str], CacheKey | None] = {}
        self._codings: dict[str, str] = {}
        self._browsers: dict[str, bool] = {}
        self._policy = browser_policy(settings)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if method != "GET" and method != "HEAD":
            return self.app(environ, start_response)
        path: str = environ.get("PATH_INFO", "")
        query: str = environ.get("QUERY_STRING", "")
        if path[:6] == "/feeds" and ("HTTP_AUTHORIZATION" in environ or "key=" in query):
            secret = partners.presented_key(environ, query)  # a partner's, perhaps
            if secret:
                return self._partner(environ, start_response, path, query, secret)
        try:
            key = self._key(path, query)
        except InvalidRequest:  # Flask answers with the 400 page
            return self.app(environ, start_response)
        entry = self.cache.peek(key) if key is not None else None
        if entry is None:
            if key is None:
                if path == HEALTH_PATH and "deep" not in query:
                    return answer_shallow(method, start_response)
                return self.app(environ, start_response)
            try:
                entry = self.cache.get(key)
            except (UnknownFeed, UnknownArticle, InvalidRequest):
                return self.app(environ, start_response)  # its error page
            except StoreError as exc:
                return unavailable(exc, start_response, method == "HEAD")
            except Exception:  # a bug: said without internals; the traceback goes to the log
                log.exception("building the document of %s failed", path)
                return internal_error(path, start_response, method == "HEAD")
        prepared = self._prepare(entry, environ)
        status, headers, body = respond(entry, prepared, environ)
        start_response(status, headers)
        count = self._count
        if count is not None:  # a poll of a feed: one tuple appended (written inline: hot)
            name, fmt, variant = entry.key
            if fmt in POLLED and variant[:5] != "page=":
                count(
                    (
                        name,
                        "",
                        path,
                        environ.get("REMOTE_ADDR", ""),
                        environ.get("HTTP_USER_AGENT", ""),
                        "HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MODIFIED_SINCE" in environ,
                        status[0] == "3",
                        len(prepared.body),
                    )
                )
        return [] if method == "HEAD" else body

    def _poll(
        self, feed: str, partner: str, path: str, env: dict[str, Any], status: str, size: int
    ) -> None:
        """Hand one answered poll to the counter (a tuple appended; no work here)."""
        assert self._count is not None
        conditional = "HTTP_IF_NONE_MATCH" in env or "HTTP_IF_MODIFIED_SINCE" in env
        agent = env.get("HTTP_USER_AGENT", "")
        self._count(
            (
                feed,
                partner,
                path,
                env.get("REMOTE_ADDR", ""),
                agent,
                conditional,
                status[0] == "3",
                size,
            )
        )

    def _partner(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        path: str,
        query: str,
        secret: str,
    ) -> Iterable[bytes]:
        """A request with a key: the partner's view, checked against the store first."""
        address = environ.get("REMOTE_ADDR") or "unknown"
        wait = self.limiter.retry_after(address)
        if wait:
            return partners.too_many(start_response, wait)
        partner = self.cache.store.partners.verify(secret, now=utc_now())
        if partner is None:
            self.limiter.failed(address)
            return partners.unauthorized(start_response)
        try:
            key = cache_key(path, partners.without_key(query), self.settings)
        except InvalidRequest:
            return self.app(environ, start_response)
        if key is None or key[1] not in POLLED:  # not a feed: the public answer (no key in it)
            return self.app(environ, start_response)
        try:
            entry = views.view(self.cache, key, partner)
        except UnknownFeed:
            return self.app(environ, start_response)
        except NotGranted as exc:
            return partners.forbidden(start_response, str(exc))
        prepared = self._prepare(entry, environ)
        status, headers, body = respond(entry, prepared, environ)
        start_response(status, headers)
        if self._count is not None and key[2][:5] != "page=":
            self._poll(key[0], partner.name, path, environ, status, len(prepared.body))
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else body

    def _prepare(self, entry: CachedFeed, environ: dict[str, Any]) -> Prepared:
        """The entry's prepared response in the negotiated coding, made once per document
        and kept in the entry (it goes when the entry goes); made per request for one that
        expires, whose ``max-age`` counts down."""
        coding = self._coding(environ)
        browser = self._browser(environ)
        if entry.expires is not None:
            return prepare(entry, coding, self._policy if browser else "")
        memo = (coding, browser)
        found: Prepared | None = entry.memo.get(memo)
        if found is None:
            policy = self._policy if browser else ""
            found = entry.memo[memo] = prepare(entry, coding, policy)
        return found

    def _browser(self, environ: dict[str, Any]) -> bool:
        header: str = environ.get("HTTP_ACCEPT", "")
        found = self._browsers.get(header)
        if found is None:
            if len(self._browsers) >= _MEMO_LIMIT:
                self._browsers.clear()
            found = self._browsers[header] = prefers_html(header)
        return found

    def _key(self, path: str, query: str) -> CacheKey | None:
        memo = (path, query)
        try:
            return self._keys[memo]
        except KeyError:
            pass
        if len(self._keys) >= _MEMO_LIMIT:
            self._keys.clear()
        if not path.isascii():  # PEP 3333: the path's bytes as latin-1; ours are UTF-8
            path = path.encode("latin-1").decode("utf-8", "replace")
        key = self._keys[memo] = cache_key(path, query, self.settings)
        return key

    def _coding(self, environ: dict[str, Any]) -> str:
        header: str = environ.get("HTTP_ACCEPT_ENCODING", "")
        coding = self._codings.get(header)
        if coding is None:
            if len(self._codings) >= _MEMO_LIMIT:
                self._codings.clear()
            coding = self._codings[header] = negotiate(header)
        return coding


def browser_policy(settings: Settings) -> str:
    """The CSP of feeds sent to browsers: allows the site's feed stylesheet alone."""
    return feed_csp(settings.site.absolute(catalog.STYLESHEET_PATH))


def cache_key(path: str, query: str, settings: Settings) -> CacheKey | None:
    """The cache key of a feed or page URL; None when the path can be neither."""
    if path == "/feeds.opml":
        return (catalog.ALL, OPML, "")
    if not path.startswith("/feeds/"):
        return page_key(path, query)
    stem, dot, fmt = path.removeprefix("/feeds/").rpartition(".")
    if (
        not path.startswith("/feeds/")
        or not dot
        or fmt not in catalog.FORMATS
        or not stem
        or "//" in stem
        or stem.startswith("/")
        or stem.endswith("/")
    ):
        return None
    name, page = catalog.split_archive(stem)
    if page is not None:
        return (name, fmt, f"page={page}")
    limit = _limit(query, settings)
    if limit is None:
        return (name, fmt, "")
    return (name, fmt, f"limit={min(limit, settings.feeds.max_items)}")


def _limit(query: str, settings: Settings) -> int | None:
    """The ``?limit=`` asked for; :class:`InvalidRequest` saying what is allowed when it is not a
    whole number above 0. Above ``feeds.max_items`` it is capped, as documented."""
    if "limit" not in query:
        return None
    values = parse_qs(query, keep_blank_values=True).get("limit", [])
    if not values:
        return None
    value = values[-1].strip()
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise InvalidRequest(
            f"?limit= must be a whole number from 1 to {settings.feeds.max_items} "
            f"(larger ones are cut to {settings.feeds.max_items}), not {value!r}"
        )
    return int(value)


def negotiate(accept_encoding: str) -> str:
    """The content coding to send: ``br``, ``gzip`` or ``identity`` (RFC 9110 §12.5.3).

    The highest q wins; on a tie the smaller encoding. ``identity`` is acceptable unless
    excluded by ``identity;q=0`` or ``*;q=0``; we then still send it rather than a 406.
    """
    weights: dict[str, float] = {}
    for part in accept_encoding.lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding:
            weights[coding.strip()] = _q(params)
    star = weights.get("*")
    best, best_q = "identity", weights.get("identity", 1.0 if star is None else star)
    for coding in ("gzip", "br"):  # later wins ties: br over gzip over identity
        q = weights.get(coding, star or 0.0)
        if q > 0 and q >= best_q:
            best, best_q = coding, q
    return best


# Feed types and what they fall back to; HTML must beat every one of them.
_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml")


def prefers_html(accept: str) -> bool:
    """Whether a request with this ``Accept`` wants a page more than a feed (RFC 9110 §12.5.1).

    True when ``text/html`` has a higher quality than every feed type, wildcards counted:
    browsers (``text/html,...,application/xml;q=0.9,*/*;q=0.8``); not a reader asking for
    ``*/*``, for feed types only, or for feeds before HTML.
    """
    if "html" not in accept:
        return False
    accepted = parse_accept_header(accept, MIMEAccept)
    html = accepted.quality("text/html")
    return html > 0 and all(accepted.quality(kind) < html for kind in _FEED_TYPES)


def _q(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0


def respond(
    entry: CachedFeed, prepared: Prepared, environ: dict[str, Any]
) -> tuple[str, list[tuple[str, str]], list[bytes]]:
    """Status, headers and body for a GET or HEAD of a cached document."""
    if not_modified(
        prepared.etag,
        entry.last_modified,
        environ.get("HTTP_IF_NONE_MATCH"),
        environ.get("HTTP_IF_MODIFIED_SINCE"),
    ):
        return "304 Not Modified", prepared.short, []
    return "200 OK", prepared.full, [prepared.body]


def not_modified(
    etag: str,
    last_modified: datetime | None,
    if_none_match: str | None,
    if_modified_since: str | None,
) -> bool:
    """Whether a GET or HEAD with these preconditions gets a 304 (RFC 9110 §13.2.2)."""
    if if_none_match is not None:
        if if_none_match == etag:  # the common case, a reader sending back our tag: no parsing
            return True
        # §13.1.2: "*" matches any current representation; else any listed tag, compared weakly.
        return parse_etags(if_none_match).contains_weak(unquote_etag(etag)[0])
    # §13.1.3: used only without If-None-Match; an invalid date is ignored.
    if if_modified_since is None or last_modified is None:
        return False
    since = parse_date(if_modified_since)
    return since is not None and last_modified <= since


@bp.route("/feeds/<path:filename>", methods=["GET", "HEAD"])
def feed(filename: str) -> Response:
    """A feed document when the layer above did not answer: found here, or a 404 that says why."""
    return _serve(
        cache_key(
            f"/feeds/{filename}", request.query_string.decode("latin-1"), get_feed_cache().settings
        ),
        f"/feeds/{filename}",
    )


def _slug_url(key: CacheKey) -> str | None:
    """Where a feed asked for by a name rather than a slug lives (``tags/Budget`` is
    ``tags/budget``), query kept; ``None`` when it is a slug already or no such feed exists."""
    name, fmt, variant = key
    slugged = catalog.slug_name(name)
    cache = get_feed_cache()
    if slugged is None:
        return None
    try:
        catalog.resolve(slugged, cache.store, cache.settings)
    except UnknownFeed:
        return None
    kind, _, number = variant.partition("=")
    page = int(number) if kind == "page" else None
    url = catalog.feed_url(cache.settings, slugged, fmt, page).partition("/feeds/")[2]
    query = request.query_string.decode("latin-1")
    return f"/feeds/{quote(url)}" + (f"?{query}" if query else "")


@bp.route("/feeds.opml", methods=["GET", "HEAD"])
def opml() -> Response:
    """The OPML 2.0 list of every feed."""
    return _serve((catalog.ALL, OPML, ""), "/feeds.opml")


def _serve(key: CacheKey | None, path: str) -> Response:
    if key is None:
        raise UnknownFeed(f"no feed at {path}: {NOT_FOUND_HINT}")
    try:
        return serve_cached(key)
    except UnknownFeed:  # a tag, author or category asked for by its name: to its slug
        moved = _slug_url(key)
        if moved is None:
            raise  # the 404 page
        return Response(status=301, headers={"Location": moved})


def serve_cached(key: CacheKey) -> Response:
    """The cached document of ``key`` as a Flask response (what the layer would have sent).

    UnknownFeed and UnknownArticle propagate: the app turns them into the 404 page.
    """
    entry = get_feed_cache().get(key)
    coding = negotiate(request.headers.get("Accept-Encoding", ""))
    policy = browser_policy(get_feed_cache().settings)
    if not prefers_html(request.headers.get("Accept", "")):
        policy = ""
    status, headers, body = respond(entry, prepare(entry, coding, policy), request.environ)
    return Response(body, status=status, headers=headers, direct_passthrough=True)
