"""``syndicate export DIR``: the whole site as files, for nginx or a CDN to serve."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from syndicate.cli.common import open_store
from syndicate.config import Settings
from syndicate.errors import ExportError


@click.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--listen",
    default="80",
    show_default=True,
    help="What the nginx site file listens on (nginx's `listen`: a port or address:port).",
)
@click.pass_obj
def export_command(settings: Settings, folder: Path, listen: str) -> None:
    """Write every feed (all formats, archives, OPML), page and style sheet into FOLDER, each
    with .gz and .br copies, plus FOLDER/syndicate-nginx.conf to serve them.

    Only files whose bytes changed are written: run it after every change, or on a timer.
    """
    from syndicate.publish.export import NGINX_FILE, export

    store = open_store(settings, migrate=False)
    try:
        report = export(store, settings, folder, listen=listen)
    except ExportError as exc:
        click.echo(f"syndicate: export failed: {exc}", err=True)
        sys.exit(1)
    finally:
        store.close()
    click.echo(
        f"{report.documents} documents in {folder}: {len(report.written)} written, "
        f"{report.unchanged} unchanged, {len(report.removed)} removed; "
        f"nginx site file: {folder / NGINX_FILE}"
    )
