"""What the command modules share: opening the store and the queue, the scheduler of the
configured mode, the WebSub hook of writers, logging, and stopping on a signal."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, NoReturn, TypeVar

import click

from syndicate.config import Settings
from syndicate.errors import ConfigError, StoreError
from syndicate.store import Store

if TYPE_CHECKING:  # imported lazily at run time: most commands need neither
    from syndicate.model import Article
    from syndicate.publish.hub import Hub
    from syndicate.refresh import Refresher
    from syndicate.refresh.queue import RefreshQueue
    from syndicate.refresh.schedule import RefreshScheduler


def open_store(settings: Settings, *, migrate: bool = True) -> Store:
    """The store, upgraded to the current schema; or, with ``migrate=False`` (long-running
    processes that share the database: serve, scheduler, worker), checked and refused when older.
    """
    try:
        store = Store(settings.database_url)
        if migrate:
            store.create_schema()
        else:
            store.check_schema()
    except StoreError as exc:
        click.echo(f"syndicate: database error: {exc}", err=True)
        sys.exit(2)
    return store


_ANY_ADDRESS = ("", "0.0.0.0", "::", "[::]")


def listening(settings: Settings, host: str, port: int) -> tuple[Settings, str]:
    """The settings to serve ``host:port`` with, and the line that says what is served.

    Without a configured ``site.base_url`` every link (feeds, pages, the stylesheet) is made
    for the address served, so ``serve --port 8152`` links to port 8152; a server listening
    on every address makes them for 127.0.0.1. A configured base URL is kept, and said when it
    is not the address served (a proxy in front, say).
    """
    shown_host = f"[{host}]" if ":" in host and not host.startswith("[") else host
    address = f"http://{shown_host or '0.0.0.0'}:{port}"
    if settings.site.base_url_configured:
        base = settings.site.base_url
        if base.rstrip("/") == address:
            return settings, f"serving {address}"
        return settings, f"serving on {address}; links use site.base_url {base}"
    local = f"http://127.0.0.1:{port}" if host in _ANY_ADDRESS else address
    site = replace(settings.site, base_url=local)
    line = f"serving {local}" if local == address else f"serving on {address}; links use {local}"
    return replace(settings, site=site), line


def build_scheduler(
    settings: Settings, store: Store, refresher: Refresher | None, *, blocking: bool
) -> RefreshScheduler:
    """The scheduler of the configured mode: refreshing with ``refresher``, or enqueuing."""
    from syndicate.refresh.schedule import RefreshScheduler

    log_to_stderr()
    if not queue_mode(settings):
        assert refresher is not None
        return RefreshScheduler(settings, refresher, blocking=blocking)
    queue = open_queue(settings)
    return RefreshScheduler(settings, store=store, queue=queue, blocking=blocking)


def scheduling_line(settings: Settings) -> str:
    count = sum(1 for s in settings.sources if s.enabled)
    if not count:
        return "no configured sources; those added at run time start within seconds"
    if queue_mode(settings):
        return f"enqueuing {count} source(s) for `syndicate worker` processes when due"
    return f"refreshing {count} source(s) in this process"


def queue_mode(settings: Settings) -> bool:
    return settings.schedule.mode == "queue"


def require_queue_mode(settings: Settings, command: str) -> None:
    if not queue_mode(settings):
        click.echo(
            f'syndicate: `{command}` needs schedule.mode = "queue" (or '
            f"SYNDICATE_SCHEDULE_MODE=queue); in mode {settings.schedule.mode!r} "
            f"sources are refreshed by the scheduler itself",
            err=True,
        )
        sys.exit(2)


def require_postgresql(settings: Settings) -> None:
    from syndicate.config import is_postgresql_url

    if not is_postgresql_url(settings.database_url):
        click.echo(
            f"syndicate: the task queue lives in PostgreSQL; the database is "
            f"{settings.database_url}",
            err=True,
        )
        sys.exit(2)


def open_queue(settings: Settings, *, pool_size: int = 4) -> RefreshQueue:
    """The opened task queue; exits with a message when it cannot be used."""
    from syndicate.refresh.queue import RefreshQueue

    try:
        queue = RefreshQueue(settings, pool_size=pool_size).open()
        ready = queue.ready()
    except ConfigError as exc:
        click.echo(f"syndicate: configuration error: {exc}", err=True)
        sys.exit(2)
    except Exception as exc:  # procrastinate's connection errors
        fail(StoreError(f"cannot reach the task queue: {exc}"))
    if not ready:
        queue.close()
        fail(StoreError("the task queue has no tables yet: run `syndicate queue init` once"))
    return queue


def publisher_hook(settings: Settings, store: Store) -> Callable[[str, list[Article]], None] | None:
    """An ``on_change`` hook pinging WebSub hubs (and handing the changes to the built-in
    hub's subscribers) after a write outside the web processes."""
    if not (settings.websub.hubs or settings.websub.builtin):
        return None
    from syndicate.publish.websub import publish_after_write

    def on_change(_source: str, articles: list[Article]) -> None:
        publish_after_write(settings, store, articles)

    return on_change


def start_hub(settings: Settings, hub: Hub | None, scheduler: RefreshScheduler | None) -> str:
    """Start the built-in hub's worker beside a process's scheduler; a line saying how.

    In process mode every ``serve`` and ``scheduler`` does the hub's work (the store's claims
    share it out); in queue mode a scheduler hands it to the queue and workers do it, and a
    ``serve`` without a scheduler leaves it to them.
    """
    if hub is None:
        return ""
    if not queue_mode(settings):
        hub.start()
        return f"WebSub hub at {hub.url}: verifying and delivering in this process"
    enqueue = getattr(scheduler.queue, "enqueue_hub", None) if scheduler else None
    if enqueue is None:
        return f"WebSub hub at {hub.url}: its work is left to the schedulers and workers"
    hub.start(enqueue=enqueue)
    return f"WebSub hub at {hub.url}: queuing its work for `syndicate worker` processes"


def log_to_stderr() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")


T = TypeVar("T")


def with_store(settings: Settings, action: Callable[[Store], T]) -> T:
    """One store call of a command: the store opened, closed again whatever happens, and a
    :class:`StoreError` said as a database error (exit 2) rather than a traceback."""
    store = open_store(settings)
    try:
        return action(store)
    except StoreError as exc:
        fail(exc)
    finally:
        store.close()


def key_usage(created: datetime, last_used: datetime | None, revoked: datetime | None) -> str:
    """The columns ``token list`` and ``partner list`` show for a key: made, used, state."""
    used = last_used.isoformat() if last_used else "never"
    state = f"revoked {revoked.isoformat()}" if revoked else "active"
    return f"created {created.isoformat()}\tlast used {used}\t{state}"


def fail(exc: Exception) -> NoReturn:
    click.echo(f"syndicate: database error: {exc}", err=True)
    sys.exit(2)


def until_stopped(
    run: Callable[[], None], scheduler: RefreshScheduler | None, hub: Hub | None = None
) -> None:
    """Run until SIGINT or SIGTERM, then let a running refresh finish before exiting."""
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        run()
    except KeyboardInterrupt:
        pass
    finally:
        if hub is not None:
            hub.stop()
        if scheduler is not None:
            click.echo("stopping: waiting for running refreshes to finish", err=True)
            scheduler.shutdown(wait=True)
            _close_queue(scheduler)


def _close_queue(scheduler: RefreshScheduler) -> None:
    close = getattr(scheduler.queue, "close", None)
    if close is not None:
        close()


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")
