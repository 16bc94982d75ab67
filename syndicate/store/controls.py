"""What operators ask of sources, kept for the scheduler to act on: sources added at run time,
pauses, and requests for a refresh now.

:class:`Controls` is one part of :class:`~syndicate.store.Store` (``store.controls``). The web
and the CLI only write here; the scheduler reads it every few seconds (it is the one process
that fetches), so a source added, paused or asked for takes effect without a restart, in
whichever process schedules. A managed source's ``definition`` is the JSON object of the keys a
``[[sources]]`` table has; the configuration's rules check it (``syndicate.config``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from syndicate.errors import StoreError
from syndicate.store import schema
from syndicate.store.engine import Database
from syndicate.store.runlog import upsert_source


@dataclass(frozen=True, slots=True)
class ManagedSource:
    """A source added over HTTP or the CLI: its definition as given, and when."""

    name: str
    definition: dict[str, Any]
    created: datetime


class Controls:
    """Managed sources, pauses and refresh requests; the schedulers' ticks."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add_source(self, name: str, definition: Mapping[str, Any], *, now: datetime) -> None:
        """Store a source definition; :class:`StoreError` when the name is taken."""
        table = schema.managed_sources
        text = json.dumps(dict(definition), ensure_ascii=False, sort_keys=True)
        with self._db.transaction(f"add source {name}", write=True) as conn:
            if conn.execute(select(table.c.name).where(table.c.name == name)).first():
                raise StoreError(f"a source named {name!r} was added already")
            conn.execute(insert(table).values(name=name, definition=text, created=now))

    def remove_source(self, name: str) -> bool:
        """Forget a managed source (its articles and run log stay); False if it was not one."""
        table = schema.managed_sources
        with self._db.transaction(f"remove source {name}", write=True) as conn:
            return bool(conn.execute(delete(table).where(table.c.name == name)).rowcount)

    def managed_sources(self) -> list[ManagedSource]:
        """Every managed source, in the order they were added."""
        table = schema.managed_sources
        query = select(table).order_by(table.c.created, table.c.name)
        with self._db.transaction("list managed sources") as conn:
            rows = list(conn.execute(query))
        try:
            return [ManagedSource(r.name, json.loads(r.definition), r.created) for r in rows]
        except ValueError as exc:
            raise StoreError(f"a managed source cannot be read by this version: {exc}") from exc

    def set_paused(self, name: str, paused: bool) -> None:
        """Pause a source (the scheduler stops running it) or resume it."""
        values = {"paused": paused}
        with self._db.transaction(f"pause source {name}", write=True) as conn:
            upsert_source(conn, name, fresh=values, changes=values)

    def paused(self) -> set[str]:
        """The names of paused sources."""
        table = schema.sources
        query = select(table.c.name).where(table.c.paused.is_(True))
        with self._db.transaction("list paused sources") as conn:
            return set(conn.execute(query).scalars())

    def request_refresh(self, name: str, *, now: datetime) -> None:
        """Ask the scheduler to refresh a source as soon as it looks (within seconds)."""
        values = {"refresh_requested": now}
        with self._db.transaction(f"request refresh of {name}", write=True) as conn:
            upsert_source(conn, name, fresh=values, changes=values)

    def requested(self) -> dict[str, datetime]:
        """Sources with a refresh request waiting, and when each was asked for."""
        table = schema.sources
        query = select(table.c.name, table.c.refresh_requested).where(
            table.c.refresh_requested.is_not(None)
        )
        with self._db.transaction("list refresh requests") as conn:
            return {row.name: row.refresh_requested for row in conn.execute(query)}

    def take_request(self, name: str, asked: datetime) -> bool:
        """Claim the request made at ``asked``: True for exactly one claimer (replicas of the
        scheduler may look at once); a newer request stays for the next look."""
        table = schema.sources
        query = (
            update(table)
            .where(table.c.name == name, table.c.refresh_requested == asked)
            .values(refresh_requested=None)
        )
        with self._db.transaction(f"take refresh request of {name}", write=True) as conn:
            return bool(conn.execute(query).rowcount)

    def record_tick(self, scheduler: str, *, started: datetime, at: datetime) -> None:
        """Note that ``scheduler`` (``host:pid``) is alive at ``at`` (web processes read it)."""
        ticks = schema.scheduler_ticks
        values = {"started": started, "ticked": at}
        with self._db.transaction(f"record tick of scheduler {scheduler}", write=True) as conn:
            found = conn.execute(update(ticks).where(ticks.c.scheduler == scheduler).values(values))
            if found.rowcount == 0:
                conn.execute(insert(ticks).values(scheduler=scheduler, **values))

    def forget_scheduler(self, scheduler: str, *, older_than: datetime | None = None) -> None:
        """Remove the tick of a stopped ``scheduler``; with ``older_than``, also every tick
        older than that (schedulers that were killed without stopping)."""
        ticks = schema.scheduler_ticks
        gone = ticks.c.scheduler == scheduler
        if older_than is not None:
            gone = gone | (ticks.c.ticked < older_than)
        with self._db.transaction("forget stopped schedulers", write=True) as conn:
            conn.execute(delete(ticks).where(gone))

    def last_tick(self) -> datetime | None:
        """The newest tick of any scheduler; ``None`` when none has ticked."""
        query = select(func.max(schema.scheduler_ticks.c.ticked))
        with self._db.transaction("read the last scheduler tick") as conn:
            value: datetime | None = conn.execute(query).scalar()
        return value
