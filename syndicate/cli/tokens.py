"""``syndicate token create|list|revoke``: API tokens for the articles API, Micropub and the
admin. A new token is printed once; only its hash is stored."""

from __future__ import annotations

import sys

import click

from syndicate.cli.common import key_usage, open_store, with_store
from syndicate.config import Settings
from syndicate.errors import StoreError
from syndicate.store import PUBLISH, SCOPES
from syndicate.text.dates import utc_now


@click.group("token")
def token_group() -> None:
    """API tokens: create (shown once), list, revoke."""


@token_group.command()
@click.argument("name")
@click.option(
    "--scope",
    type=click.Choice(SCOPES),
    default=PUBLISH,
    show_default=True,
    help="publish: articles API and Micropub; admin: everything, the admin pages too.",
)
@click.pass_obj
def create(settings: Settings, name: str, scope: str) -> None:
    """Make a token; it is printed once and cannot be shown again."""
    store = open_store(settings)
    try:
        token, secret = store.tokens.create(name, scope, now=utc_now())
    except StoreError as exc:
        click.echo(f"syndicate: {exc}", err=True)
        sys.exit(2)
    finally:
        store.close()
    click.echo(secret)
    click.echo(
        f"token {token.name!r} ({token.scope}) created; it is shown this once only: "
        "store it now (send it as 'Authorization: Bearer <token>')",
        err=True,
    )


@token_group.command("list")
@click.pass_obj
def list_tokens(settings: Settings) -> None:
    """Every token: name, scope, created, last used, revoked."""
    tokens = with_store(settings, lambda store: store.tokens.list())
    if not tokens:
        click.echo("no tokens; make one with `syndicate token create NAME`")
    for token in tokens:
        usage = key_usage(token.created, token.last_used, token.revoked)
        click.echo(f"{token.name}\t{token.scope}\t{usage}")


@token_group.command()
@click.argument("name")
@click.pass_obj
def revoke(settings: Settings, name: str) -> None:
    """Revoke a token at once (sessions made with it end too)."""
    done = with_store(settings, lambda store: store.tokens.revoke(name, now=utc_now()))
    if not done:
        click.echo(f"syndicate: no active token named {name!r}", err=True)
        sys.exit(1)
    click.echo(f"token {name!r} revoked")
