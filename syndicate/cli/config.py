"""``syndicate config docs``: the configuration reference, written from the settings code."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("config")
def config_group() -> None:
    """The configuration itself."""


@config_group.command("docs")
@click.option(
    "--write",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the reference to this file (e.g. docs/configuration.md) instead of printing it.",
)
def docs(target: Path | None) -> None:
    """Every setting with its default, type and environment variable, as Markdown."""
    from syndicate.config import reference

    text = reference()
    if target is None:
        click.echo(text, nl=False)
        return
    target.write_text(text, encoding="utf-8")
    click.echo(f"wrote {target}")
