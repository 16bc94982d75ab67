"""Who polls the feeds: counted where feeds are served, at the cost of one append per request.

The serving path (:class:`~syndicate.web.fastpath.FeedLayer`) hands each answered poll of a
feed to :meth:`PollCounter.record`: a tuple appended to a deque, nothing else (no hashing, no
lock, no I/O). A background thread drains the deque every ``stats.flush_seconds`` (and once
more when the process stops), sums the polls per UTC day, feed, partner and client, and writes
the sums to the store in one transaction (:mod:`syndicate.store.polls`).

A client is the keyed BLAKE2b hash of its address and User-Agent under a salt (from
``SYNDICATE_STATS_SALT``, or made once in ``stats.salt_file``): the same reader counts once
per day however often it polls, and no address is ever stored or logged. Behind a reverse
proxy the address is the proxy's unless the WSGI server is told the client's.

User-Agents are read with the table of :data:`AGENTS_FILE` (data, not code): an aggregator
that reports its subscribers ("Feedly/1.0 (...; 42 subscribers; feed-id=...)") has its report
kept, the latest per day, aggregator and feed id; every other client is a reader, named by
the table or by its first product name for the top readers.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import re
import threading
import tomllib
import weakref
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any

from syndicate.errors import StoreError
from syndicate.store import Store
from syndicate.store.polls import PollRow, Report

log = logging.getLogger(__name__)

AGENTS_FILE = "aggregators.toml"
MAX_WAITING = 1_000_000  # polls held between two flushes; past it the oldest are dropped
HASH_BYTES = 16
AGENT_CHARS = 64
# One poll as the serving path records it: feed name, partner ("" public), path, address,
# User-Agent, conditional?, answered 304?, size of the body (sent, or not sent by the 304).
Poll = tuple[str, str, str, str, str, bool, bool, int]


@dataclass(frozen=True, slots=True)
class Agent:
    """What a User-Agent says: a reader's name, or an aggregator with its report."""

    name: str
    aggregator: bool = False
    subscribers: int | None = None
    ident: str = ""  # the aggregator's feed id, when it gives one


@dataclass(frozen=True, slots=True)
class _Pattern:
    name: str
    agent: re.Pattern[str]
    count: re.Pattern[str]
    ident: re.Pattern[str]


@lru_cache(maxsize=1)
def _table() -> tuple[tuple[_Pattern, ...], tuple[_Pattern, ...], re.Pattern[str], re.Pattern[str]]:
    """The aggregators, the readers and the two shapes, compiled once from the data file."""
    data: dict[str, Any] = tomllib.loads(
        resources.files("syndicate.publish").joinpath(AGENTS_FILE).read_text(encoding="utf-8")
    )
    count = re.compile(data["count"], re.I)
    ident = re.compile(data["ident"], re.I)

    def compiled(entries: list[dict[str, str]]) -> tuple[_Pattern, ...]:
        return tuple(
            _Pattern(
                e["name"],
                re.compile(e["agent"], re.I),
                re.compile(e["count"], re.I) if "count" in e else count,
                re.compile(e["ident"], re.I) if "ident" in e else ident,
            )
            for e in entries
        )

    return compiled(data["aggregators"]), compiled(data.get("readers", [])), count, ident


@lru_cache(maxsize=4096)
def read_agent(user_agent: str) -> Agent:
    """Who a User-Agent is (memoized: pollers send the same one every time)."""
    aggregators, readers, count, ident = _table()
    for known in aggregators:
        if known.agent.search(user_agent):
            return _aggregator(known.name, user_agent, known.count, known.ident)
    if count.search(user_agent):  # the shape of a report from an aggregator we do not name
        return _aggregator(_first_word(user_agent), user_agent, count, ident)
    for known in readers:
        if known.agent.search(user_agent):
            return Agent(known.name)
    return Agent(_first_word(user_agent))


def _aggregator(
    name: str, user_agent: str, count: re.Pattern[str], ident: re.Pattern[str]
) -> Agent:
    found = count.search(user_agent)
    number = int(found.group(1).replace(",", "")) if found else None
    feed = ident.search(user_agent)
    return Agent(name, True, number, feed.group(1)[:200] if feed else "")


def _first_word(user_agent: str) -> str:
    """The User-Agent's first product name ("NetNewsWire" of "NetNewsWire (RSS Reader...)")."""
    word = re.split(r"[/\s;(]", user_agent.strip(), maxsplit=1)[0]
    return word[:AGENT_CHARS] or "unknown"


def client_hash(salt: bytes, address: str, user_agent: str) -> str:
    """The stored name of a client: a keyed hash of its address and User-Agent."""
    data = f"{address}\n{user_agent}".encode("utf-8", "surrogateescape")
    return hashlib.blake2b(data, key=salt[:64], digest_size=HASH_BYTES).hexdigest()


