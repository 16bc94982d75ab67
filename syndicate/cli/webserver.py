"""The web app on granian (a Rust HTTP server), for ``syndicate serve``: the one user of granian.

granian's supervising process (this one) binds the socket and starts ``workers`` worker
processes, each running the WSGI app on ``threads`` Python threads while granian's Rust side
parses HTTP and writes responses. Workers are started with the ``spawn`` method: each is a
fresh interpreter that builds its own app (store connections, byte cache, change-log watcher)
from the same settings, and inherits no thread or database connection of this process, where
the scheduler runs.

Stopping: granian catches SIGINT and SIGTERM here, stops every worker (each stops accepting and
finishes its requests in flight; one still busy after :data:`KILL_TIMEOUT` is killed), then
calls ``on_stop``, where the scheduler waits for running refreshes. A worker that dies is
started again.

In production without ``syndicate serve``, the same app runs under granian's own command:
``granian --interface wsgi --workers N wsgi:app`` (see ``wsgi.py``).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from granian.constants import Interfaces
from granian.log import LogLevels
from granian.server import Server

from syndicate.config import Settings

APP_TARGET = "wsgi:app"  # what granian's logs call the app; the loader below builds it
KILL_TIMEOUT = 30  # seconds a stopping worker may take to finish its requests

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def worker_app(settings: Settings) -> WSGIApp:
    """In each worker process: the app over its own store and cache."""
    from syndicate.web import create_app

    app: WSGIApp = create_app(settings)
    return app


def run_granian(
    settings: Settings,
    *,
    host: str,
    port: int,
    workers: int,
    threads: int,
    on_start: Callable[[], None] | None = None,
    on_stop: Callable[[], None] | None = None,
) -> None:
    """Serve until SIGINT or SIGTERM; ``on_start`` runs here before the workers start,
    ``on_stop`` after they have all stopped."""
    # Workers start clean (no scheduler thread, no pooled connection of this process).
    multiprocessing.set_start_method("spawn", force=True)
    server = Server(
        APP_TARGET,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        respawn_failed_workers=True,
        workers_kill_timeout=KILL_TIMEOUT,
        log_level=LogLevels.info,
    )
    if on_start is not None:
        server.on_startup(on_start)
    if on_stop is not None:
        server.on_shutdown(on_stop)
    server.serve(target_loader=partial(worker_app, settings), wrap_loader=False)
