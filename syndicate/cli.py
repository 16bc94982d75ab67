"""The ``syndicate`` command: ingest files, refresh sources, list feeds, serve the site.

Each command builds :class:`Settings` once (``SYNDICATE_CONFIG`` or ``config/syndicate.toml``)
and passes it down; a configuration error is printed with its file and key, exit status 2.

At scale (``schedule.mode = "queue"``): ``syndicate queue init`` once, then ``syndicate
scheduler`` (one or more replicas) enqueues due sources and ``syndicate worker`` processes
refresh them; web processes are ``gunicorn wsgi:app`` (README, "Running at scale").
"""

from __future__ import annotations

import logging
import signal
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from syndicate import __version__
from syndicate.config import Settings, load_settings
from syndicate.errors import ConfigError, StoreError
from syndicate.sources import KINDS
from syndicate.store import Store, UpsertResult
from syndicate.text.dates import utc_now

if TYPE_CHECKING:  # imported lazily at run time: most commands need neither
    from syndicate.model import Article
    from syndicate.refresh import Refresher, RunResult
    from syndicate.refresh.health import SourceHealth
    from syndicate.refresh.queue import RefreshQueue
    from syndicate.refresh.schedule import RefreshScheduler


def main() -> None:
    """Console entry point."""
    cli(prog_name="syndicate")


@click.group()
@click.version_option(__version__, prog_name="syndicate")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """syndicate: publish articles as RSS 2.0, Atom 1.0 and clean pages."""
    try:
        ctx.obj = load_settings()
    except ConfigError as exc:
        click.echo(f"syndicate: configuration error: {exc}", err=True)
        ctx.exit(2)


def _open_store(settings: Settings, *, migrate: bool = True) -> Store:
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


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--category",
    "categories",
    multiple=True,
    help="Category for articles that name none (repeatable).",
)
@click.option(
    "--source",
    default="local",
    show_default=True,
    help="Source name; article ids are stable per source.",
)
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    default=None,
    help="Input kind for every file (default: from extension and content).",
)
@click.pass_obj
def ingest(
    settings: Settings,
    paths: tuple[Path, ...],
    categories: tuple[str, ...],
    source: str,
    kind: str | None,
) -> None:
    """Ingest article files and folders (text, Markdown, HTML, JSON)."""
    from syndicate.normalize import Defaults
    from syndicate.refresh.ingest import ingest_file
    from syndicate.sources.files import expand

    store = _open_store(settings)
    defaults = Defaults(categories=categories, language="")
    totals: Counter[UpsertResult] = Counter()
    changed: list[Article] = []
    failures = files = skipped = 0
    try:
        for path in expand(paths):
            files += 1
            outcome = ingest_file(
                path, store, now=utc_now(), source=source, defaults=defaults, kind=kind
            )
            if outcome.failed:
                failures += 1
                click.echo(f"error: {outcome.error}", err=True)
            elif outcome.skipped:
                skipped += 1
                click.echo(f"skipped: {outcome.skipped}", err=True)
            totals.update(outcome.results)
            changed.extend(outcome.changed)
        hook = _publisher_hook(settings, store)
        if hook is not None and changed:
            hook("ingest", changed)  # WebSub: one publish ping per feed whose bytes changed
    finally:
        store.close()
    click.echo(
        f"{files} file(s): {totals[UpsertResult.INSERTED]} new, "
        f"{totals[UpsertResult.UPDATED]} updated, {totals[UpsertResult.UNCHANGED]} unchanged, "
        f"{skipped} skipped, {failures} failed"
    )
    if failures:
        sys.exit(1)


@cli.command()
@click.pass_obj
def feeds(settings: Settings) -> None:
    """List every feed URL."""
    from syndicate.publish import catalog

    store = _open_store(settings)
    try:
        for spec in catalog.all_specs(store, settings):
            for fmt in catalog.FORMATS:
                click.echo(f"{catalog.feed_url(settings, spec.name, fmt)}\t{spec.title}")
    finally:
        store.close()


