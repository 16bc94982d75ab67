"""Micropub (W3C Recommendation) at ``/micropub``, so existing posting clients work.

Create an ``h-entry`` form-encoded or as JSON; ``action=update`` (JSON: ``replace``, ``add``,
``delete``), ``action=delete`` (the post is unpublished: hidden and restorable) and
``action=undelete``; ``GET ?q=config``, ``?q=source&url=...`` (optionally
``properties[]=...``), ``?q=syndicate-to`` and ``?q=category``. The token is a bearer token
(scope ``publish``), in the ``Authorization`` header or as ``access_token`` in a form body.
Posts go through the same path as the articles API (``syndicate.editorial``), under the source
name ``micropub``. File uploads are refused: give ``photo`` as a URL. Errors are the JSON
Micropub defines (``{"error": "invalid_request", "error_description": ...}``).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify, request

from syndicate.editorial import micropub
from syndicate.editorial.articles import MAX_BODY_BYTES, Desk
from syndicate.errors import ParseError, UnknownArticle
from syndicate.publish import catalog
from syndicate.store import PUBLISH, Listed
from syndicate.web import get_settings, get_store, written
from syndicate.web.auth import authenticate, bearer, client_address, limiter

bp = Blueprint("micropub", __name__)


def error(status: int, code: str, description: str) -> Response:
    response = jsonify(error=code, error_description=description)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.before_request
def require_token() -> Response | None:
    """Micropub §5.5: 401 ``unauthorized`` without a valid token, 403 ``insufficient_scope``."""
    address = client_address(request)
    wait = limiter().retry_after(address)
    if wait:
        refused = error(429, "too_many_requests", "too many failed attempts from this address")
        refused.headers["Retry-After"] = str(wait)
        return refused
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return error(413, "invalid_request", f"the body is over {MAX_BODY_BYTES} bytes")
    secret = bearer(request)
    if not secret and request.method == "POST" and request.mimetype.endswith("form-urlencoded"):
        secret = request.form.get("access_token", "")
    principal = authenticate(secret, get_store(), get_settings().admin_token)
    if principal is None:
        limiter().failed(address)
        response = error(401, "unauthorized", "send a token: Authorization: Bearer <token>")
        response.headers["WWW-Authenticate"] = 'Bearer realm="syndicate"'
        return response
    if not principal.allows(PUBLISH):
        return error(403, "insufficient_scope", "this token may not publish")
    return None


@bp.errorhandler(ParseError)
def invalid(exc: ParseError) -> Response:
    return error(400, "invalid_request", exc.reason)


@bp.errorhandler(UnknownArticle)
def unknown(exc: UnknownArticle) -> Response:
    return error(400, "invalid_request", str(exc))


@bp.get("/micropub")
def query() -> Response:
    """``q=config``, ``q=source``, ``q=syndicate-to``, ``q=category``."""
    asked = request.args.get("q", "")
    if asked == "config":
        return _json(micropub.config([c.name for c in get_store().categories()]))
    if asked == "syndicate-to":
        return _json({"syndicate-to": []})
    if asked == "category":
        return _json({"categories": [c.name for c in get_store().categories()]})
    if asked == "source":
        found = _post(request.args.get("url", ""))
        properties = micropub.source_properties(found.article, _page(found))
        wanted = request.args.getlist("properties[]") or request.args.getlist("properties")
        if wanted:
            return _json({"properties": {k: v for k, v in properties.items() if k in wanted}})
        return _json({"type": ["h-entry"], "properties": properties})
    return error(
        400, "invalid_request", "expected q=config, q=source, q=syndicate-to or q=category"
    )


@bp.post("/micropub")
def post() -> Response:
    """Create, or carry out an action."""
    if request.mimetype == "application/json":
        document = _json_body()
        action = document.get("action")
        if action:
            return _action(str(action), str(document.get("url", "")), document)
        return _create(micropub.json_properties(document))
    if request.files:
        return error(
            400, "invalid_request", "this server keeps no uploaded files: give photo as a URL"
        )
    form = request.form
    if form.get("action"):
        return _action(form["action"], form.get("url", ""), {})
    if form.get("h", "entry") != "entry":
        return error(400, "invalid_request", f"h={form.get('h')}: only h-entry posts are supported")
    return _create(micropub.form_properties(form.to_dict(flat=False)))


def _create(properties: micropub.Properties) -> Response:
    result = _desk().submit(micropub.submission(properties), origin=micropub.ORIGIN)
    if result.changed:
        written([result.article])
    url = catalog.article_url(get_settings())(result.article)
    response = Response(status=201 if result.created else 200)
    response.headers["Location"] = url
    return response


def _action(action: str, url: str, document: dict[str, Any]) -> Response:
    found = _post(url)
    desk, article_id = _desk(), found.article.id
    if action == "delete":
        written([desk.unpublish(article_id).article])
    elif action == "undelete":
        desk.publish(article_id)
        written([found.article])
    elif action == "update":
        properties = micropub.source_properties(found.article, _page(found))
        changed = micropub.updated(properties, document)
        payload = micropub.submission(changed, whole=True)
        result = desk.update(article_id, payload, origin=micropub.ORIGIN)
        if result.changed:
            written([found.article, result.article])
    else:
        return error(400, "invalid_request", f"unknown action {action!r}")
    return Response(status=204)


def _post(url: str) -> Listed:
    """The article a post URL names (one of our article pages)."""
    base = get_settings().site.base_url
    path = urlsplit(url).path if url.startswith(base) else ""
    slug = path.removeprefix(urlsplit(base).path).removeprefix("/articles/")
    found = get_store().states.find_by_slug(slug) if path and slug != path else None
    if found is None:
        raise UnknownArticle(f"no post at {url!r}: expected {base}/articles/<slug>")
    return found


def _desk() -> Desk:
    return Desk(get_store(), source=micropub.SOURCE)


def _page(found: Listed) -> str:
    return catalog.article_url(get_settings())(found.article)


def _json_body() -> dict[str, Any]:
    try:
        document = json.loads(request.get_data(cache=False))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(micropub.ORIGIN, f"the body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise ParseError(micropub.ORIGIN, "the body is JSON nested too deeply to read") from exc
    if not isinstance(document, dict):
        raise ParseError(micropub.ORIGIN, "expected a JSON object")
    return document


def _json(data: Any) -> Response:
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response
