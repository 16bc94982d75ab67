"""Health check for load balancers and process supervisors."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from syndicate.web import get_store

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """200 with the article count when the store answers."""
    return jsonify(status="ok", articles=get_store().count())
