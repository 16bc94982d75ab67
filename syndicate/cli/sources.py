"""``syndicate refresh`` and ``syndicate sources``: refresh sources now, see their health, and
add, remove, pause and resume them (``sources add|remove|pause|resume|log``).

Sources added here are kept in the store, as those added over HTTP; the scheduler picks up
every change within seconds, without a restart. The configuration file's sources are
read-only here."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING

import click

from syndicate.cli.common import fail, open_queue, open_store, publisher_hook, require_queue_mode
from syndicate.config import Settings
from syndicate.errors import StoreError
from syndicate.store import Store

if TYPE_CHECKING:
    from syndicate.refresh import RunResult
    from syndicate.refresh.health import SourceHealth


@click.command()
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
    from syndicate.refresh.roster import roster

    store = open_store(settings)
    settings = roster(settings, store).settings
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
        store.close()
        _enqueue_now(settings, list(names) or [s.name for s in settings.sources if s.enabled])
        return
    refresher = Refresher(settings, store, on_change=publisher_hook(settings, store))
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


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def sources(ctx: click.Context, as_json: bool) -> None:
    """Show each source's health: last success and failure, failures, next run, articles.

    Subcommands add, remove, pause and resume sources, and show a source's run log.
    """
    if ctx.invoked_subcommand is not None:
        return
    import json

    from syndicate.refresh.health import source_health
    from syndicate.refresh.roster import roster

    settings: Settings = ctx.obj
    store = open_store(settings)
    try:
        current = roster(settings, store)
        health = source_health(current.settings, store)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps([h.as_json() for h in health], indent=2, ensure_ascii=False))
        return
    if not health:
        click.echo("no sources are configured")
    for item in health:
        text = _health_text(item)
        if item.name in current.paused:
            text = text.replace(", disabled)", ", paused)", 1)
        click.echo(text + ("\n  added at run time" if current.is_managed(item.name) else ""))


@sources.command("add")
@click.argument("name")
@click.option("--kind", type=click.Choice(["folder", "page", "feed"]), required=True)
@click.option("--url", "urls", multiple=True, help="Feed or page URL (pages: repeatable).")
@click.option("--path", default=None, help="Folder of a folder source.")
@click.option("--category", default=None, help="Default category of its articles.")
@click.option("--interval", default=None, help="'90s', '15m', '1h30m', '1d' (default 30m).")
@click.option("--full-text", is_flag=True, help="Feeds: fetch the page of summary-only entries.")
@click.option("--allow-private", is_flag=True, help="May fetch from private addresses.")
@click.pass_obj
def add_source(
    settings: Settings,
    name: str,
    kind: str,
    urls: tuple[str, ...],
    path: str | None,
    category: str | None,
    interval: str | None,
    full_text: bool,
    allow_private: bool,
) -> None:
    """Add a source (kept in the store; the scheduler starts it within seconds)."""
    from syndicate.errors import ConfigError
    from syndicate.refresh.roster import add_source as add
    from syndicate.text.dates import utc_now

    definition: dict[str, object] = {"name": name, "kind": kind}
    if len(urls) == 1:
        definition["url"] = urls[0]
    elif urls:
        definition["urls"] = list(urls)
    optional = {"path": path, "category": category, "interval": interval}
    definition |= {key: value for key, value in optional.items() if value}
    if full_text:
        definition["full_text"] = True
    if allow_private:
        definition["allow_private"] = True
    store = open_store(settings)
    try:
        add(settings, store, definition, now=utc_now())
    except ConfigError as exc:
        click.echo(f"syndicate: {exc}", err=True)
        sys.exit(2)
    finally:
        store.close()
    click.echo(f"source {name!r} added")


@sources.command("remove")
@click.argument("name")
@click.pass_obj
def remove_source(settings: Settings, name: str) -> None:
    """Remove a source added at run time (its articles and run log stay)."""
    from syndicate.errors import ConfigError
    from syndicate.refresh.roster import remove_source as remove

    _control(settings, name, lambda store: remove(settings, store, name), ConfigError)
    click.echo(f"source {name!r} removed")


@sources.command("pause")
@click.argument("name")
@click.pass_obj
def pause_source(settings: Settings, name: str) -> None:
    """Stop scheduling a source until it is resumed."""
    from syndicate.refresh.roster import set_paused

    _control(settings, name, lambda store: set_paused(settings, store, name, True))
    click.echo(f"source {name!r} paused")


@sources.command("resume")
@click.argument("name")
@click.pass_obj
def resume_source(settings: Settings, name: str) -> None:
    """Schedule a paused source again."""
    from syndicate.refresh.roster import set_paused

    _control(settings, name, lambda store: set_paused(settings, store, name, False))
    click.echo(f"source {name!r} resumed")


@sources.command("log")
@click.argument("name")
@click.option("--limit", default=20, show_default=True, help="Runs to show, newest first.")
@click.pass_obj
def source_log(settings: Settings, name: str, limit: int) -> None:
    """A source's latest runs: when, outcome, counts and message."""
    store = open_store(settings)
    try:
        runs = store.recent_runs(name, limit=limit)
    finally:
        store.close()
    if not runs:
        click.echo(f"no runs of {name!r} yet")
    for run in runs:
        counts = f"{run.new} new, {run.updated} updated, {run.unchanged} unchanged"
        counts += f", {run.skipped} skipped"
        line = f"{run.started.isoformat()}  {run.outcome:<12} {run.duration:.2f} s  {counts}"
        click.echo(f"{line}: {run.message}" if run.message else line)


def _control(
    settings: Settings,
    name: str,
    change: Callable[[Store], None],
    refused: type[Exception] = LookupError,
) -> None:
    """Run one change on the store; an unknown source (or a refused change) exits with 2."""
    store = open_store(settings)
    try:
        change(store)
    except KeyError:
        click.echo(f"syndicate: no source named {name!r}", err=True)
        sys.exit(2)
    except refused as exc:
        click.echo(f"syndicate: {exc}", err=True)
        sys.exit(2)
    finally:
        store.close()


def _enqueue_now(settings: Settings, names: list[str]) -> None:
    require_queue_mode(settings, "refresh --enqueue")
    store = open_store(settings)
    queue = open_queue(settings)
    try:
        newest = {}
        for name in names:
            runs = store.recent_runs(name, limit=1)
            newest[name] = runs[0].started if runs else None
        queued = queue.enqueue_many(newest)
        click.echo(f"{queued} refresh(es) queued; {len(names) - queued} already waiting")
    except StoreError as exc:
        fail(exc)
    finally:
        queue.close()
        store.close()


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
