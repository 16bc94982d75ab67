"""The ``syndicate`` command: ingest files, refresh sources, list feeds, serve the site.

Each command builds :class:`Settings` once (``SYNDICATE_CONFIG`` or ``config/syndicate.toml``)
and passes it down; a configuration error is printed with its file and key, exit status 2.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from syndicate import __version__
from syndicate.config import Settings, load_settings
from syndicate.dates import utc_now
from syndicate.errors import ConfigError, StoreError
from syndicate.sources import KINDS
from syndicate.store import Store, UpsertResult

if TYPE_CHECKING:  # imported lazily at run time: most commands need neither
    from syndicate.refresh import RunResult
    from syndicate.schedule import RefreshScheduler, SourceHealth


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


def _open_store(settings: Settings) -> Store:
    try:
        store = Store(settings.database_url)
        store.create_schema()
    except StoreError as exc:
        click.echo(f"syndicate: database error: {exc}", err=True)
        sys.exit(2)
    return store


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--category", "categories", multiple=True,
              help="Category for articles that name none (repeatable).")
@click.option("--source", default="local", show_default=True,
              help="Source name; article ids are stable per source.")
@click.option("--kind", type=click.Choice(KINDS), default=None,
              help="Input kind for every file (default: from extension and content).")
@click.pass_obj
def ingest(settings: Settings, paths: tuple[Path, ...], categories: tuple[str, ...],
           source: str, kind: str | None) -> None:
    """Ingest article files and folders (text, Markdown, HTML, JSON)."""
    from syndicate.ingest import expand_paths, ingest_file
    from syndicate.normalize import Defaults

    store = _open_store(settings)
    defaults = Defaults(categories=categories, language="")
    totals: Counter[UpsertResult] = Counter()
    failures = files = skipped = 0
    try:
        for path in expand_paths(paths):
            files += 1
            outcome = ingest_file(path, store, now=utc_now(), source=source,
                                  defaults=defaults, kind=kind)
            if outcome.failed:
                failures += 1
                click.echo(f"error: {outcome.error}", err=True)
            elif outcome.skipped:
                skipped += 1
                click.echo(f"skipped: {outcome.skipped}", err=True)
            totals.update(outcome.results)
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
    from syndicate import channels

    store = _open_store(settings)
    try:
        for spec in channels.all_specs(store, settings):
            for fmt in channels.FORMATS:
                click.echo(f"{channels.feed_url(settings, spec.name, fmt)}\t{spec.title}")
    finally:
        store.close()


@cli.command()
@click.option("--host", default=None, help="Address to listen on (default from config).")
@click.option("--port", default=None, type=int, help="Port (default from config).")
@click.option("--threads", default=8, show_default=True, help="Request threads.")
@click.option("--scheduler/--no-scheduler", "with_scheduler", default=True, show_default=True,
              help="Refresh configured sources in this process (schedule.enabled must be on).")
@click.pass_obj
def serve(settings: Settings, host: str | None, port: int | None, threads: int,
          with_scheduler: bool) -> None:
    """Serve feeds and pages with a production WSGI server (waitress).

    When sources are configured, their scheduler runs in the same process (the embedded
    default); stopping the server waits for a running refresh to finish.
    """
    import waitress

    from syndicate.web import create_app
    from syndicate.web.admin import SCHEDULER_KEY

    store = _open_store(settings)
    app = create_app(settings, store=store)
    scheduler = None
    if with_scheduler and settings.sources and settings.schedule.enabled:
        scheduler = _build_scheduler(settings, store, blocking=False)
        app.extensions[SCHEDULER_KEY] = scheduler
    host = host or settings.server.host
    port = port or settings.server.port
    click.echo(f"syndicate {__version__} serving {settings.site.base_url} on http://{host}:{port}")
    if scheduler is not None:
        click.echo(f"refreshing {len(settings.sources)} source(s) in this process")
        scheduler.start()
    _until_stopped(lambda: waitress.serve(app, host=host, port=port, threads=threads,
                                          ident="syndicate"), scheduler)


@cli.command()
@click.pass_obj
def scheduler(settings: Settings) -> None:
    """Run the source scheduler alone (when the web processes are separate)."""
    if not settings.sources:
        click.echo("syndicate: no sources are configured; nothing to schedule", err=True)
        sys.exit(2)
    running = _build_scheduler(settings, _open_store(settings), blocking=True)
    click.echo(f"syndicate {__version__} scheduling {len(settings.sources)} source(s)")
    _until_stopped(running.start, running)


@cli.command()
@click.argument("names", nargs=-1)
@click.option("--workers", default=4, show_default=True, help="Sources refreshed at once.")
@click.pass_obj
def refresh(settings: Settings, names: tuple[str, ...], workers: int) -> None:
    """Refresh sources once now (default: every enabled one); exit 1 if any failed."""
    from syndicate.refresh import Outcome, Refresher

    unknown = [n for n in names if settings.source(n) is None]
    if unknown:
        known = ", ".join(s.name for s in settings.sources) or "none"
        click.echo(f"syndicate: no source named {', '.join(unknown)}; configured: {known}",
                   err=True)
        sys.exit(2)
    total = len(names) or sum(1 for s in settings.sources if s.enabled)
    if not total:
        click.echo("no enabled sources are configured")
        return
    store = _open_store(settings)
    refresher = Refresher(settings, store)
    try:
        results = list(_with_progress(refresher.refresh_many(names or None, workers=workers),
                                      total))
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

    from syndicate.schedule import source_health

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


def _build_scheduler(settings: Settings, store: Store, *, blocking: bool) -> RefreshScheduler:
    from syndicate.refresh import Refresher
    from syndicate.schedule import RefreshScheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    return RefreshScheduler(settings, Refresher(settings, store), blocking=blocking)


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


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _with_progress(results: Iterable[RunResult], total: int) -> Iterator[RunResult]:
    """The results, with a progress bar on stderr when it is a terminal."""
    if not sys.stderr.isatty():
        yield from results
        return
    with click.progressbar(results, length=total, label="refreshing",
                           file=sys.stderr) as bar:
        yield from bar


def _run_line(result: RunResult) -> str:
    counts = (f"{result.new} new, {result.updated} updated, {result.unchanged} unchanged, "
              f"{result.skipped} skipped")
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
    from syndicate.inspect import normalize_command

    cli.add_command(normalize_command, "normalize")


_register_inspection()