class PollCounter:
    """Polls counted in memory and written to the store in batches, from a daemon thread."""

    def __init__(
        self,
        store: Store,
        salt: bytes | Callable[[], bytes],
        *,
        interval: float = 10.0,
        keep_days: int = 400,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store, self.interval, self.keep_days = store, interval, keep_days
        self._salt = salt  # or what gives it, asked on the first flush (it may make a file)
        self.clock = clock
        self._polls: deque[Poll] = deque(maxlen=MAX_WAITING)
        self.record: Callable[[Poll], None] = self._polls.append  # the serving path's one call
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._forgot = ""  # the day old polls were last forgotten
        self._flushing = threading.Lock()
        self._hooked = False  # close, exit and fork hooks are set once
        self.written = 0  # polls written so far (tests and logs read it)

    def start(self) -> None:
        """Flush every ``interval`` seconds on a daemon thread, when the store closes and at
        exit (the counter is held weakly: it goes with the app that owns it)."""
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=_follow, args=(weakref.ref(self), self._stop), name="poll-counter", daemon=True
        )
        self._thread.start()
        if not self._hooked:
            self._hooked = True
            self.store.on_close(self.stop)
            ref = weakref.ref(self)
            atexit.register(_stop_at_exit, ref)
            os.register_at_fork(after_in_child=lambda: _restart_in_child(ref))

    def stop(self) -> None:
        """Stop the thread and write what is counted."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self.flush()

    def flush(self) -> int:
        """Write the polls counted so far; how many. A failed write keeps nothing (the counts
        of that interval are lost, logged) rather than growing without bound."""
        with self._flushing:
            batch: list[Poll] = []
            pop = self._polls.popleft
            try:
                while True:
                    batch.append(pop())
            except IndexError:
                pass
            if not batch:
                return 0
            now = self.clock()
            rows, reports = self._summed(batch, now)
            try:
                self.store.polls.record(rows, reports)
                self._forget_old(now)
            except StoreError as exc:
                log.warning("%d feed polls could not be written: %s", len(batch), exc)
                return 0
            self.written += len(batch)
            return len(batch)

    @property
    def salt(self) -> bytes:
        """The salt of the clients' hashes (16 bytes or more)."""
        if callable(self._salt):
            self._salt = self._salt()
        if len(self._salt) < 16:
            raise ValueError("the salt of the clients' hashes needs at least 16 bytes")
        return self._salt

    def _summed(self, batch: list[Poll], now: datetime) -> tuple[list[PollRow], list[Report]]:
        day = now.date().isoformat()
        salt = self.salt
        sums: dict[tuple[str, str, str], list[Any]] = {}
        reports: dict[tuple[str, str, str], int] = {}
        hashes: dict[tuple[str, str], str] = {}
        alike = Counter(batch)  # identical polls summed in C: a client's polls are alike
        for poll, n in alike.items():
            feed, partner, path, address, user_agent, conditional, not_modified, size = poll
            who = hashes.get((address, user_agent))
            if who is None:
                who = hashes[(address, user_agent)] = client_hash(salt, address, user_agent)
            agent = read_agent(user_agent)
            row = sums.get((feed, partner, who))
            if row is None:
                row = sums[(feed, partner, who)] = [agent, 0, 0, 0, 0, 0]
            row[1] += n
            row[2] += conditional * n
            row[3] += not_modified * n
            row[4 if not not_modified else 5] += size * n
            if agent.aggregator and agent.subscribers is not None and not partner:
                reports[(feed, agent.name, agent.ident or path)] = agent.subscribers
        rows = [
            PollRow(
                day,
                feed,
                partner,
                who,
                agent.name,
                agent.name if agent.aggregator else "",
                polls,
                conditional,
                not_modified,
                sent,
                saved,
                now,
            )
            for (feed, partner, who), (agent, polls, conditional, not_modified, sent, saved) in (
                sums.items()
            )
        ]
        found = [Report(day, f, name, ident, n, now) for (f, name, ident), n in reports.items()]
        return rows, found

    def _forget_old(self, now: datetime) -> None:
        """Once a day, drop what is older than ``keep_days``."""
        today = now.date().isoformat()
        if self._forgot == today:
            return
        self._forgot = today
        self.store.polls.forget((now - timedelta(days=self.keep_days)).date().isoformat())


def _follow(ref: weakref.ref[PollCounter], stop: threading.Event) -> None:
    while True:
        counter = ref()
        if counter is None:
            return
        interval = counter.interval
        try:
            counter.flush()
        except Exception:  # a bug must not end the counting of a serving process
            log.exception("flushing feed polls failed")
        del counter
        if stop.wait(interval):
            return


def _stop_at_exit(ref: weakref.ref[PollCounter]) -> None:
    counter = ref()
    if counter is not None and not counter._stop.is_set():
        counter.stop()


def _restart_in_child(ref: weakref.ref[PollCounter]) -> None:
    """In a forked worker: the parent's polls are the parent's; count afresh."""
    counter = ref()
    if counter is None:
        return
    counter._polls.clear()
    if counter._thread is not None and not counter._stop.is_set():
        counter.start()