@cli.command()
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

    When sources are configured, their scheduler runs in the same process (the embedded
    default); stopping the server waits for a running refresh to finish.
    """
    import waitress

    from syndicate.refresh import Refresher
    from syndicate.web import change_hook, create_app
    from syndicate.web.admin import SCHEDULER_KEY

    store = _open_store(settings, migrate=False)
    app = create_app(settings, store=store)
    scheduler = None
    if with_scheduler and settings.sources and settings.schedule.enabled:
        refresher = Refresher(settings, store, on_change=change_hook(app))
        scheduler = _build_scheduler(settings, store, refresher, blocking=False)
        app.extensions[SCHEDULER_KEY] = scheduler
    host = host or settings.server.host
    port = port or settings.server.port
    click.echo(f"syndicate {__version__} serving {settings.site.base_url} on http://{host}:{port}")
    if scheduler is not None:
        click.echo(_scheduling_line(settings))
        scheduler.start()
    _until_stopped(
        lambda: waitress.serve(app, host=host, port=port, threads=threads, ident="syndicate"),
        scheduler,
    )


@cli.command()
@click.pass_obj
def scheduler(settings: Settings) -> None:
    """Run the source scheduler alone (when the web processes are separate).

    In queue mode it only enqueues due sources for `syndicate worker` processes; several
    replicas may run (the queue holds one waiting job per source).
    """
    from syndicate.refresh import Refresher

    if not settings.sources:
        click.echo("syndicate: no sources are configured; nothing to schedule", err=True)
        sys.exit(2)
    store = _open_store(settings, migrate=False)
    refresher = (
        None
        if _queue_mode(settings)
        else Refresher(settings, store, on_change=_publisher_hook(settings, store))
    )
    running = _build_scheduler(settings, store, refresher, blocking=True)
    click.echo(f"syndicate {__version__}: {_scheduling_line(settings)}")
    _until_stopped(running.start, running)


@cli.command()
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

    _require_queue_mode(settings, "worker")
    store = _open_store(settings, migrate=False)
    queue = _open_queue(settings, pool_size=concurrency + 4)
    queue.close()  # the worker opens its own asynchronous connections
    _log_to_stderr()
    refresher = Refresher(settings, store, on_change=_publisher_hook(settings, store))
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


@cli.group("queue")
def queue_group() -> None:
    """The task queue of queue mode: create its tables, see its jobs."""


@queue_group.command("init")
@click.pass_obj
def queue_init(settings: Settings) -> None:
    """Create the task queue's tables in the database (once; safe to run again)."""
    from syndicate.refresh.queue import RefreshQueue

    _require_postgresql(settings)
    try:
        with RefreshQueue(settings) as queue:
            created = queue.init()
    except (StoreError, ConfigError) as exc:
        _fail(exc)
    except Exception as exc:  # procrastinate's own errors: say which database, then why
        _fail(StoreError(f"cannot create the task queue's tables: {exc}"))
    click.echo("task queue created" if created else "task queue already there")


@queue_group.command("status")
@click.pass_obj
def queue_status(settings: Settings) -> None:
    """Show how many refresh jobs wait, run, succeeded (kept only if failed) and failed."""
    _require_postgresql(settings)
    queue = _open_queue(settings)
    try:
        counts = queue.counts()
    finally:
        queue.close()
    click.echo(
        f"waiting: {counts.todo}   running: {counts.doing}   "
        f"failed: {counts.failed}   succeeded (not yet deleted): {counts.succeeded}"
    )


@cli.command()
@click.argument("names", nargs=-1)
@click.option("--workers", default=4, show_default=True, help="Sources refreshed at once.")
@click.option(
    "--enqueue",
    is_flag=True,
    help="Queue mode: hand the sources to the workers instead of refreshing here.",
)
@click.pass_obj
def refresh(settings: Settings, names: tuple[str, ...], workers: int, enqueue: bool) -> None:
    """Refresh sources once now (default: every enabled one); exit 1 if any failed."""
    from syndicate.refresh import Outcome, Refresher

    unknown = [n for n in names if settings.source(n) is None]
    if unknown:
        known = ", ".join(s.name for s in settings.sources) or "none"
        click.echo(
            f"syndicate: no source named {', '.join(unknown)}; configured: {known}", err=True
        )
        sys.exit(2)
    total = len(names) or sum(1 for s in settings.sources if s.enabled)
    if not total:
        click.echo("no enabled sources are configured")
        return
    if enqueue:
        _enqueue_now(settings, list(names) or [s.name for s in settings.sources if s.enabled])
        return
    store = _open_store(settings)
    refresher = Refresher(settings, store, on_change=_publisher_hook(settings, store))
    try:
        results = list(
            _with_progress(refresher.refresh_many(names or None, workers=workers), total)
        )
    finally:
        refresher.close()
        store.close()
    for result in sorted(results, key=lambda r: r.source):
        click.echo(_run_line(result))
    if any(r.outcome is Outcome.FAILED for r in results):
        sys.exit(1)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def sources(settings: Settings, as_json: bool) -> None:
    """Show each source's health: last success and failure, failures, next run, articles."""
    import json

    from syndicate.refresh.health import source_health

    store = _open_store(settings)
    try:
        health = source_health(settings, store)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps([h.as_json() for h in health], indent=2, ensure_ascii=False))
        return
    if not health:
        click.echo("no sources are configured")
    for item in health:
        click.echo(_health_text(item))


@cli.command("init-db")
@click.pass_obj
def init_db(settings: Settings) -> None:
    """Create the database tables (idempotent)."""
    _open_store(settings).close()
    click.echo(f"database ready: {settings.database_url}")


# -- helpers of the source commands ----------------------------------------------------------


def _build_scheduler(
    settings: Settings, store: Store, refresher: Refresher | None, *, blocking: bool
) -> RefreshScheduler:
    """The scheduler of the configured mode: refreshing with ``refresher``, or enqueuing."""
    from syndicate.refresh.schedule import RefreshScheduler

    _log_to_stderr()
    if not _queue_mode(settings):
        assert refresher is not None
        return RefreshScheduler(settings, refresher, blocking=blocking)
    queue = _open_queue(settings)
    return RefreshScheduler(settings, store=store, queue=queue, blocking=blocking)


