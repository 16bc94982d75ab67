"""``syndicate feeds``: every feed URL of the site."""

from __future__ import annotations

import click

from syndicate.cli.common import open_store
from syndicate.config import Settings


@click.command()
@click.pass_obj
def feeds(settings: Settings) -> None:
    """List every feed URL."""
    from syndicate.publish import catalog

    store = open_store(settings)
    try:
        for spec in catalog.all_specs(store, settings):
            for fmt in catalog.FORMATS:
                click.echo(f"{catalog.feed_url(settings, spec.name, fmt)}\t{spec.title}")
    finally:
        store.close()
