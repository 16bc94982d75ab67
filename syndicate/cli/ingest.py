"""``syndicate ingest``: read local files and folders into the store."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click

from syndicate.cli.common import open_store, publisher_hook
from syndicate.config import Settings
from syndicate.model import Article
from syndicate.sources import KINDS
from syndicate.store import UpsertResult
from syndicate.text.dates import utc_now


@click.command()
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
    from syndicate.refresh.harvest import limits_of
    from syndicate.refresh.ingest import ingest_files
    from syndicate.sources.files import expand

    store = open_store(settings)
    defaults = Defaults(categories=categories, language="")
    totals: Counter[UpsertResult] = Counter()
    changed: list[Article] = []
    failures = files = skipped = 0
    try:
        outcomes = ingest_files(
            expand(paths),
            store,
            now=utc_now(),
            source=source,
            defaults=defaults,
            kind=kind,
            limits=limits_of(settings),
        )
        for outcome in outcomes:
            files += 1
            if outcome.note:  # a repaired encoding, a title cut: said, never silent
                click.echo(f"note: {outcome.note}", err=True)
            if outcome.failed:
                failures += 1
                click.echo(f"error: {outcome.error}", err=True)
            elif outcome.skipped:
                skipped += 1
                click.echo(f"skipped: {outcome.skipped}", err=True)
            totals.update(outcome.results)
            changed.extend(outcome.changed)
        hook = publisher_hook(settings, store)
        if hook is not None and changed:
            hook("ingest", changed)  # WebSub: one publish ping per feed whose bytes changed
    finally:
        store.close()
    click.echo(
        f"{files} file(s): {totals[UpsertResult.INSERTED]} new, "
        f"{totals[UpsertResult.UPDATED]} updated, {totals[UpsertResult.UNCHANGED]} unchanged, "
        f"{skipped} skipped, {failures} failed"
        + (
            f", {totals[UpsertResult.WITHHELD]} withheld (removed by an editor)"
            if totals[UpsertResult.WITHHELD]
            else ""
        )
    )
    if failures:
        sys.exit(1)
