"""The JSON API: articles (scope ``publish``) and sources (scope ``admin``), behind bearer tokens.

``/api/articles``: ``GET`` lists (``?category=<slug>&q=<title words>&source=&status=&cursor=
&limit=``, newest first, cursor paging), ``POST`` creates or, for the same ``id`` or ``url``,
updates in place (``201`` with ``Location``, or ``200``); ``/api/articles/<id>``: ``GET``,
``PATCH`` (any fields, ``status`` too), ``DELETE`` (content gone for good);
``POST /api/articles/<id>/unpublish`` and ``/publish``. ``/api/sources``: ``GET`` health,
``POST`` adds a source; ``/api/sources/<name>``: ``DELETE``; ``POST .../refresh``, ``.../pause``,
``.../resume``; ``GET .../runs``: its run log.

Errors are RFC 9457 problem details (:mod:`.problems`) naming the field; a body over the
ingest limit is 413. A write is announced at once in this process (its feeds dropped, WebSub
pinged) and reaches the other web processes through the store's change log within a second.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

import syndicate.refresh.roster as roster
from syndicate.editorial.articles import (
    MAX_BODY_BYTES,
    Desk,
    Written,
    article_json,
    tombstone_json,
)
from syndicate.errors import ArticleGone, ConfigError, ParseError, StoreError, UnknownArticle
from syndicate.publish import catalog
from syndicate.refresh.health import Timetable, source_health
from syndicate.store import ADMIN, PUBLISH, Listed, Run
from syndicate.text.dates import utc_now
from syndicate.web import SCHEDULER_KEY, get_settings, get_store, written
from syndicate.web.auth import authenticate, bearer, client_address, limiter
from syndicate.web.outage import RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE, log_unavailable
from syndicate.web.problems import problem

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.before_request
def require_token() -> Response | None:
    """401 without a valid token, 403 for one without the scope, 429 after many failures."""
    address = client_address(request)
    wait = limiter().retry_after(address)
    if wait:
        return problem(
            429, "too many failed attempts from this address", headers={"Retry-After": str(wait)}
        )
    principal = authenticate(bearer(request), get_store(), get_settings().admin_token)
    if principal is None:
        limiter().failed(address)
        return problem(
            401,
            "send a token as 'Authorization: Bearer <token>' (syndicate token create NAME)",
            headers={"WWW-Authenticate": 'Bearer realm="syndicate"'},
        )
    needed = ADMIN if request.path.startswith("/api/sources") else PUBLISH
    if not principal.allows(needed):
        return problem(403, f"this token's scope is {principal.scope}; this needs {needed}")
    return None


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc: Exception) -> Response:
    return problem(413, f"the body is over the limit of {MAX_BODY_BYTES} bytes")


@bp.errorhandler(ParseError)
def invalid(exc: ParseError) -> Response:
    return problem(422, exc.reason, field=getattr(exc, "field", ""))


@bp.errorhandler(ArticleGone)
def gone(exc: ArticleGone) -> Response:
    return problem(410, str(exc))


@bp.errorhandler(UnknownArticle)
def unknown(exc: UnknownArticle) -> Response:
    return problem(404, str(exc))


@bp.errorhandler(StoreError)
def store_failed(exc: StoreError) -> Response:
    log_unavailable(exc)
    return problem(503, UNAVAILABLE_MESSAGE, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


# -- articles --------------------------------------------------------------------------------


@bp.get("/articles")
def list_articles() -> Response:
    """One page of every stored article (removed and scheduled ones too), newest first."""
    args = request.args
    try:
        limit = int(args.get("limit", "50"))
    except ValueError:
        return problem(400, "limit: expected a whole number", field="limit")
    found, cursor = desk().listing(
        category=args.get("category") or None,
        title=args.get("q") or None,
        source=args.get("source") or None,
        status=args.get("status") or None,
        cursor=args.get("cursor") or None,
        limit=limit,
    )
    following = None
    if cursor:
        query = {k: v for k, v in args.items() if k != "cursor"} | {"cursor": cursor}
        following = request.base_url + "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return _json({"articles": [_article(listed) for listed in found], "next": following})


@bp.post("/articles")
def create_article() -> Response:
    """Create an article, or update the one with the same ``id`` or ``url``."""
    result = desk().submit(_body())
    if result.changed:
        written([result.article])
    response = _json(_article(_listed(result)), 201 if result.created else 200)
    response.headers["Location"] = _page(result)
    return response


@bp.get("/articles/<path:article_id>")
def read_article(article_id: str) -> Response:
    return _json(_article(desk().find(article_id)))


@bp.patch("/articles/<path:article_id>")
def update_article(article_id: str) -> Response:
    """Change the given fields (and ``status``)."""
    before = desk().find(article_id)
    result = desk().update(article_id, _body())
    if result.changed:
        written([before.article, result.article])
    return _json(_article(_listed(result)))


@bp.delete("/articles/<path:article_id>")
def delete_article(article_id: str) -> Response:
    """Remove the article's content for good; its tombstone stays."""
    stone = desk().delete(article_id)
    written([stone])
    return _json(tombstone_json(stone))


