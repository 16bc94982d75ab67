"""The admin for people at ``/admin``: sources and articles, behind a login.

Sign in at ``/admin/login`` with an admin token once; the session cookie does the rest
(:mod:`.session`: signed, HttpOnly, SameSite, CSRF on every form). Pages:

- ``/admin/sources``: every source (kind, last success, last failure and its message, failures
  in a row, next run, articles, a sparkline of its latest runs) with *refresh now*, *pause*,
  *resume*, *remove* (sources added here) and a form to add one. The web never fetches or
  schedules: these are requests written to the store, which the scheduler carries out within
  seconds (:mod:`syndicate.refresh.roster`).
- ``/admin/sources/<name>``: its run log.
- ``/admin/articles``: search by title, filter by source, category and status; *unpublish*,
  *publish*, *delete*.

Everything here is also in the JSON API (``/api``) and the CLI. The pages work with plain
forms (no script, as the site's CSP wants) and answer every POST with a redirect.

Without any admin token (``SYNDICATE_ADMIN_TOKEN`` or ``syndicate token create NAME --scope
admin``) the admin answers 404. ``GET /admin/sources`` with ``Authorization: Bearer <admin
token>`` answers the health as JSON (or a read-only page for ``Accept: text/html`` or
``?format=html``), as it always has.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, jsonify, request, session
from flask_wtf.csrf import CSRFError, generate_csrf

import syndicate.refresh.roster as roster
from syndicate.editorial.articles import Desk
from syndicate.errors import ConfigError, UnknownArticle
from syndicate.publish import catalog
from syndicate.refresh.health import Timetable
from syndicate.render.html import (
    Admin,
    render_admin_articles,
    render_admin_login,
    render_admin_source,
    render_admin_sources,
    render_admin_stats,
)
from syndicate.store import ADMIN, PUBLISHED, SCHEDULED, UNPUBLISHED
from syndicate.text.dates import utc_now
from syndicate.web import (
    SCHEDULER_KEY,
    error_response,
    get_settings,
    get_store,
    page_context,
    written,
)
from syndicate.web.auth import admin_possible, authenticate, bearer, client_address, limiter
from syndicate.web.headers import ADMIN_CSP
from syndicate.web.session import CSRF_KEY, current, log_in, log_out

bp = Blueprint("admin", __name__, url_prefix="/admin")
SPARK_RUNS = 30


@bp.before_request
def gate() -> Response | None:
    """404 when no admin token exists; the key for sessions; CSRF on every POST."""
    settings, store = get_settings(), get_store()
    if not admin_possible(store, settings.admin_token):
        return error_response(
            404,
            "Not found",
            "the admin is off: set SYNDICATE_ADMIN_TOKEN, or make an admin token with "
            "`syndicate token create NAME --scope admin`",
        )
    if request.method == "POST":
        current_app.extensions[CSRF_KEY].protect()  # CSRFError: 400 below
    return None


@bp.after_request
def no_store(response: Response) -> Response:
    """Admin answers are live state and carry nothing a cache may keep; forms post here."""
    response.headers["Cache-Control"] = "no-store"
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = ADMIN_CSP
    return response


@bp.errorhandler(CSRFError)
def bad_csrf(exc: CSRFError) -> Response:
    return error_response(400, "Bad request", f"the form was refused: {exc.description}")


# -- signing in ----------------------------------------------------------------------------


@bp.get("")
@bp.get("/")
def home() -> Response:
    return redirect(f"{_base()}/admin/sources", 303)


@bp.get("/login")
def login_form() -> Response:
    return _html(render_admin_login(page_context(), Admin(csrf=generate_csrf())))


@bp.post("/login")
def login() -> Response:
    """Exchange an admin token for a session; failures count against the address."""
    address = client_address(request)
    if limiter().retry_after(address):
        page = render_admin_login(
            page_context(), Admin(csrf=generate_csrf(), error="Too many failed attempts.")
        )
        return _html(page, 429)
    settings, store = get_settings(), get_store()
    principal = authenticate(request.form.get("token", "").strip(), store, settings.admin_token)
    if principal is None or not principal.allows(ADMIN):
        limiter().failed(address)
        page = render_admin_login(
            page_context(), Admin(csrf=generate_csrf(), error="That is not an admin token.")
        )
        return _html(page, 401)
    log_in(principal, store, settings.admin_token)
    return redirect(f"{_base()}/admin/sources", 303)


@bp.post("/logout")
def logout() -> Response:
    log_out()
    return redirect(f"{_base()}/admin/login", 303)


# -- readers -------------------------------------------------------------------------------


@bp.get("/stats")
def stats() -> Response:
    """Who reads each feed: subscribers, their days, aggregators, readers, 304s, partners."""
    from syndicate.publish.stats import feed_stats

    user = _user()
    if user is None:
        return _to_login()
    days = request.args.get("days", "30")
    span = int(days) if days.isdigit() and 0 < int(days) <= 366 else 30
    feeds = feed_stats(get_store(), days=span)
    counting = get_settings().stats.enabled
    return _html(render_admin_stats(page_context(), feeds, span, counting, user))


# -- sources -------------------------------------------------------------------------------


@bp.get("/sources")
def sources() -> Response:
    """Source health: for a signed-in person with the forms; for an admin bearer token as
    JSON (or a read-only page)."""
    from syndicate.web.api import sources_json

    if request.headers.get("Authorization"):
        settings = get_settings()
        principal = authenticate(bearer(request), get_store(), settings.admin_token)
        if principal is None or not principal.allows(ADMIN):
            limiter().failed(client_address(request))
            return _unauthorized()
        data = sources_json()
        if _wants_html():
            return _html(render_admin_sources(page_context(), data, _running()))
        return _no_cache(jsonify(sources=data, scheduler_running=_running()))
    user = _user()
    if user is None:
        return _to_login() if _wants_html() else _unauthorized()
    data = sources_json()
    runs = {item["name"]: get_store().recent_runs(item["name"], limit=SPARK_RUNS) for item in data}
    return _html(render_admin_sources(page_context(), data, _running(), user, runs))


@bp.get("/sources/<name>")
def source(name: str) -> Response:
    from syndicate.web.api import sources_json

    user = _user()
    if user is None:
        return _to_login()
    found = next((item for item in sources_json() if item["name"] == name), None)
    if found is None:
        return error_response(404, "Not found", f"there is no source named {name!r}")
    runs = get_store().recent_runs(name, limit=100)
    return _html(render_admin_source(page_context(), found, runs, user))


@bp.post("/sources")
def add_source() -> Response:
    if _user() is None:
        return _to_login()
    fields = ("name", "kind", "url", "path", "category", "interval")
    definition = {key: value.strip() for key in fields if (value := request.form.get(key, ""))}
    try:
        roster.add_source(get_settings(), get_store(), definition, now=utc_now())
    except ConfigError as exc:
        return _back("/admin/sources", error=str(exc))
    return _back("/admin/sources", notice=f"Source {definition.get('name')} added.")


@bp.post("/sources/<name>/<action>")
def source_action(name: str, action: str) -> Response:
    """Refresh now, pause, resume or remove: requests the scheduler carries out."""
    if _user() is None:
        return _to_login()
    settings, store = get_settings(), get_store()
    try:
        if action == "refresh":
            roster.request_refresh(settings, store, name, now=utc_now())
            notice = f"Refresh of {name} asked for; the scheduler runs it within seconds."
        elif action in ("pause", "resume"):
            roster.set_paused(settings, store, name, action == "pause")
            notice = f"{name} {'paused' if action == 'pause' else 'resumed'}."
        elif action == "remove":
            roster.remove_source(settings, store, name)
            notice = f"{name} removed; its articles stay."
        else:
            return error_response(404, "Not found", f"no action {action!r}")
    except KeyError:
        return error_response(404, "Not found", f"there is no source named {name!r}")
    except ConfigError as exc:
        return _back("/admin/sources", error=str(exc))
    return _back("/admin/sources", notice=notice)


# -- articles ------------------------------------------------------------------------------


@bp.get("/articles")
def articles() -> Response:
    user = _user()
    if user is None:
        return _to_login()
    args = request.args
    filters = {key: args.get(key, "") for key in ("q", "source", "category", "status")}
    found, cursor = Desk(get_store()).listing(
        title=filters["q"] or None,
        source=filters["source"] or None,
        category=filters["category"] or None,
        status=filters["status"] or None,
        cursor=args.get("cursor") or None,
    )
    filters["back"] = request.full_path.rstrip("?")
    permalink = catalog.article_url(get_settings())
    next_url = ""
    if cursor:
        query = {k: v for k, v in filters.items() if v and k != "back"} | {"cursor": cursor}
        next_url = f"{_base()}/admin/articles?{urlencode(query)}"
    return _html(
        render_admin_articles(
            page_context(),
            [(listed, permalink(listed.article)) for listed in found],
            filters,
            _choices(),
            next_url,
            user,
        )
    )


@bp.post("/articles/<path:article_id>/<action>")
def article_action(article_id: str, action: str) -> Response:
    """Unpublish, publish or delete, announced at once like any write."""
    if _user() is None:
        return _to_login()
    desk = Desk(get_store())
    back = request.form.get("back", "")
    back = back if back.startswith("/admin/articles") else "/admin/articles"
    try:
        resolved = desk.resolve(article_id)
        before = get_store().states.removal(resolved)
        if action == "unpublish":
            listed = desk.unpublish(article_id)
            notice = f"Unpublished: {listed.article.title}"
        elif action == "publish":
            notice = f"Publish: {desk.publish(article_id)}"
        elif action == "delete":
            notice = f"Deleted for good: {desk.delete(article_id).title}"
        else:
            return error_response(404, "Not found", f"no action {action!r}")
    except UnknownArticle as exc:
        return _back(back, error=str(exc))
    after = [get_store().get(resolved), get_store().states.removal(resolved), before]
    written([x for x in after if x is not None])
    return _back(back, notice=notice)


# -- shared --------------------------------------------------------------------------------


def _user() -> Admin | None:
    settings = get_settings()
    login = current(get_store(), settings.admin_token)
    if login is None:
        return None
    notice, error = session.pop("notice", ""), session.pop("error", "")
    return Admin(user=login.name, csrf=generate_csrf(), notice=notice, error=error)


def _choices() -> dict[str, list[str]]:
    current_roster = roster.roster(get_settings(), get_store())
    sources = [s.name for s in current_roster.settings.sources]
    return {
        "source": sorted({*sources, "api", "micropub", "local"}),
        "category": [c.slug for c in get_store().categories()],
        "status": [PUBLISHED, SCHEDULED, UNPUBLISHED],
    }


def _back(path: str, *, notice: str = "", error: str = "") -> Response:
    """Post/redirect/get, with a message for the next page."""
    if notice:
        session["notice"] = notice
    if error:
        session["error"] = error
    return redirect(f"{_base()}{path}", 303)


def redirect(location: str, status: int = 303) -> Response:
    """A redirect (always 303 See Other after a form: the next request is a GET)."""
    response = Response(status=status)
    response.headers["Location"] = location
    return response


def _to_login() -> Response:
    return redirect(f"{_base()}/admin/login", 303)


def _unauthorized() -> Response:
    response = jsonify(error="send an admin token as 'Authorization: Bearer <token>'")
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="syndicate admin"'
    return response


def _running() -> bool:
    live: Timetable | None = current_app.extensions.get(SCHEDULER_KEY)
    return bool(live and live.running)


def _html(body: str, status: int = 200) -> Response:
    return Response(body, status=status, content_type="text/html; charset=utf-8")


def _no_cache(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _base() -> str:
    return get_settings().site.base_url


def _wants_html() -> bool:
    asked = request.args.get("format", "")
    if asked in ("html", "json"):
        return asked == "html"
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"
