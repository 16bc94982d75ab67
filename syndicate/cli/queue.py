"""``syndicate queue``: the task queue of queue mode (create its tables, see its jobs)."""

from __future__ import annotations

import click

from syndicate.cli.common import fail, open_queue, require_postgresql
from syndicate.config import Settings
from syndicate.errors import ConfigError, StoreError


@click.group("queue")
def queue_group() -> None:
    """The task queue of queue mode: create its tables, see its jobs."""


@queue_group.command("init")
@click.pass_obj
def queue_init(settings: Settings) -> None:
    """Create the task queue's tables in the database (once; safe to run again)."""
    from syndicate.refresh.queue import RefreshQueue

    require_postgresql(settings)
    try:
        with RefreshQueue(settings) as queue:
            created = queue.init()
    except (StoreError, ConfigError) as exc:
        fail(exc)
    except Exception as exc:  # procrastinate's own errors: say which database, then why
        fail(StoreError(f"cannot create the task queue's tables: {exc}"))
    click.echo("task queue created" if created else "task queue already there")


@queue_group.command("status")
@click.pass_obj
def queue_status(settings: Settings) -> None:
    """Show how many refresh jobs wait, run, succeeded (kept only if failed) and failed."""
    require_postgresql(settings)
    queue = open_queue(settings)
    try:
        counts = queue.counts()
    finally:
        queue.close()
    click.echo(
        f"waiting: {counts.todo}   running: {counts.doing}   "
        f"failed: {counts.failed}   succeeded (not yet deleted): {counts.succeeded}"
    )
