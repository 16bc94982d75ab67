"""Operator pages: source health as JSON and as a readable page, behind a bearer token.

The routes exist only when ``SYNDICATE_ADMIN_TOKEN`` is set (otherwise they answer 404, as if
absent); every request must send ``Authorization: Bearer <token>``. ``/admin/sources`` answers
JSON unless the client prefers HTML (a browser) or asks with ``?format=html``. Responses are
never cached.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, jsonify, request

from syndicate.refresh.health import Timetable, source_health
from syndicate.render.html import render_admin_sources
from syndicate.web import SCHEDULER_KEY, error_response, get_settings, get_store, page_context

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def require_token() -> Response | None:
    """404 when no token is configured, 401 unless the request carries the right one."""
    token = get_settings().admin_token
    if not token:
        return error_response(
            404, "Not found", "the admin pages are off: set SYNDICATE_ADMIN_TOKEN to turn them on"
        )
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return None
    response = jsonify(error="send the admin token as 'Authorization: Bearer <token>'")
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="syndicate admin"'
    return response


@bp.after_request
def no_store(response: Response) -> Response:
    """Admin answers are live state and carry nothing a cache may keep."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/sources")
def sources() -> Response:
    """Every configured source's health."""
    live: Timetable | None = current_app.extensions.get(SCHEDULER_KEY)
    health = source_health(get_settings(), get_store(), scheduler=live)
    if _wants_html():
        body = render_admin_sources(page_context(), health, bool(live and live.running))
        return Response(body, content_type="text/html; charset=utf-8")
    return jsonify(
        sources=[item.as_json() for item in health], scheduler_running=bool(live and live.running)
    )


def _wants_html() -> bool:
    asked = request.args.get("format", "")
    if asked in ("html", "json"):
        return asked == "html"
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"
