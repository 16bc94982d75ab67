"""``syndicate websub subscriptions``: the built-in hub's subscriptions (``[websub] builtin``).

Each with its topic, callback, state (``active``, ``failing``, ``expired``, ``unsubscribed``,
``gone``), lease end, last delivery and failures in a row. Secrets are never shown; the JSON
says whether a subscription has one.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click

from syndicate.cli.common import with_store
from syndicate.config import Settings
from syndicate.store.hub import Subscription


@click.group("websub")
def websub_group() -> None:
    """The built-in WebSub hub: its subscriptions."""


@websub_group.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--topic", default=None, help="Only the subscriptions of this feed URL.")
@click.pass_obj
def subscriptions(settings: Settings, as_json: bool, topic: str | None) -> None:
    """Every subscription: topic, callback, state, lease end, last delivery, failures."""
    found = with_store(settings, lambda store: store.hub.subscriptions(topic))
    if as_json:
        click.echo(json.dumps([subscription_json(s) for s in found], indent=2))
        return
    if not settings.websub.builtin:
        click.echo("the built-in hub is off ([websub] builtin = true turns it on)", err=True)
    if not found:
        click.echo("no subscriptions")
    for s in found:
        click.echo(
            f"{s.topic}\t{s.callback}\t{s.state}\tlease until {_when(s.lease_end)}\t"
            f"last delivery {_when(s.last_delivery)}\t{s.failures} failure(s)"
            + (f" ({s.last_status})" if s.failures and s.last_status else "")
        )


def subscription_json(subscription: Subscription) -> dict[str, Any]:
    """A subscription as ``--json`` prints it: everything but the secret."""
    s = subscription
    return {
        "topic": s.topic,
        "callback": s.callback,
        "state": s.state,
        "lease_seconds": s.lease_seconds,
        "lease_end": s.lease_end.isoformat(),
        "created": s.created.isoformat(),
        "verified": s.verified.isoformat(),
        "signed": s.secret is not None,
        "last_delivery": _iso(s.last_delivery),
        "last_attempt": _iso(s.last_attempt),
        "last_status": s.last_status,
        "failures": s.failures,
        "failing_since": _iso(s.failing_since),
        "next_attempt": _iso(s.next_attempt),
    }


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def _when(when: datetime | None) -> str:
    return when.isoformat() if when else "never"
