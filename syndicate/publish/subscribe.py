"""Subscription requests to the built-in hub (W3C WebSub, 23 January 2018, §5.1), checked.

A request is a form POST with ``hub.callback``, ``hub.mode`` (``subscribe`` or
``unsubscribe``), ``hub.topic`` and, optionally, ``hub.lease_seconds`` and ``hub.secret``.
:func:`check_request` refuses, with the status and a reason the hub sends back, everything
that cannot become a subscription:

- a topic that is not one of this site's feeds: the subscription document of a feed that
  exists, ``<base>/feeds/<name>.rss|atom|json`` exactly as its ``rel="self"`` says (no
  ``?limit=`` cut, no archive page: those never change or are not what readers follow);
- a callback that is not an absolute http(s) URL, has a fragment, is over
  :data:`MAX_CALLBACK` characters or names a private, loopback or link-local address (unless
  private networks are allowed: ``SYNDICATE_ALLOW_PRIVATE_NETWORKS=1``). Host names are
  checked again, resolved, by the guarded fetcher when it calls them;
- a lease that is not a whole number of seconds above 0 (a longer one than the hub allows is
  cut to ``websub.max_lease_seconds``: §5.1 lets the hub decide; absent, it is
  ``websub.lease_seconds``);
- a secret of 200 bytes or more (§5.1.1 "MUST be less than 200 bytes"), or sent for a plain
  http callback, where the signature would travel beside it in clear (allowed too when private
  networks are, for tests);
- ``hub.mode=publish``: this hub publishes the site's own feeds the moment they change.

What passes is kept in the store and answered ``202 Accepted``; the intent is verified later,
away from the request (:mod:`.delivery`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from syndicate.config import Settings
from syndicate.errors import SubscriptionRefused, UnknownFeed
from syndicate.publish import catalog
from syndicate.sources.fetch import address_problem
from syndicate.store import Store
from syndicate.store.hub import SUBSCRIBE, UNSUBSCRIBE

MAX_CALLBACK = 2048  # characters; a subscription's key, indexed with its topic
MAX_SECRET_BYTES = 199
MAX_WAITING = 10_000  # requests waiting for verification; past it the hub asks to come back


@dataclass(frozen=True, slots=True)
class HubRequest:
    """A request the hub accepted, as it will be verified."""

    mode: str
    topic: str
    callback: str
    lease_seconds: int
    secret: str | None


def check_request(form: Mapping[str, str], settings: Settings, store: Store) -> HubRequest:
    """The request in ``form``, or :class:`SubscriptionRefused` saying what is wrong."""
    mode = form.get("hub.mode", "").strip()
    if mode == "publish":
        raise SubscriptionRefused(
            "hub.mode=publish: this hub publishes this site's own feeds when they change; "
            "there is nothing to ping"
        )
    if mode not in (SUBSCRIBE, UNSUBSCRIBE):
        raise SubscriptionRefused(
            f"hub.mode must be subscribe or unsubscribe, got {mode!r}" if mode else _missing("mode")
        )
    callback = _callback(form.get("hub.callback", "").strip(), settings)
    topic = check_topic(form.get("hub.topic", "").strip(), settings, store)
    secret = form.get("hub.secret") or None
    if mode == UNSUBSCRIBE:
        secret = None  # §5.1: only a subscription signs
    elif secret is not None:
        _check_secret(secret, callback, settings)
    return HubRequest(
        mode, topic, callback, _lease(form.get("hub.lease_seconds"), settings), secret
    )


def check_topic(topic: str, settings: Settings, store: Store) -> str:
    """``topic`` when it is the URL of a feed of this site that exists; else refused."""
    if not topic:
        raise SubscriptionRefused(_missing("topic"))
    parsed = parse_topic(topic, settings)
    if parsed is None:
        raise SubscriptionRefused(
            f"hub.topic {topic!r} is not a feed of this site: topics are "
            f"{settings.site.base_url}/feeds/<name>.rss, .atom or .json",
            404,
        )
    try:
        catalog.resolve(parsed[0], store, settings)
    except UnknownFeed as exc:
        raise SubscriptionRefused(f"hub.topic {topic!r}: {exc}", 404) from exc
    return topic


def parse_topic(topic: str, settings: Settings) -> tuple[str, str] | None:
    """``(feed name, format)`` of a subscription document's URL on this site, else None."""
    prefix = f"{settings.site.base_url}/feeds/"
    if not topic.startswith(prefix) or "?" in topic or "#" in topic:
        return None
    stem, dot, fmt = topic.removeprefix(prefix).rpartition(".")
    if not dot or fmt not in catalog.FORMATS or not stem or "//" in stem:
        return None
    if stem.startswith("/") or stem.endswith("/") or catalog.split_archive(stem)[1] is not None:
        return None
    return stem, fmt


def _callback(callback: str, settings: Settings) -> str:
    if not callback:
        raise SubscriptionRefused(_missing("callback"))
    parts = urlsplit(callback)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SubscriptionRefused(f"hub.callback {callback!r} is not an absolute http(s) URL")
    if parts.fragment or "#" in callback:
        raise SubscriptionRefused("hub.callback must not have a fragment (#...)")
    if len(callback) > MAX_CALLBACK:
        raise SubscriptionRefused(f"hub.callback is longer than {MAX_CALLBACK} characters")
    if not settings.fetch.allow_private_networks:
        problem = _literal_address_problem(parts.hostname)
        if problem:
            raise SubscriptionRefused(f"hub.callback {callback!r}: refused, {problem}", 403)
    return callback


def _literal_address_problem(host: str) -> str:
    """Why a callback host written as an address may not be called ("" for a name)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return "" if host.lower() != "localhost" else "localhost is a loopback address"
    return address_problem(host)


def _check_secret(secret: str, callback: str, settings: Settings) -> None:
    if len(secret.encode("utf-8")) > MAX_SECRET_BYTES:
        raise SubscriptionRefused("hub.secret must be less than 200 bytes (WebSub §5.1.1)")
    if not callback.startswith("https://") and not settings.fetch.allow_private_networks:
        raise SubscriptionRefused(
            "hub.secret is accepted only with an https callback: over plain http the "
            "signature travels in clear beside the content it signs"
        )


def _lease(value: str | None, settings: Settings) -> int:
    if value is None or not value.strip():
        return settings.websub.lease_seconds
    try:
        lease = int(value.strip())
    except ValueError:
        lease = 0
    if lease <= 0:
        raise SubscriptionRefused(
            f"hub.lease_seconds must be a whole number of seconds above 0, got {value!r}"
        )
    return min(lease, settings.websub.max_lease_seconds)


def _missing(name: str) -> str:
    return f"hub.{name} is missing (WebSub §5.1: hub.callback, hub.mode and hub.topic)"
