"""Who polls the feeds (``store.polls``): counts per feed, day and client, and the subscriber
numbers aggregators report.

Rows arrive in batches from the web processes' counters (``syndicate.publish.polls``), already
summed per client: one statement per table adds a batch (``INSERT .. ON CONFLICT DO UPDATE``
adding to the counts), however many requests it stands for. A client is a salted hash; no
address is ever stored. The readings (:meth:`Polls.daily`, :meth:`Polls.readers_since`,
:meth:`Polls.reports`, :meth:`Polls.top_agents`) are grouped in SQL, a feed's days through
the ``(feed, day)`` index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, case, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from syndicate.store import schema
from syndicate.store.engine import Database

COUNTS = ("polls", "conditional", "not_modified", "bytes_sent", "bytes_saved")
POLL_KEYS = ("day", "feed", "partner", "client")
REPORT_KEYS = ("day", "feed", "aggregator", "ident")


@dataclass(frozen=True, slots=True)
class PollRow:
    """What one client did to one feed on one day, to be added to what is stored."""

    day: str  # YYYY-MM-DD, UTC
    feed: str
    partner: str  # "" for the public
    client: str  # the salted hash
    agent: str  # the User-Agent's product name
    aggregator: str  # "" unless its User-Agent reports subscribers
    polls: int
    conditional: int
    not_modified: int
    bytes_sent: int
    bytes_saved: int
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class Report:
    """The subscribers an aggregator reported for a feed (the latest of its day)."""

    day: str
    feed: str
    aggregator: str
    ident: str  # the aggregator's feed id, else the URL path it polled
    subscribers: int
    reported: datetime


@dataclass(frozen=True, slots=True)
class DayCounts:
    """One feed's polls on one day, by one kind of client (readers or aggregators) of the
    public or of one partner."""

    day: str
    feed: str
    partner: str
    aggregators: bool  # these are the aggregators' own fetches
    clients: int
    polls: int
    conditional: int
    not_modified: int
    bytes_sent: int
    bytes_saved: int


class Polls:
    """The part of the store about feed polls."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, rows: Sequence[PollRow], reports: Sequence[Report] = ()) -> None:
        """Add a batch of counts and keep the newest report of each aggregator, in one
        transaction."""
        if not rows and not reports:
            return
        with self._db.transaction(f"record {len(rows)} feed polls", write=True) as conn:
            if rows:
                _add(conn, [asdict(r) for r in rows])
            if reports:
                _report(conn, [asdict(r) for r in reports])

    def daily(self, since: str, feed: str | None = None) -> list[DayCounts]:
        """Every day from ``since`` on (``YYYY-MM-DD``), per feed, partner and kind of client."""
        table = schema.feed_polls
        aggregated = table.c.aggregator != ""
        sums = [func.sum(table.c[name]) for name in COUNTS]
        query = (
            select(table.c.day, table.c.feed, table.c.partner, aggregated, func.count(), *sums)
            .where(table.c.day >= since)
            .group_by(table.c.day, table.c.feed, table.c.partner, aggregated)
            .order_by(table.c.day, table.c.feed, table.c.partner)
        )
        if feed is not None:
            query = query.where(table.c.feed == feed)
        with self._db.transaction("count feed polls") as conn:
            return [
                DayCounts(row[0], row[1], row[2], bool(row[3]), *(int(v or 0) for v in row[4:]))
                for row in conn.execute(query)
            ]

    def readers_since(self, since: datetime, feed: str | None = None) -> dict[str, int]:
        """Distinct public readers (not aggregators) of each feed seen at or after ``since``."""
        table = schema.feed_polls
        query = (
            select(table.c.feed, func.count(table.c.client.distinct()))
            .where(
                table.c.day >= since.date().isoformat(),
                table.c.last_seen >= since,
                table.c.aggregator == "",
                table.c.partner == "",
            )
            .group_by(table.c.feed)
        )
        if feed is not None:
            query = query.where(table.c.feed == feed)
        with self._db.transaction("count feed readers") as conn:
            return {str(row[0]): int(row[1]) for row in conn.execute(query)}

    def reports(self, since: str, feed: str | None = None) -> list[Report]:
        """Aggregators' reports from ``since`` on, oldest first."""
        table = schema.aggregator_reports
        query = select(table).where(table.c.day >= since).order_by(table.c.day, table.c.feed)
        if feed is not None:
            query = query.where(table.c.feed == feed)
        with self._db.transaction("read aggregators' reports") as conn:
            return [Report(**row._asdict()) for row in conn.execute(query)]

    def top_agents(
        self, since: datetime, feed: str | None = None, *, limit: int = 10
    ) -> list[tuple[str, str, int, int]]:
        """``(feed, agent, clients, polls)`` of the public's readers seen since ``since``, the
        most clients first, at most ``limit`` per feed."""
        table = schema.feed_polls
        clients = func.count(table.c.client.distinct())
        query = (
            select(table.c.feed, table.c.agent, clients, func.sum(table.c.polls))
            .where(
                table.c.day >= since.date().isoformat(),
                table.c.last_seen >= since,
                table.c.aggregator == "",
                table.c.partner == "",
            )
            .group_by(table.c.feed, table.c.agent)
            .order_by(table.c.feed, clients.desc(), table.c.agent)
        )
        if feed is not None:
            query = query.where(table.c.feed == feed)
        with self._db.transaction("list feed readers") as conn:
            found = [(str(r[0]), str(r[1]), int(r[2]), int(r[3] or 0)) for r in conn.execute(query)]
        kept: dict[str, int] = {}
        result = []
        for row in found:
            kept[row[0]] = kept.get(row[0], 0) + 1
            if kept[row[0]] <= limit:
                result.append(row)
        return result

    def forget(self, before: str) -> int:
        """Delete the days before ``before`` (``YYYY-MM-DD``); how many rows went."""
        with self._db.transaction("forget old feed polls", write=True) as conn:
            gone = conn.execute(delete(schema.feed_polls).where(schema.feed_polls.c.day < before))
            table = schema.aggregator_reports
            reports = conn.execute(delete(table).where(table.c.day < before))
            return int(gone.rowcount) + int(reports.rowcount)


