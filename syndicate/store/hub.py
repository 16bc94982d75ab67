"""The built-in WebSub hub's state (``store.hub``): subscriptions, the requests waiting for
their intent to be verified, and the newest document of each topic that has subscribers.

Everything a hub worker needs is here, so any process may do the work: the web process that
answered a subscription request, a writer that changed a feed and the worker that delivers it
need share nothing but the database. Work is taken with an optimistic claim: a worker moves an
item's ``next_attempt`` past the time it expects to be done, in one ``UPDATE`` that matches
only while the item is still due; of several workers (threads, processes, machines) one wins,
and the claim of a worker that died runs out by itself.

A delivery is due when the topic's document is newer (``seq``) than what the subscription was
last sent: :meth:`HubState.publish` stores the bytes and marks every live subscription of the
topic due, a success records the ``seq`` sent, and a change that came meanwhile makes it due
again at once. Subscriptions that end keep their row, with a ``state`` saying how.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from syndicate.store import schema
from syndicate.store.engine import Database

ACTIVE, FAILING, GONE = "active", "failing", "gone"  # gone: the callback answered 410
EXPIRED, UNSUBSCRIBED = "expired", "unsubscribed"
LIVE = (ACTIVE, FAILING)  # the states that get deliveries
SUBSCRIBE, UNSUBSCRIBE = "subscribe", "unsubscribe"
VERIFY, DELIVER = "verify", "deliver"  # the two kinds of work


@dataclass(frozen=True, slots=True)
class Subscription:
    """One subscription as stored (its secret included: never print it)."""

    id: int
    topic: str
    callback: str
    state: str
    secret: str | None
    lease_seconds: int
    lease_end: datetime
    created: datetime
    verified: datetime
    delivered_seq: int
    next_attempt: datetime | None
    failures: int
    failing_since: datetime | None
    last_attempt: datetime | None
    last_delivery: datetime | None
    last_status: str


@dataclass(frozen=True, slots=True)
class Request:
    """A subscribe or unsubscribe request, answered 202, waiting for verification."""

    id: int
    topic: str
    callback: str
    mode: str
    secret: str | None
    lease_seconds: int
    received: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class Document:
    """The newest bytes of a topic, as its writer rendered them."""

    topic: str
    seq: int
    content_type: str
    body: bytes


class HubState:
    """The part of the store about the built-in hub."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- requests (§5.1) and their verification (§5.3) --------------------------------------

    def add_request(
        self,
        topic: str,
        callback: str,
        mode: str,
        *,
        secret: str | None,
        lease_seconds: int,
        now: datetime,
    ) -> int:
        """Keep a request for verification; it replaces one of the same pair still waiting
        (the subscriber's latest intent is the one that counts). Its id."""
        table = schema.websub_requests
        same = (table.c.topic == topic) & (table.c.callback == callback)
        values: dict[str, Any] = {"topic": topic, "callback": callback, "mode": mode}
        values["secret"] = secret
        values |= {"lease_seconds": lease_seconds, "received": now, "next_attempt": now}
        with self._db.transaction("keep a WebSub request", write=True) as conn:
            conn.execute(delete(table).where(same))
            found = conn.execute(insert(table).values(**values, attempts=0))
            key = found.inserted_primary_key
            assert key is not None
            return int(key[0])

    def waiting_requests(self) -> int:
        """How many requests wait for verification."""
        query = select(func.count()).select_from(schema.websub_requests)
        with self._db.transaction("count WebSub requests") as conn:
            return int(conn.execute(query).scalar_one())

    def claim_request(self, request_id: int, *, now: datetime, until: datetime) -> Request | None:
        """The request, held by the caller until ``until``; ``None`` when another worker has
        it or it is gone."""
        table = schema.websub_requests
        claim = (
            update(table)
            .where(table.c.id == request_id, table.c.next_attempt <= now)
            .values(next_attempt=until, attempts=table.c.attempts + 1)
        )
        with self._db.transaction("claim a WebSub request", write=True) as conn:
            if not conn.execute(claim).rowcount:
                return None
            row = conn.execute(select(table).where(table.c.id == request_id)).one()
        values = row._asdict()
        del values["next_attempt"]
        return Request(**values)

    def retry_request(self, request_id: int, *, at: datetime) -> None:
        """Try the verification again at ``at`` (the callback could not be reached)."""
        table = schema.websub_requests
        with self._db.transaction("retry a WebSub request", write=True) as conn:
            conn.execute(update(table).where(table.c.id == request_id).values(next_attempt=at))

    def drop_request(self, request_id: int) -> None:
        """Forget a request: verified, refused or given up."""
        table = schema.websub_requests
        with self._db.transaction("drop a WebSub request", write=True) as conn:
            conn.execute(delete(table).where(table.c.id == request_id))

    def subscribe(self, request: Request, *, lease_seconds: int, now: datetime) -> Subscription:
        """Make the verified request's subscription active (a new one, or the same pair's
        renewed: new lease, new secret, failures forgotten). A new subscription starts at the
        topic's current document: it is sent what changes from now on."""
        table = schema.websub_subscriptions
        lease_end = datetime.fromtimestamp(now.timestamp() + lease_seconds, now.tzinfo)
        values: dict[str, Any] = {
            "state": ACTIVE,
            "secret": request.secret,
            "lease_seconds": lease_seconds,
            "lease_end": lease_end,
            "verified": now,
            "failures": 0,
            "failing_since": None,
        }
        with self._db.transaction("activate a WebSub subscription", write=True) as conn:
            found = _pair(conn, request.topic, request.callback)
            if found is None:
                seq = _document_seq(conn, request.topic)
                conn.execute(
                    insert(table).values(
                        topic=request.topic,
                        callback=request.callback,
                        created=now,
                        delivered_seq=seq,
                        last_status="",
                        **values,
                    )
                )
            else:
                if found.state not in LIVE:  # ended: nothing of the old one is owed
                    values["delivered_seq"] = _document_seq(conn, request.topic)
                    values["next_attempt"] = None
                conn.execute(update(table).where(table.c.id == found.id).values(**values))
            row = _pair(conn, request.topic, request.callback)
        assert row is not None
        return _subscription(row)

    def end(self, topic: str, callback: str, state: str, *, now: datetime) -> bool:
        """End a live subscription (``unsubscribed``, or ``gone`` for a callback's 410);
        False when there was none."""
        table = schema.websub_subscriptions
        query = (
            update(table)
            .where(table.c.topic == topic, table.c.callback == callback, table.c.state.in_(LIVE))
            .values(state=state, next_attempt=None, last_attempt=now)
        )
        with self._db.transaction("end a WebSub subscription", write=True) as conn:
            return bool(conn.execute(query).rowcount)

    def live_count(self, *, now: datetime) -> int:
        """How many subscriptions are live (their lease not over)."""
        table = schema.websub_subscriptions
        query = (
            select(func.count())
            .select_from(table)
            .where(table.c.state.in_(LIVE), table.c.lease_end > now)
        )
        with self._db.transaction("count WebSub subscriptions") as conn:
            return int(conn.execute(query).scalar_one())

    def is_live(self, topic: str, callback: str, *, now: datetime) -> bool:
        """Whether this pair has a live subscription."""
        with self._db.transaction("read a WebSub subscription") as conn:
            row = _pair(conn, topic, callback)
        return row is not None and row.state in LIVE and row.lease_end > now

    # -- distribution (§7) ------------------------------------------------------------------

    def topics_with_subscribers(self, topics: Iterable[str], *, now: datetime) -> set[str]:
        """Those of ``topics`` that have a live subscription."""
        wanted = sorted(set(topics))
        if not wanted:
            return set()
        table = schema.websub_subscriptions
        query = (
            select(table.c.topic)
            .where(table.c.topic.in_(wanted), table.c.state.in_(LIVE), table.c.lease_end > now)
            .distinct()
        )
        with self._db.transaction("find topics with subscribers") as conn:
            return set(conn.execute(query).scalars())

    def publish(self, topic: str, content_type: str, body: bytes, *, now: datetime) -> int:
        """Store the topic's new bytes and make its live subscriptions due; how many.

        The document is written before the subscriptions are marked, and a delivery records
        its success before it reads the document's ``seq`` again: between the two orders, a
        change that lands while a delivery is out is never missed.
        """
        docs, subs = schema.websub_documents, schema.websub_subscriptions
        with self._db.transaction(f"publish {topic} to its subscribers", write=True) as conn:
            seq = _document_seq(conn, topic)
            document = {"content_type": content_type, "body": body, "changed": now}
            if seq:
                change = update(docs).where(docs.c.topic == topic)
                conn.execute(change.values(seq=docs.c.seq + 1, **document))
            else:
                conn.execute(insert(docs).values(topic=topic, seq=1, **document))
            due = (
                update(subs)
                .where(
                    subs.c.topic == topic,
                    subs.c.state.in_(LIVE),
                    subs.c.lease_end > now,
                    subs.c.next_attempt.is_(None),
                )
                .values(next_attempt=now)
            )
            return int(conn.execute(due).rowcount)

    def claim_delivery(
        self, subscription_id: int, *, now: datetime, until: datetime
    ) -> tuple[Subscription, int] | None:
        """The subscription and the ``seq`` of the document it is owed (read it with
        :meth:`document`: many deliveries share one), held by the caller until ``until``;
        ``None`` when another worker has it, its lease is over (it is marked ``expired``) or
        nothing is owed any more."""
        table = schema.websub_subscriptions
        claim = (
            update(table)
            .where(
                table.c.id == subscription_id,
                table.c.next_attempt <= now,
                table.c.state.in_(LIVE),
            )
            .values(next_attempt=until)
        )
        with self._db.transaction("claim a WebSub delivery", write=True) as conn:
            if not conn.execute(claim).rowcount:
                return None
            row = conn.execute(select(table).where(table.c.id == subscription_id)).one()
            subscription = _subscription(row)
            seq = _document_seq(conn, subscription.topic)
            done = update(table).where(table.c.id == subscription_id)
            if subscription.lease_end <= now:
                conn.execute(done.values(state=EXPIRED, next_attempt=None))
                return None
            if seq <= subscription.delivered_seq:
                conn.execute(done.values(next_attempt=None))
                return None
        return subscription, seq

    def delivered(self, subscription_id: int, seq: int, status: str, *, now: datetime) -> None:
        """A delivery of document ``seq`` succeeded: healthy again, and due at once if the
        topic changed while it was out."""
        table, docs = schema.websub_subscriptions, schema.websub_documents
        mine = table.c.id == subscription_id
        success: dict[str, Any] = {"failures": 0, "failing_since": None, "last_status": status}
        success |= {"state": ACTIVE, "last_attempt": now, "last_delivery": now}
        with self._db.transaction("record a WebSub delivery", write=True) as conn:
            # never back: a slower, older send may end after a newer one
            newer: Any = func.max(table.c.delivered_seq, seq)
            if conn.dialect.name == "postgresql":
                newer = func.greatest(table.c.delivered_seq, seq)
            conn.execute(
                update(table)
                .where(mine, table.c.state.in_(LIVE))
                .values(delivered_seq=newer, next_attempt=None, **success)
            )
            current = select(docs.c.seq).where(docs.c.topic == table.c.topic).scalar_subquery()
            conn.execute(
                update(table)
                .where(mine, table.c.state.in_(LIVE), current > table.c.delivered_seq)
                .values(next_attempt=now)
            )

    def failed(
        self,
        subscription_id: int,
        status: str,
        *,
        now: datetime,
        retry_at: datetime | None,
        state: str | None = None,
    ) -> None:
        """A delivery failed: counted, and tried again at ``retry_at``; ``None`` drops it.
        ``state`` changes the subscription's (``failing``, ``gone``)."""
        table = schema.websub_subscriptions
        values: dict[str, Any] = {
            "failures": table.c.failures + 1,
            "failing_since": func.coalesce(table.c.failing_since, now),
            "last_attempt": now,
            "last_status": status,
            "next_attempt": retry_at,
        }
        if state is not None:
            values["state"] = state
        query = update(table).where(table.c.id == subscription_id, table.c.state.in_(LIVE))
        with self._db.transaction("record a failed WebSub delivery", write=True) as conn:
            conn.execute(query.values(**values))

    def expire(self, *, now: datetime) -> int:
        """Mark the live subscriptions whose lease is over ``expired``; how many."""
        table = schema.websub_subscriptions
        query = (
            update(table)
            .where(table.c.state.in_(LIVE), table.c.lease_end <= now)
            .values(state=EXPIRED, next_attempt=None)
        )
        with self._db.transaction("expire WebSub subscriptions", write=True) as conn:
            return int(conn.execute(query).rowcount)

    # -- what is due, and listings -----------------------------------------------------------

    def due(self, *, now: datetime, limit: int) -> list[tuple[str, int]]:
        """Work that is due, soonest first: ``(VERIFY, request id)`` and ``(DELIVER,
        subscription id)``, at most ``limit`` of each."""
        requests, subs = schema.websub_requests, schema.websub_subscriptions
        asked = (
            select(requests.c.id)
            .where(requests.c.next_attempt <= now)
            .order_by(requests.c.next_attempt, requests.c.id)
            .limit(limit)
        )
        owed = (
            select(subs.c.id)
            .where(subs.c.next_attempt <= now, subs.c.state.in_(LIVE))
            .order_by(subs.c.next_attempt, subs.c.id)
            .limit(limit)
        )
        with self._db.transaction("list due WebSub work") as conn:
            work = [(VERIFY, int(i)) for i in conn.execute(asked).scalars()]
            return work + [(DELIVER, int(i)) for i in conn.execute(owed).scalars()]

    def next_due(self) -> datetime | None:
        """When the soonest piece of work (due now or waiting out a backoff) is due."""
        requests, subs = schema.websub_requests, schema.websub_subscriptions
        asked = select(func.min(requests.c.next_attempt))
        owed = select(func.min(subs.c.next_attempt)).where(subs.c.state.in_(LIVE))
        with self._db.transaction("read when WebSub work is due") as conn:
            times = [conn.execute(asked).scalar(), conn.execute(owed).scalar()]
        found = [t for t in times if t is not None]
        return min(found) if found else None

    def subscriptions(self, topic: str | None = None) -> list[Subscription]:
        """Every subscription (ended ones too), by topic and callback."""
        table = schema.websub_subscriptions
        query = select(table).order_by(table.c.topic, table.c.callback)
        if topic is not None:
            query = query.where(table.c.topic == topic)
        with self._db.transaction("list WebSub subscriptions") as conn:
            return [_subscription(row) for row in conn.execute(query)]

    def get(self, subscription_id: int) -> Subscription | None:
        """One subscription by id."""
        table = schema.websub_subscriptions
        with self._db.transaction("read a WebSub subscription") as conn:
            row = conn.execute(select(table).where(table.c.id == subscription_id)).first()
        return None if row is None else _subscription(row)

    def document(self, topic: str) -> Document | None:
        """The newest stored bytes of a topic."""
        with self._db.transaction("read a WebSub document") as conn:
            return _document(conn, topic)


def _pair(conn: Connection, topic: str, callback: str) -> Any:
    table = schema.websub_subscriptions
    query = select(table).where(table.c.topic == topic, table.c.callback == callback)
    return conn.execute(query).first()


def _document_seq(conn: Connection, topic: str) -> int:
    docs = schema.websub_documents
    return int(conn.execute(select(docs.c.seq).where(docs.c.topic == topic)).scalar() or 0)


def _document(conn: Connection, topic: str) -> Document | None:
    docs = schema.websub_documents
    row = conn.execute(select(docs).where(docs.c.topic == topic)).first()
    if row is None:
        return None
    return Document(row.topic, int(row.seq), row.content_type, bytes(row.body))


def _subscription(row: Any) -> Subscription:
    return Subscription(**row._asdict())
