"""``syndicate db``: bring the database schema up to date, and say where it stands.

Servers refuse to start on a schema older than the code needs (:meth:`Store.check_schema`);
this is the command their message names. It runs on the database of the settings the ``cli``
group loaded (``SYNDICATE_DATABASE_URL`` or ``database.url``).
"""

from __future__ import annotations

import sys

import click

from syndicate.cli.common import fail
from syndicate.config import Settings, load_settings
from syndicate.errors import ConfigError, StoreError
from syndicate.store import Store


@click.group("db")
def db_group() -> None:
    """Database schema: upgrade it, or show its revision."""


@db_group.command()
@click.option("--to", "target", default="head", show_default=True, help="Revision to upgrade to.")
@click.pass_context
def upgrade(ctx: click.Context, target: str) -> None:
    """Apply the pending schema migrations (safe to run again)."""
    store = _open(ctx)
    try:
        before = store.revision()
        ran = store.upgrade(target)
        after = store.revision()
    except StoreError as exc:
        fail(exc)
    finally:
        store.close()
    if ran:
        click.echo(f"database upgraded from revision {before or 'none'} to {after}")
    else:
        click.echo(f"database already at revision {after}")


@db_group.command()
@click.pass_context
def current(ctx: click.Context) -> None:
    """Show the database's schema revision and the one this version needs."""
    store = _open(ctx)
    try:
        found = store.revision()
        needed = store.head_revision()
    except StoreError as exc:
        fail(exc)
    finally:
        store.close()
    state = "up to date" if found == needed else "run `syndicate db upgrade`"
    click.echo(f"database revision: {found or 'none'}")
    click.echo(f"needed revision:   {needed} ({state})")


def _open(ctx: click.Context) -> Store:
    """A store on the configured database; the settings come from the parent group if any."""
    settings = ctx.find_object(Settings)
    try:
        if settings is None:
            settings = load_settings()
        return Store(settings.database_url)
    except ConfigError as exc:
        click.echo(f"syndicate: configuration error: {exc}", err=True)
        sys.exit(2)
    except StoreError as exc:
        fail(exc)