def _add(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Add the rows' counts to the stored ones (new rows are inserted as they are)."""
    table = schema.feed_polls
    statement = _insert(conn, table)
    if statement is None:
        _add_portably(conn, table, rows)
        return
    new = statement.excluded
    changes: dict[str, Any] = {name: table.c[name] + new[name] for name in COUNTS}
    changes |= {"agent": new.agent, "aggregator": new.aggregator}
    changes["last_seen"] = _greatest(conn, table.c.last_seen, new.last_seen)
    conn.execute(statement.on_conflict_do_update(index_elements=POLL_KEYS, set_=changes), rows)


def _report(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Keep each report unless a newer one of the same day is stored."""
    table = schema.aggregator_reports
    statement = _insert(conn, table)
    if statement is None:
        for row in rows:
            keys = [table.c[k] == row[k] for k in REPORT_KEYS]
            conn.execute(delete(table).where(*keys, table.c.reported <= row["reported"]))
            if not conn.execute(select(table.c.day).where(*keys)).first():
                conn.execute(insert(table).values(**row))
        return
    new = statement.excluded
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=REPORT_KEYS,
            set_={"subscribers": new.subscribers, "reported": new.reported},
            where=new.reported >= table.c.reported,
        ),
        rows,
    )


def _insert(conn: Connection, table: Table) -> Any:
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return None


def _greatest(conn: Connection, left: Any, right: Any) -> Any:
    if conn.dialect.name == "postgresql":
        return func.greatest(left, right)
    return func.max(left, right)  # SQLite's max() of two values is the scalar one


def _add_portably(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        keys = [table.c[k] == row[k] for k in POLL_KEYS]
        changes: dict[str, Any] = {name: table.c[name] + row[name] for name in COUNTS}
        changes["last_seen"] = case(
            (table.c.last_seen < row["last_seen"], row["last_seen"]), else_=table.c.last_seen
        )
        if not conn.execute(update(table).where(*keys).values(**changes)).rowcount:
            conn.execute(insert(table).values(**row))
