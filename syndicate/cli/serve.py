"""The long-running processes: ``syndicate serve`` (web, with the scheduler by default),
``syndicate scheduler`` and ``syndicate worker``."""

from __future__ import annotations

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
    until_stopped,
)
from syndicate.config import Settings


@click.command()
@click.option("--host", default=None, help="Address to listen on (default from config).")
@click.option("--port", default=None, type=int, help="Port (default from config).")
@click.option("--threads", default=8, show_default=True, help="Request threads.")
@click.option(
    "--scheduler/--no-scheduler",
    "with_scheduler",
    default=True,
    show_default=True,
    help="Refresh configured sources in this process (schedule.enabled must be on).",
)
@click.pass_obj
def serve(
    settings: Settings, host: str | None, port: int | None, threads: int, with_scheduler: bool
) -> None:
    """Serve feeds and pages with a production WSGI server (waitress).

    The scheduler runs in the same process (the embedded default): the configured sources and
    those added at run time; stopping the server waits for a running refresh to finish.
    """
    import waitress

    from syndicate.refresh import Refresher
    from syndicate.web import SCHEDULER_KEY, change_hook, create_app

    host = host or settings.server.host
    port = port or settings.server.port
    settings, line = listening(settings, host, port)
    store = open_store(settings, migrate=False)
    app = create_app(settings, store=store)
    scheduler = None
    if with_scheduler and settings.schedule.enabled:  # sources may be added at run time
        refresher = Refresher(settings, store, on_change=change_hook(app))
        scheduler = build_scheduler(settings, store, refresher, blocking=False)
        app.extensions[SCHEDULER_KEY] = scheduler
    click.echo(f"syndicate {__version__} {line}")
    if scheduler is not None:
        click.echo(scheduling_line(settings))
        scheduler.start()
    until_stopped(
        lambda: waitress.serve(app, host=host, port=port, threads=threads, ident="syndicate"),
        scheduler,
    )


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
    until_stopped(running.start, running)


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
    click.echo(
        f"syndicate {__version__} worker: {concurrency} refresh(es) at once, "
        f"heartbeat every {settings.schedule.heartbeat:g} s"
    )
    try:
        queue.run_worker(refresher, concurrency=concurrency, name=name)
    finally:
        refresher.close()
        store.close()
    click.echo("worker stopped", err=True)
