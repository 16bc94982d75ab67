"""``syndicate refresh`` and ``syndicate sources``: refresh sources now, and see their health."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING

import click

from syndicate.cli.common import fail, open_queue, open_store, publisher_hook, require_queue_mode
from syndicate.config import Settings
from syndicate.errors import StoreError

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
    store = open_store(settings)
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


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def sources(settings: Settings, as_json: bool) -> None:
    """Show each source's health: last success and failure, failures, next run, articles."""
    import json

    from syndicate.refresh.health import source_health

    store = open_store(settings)
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
