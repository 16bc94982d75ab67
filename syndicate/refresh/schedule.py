"""Refresh every enabled source at its interval, backing off from failing ones.

The only importer of APScheduler (3.x). One job per enabled source, id = the source name, on an
interval trigger with jitter (so sources declared together do not all fire together),
``max_instances=1`` (a slow refresh is never doubled by the scheduler) and ``coalesce`` (runs
missed while the process slept become one run, late by at most the interval).

A failed run pushes the job's next run to ``min(interval * 2**failures, backoff_max)`` from now,
or later when the server sent ``Retry-After``; the first success puts the job back on its
interval. On start, each job's first run follows the store: a source refreshed recently waits
out its interval, a failing one its backoff, so restarting does not hammer upstream servers.

``syndicate serve`` runs a :class:`BackgroundScheduler` beside the web app; ``syndicate
scheduler`` runs a :class:`BlockingScheduler` alone. Shutting down waits for running refreshes
to finish (``shutdown(wait=True)``): no run is left half-written.

In queue mode (``schedule.mode = "queue"``) a job does not refresh: it asks the store whether
the source is due (:func:`next_run`: its interval since the last success, or its backoff since
the last failure) and, if so, enqueues it for the workers (an :class:`Enqueuer`, in practice
``tasks.RefreshQueue``); if not, it moves itself to the due time. The workers write the outcome
to the store, so backoff and health read the same facts in both modes, and any number of
scheduler replicas can run: they read the same store and the queue admits one waiting job per
source.

Operators change the schedule without a restart (:mod:`.roster`): every
``control_interval`` seconds a job reads the roster from the store (sources added or
removed at run time, pauses) and adds or removes jobs to match, and carries out the requests
for a refresh now (claimed in the store, so of several replicas one acts).

Every scheduler also ticks: at start and then every ``schedule.heartbeat`` seconds it writes
its row of ``scheduler_ticks`` (named ``host:pid``), and removes it when it stops. Web
processes read the newest tick for ``/healthz?deep=1``: a scheduler that hangs or dies stops
ticking, whichever process it lives in.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from syndicate.backoff import backoff_seconds
from syndicate.config import ScheduleSettings, Settings, SourceSettings
from syndicate.errors import StoreError
from syndicate.refresh.health import next_run
from syndicate.refresh.roster import roster
from syndicate.refresh.seam import Refresher, RunResult
from syndicate.store import Store
from syndicate.text.dates import utc_now

log = logging.getLogger(__name__)

DEFAULT_WORKERS = 4  # refreshes at once; the fetcher also limits requests per host
CONTROL_INTERVAL = 5.0  # seconds between reads of the operators' requests in the store
CONTROL_JOB = "syndicate:controls"  # the job id of those reads (a source name has no colon)
TICK_JOB = "syndicate:tick"  # the job id of the ticks (a source name has no colon)
FORGET_TICKS_AFTER = timedelta(days=1)  # rows of schedulers killed without stopping


class Enqueuer(Protocol):
    """Where queue mode sends due sources (``tasks.RefreshQueue``)."""

    def enqueue(
        self, name: str, *, after: datetime | None = None, at: datetime | None = None
    ) -> bool:
        """Queue a refresh; False when one is already waiting. ``after``: newest run seen."""


def enqueue_slack(source: SourceSettings, schedule: ScheduleSettings) -> int:
    """Seconds before its due time at which a source is enqueued anyway.

    A run ends a little after its job fired, so the next firing, one interval later, comes
    just before the store says the source is due; without this slack it would only move the
    job and every run would take two firings.
    """
    return min(schedule.jitter, source.interval // 4)


class RefreshScheduler:
    """The APScheduler jobs of every enabled source: refreshing with a :class:`Refresher`, or,
    given a ``queue``, enqueuing due sources for the workers.
    """

    def __init__(
        self,
        settings: Settings,
        refresher: Refresher | None = None,
        *,
        store: Store | None = None,
        queue: Enqueuer | None = None,
        blocking: bool = False,
        workers: int = DEFAULT_WORKERS,
        control_interval: float = CONTROL_INTERVAL,
    ) -> None:
        if (refresher is None) == (queue is None):
            raise ValueError("give a refresher (refresh in process) or a queue, not both")
        found = store or (refresher.store if refresher else None)
        if found is None:
            raise ValueError("queue mode needs the store the workers write to")
        self.settings, self.refresher, self.store, self.queue = settings, refresher, found, queue
        self.configured = settings  # the configuration's own sources; the roster adds the rest
        self._jobs: set[str] = set()  # names of the sources with a job
        self._idle = threading.Condition()
        self._in_flight = 0  # jobs running now; shutdown(wait=True) waits for none
        kind = BlockingScheduler if blocking else BackgroundScheduler
        self.scheduler: BaseScheduler = kind(
            executors={"default": ThreadPoolExecutor(max_workers=workers)}, timezone="UTC"
        )
        self._apply_roster()
        self.scheduler.add_job(
            self.sync,
            IntervalTrigger(seconds=control_interval, timezone="UTC"),
            id=CONTROL_JOB,
            name="operators' requests",
            max_instances=1,
            coalesce=True,
        )
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.started = utc_now()
        # A tick that began before shutdown must not write its row after shutdown removed it.
        self._ticks = threading.Lock()
        self._stopped = False
        self.scheduler.add_job(
            self.tick,
            IntervalTrigger(seconds=settings.schedule.heartbeat, timezone="UTC"),
            id=TICK_JOB,
            name=TICK_JOB,
            max_instances=1,
            coalesce=True,
        )

    def start(self) -> None:
        """Start running jobs; blocks until shutdown for a blocking scheduler."""
        log.info("scheduler starting with %d sources", len(self._jobs))
        self.name = f"{socket.gethostname()}:{os.getpid()}"  # a forked child is another one
        self._stopped = False
        self.tick()
        self.scheduler.start()

    def tick(self) -> None:
        """Write this scheduler's sign of life (a database error is logged, not raised: the
        missing tick is what health checks will see)."""
        with self._ticks:
            if self._stopped:
                return
            try:
                self.store.controls.record_tick(self.name, started=self.started, at=utc_now())
            except StoreError as exc:
                log.warning("cannot record the scheduler's tick: %s", exc)

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop scheduling; with ``wait``, return only after running refreshes have ended.

        The waiting is ours, not APScheduler's: its ``shutdown(wait=True)`` joins the job
        threads while holding the job store lock, and a job ending in a backoff
        (``modify_job``) needs that lock, so the two would wait for each other forever.
        """
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if wait:
            with self._idle:
                self._idle.wait_for(lambda: self._in_flight == 0)
        with self._ticks:
            self._stopped = True
            try:
                self.store.controls.forget_scheduler(
                    self.name, older_than=utc_now() - FORGET_TICKS_AFTER
                )
            except StoreError as exc:
                log.warning("cannot remove the scheduler's tick: %s", exc)

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`shutdown`."""
        return bool(self.scheduler.running)

    def next_run_time(self, name: str) -> datetime | None:
        """When the source's job runs next; ``None`` when it has no job (disabled)."""
        job = self.scheduler.get_job(name)
        when: datetime | None = getattr(job, "next_run_time", None) if job else None
        return when

    def sync(self) -> None:
        """Follow the roster (sources added, removed, paused, resumed) and run the refreshes
        operators asked for. A database error is logged; the next look tries again."""
        try:
            self._apply_roster()
            self._run_requests()
        except StoreError as exc:
            log.warning("cannot read the operators' requests: %s", exc)

    def _apply_roster(self) -> None:
        current = roster(self.configured, self.store).settings
        self.settings = current
        if self.refresher is not None:
            self.refresher.settings = current
        wanted = {source.name: source for source in current.sources if source.enabled}
        jobs = set(self._jobs)
        for name in jobs - set(wanted):
            self._jobs.discard(name)
            if self.scheduler.get_job(name) is not None:
                self.scheduler.remove_job(name)
            log.info("source %s is no longer scheduled (paused or removed)", name)
        for name in sorted(set(wanted) - jobs):
            self._add_job(wanted[name])
            if self.scheduler.running:
                log.info("source %s is scheduled", name)

    def _run_requests(self) -> None:
        for name, asked in self.store.controls.requested().items():
            if self.settings.source(name) is None or not self.store.controls.take_request(
                name, asked
            ):
                continue
            log.info("refresh of %s asked for at %s", name, asked.isoformat())
            if self.queue is not None:
                runs = self.store.runs.recent_runs(name, limit=1, finished=True)
                self.queue.enqueue(name, after=runs[0].started if runs else None)
            elif self.scheduler.get_job(name) is not None:
                self.scheduler.modify_job(name, next_run_time=utc_now())
            else:  # paused: a refresh once, as asked
                self.scheduler.add_job(
                    self._counted(self.run_job), args=(name,), id=f"now:{name}", name=name
                )

    def run_job(self, name: str) -> RunResult:
        """One scheduled refresh, then the backoff bookkeeping (the job's function)."""
        assert self.refresher is not None, "run_job refreshes in process; use enqueue_job"
        result = self.refresher.refresh(name)
        if result.failed:
            self._back_off(name, result)
        return result

    def enqueue_job(self, name: str) -> bool:
        """Queue mode's job: enqueue the source if the store says it is due; True if queued.

        When it is not due (a replica or a worker got there first, or it is backing off), the
        job moves to the due time instead. A database error is logged and the job tries again
        at its next firing.
        """
        assert self.queue is not None, "enqueue_job needs a queue"
        source = self.settings.source(name)
        if source is None:
            return False
        try:
            return self._enqueue_if_due(source)
        except StoreError as exc:
            log.warning("cannot enqueue %s: %s", name, exc)
            return False

    def _enqueue_if_due(self, source: SourceSettings) -> bool:
        assert self.queue is not None
        now = utc_now()
        due = next_run(source, self.store.source_state(source.name), self.settings.schedule, now)
        if due > now + timedelta(seconds=enqueue_slack(source, self.settings.schedule)):
            self._move(source.name, due)
            return False
        runs = self.store.runs.recent_runs(source.name, limit=1, finished=True)
        queued = self.queue.enqueue(source.name, after=runs[0].started if runs else None)
        log.info("%s is due: %s", source.name, "queued" if queued else "already queued")
        return queued

    def _move(self, name: str, due: datetime) -> None:
        if self.scheduler.get_job(name) is not None:
            self.scheduler.modify_job(name, next_run_time=due)

    def _add_job(self, source: SourceSettings) -> None:
        jitter = min(self.settings.schedule.jitter, source.interval) or None
        trigger = IntervalTrigger(seconds=source.interval, jitter=jitter, timezone="UTC")
        job = self.run_job if self.queue is None else self.enqueue_job
        self.scheduler.add_job(
            self._counted(job),
            trigger,
            args=(source.name,),
            id=source.name,
            name=source.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=source.interval,
            next_run_time=self._first_run(source),
        )
        self._jobs.add(source.name)

    def _counted(self, job: Callable[[str], object]) -> Callable[[str], None]:
        """The job, counted in and out so :meth:`shutdown` can wait for it."""

        def counted(name: str) -> None:
            with self._idle:
                self._in_flight += 1
            try:
                job(name)
            finally:
                with self._idle:
                    self._in_flight -= 1
                    self._idle.notify_all()

        return counted

    def _first_run(self, source: SourceSettings) -> datetime:
        state = self.store.source_state(source.name)
        due = next_run(source, state, self.settings.schedule, utc_now())
        spread = random.uniform(0, min(self.settings.schedule.jitter, source.interval))
        return due + timedelta(seconds=spread)

    def _back_off(self, name: str, result: RunResult) -> None:
        source = self.settings.source(name)
        state = self.store.source_state(name)
        if source is None or state is None:
            return
        delay = backoff_seconds(
            source.interval, state.consecutive_failures, self.settings.schedule.backoff_max
        )
        due = utc_now() + timedelta(seconds=delay)
        if result.retry_after is not None and result.retry_after > due:
            due = result.retry_after
        self._move(name, due)
        log.warning(
            "source %s failed %d times; next try at %s",
            name,
            state.consecutive_failures,
            due.isoformat(),
        )
