"""The ``syndicate`` command: ingest files, list feeds, serve the site.

Each command builds :class:`Settings` once (``SYNDICATE_CONFIG`` or ``config/syndicate.toml``)
and passes it down; a configuration error is printed with its file and key, exit status 2.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click

from syndicate import __version__
from syndicate.config import Settings, load_settings
from syndicate.dates import utc_now
from syndicate.errors import ConfigError, StoreError
from syndicate.sources import KINDS
from syndicate.store import Store, UpsertResult


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
@click.pass_obj
def serve(settings: Settings, host: str | None, port: int | None, threads: int) -> None:
    """Serve feeds and pages with a production WSGI server (waitress)."""
    import waitress

    from syndicate.web import create_app

    app = create_app(settings, store=_open_store(settings))
    host = host or settings.server.host
    port = port or settings.server.port
    click.echo(f"syndicate {__version__} serving {settings.site.base_url} on http://{host}:{port}")
    waitress.serve(app, host=host, port=port, threads=threads, ident="syndicate")


@cli.command("init-db")
@click.pass_obj
def init_db(settings: Settings) -> None:
    """Create the database tables (idempotent)."""
    _open_store(settings).close()
    click.echo(f"database ready: {settings.database_url}")