@bp.post("/articles/<path:article_id>/unpublish")
def unpublish_article(article_id: str) -> Response:
    listed = desk().unpublish(article_id)
    written([listed.article])
    return _json(_article(listed))


@bp.post("/articles/<path:article_id>/publish")
def publish_article(article_id: str) -> Response:
    resolved = desk().resolve(article_id)
    stone = get_store().states.removal(resolved)  # the feeds carrying it must drop it
    outcome = desk().publish(article_id)
    found = get_store().get(resolved)
    if outcome != "unchanged":
        written([x for x in (stone, found) if x is not None])
    return _json({"id": resolved, "outcome": outcome})


# -- sources ---------------------------------------------------------------------------------


@bp.get("/sources")
def list_sources() -> Response:
    """Every source's health, the configuration's and those added at run time."""
    return _json({"sources": sources_json(), "scheduler_running": _scheduler_running()})


def sources_json() -> list[dict[str, Any]]:
    """The health of every source, as the API and ``/admin/sources`` show it."""
    current = roster.roster(get_settings(), get_store())
    live: Timetable | None = current_app.extensions.get(SCHEDULER_KEY)
    health = source_health(current.settings, get_store(), scheduler=live)
    requested = get_store().controls.requested()
    return [
        item.as_json()
        | {
            "managed": current.is_managed(item.name),
            "paused": item.name in current.paused,
            "refresh_requested": _iso(requested.get(item.name)),
        }
        for item in health
    ]


@bp.post("/sources")
def add_source() -> Response:
    body = _body()
    try:
        source = roster.add_source(get_settings(), get_store(), body, now=utc_now())
    except ConfigError as exc:
        return problem(422, str(exc), field=_config_field(str(exc)))
    response = _json({"name": source.name, "managed": True}, 201)
    response.headers["Location"] = f"{request.url_root}api/sources/{source.name}"
    return response


@bp.delete("/sources/<name>")
def remove_source(name: str) -> Response:
    try:
        roster.remove_source(get_settings(), get_store(), name)
    except ConfigError as exc:
        return problem(409, str(exc))
    except KeyError:
        return problem(404, f"no source added under the name {name!r}")
    return _json({"name": name, "removed": True})


@bp.post("/sources/<name>/<action>")
def source_action(name: str, action: str) -> Response:
    """``refresh`` (asks the scheduler to refresh it now), ``pause``, ``resume``: requests the
    scheduler carries out within seconds."""
    settings, store = get_settings(), get_store()
    try:
        if action == "refresh":
            roster.request_refresh(settings, store, name, now=utc_now())
        elif action in ("pause", "resume"):
            roster.set_paused(settings, store, name, action == "pause")
        else:
            return problem(404, f"no action {action!r}; expected refresh, pause or resume")
    except KeyError:
        return problem(404, f"no source named {name!r}")
    return _json({"name": name, "requested": action}, 202)


@bp.get("/sources/<name>/runs")
def source_runs(name: str) -> Response:
    try:
        roster.require(get_settings(), get_store(), name)
    except KeyError:
        return problem(404, f"no source named {name!r}")
    limit = min(int(request.args.get("limit", "50") or 50), 500)
    runs = get_store().recent_runs(name, limit=limit)
    return _json({"name": name, "runs": [run_json(run) for run in runs]})


def run_json(run: Run) -> dict[str, Any]:
    return {
        "id": run.id,
        "started": run.started.isoformat(),
        "duration": run.duration,
        "outcome": run.outcome,
        "new": run.new,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "skipped": run.skipped,
        "message": run.message,
    }


# -- shared ----------------------------------------------------------------------------------


def desk() -> Desk:
    return Desk(get_store())


def _body() -> Any:
    """The request's JSON; 413 over the limit, a 400/415 problem when it is not JSON."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise RequestEntityTooLarge()
    if request.mimetype != "application/json":
        raise _Refused(415, f"send JSON (Content-Type: application/json), not {request.mimetype!r}")
    data = request.get_data(cache=False)
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _Refused(400, f"the body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise _Refused(400, "the body is JSON nested too deeply to read") from exc


class _Refused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


@bp.errorhandler(_Refused)
def refused(exc: _Refused) -> Response:
    return problem(exc.status, exc.detail)


def _listed(result: Written) -> Listed:
    return Listed(result.article, result.status)


def _article(listed: Listed) -> dict[str, Any]:
    return article_json(listed, catalog.article_url(get_settings())(listed.article))


def _page(result: Written) -> str:
    return catalog.article_url(get_settings())(result.article)


def _json(data: Any, status: int = 200) -> Response:
    response = jsonify(data)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _scheduler_running() -> bool:
    live: Timetable | None = current_app.extensions.get(SCHEDULER_KEY)
    return bool(live and live.running)


def _config_field(message: str) -> str:
    """The key a ConfigError names (``source.url``), for the problem's ``field``."""
    for part in message.split(": "):
        if part.startswith("source.") and " " not in part:
            return part.removeprefix("source.")
    return ""
