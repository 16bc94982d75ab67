"""The Flask application: feeds, pages and health, over one store per app.

``create_app(settings)`` is the only way to get an app; tests pass their own settings.
Errors of the ``SyndicateError`` family that mean "not found" become 404 pages here, in one
place, with a message that says what was not found.

Feeds are served from a :class:`~syndicate.publish.cache.FeedCache` by a WSGI layer in front of
Flask (:class:`~syndicate.web.fastpath.FeedLayer`). The cache follows writes by other processes
through a :class:`~syndicate.publish.watch.ChangeWatcher` thread; writers in this process (the
scheduler of ``syndicate serve``) call :func:`change_hook`, which also sends WebSub pings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import InternalServerError

from syndicate.config import Settings, load_settings
from syndicate.errors import ArticleGone, InvalidRequest, StoreError, UnknownArticle, UnknownFeed
from syndicate.model import Article
from syndicate.publish.cache import FeedCache
from syndicate.publish.hub import Hub
from syndicate.publish.polls import PollCounter
from syndicate.publish.watch import DEFAULT_WATCH_INTERVAL, ChangeWatcher
from syndicate.publish.websub import Publisher, announce
from syndicate.render.html import FeedLink, Page, render_error
from syndicate.store import Store, Tombstone
from syndicate.web.headers import security_headers

STORE_KEY = "syndicate.store"
SETTINGS_KEY = "syndicate.settings"
CACHE_KEY = "syndicate.feedcache"
PUBLISHER_KEY = "syndicate.websub"
HUB_KEY = "syndicate.websub.hub"  # the built-in hub, when websub.builtin is on
COUNTER_KEY = "syndicate.stats.counter"  # who polls the feeds, when stats.enabled is on
WATCHER_KEY = "syndicate.feedcache.watcher"
SCHEDULER_KEY = "syndicate.scheduler"  # app.extensions: the scheduler running in this process


def create_app(
    settings: Settings | None = None,
    store: Store | None = None,
    *,
    watch_interval: float | None = DEFAULT_WATCH_INTERVAL,
    publisher: Publisher | None = None,
    hub: Hub | None = None,
) -> Flask:
    """Build the web app; the store is created from the settings unless one is given.

    Raises :class:`StoreError` when the database schema is older than this version needs.

    ``watch_interval`` is how often (seconds) the feed cache reads the store's change log for
    writes by other processes; ``None`` turns that off (one process writes and serves).
    ``publisher`` sends WebSub pings; by default one for the configured hubs. ``hub`` is the
    built-in hub (by default one when ``websub.builtin`` is on); its worker is started by
    whoever runs the app's process (``syndicate serve``), not here.
    """
    settings = settings or load_settings()
    app = Flask("syndicate", static_folder="static", static_url_path="/static")
    app.extensions[SETTINGS_KEY] = settings
    if store is None:
        # A web process never migrates a database others share: it refuses an older schema
        # with a message naming `syndicate db upgrade`.
        store = Store(settings.database_url)
        store.check_schema()
    app.extensions[STORE_KEY] = store

    from syndicate.editorial.articles import MAX_BODY_BYTES
    from syndicate.web import admin, api, discovery, fastpath, health, micropub, pages, websub
    from syndicate.web.auth import LIMITER_KEY, FailureLimiter
    from syndicate.web.session import configure

    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    configure(app, settings)
    app.extensions[LIMITER_KEY] = FailureLimiter()
    app.register_blueprint(fastpath.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(discovery.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(micropub.bp)
    app.register_blueprint(websub.bp)
    app.register_blueprint(admin.bp)
    app.register_error_handler(UnknownFeed, _not_found)
    app.register_error_handler(UnknownArticle, _not_found)
    app.register_error_handler(InvalidRequest, _bad_request)
    app.register_error_handler(ArticleGone, _gone)
    app.register_error_handler(404, _no_route)
    app.register_error_handler(StoreError, _store_unavailable)
    app.register_error_handler(InternalServerError, _internal_error)
    app.after_request(security_headers)
    if hub is None and settings.websub.builtin:
        hub = Hub(settings, store)
    app.extensions[HUB_KEY] = hub
    _mount_feed_cache(
        app, settings, store, watch_interval, publisher or Publisher(settings.websub.hubs)
    )
    return app


def _mount_feed_cache(
    app: Flask, settings: Settings, store: Store, watch_interval: float | None, publisher: Publisher
) -> None:
    from syndicate.web.auth import LIMITER_KEY
    from syndicate.web.fastpath import FeedLayer

    cache = FeedCache(store, settings)
    app.extensions[CACHE_KEY] = cache
    app.extensions[PUBLISHER_KEY] = publisher
    counter = app.extensions[COUNTER_KEY] = _poll_counter(settings, store)
    app.wsgi_app = FeedLayer(  # type: ignore[method-assign]
        app.wsgi_app, cache, settings, limiter=app.extensions[LIMITER_KEY], counter=counter
    )
    if watch_interval is not None:
        watcher = ChangeWatcher(
            cache,
            watch_interval,
            on_release=lambda new: announce(
                cache, publisher, new, appeared=True, hub=app.extensions[HUB_KEY]
            ),
        )
        watcher.start()
        app.extensions[WATCHER_KEY] = watcher


def _poll_counter(settings: Settings, store: Store) -> PollCounter | None:
    """Who polls the feeds, counted and written every ``stats.flush_seconds`` (unless off)."""
    if not settings.stats.enabled:
        return None
    from syndicate.web.session import kept_secret

    def salt() -> bytes:
        path = Path(settings.stats.salt_file)
        what = "the salt of the stats' client hashes"
        return (settings.stats_salt or kept_secret(path, what, "SYNDICATE_STATS_SALT")).encode()

    counter = PollCounter(
        store, salt, interval=settings.stats.flush_seconds, keep_days=settings.stats.keep_days
    )
    counter.start()
    return counter


def get_hub() -> Hub | None:
    """The built-in WebSub hub of the running app; ``None`` when it is off."""
    hub: Hub | None = current_app.extensions.get(HUB_KEY)
    return hub


def get_feed_cache() -> FeedCache:
    """The feed cache of the running app."""
    cache: FeedCache = current_app.extensions[CACHE_KEY]
    return cache


def change_hook(app: Flask) -> Callable[[str, list[Article]], None]:
    """A ``Refresher(on_change=...)`` callback: invalidate the feeds the articles are in, now,
    and ping WebSub hubs for the feeds whose bytes changed (on the caller's thread)."""
    cache: FeedCache = app.extensions[CACHE_KEY]
    publisher: Publisher = app.extensions[PUBLISHER_KEY]

    def on_change(_source: str, articles: list[Article]) -> None:
        announce(cache, publisher, articles, hub=app.extensions[HUB_KEY])

    return on_change


def written(changed: Sequence[Article | Tombstone]) -> list[str]:
    """After a write by a request of this process (the API, Micropub, the admin): drop the
    feeds it changed at once and ping WebSub for them. Other processes see it through the
    change log within a second. Returns the feed URLs pinged."""
    cache: FeedCache = current_app.extensions[CACHE_KEY]
    publisher: Publisher = current_app.extensions[PUBLISHER_KEY]
    return announce(cache, publisher, changed, hub=current_app.extensions[HUB_KEY])


def get_store() -> Store:
    """The store of the running app (shared by its requests; the engine pools connections)."""
    store: Store = current_app.extensions[STORE_KEY]
    return store


def get_settings() -> Settings:
    """The settings of the running app."""
    settings: Settings = current_app.extensions[SETTINGS_KEY]
    return settings


def page_context(feeds: Sequence[FeedLink] = ()) -> Page:
    """The parts every page shares, for the templates."""
    site = get_settings().site
    return Page(
        site_title=site.title,
        base_url=site.base_url,
        language=site.language,
        feeds=feeds,
        icon=site.icon_url,
        copyright=site.copyright,
    )


def error_response(status: int, title: str, message: str) -> Response:
    """An HTML error page that says what went wrong."""
    body = render_error(page_context(), status, title, message)
    return Response(body, status=status, content_type="text/html; charset=utf-8")


def _not_found(exc: Exception) -> Response:
    return error_response(404, "Not found", str(exc))


def _bad_request(exc: Exception) -> Response:
    return error_response(400, "Bad request", f"{request.path}: {exc}")


def _gone(exc: Exception) -> Response:
    return error_response(410, "Gone", str(exc))


def _no_route(exc: Exception) -> Response:
    return error_response(404, "Not found", f"there is no page at {request.path}")


def _store_unavailable(exc: StoreError) -> Response:
    from syndicate.web.outage import RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE, log_unavailable

    log_unavailable(exc)
    answer = error_response(503, "Service unavailable", UNAVAILABLE_MESSAGE)
    answer.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    answer.headers["Cache-Control"] = "no-store"
    return answer


def _internal_error(exc: InternalServerError) -> Response:
    """What a reader sees of a bug: that the request failed, never the traceback (which
    Flask has logged already)."""
    return error_response(
        500,
        "Internal error",
        f"{request.path} could not be answered because of an error on the server. "
        "It has been logged; please try again later.",
    )