def _scheduling_line(settings: Settings) -> str:
    count = sum(1 for s in settings.sources if s.enabled)
    if _queue_mode(settings):
        return f"enqueuing {count} source(s) for `syndicate worker` processes when due"
    return f"refreshing {count} source(s) in this process"


def _queue_mode(settings: Settings) -> bool:
    return settings.schedule.mode == "queue"


def _require_queue_mode(settings: Settings, command: str) -> None:
    if not _queue_mode(settings):
        click.echo(
            f'syndicate: `{command}` needs schedule.mode = "queue" (or '
            f"SYNDICATE_SCHEDULE_MODE=queue); in mode {settings.schedule.mode!r} "
            f"sources are refreshed by the scheduler itself",
            err=True,
        )
        sys.exit(2)


def _require_postgresql(settings: Settings) -> None:
    from syndicate.config import is_postgresql_url

    if not is_postgresql_url(settings.database_url):
        click.echo(
            f"syndicate: the task queue lives in PostgreSQL; the database is "
            f"{settings.database_url}",
            err=True,
        )
        sys.exit(2)


def _open_queue(settings: Settings, *, pool_size: int = 4) -> RefreshQueue:
    """The opened task queue; exits with a message when it cannot be used."""
    from syndicate.refresh.queue import RefreshQueue

    try:
        queue = RefreshQueue(settings, pool_size=pool_size).open()
        ready = queue.ready()
    except ConfigError as exc:
        click.echo(f"syndicate: configuration error: {exc}", err=True)
        sys.exit(2)
    except Exception as exc:  # procrastinate's connection errors
        _fail(StoreError(f"cannot reach the task queue: {exc}"))
    if not ready:
        queue.close()
        _fail(StoreError("the task queue has no tables yet: run `syndicate queue init` once"))
    return queue


def _enqueue_now(settings: Settings, names: list[str]) -> None:
    _require_queue_mode(settings, "refresh --enqueue")
    store = _open_store(settings)
    queue = _open_queue(settings)
    try:
        newest = {}
        for name in names:
            runs = store.recent_runs(name, limit=1)
            newest[name] = runs[0].started if runs else None
        queued = queue.enqueue_many(newest)
        click.echo(f"{queued} refresh(es) queued; {len(names) - queued} already waiting")
    except StoreError as exc:
        _fail(exc)
    finally:
        queue.close()
        store.close()


def _publisher_hook(
    settings: Settings, store: Store
) -> Callable[[str, list[Article]], None] | None:
    """An ``on_change`` hook pinging WebSub hubs after a write outside the web processes."""
    if not settings.websub.hubs:
        return None
    from syndicate.publish.websub import publish_after_write

    def on_change(_source: str, articles: list[Article]) -> None:
        publish_after_write(settings, store, articles)

    return on_change


def _log_to_stderr() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")


def _fail(exc: Exception) -> NoReturn:
    click.echo(f"syndicate: database error: {exc}", err=True)
    sys.exit(2)


def _until_stopped(run: Callable[[], None], scheduler: RefreshScheduler | None) -> None:
    """Run until SIGINT or SIGTERM, then let a running refresh finish before exiting."""
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        run()
    except KeyboardInterrupt:
        pass
    finally:
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


def _with_progress(results: Iterable[RunResult], total: int) -> Iterator[RunResult]:
    """The results, with a progress bar on stderr when it is a terminal."""
    if not sys.stderr.isatty():
        yield from results
        return
    with click.progressbar(results, length=total, label="refreshing", file=sys.stderr) as bar:
        yield from bar


def _run_line(result: RunResult) -> str:
    counts = (
        f"{result.new} new, {result.updated} updated, {result.unchanged} unchanged, "
        f"{result.skipped} skipped"
    )
    if result.removed:
        counts += f", {result.removed} removed"
    line = f"{result.source}: {result.outcome} in {result.duration:.2f} s ({counts})"
    return f"{line}: {result.message}" if result.message else line


def _health_text(item: SourceHealth) -> str:
    def when(value: datetime | None) -> str:
        return value.isoformat() if value else "never"

    lines = [
        f"{item.name} ({item.kind}{'' if item.enabled else ', disabled'}): "
        f"{' '.join(item.locations)}",
        f"  articles: {item.articles}   every {item.interval} s   next run: "
        f"{when(item.next_run) if item.enabled else '-'}",
        f"  last success: {when(item.last_success)}   consecutive failures: "
        f"{item.consecutive_failures}",
    ]
    if item.last_failure:
        lines.append(f"  last failure: {when(item.last_failure)}: {item.failure_message}")
    return "\n".join(lines)


def _register_inspection() -> None:
    from syndicate.dbcli import db_group
    from syndicate.inspect import normalize_command

    cli.add_command(normalize_command, "normalize")
    cli.add_command(db_group, "db")


_register_inspection()
