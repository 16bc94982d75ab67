"""The ``syndicate`` command: one module per command group, joined here.

Each command builds :class:`Settings` once (``SYNDICATE_CONFIG`` or ``config/syndicate.toml``)
in the group's callback and receives it; a configuration error is printed with its file and
key, exit status 2.

- :mod:`.ingest`: ``ingest``; :mod:`.normalize`: ``normalize``; :mod:`.feeds`: ``feeds``;
- :mod:`.sources`: ``refresh`` and ``sources``;
- :mod:`.serve`: ``serve``, ``scheduler``, ``worker``; :mod:`.queue`: ``queue init|status``;
- :mod:`.db`: ``db upgrade|current``; :mod:`.tokens`: ``token create|list|revoke``;
- :mod:`.articles`: ``articles list|show|unpublish|publish|delete``;
- :mod:`.export`: ``export DIR``;
- :mod:`.config`: ``config docs`` (the configuration reference);
- :mod:`.websub`: ``websub subscriptions``; :mod:`.stats`: ``stats``;
  :mod:`.partners`: ``partner create|list|revoke``.

At scale (``schedule.mode = "queue"``): ``syndicate queue init`` once, then ``syndicate
scheduler`` (one or more replicas) enqueues due sources and ``syndicate worker`` processes
refresh them (README, "Running at scale").
"""

from __future__ import annotations

import click

from syndicate import __version__
from syndicate.cli.articles import articles_group
from syndicate.cli.config import config_group
from syndicate.cli.db import db_group
from syndicate.cli.export import export_command
from syndicate.cli.feeds import feeds
from syndicate.cli.ingest import ingest
from syndicate.cli.normalize import normalize_command
from syndicate.cli.partners import partner_group
from syndicate.cli.queue import queue_group
from syndicate.cli.serve import scheduler, serve, worker
from syndicate.cli.sources import refresh, sources
from syndicate.cli.stats import stats
from syndicate.cli.tokens import token_group
from syndicate.cli.websub import websub_group
from syndicate.config import load_settings
from syndicate.errors import ConfigError


def main() -> None:
    """Console entry point."""
    cli(prog_name="syndicate")


@click.group()
@click.version_option(__version__, prog_name="syndicate")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """syndicate: publish articles as RSS 2.0, Atom 1.0, JSON Feed and clean pages."""
    try:
        ctx.obj = load_settings()
    except ConfigError as exc:
        click.echo(f"syndicate: configuration error: {exc}", err=True)
        ctx.exit(2)


for command in (
    ingest,
    normalize_command,
    feeds,
    refresh,
    sources,
    serve,
    scheduler,
    worker,
    export_command,
):
    cli.add_command(command)
cli.add_command(queue_group, "queue")
cli.add_command(db_group, "db")
cli.add_command(token_group, "token")
cli.add_command(articles_group, "articles")
cli.add_command(config_group, "config")
cli.add_command(websub_group, "websub")
cli.add_command(partner_group, "partner")
cli.add_command(stats)
