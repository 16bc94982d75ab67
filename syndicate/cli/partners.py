"""``syndicate partner create|list|revoke``: sites that pull the feeds on their own terms.

``create`` prints the partner's read key once (only its hash is stored, as for API tokens);
the partner sends it as ``Authorization: Bearer <key>`` or ``?key=<key>`` on any feed URL and
gets its view: only the categories granted (all when none are), full text where granted.
``revoke`` refuses the key from the next request on.
"""

from __future__ import annotations

import sys

import click

from syndicate.cli.common import key_usage, open_store, with_store
from syndicate.config import Settings
from syndicate.errors import StoreError
from syndicate.store import Store
from syndicate.text.dates import utc_now
from syndicate.text.slugs import slugify


@click.group("partner")
def partner_group() -> None:
    """Partners: create (the key is shown once), list, revoke."""


@partner_group.command()
@click.argument("name")
@click.option("--categories", default="", help="Comma-separated category names (default: all).")
@click.option("--full-text", is_flag=True, help="Full text even in summary-only categories.")
@click.pass_obj
def create(settings: Settings, name: str, categories: str, full_text: bool) -> None:
    """Make a partner and its key; the key is printed once and cannot be shown again."""
    names = [c.strip() for c in categories.split(",") if c.strip()]
    store = open_store(settings)
    try:
        unknown = _unknown_categories(store, settings, names)
        if unknown:
            click.echo(
                f"syndicate: note: no article is in {', '.join(unknown)} yet; the partner "
                "will read them once there are",
                err=True,
            )
        partner, key = store.partners.create(name, names, full_text=full_text, now=utc_now())
    except StoreError as exc:
        click.echo(f"syndicate: {exc}", err=True)
        sys.exit(2)
    finally:
        store.close()
    click.echo(key)
    click.echo(
        f"partner {partner.name!r} created ({_terms(partner.categories, partner.full_text)}); "
        "its key is shown this once only: hand it over now (sent as 'Authorization: Bearer "
        "<key>' or '?key=<key>' on any feed URL)",
        err=True,
    )


@partner_group.command("list")
@click.pass_obj
def list_partners(settings: Settings) -> None:
    """Every partner: name, terms, created, last used, revoked."""
    found = with_store(settings, lambda store: store.partners.list())
    if not found:
        click.echo("no partners; make one with `syndicate partner create NAME`")
    for partner in found:
        usage = key_usage(partner.created, partner.last_used, partner.revoked)
        click.echo(f"{partner.name}\t{_terms(partner.categories, partner.full_text)}\t{usage}")


@partner_group.command()
@click.argument("name")
@click.pass_obj
def revoke(settings: Settings, name: str) -> None:
    """Revoke a partner's key: refused from the next request on."""
    done = with_store(settings, lambda store: store.partners.revoke(name, now=utc_now()))
    if not done:
        click.echo(f"syndicate: no partner with a live key named {name!r}", err=True)
        sys.exit(1)
    click.echo(f"partner {name!r} revoked")


def _terms(categories: tuple[str, ...], full_text: bool) -> str:
    shown = ", ".join(categories) if categories else "all categories"
    return f"{shown}; {'full text' if full_text else 'as the public'}"


def _unknown_categories(store: Store, settings: Settings, names: list[str]) -> list[str]:
    """The names no stored article has as a category and the configuration does not declare."""
    known = {c.slug for c in store.categories()} | {slugify(c.name) for c in settings.categories}
    return [name for name in names if slugify(name) not in known]
