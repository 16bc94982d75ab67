"""What the web says while the database is away (503 with ``Retry-After`` and a clear body),
and what the fast path says of a bug (500, without internals).

Cached feeds keep being served from the feed cache (with their validators); anything that
needs the database answers this instead of an error page with internals in it. The store's
error is logged, at most once per :data:`LOG_EVERY` seconds, so an outage under load does
not flood the log.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from syndicate.errors import StoreError

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
LOG_EVERY = 10.0  # seconds
UNAVAILABLE_MESSAGE = (
    "The database cannot be reached right now, so this cannot be shown. "
    f"It should be back shortly: try again in {RETRY_AFTER_SECONDS} seconds."
)
UNAVAILABLE_BODY = f"503 Service Unavailable\n\n{UNAVAILABLE_MESSAGE}\n"
_last = [0.0]
_lock = threading.Lock()


def log_unavailable(exc: StoreError) -> None:
    """Log the store's failure, once per outage burst."""
    now = time.monotonic()
    with _lock:
        if now - _last[0] < LOG_EVERY:
            return
        _last[0] = now
    log.warning("answering 503, the database failed: %s", exc)


StartResponse = Callable[..., Any]


def unavailable(exc: StoreError, start_response: StartResponse, head: bool) -> list[bytes]:
    """503 with ``Retry-After`` for a document that is not cached while the database is away."""
    log_unavailable(exc)
    return _plain("503 Service Unavailable", UNAVAILABLE_BODY, start_response, head, True)


def internal_error(path: str, start_response: StartResponse, head: bool) -> list[bytes]:
    """500 for a document whose building failed: what failed, never how."""
    body = (
        f"500 Internal Server Error\n\n{path} could not be answered because of an error on the "
        "server. It has been logged; please try again later.\n"
    )
    return _plain("500 Internal Server Error", body, start_response, head, False)


def _plain(
    status: str, text: str, start_response: StartResponse, head: bool, retry: bool
) -> list[bytes]:
    body = text.encode()
    headers = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store"),
    ]
    if retry:
        headers.append(("Retry-After", str(RETRY_AFTER_SECONDS)))
    start_response(status, headers)
    return [] if head else [body]
