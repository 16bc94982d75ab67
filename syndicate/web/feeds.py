"""Feed endpoints: ``/feeds/<name>.<format>`` for everything and for each category."""

from __future__ import annotations

from flask import Blueprint, Response, request

from syndicate import channels
from syndicate.errors import UnknownFeed
from syndicate.web import get_settings, get_store

bp = Blueprint("feeds", __name__)


@bp.get("/feeds/<path:filename>")
def feed(filename: str) -> Response:
    """A feed as RSS 2.0 or Atom 1.0, with validators for conditional GET."""
    name, dot, fmt = filename.rpartition(".")
    if not dot or "/" in name or fmt not in channels.FORMATS:
        raise UnknownFeed(
            f"no feed at /feeds/{filename}: feeds are /feeds/<name>.rss or /feeds/<name>.atom"
        )
    store, settings = get_store(), get_settings()
    spec = channels.resolve(name, store, settings)
    rendered = channels.render(spec, fmt, store, settings, limit=_limit())
    response = Response(rendered.body, content_type=rendered.content_type)
    response.set_etag(rendered.etag.strip('"'))
    if rendered.last_modified is not None:
        response.last_modified = rendered.last_modified
    return response.make_conditional(request)


def _limit() -> int | None:
    value = request.args.get("limit", type=int)
    return value if value and value > 0 else None
