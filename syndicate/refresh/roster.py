"""Which sources exist: the configuration file's, and those added at run time (kept in the
store), with the operators' pauses; and the operators' requests about them.

The configuration file's sources are read-only here (change the file and restart to change
them); sources added over HTTP or the CLI are checked by the same rules
(:func:`syndicate.config.parse_source`) and stored, and the scheduler reads this roster every
few seconds, so adding, removing, pausing, resuming and "refresh now" take effect without a
restart. This module only writes requests to the store; it imports no scheduler, so the web
may use it (it never fetches or schedules itself).

A paused source counts as disabled: no job, no next run, not in ``syndicate refresh`` without
names; naming it still refreshes it once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from syndicate.config import Settings, SourceSettings, parse_source
from syndicate.errors import ConfigError, StoreError
from syndicate.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Roster:
    """The effective sources at one moment."""

    settings: Settings  # the configuration with every source, paused ones disabled
    managed: frozenset[str]  # names of sources added at run time (removable)
    paused: frozenset[str]

    def is_managed(self, name: str) -> bool:
        """Whether the source was added at run time (the configuration's are read-only)."""
        return name in self.managed


def roster(settings: Settings, store: Store) -> Roster:
    """The configuration's sources followed by the added ones, paused ones disabled.

    An added source whose definition no longer passes the rules (an older version's, say) or
    whose name the configuration now uses is left out, with a warning in the log.
    """
    configured = {source.name for source in settings.sources}
    added: list[SourceSettings] = []
    for managed in store.controls.managed_sources():
        if managed.name in configured:
            log.warning(
                "source %s is in the configuration file too; that one is used", managed.name
            )
            continue
        try:
            added.append(parse_source(managed.definition, f"added source {managed.name}"))
        except ConfigError as exc:
            log.warning("added source %s is left out: %s", managed.name, exc)
    paused = store.controls.paused()
    sources = tuple(
        replace(source, enabled=False) if source.name in paused else source
        for source in (*settings.sources, *added)
    )
    return Roster(
        replace(settings, sources=sources),
        frozenset(source.name for source in added),
        frozenset(paused & {source.name for source in sources}),
    )


def add_source(
    settings: Settings, store: Store, definition: Mapping[str, Any], *, now: datetime
) -> SourceSettings:
    """Check and store a new source; :class:`ConfigError` (a bad key or value, or a name in
    use) naming what is wrong."""
    source = parse_source(definition, "source")
    known = {s.name.casefold() for s in roster(settings, store).settings.sources}
    if source.name.casefold() in known:
        raise ConfigError(f"source: source.name: {source.name!r} is in use by another source")
    try:
        store.controls.add_source(source.name, dict(definition), now=now)
    except StoreError as exc:
        raise ConfigError(f"source: source.name: {exc}") from exc
    return source


def remove_source(settings: Settings, store: Store, name: str) -> None:
    """Forget an added source (its articles and run log stay); :class:`ConfigError` for one
    of the configuration's (read-only) and :class:`KeyError` for an unknown one."""
    if settings.source(name) is not None:
        raise ConfigError(
            f"source {name!r} is declared in {settings.config_path or 'the configuration'}: "
            "remove it there (sources of the configuration file are read-only here)"
        )
    if not store.controls.remove_source(name):
        raise KeyError(name)


def set_paused(settings: Settings, store: Store, name: str, paused: bool) -> None:
    """Pause or resume a known source; :class:`KeyError` for an unknown one."""
    require(settings, store, name)
    store.controls.set_paused(name, paused)


def request_refresh(settings: Settings, store: Store, name: str, *, now: datetime) -> None:
    """Ask the scheduler to refresh a known source now; :class:`KeyError` for an unknown one."""
    require(settings, store, name)
    store.controls.request_refresh(name, now=now)


def require(settings: Settings, store: Store, name: str) -> SourceSettings:
    """The source of that name in the roster; :class:`KeyError` when there is none."""
    found = roster(settings, store).settings.source(name)
    if found is None:
        raise KeyError(name)
    return found
