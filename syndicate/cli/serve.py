"""The long-running processes: ``syndicate serve`` (web, with the scheduler by default),
``syndicate scheduler`` and ``syndicate worker``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from syndicate import __version__
from syndicate.cli.common import (
    build_scheduler,
    listening,
    log_to_stderr,
    open_queue,
    open_store,
    publisher_hook,
    queue_mode,
    require_queue_mode,
    scheduling_line,
    start_hub,
    until_stopped,
)
from syndicate.config import Settings
from syndicate.store import Store

if TYPE_CHECKING:
    from syndicate.publish.hub import Hub
    from syndicate.refresh.schedule import RefreshScheduler


DEFAULT_THREADS = 4  # request threads per worker process


@click.command()
@click.option("--host", default=None, help="Address to listen on (default from config).")
@click.option("--port", default=None, type=int, help="Port (default from config).")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes serving requests (1 suits SQLite; about one per core past it).",
)
@click.option(
    "--threads",
    default=DEFAULT_THREADS,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Request threads per worker process.",
)
@click.option(
    "--scheduler/--no-scheduler",
    "with_scheduler",
    default=True,
    show_default=True,
    help="Refresh configured sources in this process (schedule.enabled must be on).",
)
@click.pass_obj
def serve(
    settings: Settings,
    host: str | None,
    port: int | None,
    workers: int,
    threads: int,
    with_scheduler: bool,
) -> None:
    """Serve feeds and pages with granian, a Rust HTTP server (its WSGI interface).

    granian runs the app in ``--workers`` worker processes. When sources are configured, their
    scheduler runs once, in this (the supervising) process, whatever the number of workers:
    workers never schedule, and a respawned worker does not start another scheduler. On SIGINT
    or SIGTERM the workers finish the requests in flight, then the scheduler lets running
    refreshes finish, then the command exits. The built-in hub's worker (``[websub] builtin``)
    runs here too, once, beside the scheduler.
    """
    from syndicate.cli.webserver import run_granian
    from syndicate.refresh import Refresher

    host = host or settings.server.host
    port = port or settings.server.port
    settings, line = listening(settings, host, port)
    store = open_store(settings, migrate=False)  # refuse an old schema before any worker
    scheduler = None
    if with_scheduler and settings.schedule.enabled:  # sources may be added at run time
        refresher = Refresher(settings, store, on_change=publisher_hook(settings, store))
        scheduler = build_scheduler(settings, store, refresher, blocking=False)
    click.echo(
        f"syndicate {__version__} {line} ({workers} worker process(es) x {threads} thread(s))"
    )
    if scheduler is not None:
        click.echo(scheduling_line(settings))
    hub = _builtin_hub(settings, store)
    if hub is not None:
        log_to_stderr()

    def start() -> None:
        if scheduler is not None:
            scheduler.start()
        if hub is not None:
            click.echo(start_hub(settings, hub, scheduler))

    run_granian(
        settings,
        host=host,
        port=port,
        workers=workers,
        threads=threads,
        on_start=start,
        on_stop=_stopper(scheduler, store, hub),
    )


def _builtin_hub(settings: Settings, store: Store) -> Hub | None:
    """The built-in hub's worker for this (the supervising) process, when the hub is on: the
    web workers take requests and hand it their writes through the store; this one does the
    verifications and deliveries, once, whatever the number of web workers."""
    if not settings.websub.builtin:
        return None
    from syndicate.publish.hub import Hub

    return Hub(settings, store)


def _stopper(
    scheduler: RefreshScheduler | None, store: Store, hub: Hub | None = None
) -> Callable[[], None]:
    def stop() -> None:
        if hub is not None:
            hub.stop()
        if scheduler is not None:
            click.echo("stopping: waiting for running refreshes to finish", err=True)
            scheduler.shutdown(wait=True)
        store.close()

    return stop


@click.command()
@click.pass_obj
def scheduler(settings: Settings) -> None:
    """Run the source scheduler alone (when the web processes are separate).

    In queue mode it only enqueues due sources for `syndicate worker` processes; several
    replicas may run (the queue holds one waiting job per source).
    """
    from syndicate.refresh import Refresher

    store = open_store(settings, migrate=False)
    refresher = (
        None
        if queue_mode(settings)
        else Refresher(settings, store, on_change=publisher_hook(settings, store))
    )
    running = build_scheduler(settings, store, refresher, blocking=True)
    click.echo(f"syndicate {__version__}: {scheduling_line(settings)}")
    hub = _builtin_hub(settings, store)
    if hub is not None:
        click.echo(start_hub(settings, hub, running))
    until_stopped(running.start, running, hub)


@click.command()
@click.option(
    "--concurrency",
    default=4,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Refreshes this worker runs at once.",
)
@click.option("--name", default=None, help="Worker name in logs (default: worker).")
@click.pass_obj
def worker(settings: Settings, concurrency: int, name: str | None) -> None:
    """Run refreshes from the task queue (queue mode), until SIGTERM or Ctrl-C.

    Start any number, on any machines sharing the database and the config. On SIGTERM the
    worker takes no new job and exits once its running refreshes have finished.
    """
    from syndicate.refresh import Refresher

    require_queue_mode(settings, "worker")
    store = open_store(settings, migrate=False)
    queue = open_queue(settings, pool_size=concurrency + 4)
    queue.close()  # the worker opens its own asynchronous connections
    log_to_stderr()
    refresher = Refresher(settings, store, on_change=publisher_hook(settings, store))
    hub = None
    if settings.websub.builtin:  # the built-in hub's verifications and deliveries too
        from syndicate.publish.hub import Hub

        hub = Hub(settings, store)
    click.echo(
        f"syndicate {__version__} worker: {concurrency} job(s) at once, "
        f"heartbeat every {settings.schedule.heartbeat:g} s"
        + ("; WebSub deliveries too" if hub is not None else "")
    )
    try:
        queue.run_worker(
            refresher, concurrency=concurrency, name=name, hub_work=hub.run if hub else None
        )
    finally:
        refresher.close()
        if hub is not None:
            hub.stop()
        store.close()
    click.echo("worker stopped", err=True)
