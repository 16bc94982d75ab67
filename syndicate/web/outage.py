"""What the web says while the database is away: 503 with ``Retry-After`` and a clear body.

Cached feeds keep being served from the feed cache (with their validators); anything that
needs the database answers this instead of an error page with internals in it. The store's
error is logged, at most once per :data:`LOG_EVERY` seconds, so an outage under load does
not flood the log.
"""

from __future__ import annotations

import logging
import threading
import time

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
