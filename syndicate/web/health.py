"""Health checks for load balancers and process supervisors.

``GET /healthz`` answers that the process serves: constant bytes, no query, no lock (the fast
path sends them before Flask), so a probe every second costs nothing. ``GET /healthz?deep=1``
also asks what serving depends on, and answers 503 with the reasons when any is wrong:

- the database answers a query;
- when enabled sources are configured or were added at run time, a scheduler (``syndicate
  serve``'s, or ``syndicate scheduler``) has ticked within ``schedule.stalled_after`` seconds:
  its tick is a row of the store, so any web process sees the scheduler of any other process.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, request

from syndicate.config import Settings
from syndicate.errors import StoreError
from syndicate.store import Store
from syndicate.text.dates import utc_now
from syndicate.web import get_settings, get_store

bp = Blueprint("health", __name__)
HEALTH_PATH = "/healthz"
_SHALLOW = b'{"status": "ok"}\n'
_HEADERS = [
    ("Content-Type", "application/json"),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
]
_SHALLOW_HEADERS = [*_HEADERS, ("Content-Length", str(len(_SHALLOW)))]


def answer_shallow(method: str, start_response: Callable[..., Any]) -> list[bytes]:
    """The WSGI answer of ``GET /healthz``: the process is up."""
    start_response("200 OK", _SHALLOW_HEADERS)
    return [] if method == "HEAD" else [_SHALLOW]


@bp.get(HEALTH_PATH)
def healthz() -> Response:
    """Shallow unless ``?deep=1`` (``deep=0`` or empty stays shallow)."""
    if request.args.get("deep", "0") in ("", "0"):
        return Response(_SHALLOW, headers=_HEADERS)
    report = deep_report(get_settings(), get_store())
    status = 503 if report["problems"] else 200
    body = json.dumps(report, indent=2) + "\n"
    return Response(body, status=status, headers=_HEADERS)


def deep_report(settings: Settings, store: Store) -> dict[str, Any]:
    """What ``/healthz?deep=1`` answers: each check's finding and the list of problems."""
    problems: list[str] = []
    try:
        store.content_version()  # one indexed read: the database answers
        database = "ok"
    except StoreError as exc:
        database = str(exc)
        problems.append(f"database: {exc}")
    scheduler = _scheduler(settings, store, database == "ok", problems)
    return {
        "status": "failing" if problems else "ok",
        "database": database,
        "scheduler": scheduler,
        "problems": problems,
    }


def _scheduler(
    settings: Settings, store: Store, reachable: bool, problems: list[str]
) -> dict[str, Any]:
    configured = any(source.enabled for source in settings.sources)
    if not configured and not reachable:
        return {"expected": False}  # the database problem says it all
    limit = settings.schedule.stalled_after
    found: dict[str, Any] = {"expected": True, "stalled_after": limit}
    if not reachable:
        return found
    try:
        if not configured and not _managed_enabled(store):
            return {"expected": False}
        last = store.controls.last_tick()
    except StoreError as exc:
        problems.append(f"scheduler: cannot read its last tick: {exc}")
        return found
    if last is None:
        problems.append(
            "scheduler: no scheduler has ticked; start `syndicate serve` (with its scheduler) "
            "or `syndicate scheduler`"
        )
        return found
    age = (utc_now() - last).total_seconds()
    found |= {"last_tick": last.isoformat(), "seconds_ago": round(age, 1)}
    if age > limit:
        problems.append(
            f"scheduler: last tick {age:.0f} s ago, more than schedule.stalled_after ({limit:g} s)"
        )
    return found


def _managed_enabled(store: Store) -> bool:
    """Whether a source added at run time (the admin, the API, the CLI) needs a scheduler."""
    return any(m.definition.get("enabled", True) for m in store.controls.managed_sources())
