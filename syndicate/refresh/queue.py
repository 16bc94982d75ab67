"""At scale: refreshes as jobs on a task queue in the store's PostgreSQL (procrastinate).

The only importer of procrastinate. The scheduler decides what is due and calls
:meth:`RefreshQueue.enqueue`; ``syndicate worker`` processes, on any number of machines, run
:meth:`RefreshQueue.run_worker`, which takes jobs and refreshes with a :class:`Refresher`.
procrastinate keeps its own tables (``syndicate queue init`` creates them), apart from the
store's Alembic-managed ones.

What the queue guarantees, and how:

- Never two refreshes of one source at once, on any machine: every job of a source carries the
  lock ``source:<name>``; procrastinate starts no job while another of the same lock is running.
- No run enqueued twice: the queueing lock ``refresh:<name>`` admits one waiting job per source,
  so scheduler replicas and repeated ticks get ``AlreadyEnqueued`` (answered as "already
  queued", not an error). A second job can still be queued while the first runs, so each job
  also carries the start time of the newest run its enqueuer had seen (``after``); a job that
  finds a newer run in the store's run log is already served by it and ends without fetching.
- A worker killed mid-refresh loses nothing: its refresh never committed a half (each batch of
  upserts is one transaction, and stored articles are never deleted by a refresh). Workers write a
  heartbeat every ``schedule.heartbeat`` seconds; every worker looks, as often, for running
  jobs whose worker has been silent for ``schedule.stalled_after`` seconds, and puts them back
  in the queue for another worker. A job whose workers died :data:`MAX_ATTEMPTS` times is
  given up and recorded as the source's failure, so the scheduler backs off from it.
- A job that raises (its run could not be recorded: the database was gone) is run again by
  procrastinate after :func:`retry_delay` (:class:`BackoffRetry`), up to
  :data:`MAX_ATTEMPTS` runs; failures of the source itself, bugs in a parser included, are
  recorded by the refresher and are not errors of the job (the scheduler backs off).
- A worker outlives its database: losing it (no connection within ``schedule.stalled_after``)
  ends procrastinate's run, and :func:`~syndicate.refresh.keepalive.keep_working` starts it
  again by the backoff rule until the database answers, with no restart of the process.
- A server's ``Retry-After`` is honoured by queueing the source's next job for that time: its
  queueing lock then keeps every scheduler from queueing an earlier one.

The built-in WebSub hub's work (verifications of intent and deliveries) runs on the same
queue in queue mode, in its own procrastinate queue (``websub``): schedulers enqueue what is
due (:meth:`RefreshQueue.enqueue_hub`, one waiting job per piece of work) and workers run it
with the hook ``syndicate worker`` hands them (``refresh`` never imports ``publish``). The
work's state lives in the store, which claims each piece for one worker.

Times in ``after`` come from the clocks of different machines: keep them in sync (NTP).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import procrastinate
from procrastinate import exceptions as queue_errors
from procrastinate import jobs as queue_jobs
from procrastinate.retry import BaseRetryStrategy, RetryDecision

from syndicate.backoff import backoff_seconds
from syndicate.config import Settings, check_schedule, is_postgresql_url
from syndicate.errors import ConfigError, QueueUnreachable, StoreError
from syndicate.refresh.keepalive import cause_of, keep_working
from syndicate.refresh.roster import roster
from syndicate.refresh.seam import Refresher, RunResult

log = logging.getLogger(__name__)

TASK = "syndicate.refresh_source"
QUEUE = "refresh"
HUB_TASK = "syndicate.websub_work"
HUB_QUEUE = "websub"
HubWork = Callable[[str, int], str]  # (kind, id) -> what happened: the hub's Hub.run
MAX_ATTEMPTS = 3  # runs of one job (first one included) before it is given up
JOB_RETRY_BASE = 10  # seconds before the first retry of a job that raised


def retry_delay(attempt: int) -> int:
    """Seconds to wait before running a refresh job again after its ``attempt``-th run raised."""
    return int(backoff_seconds(JOB_RETRY_BASE, attempt - 1, float("inf")))


class BackoffRetry(BaseRetryStrategy):
    """procrastinate's retry hook, with the one backoff rule (:func:`retry_delay`).

    procrastinate's own :class:`~procrastinate.RetryStrategy` grows its waits as a power of a
    fixed base (``exponential_wait ** (attempts + 1)``), not by doubling, so the rule is
    plugged in here instead. A job runs at most :data:`MAX_ATTEMPTS` times in all.
    """

    def get_retry_decision(
        self, *, exception: BaseException, job: queue_jobs.Job
    ) -> RetryDecision | None:
        attempt = job.attempts + 1  # job.attempts counts the runs before this one
        if attempt >= MAX_ATTEMPTS:
            log.error("refresh job %s raised %d times; left to the scheduler", job.id, attempt)
            return None
        return RetryDecision(retry_in={"seconds": retry_delay(attempt)})


def conninfo(database_url: str) -> str:
    """The libpq URI of an SQLAlchemy PostgreSQL URL (``postgresql+psycopg://`` ...).

    Query parameters (``options=-csearch_path=...``) pass through: libpq reads them too.
    """
    _scheme, sep, rest = database_url.partition("://")
    if not sep or not is_postgresql_url(database_url):
        raise ConfigError(f"the task queue needs a PostgreSQL database, not {database_url!r}")
    return f"postgresql://{rest}"


@dataclass(frozen=True, slots=True)
class QueueCounts:
    """Jobs of the refresh queue by status."""

    todo: int = 0
    doing: int = 0
    succeeded: int = 0
    failed: int = 0


class RefreshQueue:
    """The refresh task on procrastinate, for enqueuers (schedulers) and for workers.

    Open it (:meth:`open`, or ``with``) before :meth:`enqueue`; :meth:`run_worker` opens its
    own asynchronous connections. ``pool_size`` bounds this process's connections to it.
    """

    def __init__(self, settings: Settings, *, pool_size: int = 4) -> None:
        check_schedule(settings)
        self.settings = settings
        # A connection is waited for at most stalled_after seconds: a worker that cannot reach
        # the database that long is dead to the others (its jobs are retried), so it gives up
        # its run and starts again when the database answers (keepalive.keep_working).
        connector = procrastinate.PsycopgConnector(
            conninfo=conninfo(settings.database_url),
            min_size=1,
            max_size=max(2, pool_size),
            timeout=settings.schedule.stalled_after,
        )
        self.app = procrastinate.App(connector=connector)
        self._task = self.app.task(name=TASK, queue=QUEUE, pass_context=True, retry=BackoffRetry())(
            self._job
        )
        self._hub_task = self.app.task(name=HUB_TASK, queue=HUB_QUEUE)(self._hub_job)
        self._refresher: Refresher | None = None
        self._hub_work: HubWork | None = None

    # -- enqueuing (scheduler side) ----------------------------------------------------------

    def open(self) -> RefreshQueue:
        """Open the connections :meth:`enqueue` and :meth:`counts` use."""
        self.app.open()
        return self

    def close(self) -> None:
        """Close them."""
        self.app.close()

    def __enter__(self) -> RefreshQueue:
        return self.open()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def ready(self) -> bool:
        """True when the queue's tables exist (``syndicate queue init`` has run)."""
        return bool(self.app.job_manager.check_connection())

    def init(self) -> bool:
        """Create the queue's tables; False when they were there already."""
        if self.ready():
            return False
        self.app.schema_manager.apply_schema()
        return True

    def enqueue(
        self, name: str, *, after: datetime | None = None, at: datetime | None = None
    ) -> bool:
        """Queue a refresh of ``name``; False when one is already waiting (not an error).

        ``after`` is the start of the newest run the caller saw (None: none); ``at`` delays
        the job to that time.
        """
        job = self._task.configure(
            lock=f"source:{name}", queueing_lock=f"refresh:{name}", schedule_at=at
        )
        try:
            job.defer(source=name, after=after.isoformat() if after else None)
        except queue_errors.AlreadyEnqueued:
            return False
        except queue_errors.ConnectorException as exc:
            raise StoreError(f"cannot queue a refresh of {name}: {exc}") from exc
        return True

    def enqueue_many(self, sources: Mapping[str, datetime | None]) -> int:
        """Queue a refresh of each source with one insert; how many were queued.

        ``sources`` maps each name to the start of its newest run the caller saw (see
        :meth:`enqueue`). Sources that already have a waiting job are skipped.
        """
        waiting = self._waiting(QUEUE)
        batch = [
            queue_jobs.Job(
                id=None,
                queue=QUEUE,
                task_name=TASK,
                lock=f"source:{name}",
                queueing_lock=f"refresh:{name}",
                task_kwargs={
                    "source": name,
                    "after": after.isoformat() if after else None,
                },
            )
            for name, after in sources.items()
            if f"refresh:{name}" not in waiting
        ]
        try:
            self.app.job_manager.batch_defer_jobs(batch)
        except queue_errors.AlreadyEnqueued:  # one was queued meanwhile: go one by one
            return sum(
                self.enqueue(name, after=sources[name])
                for name in (str(job.task_kwargs["source"]) for job in batch)
            )
        except queue_errors.ConnectorException as exc:
            raise StoreError(f"cannot queue {len(batch)} refreshes: {exc}") from exc
        return len(batch)

    def _waiting(self, queue: str) -> set[str | None]:
        """The queueing locks of the jobs waiting in ``queue``: what a batch leaves out."""
        jobs = self.app.job_manager.list_jobs(queue=queue, status=queue_jobs.Status.TODO.value)
        return {job.queueing_lock for job in jobs}

    def enqueue_hub(self, work: Sequence[tuple[str, int]]) -> int:
        """Queue the built-in hub's due work, ``(kind, id)`` each; how many were queued (a
        piece already waiting is not queued twice)."""
        waiting = self._waiting(HUB_QUEUE)
        batch = [
            queue_jobs.Job(
                id=None,
                queue=HUB_QUEUE,
                task_name=HUB_TASK,
                lock=None,
                queueing_lock=f"websub:{kind}:{item}",
                task_kwargs={"kind": kind, "item": item},
            )
            for kind, item in dict.fromkeys(work)
            if f"websub:{kind}:{item}" not in waiting
        ]
        try:
            self.app.job_manager.batch_defer_jobs(batch)
        except queue_errors.AlreadyEnqueued:  # one was queued meanwhile: go one by one
            return sum(self._enqueue_one(str(j.task_kwargs["kind"]), j) for j in batch)
        except queue_errors.ConnectorException as exc:
            raise StoreError(f"cannot queue {len(batch)} WebSub jobs: {exc}") from exc
        return len(batch)

    def _enqueue_one(self, kind: str, job: queue_jobs.Job) -> bool:
        try:
            self._hub_task.configure(queueing_lock=job.queueing_lock).defer(
                kind=kind, item=job.task_kwargs["item"]
            )
        except queue_errors.AlreadyEnqueued:
            return False
        return True

    def counts(self) -> QueueCounts:
        """How many jobs of the refresh queue are waiting, running, done and failed."""
        rows = list(self.app.job_manager.list_queues(queue=QUEUE))
        if not rows:
            return QueueCounts()
        row = rows[0]
        return QueueCounts(
            todo=row["todo"], doing=row["doing"], succeeded=row["succeeded"], failed=row["failed"]
        )

    # -- working ----------------------------------------------------------------------------

    def run_worker(
        self,
        refresher: Refresher,
        *,
        concurrency: int = 4,
        name: str | None = None,
        hub_work: HubWork | None = None,
    ) -> None:
        """Take and run refresh jobs (and, given ``hub_work``, the built-in hub's) until
        SIGINT or SIGTERM, then finish the running ones.

        Blocks, through losses of the database too. ``concurrency`` jobs run at once, each in
        a thread.
        """
        self._refresher, self._hub_work = refresher, hub_work
        asyncio.run(self._work(max(1, concurrency), name))

    async def _work(self, concurrency: int, name: str | None) -> None:
        schedule = self.settings.schedule
        queues = [QUEUE] if self._hub_work is None else [QUEUE, HUB_QUEUE]

        async def run() -> None:
            try:
                await self.app.run_worker_async(
                    queues=queues,
                    concurrency=concurrency,
                    name=name or "worker",
                    update_heartbeat_interval=schedule.heartbeat,
                    stalled_worker_timeout=schedule.stalled_after,
                    fetch_job_polling_interval=min(5.0, schedule.heartbeat),
                    delete_jobs="successful",
                    install_signal_handlers=False,  # keep_working's: a loss is not a stop
                )
            except queue_errors.ConnectorException as exc:
                raise QueueUnreachable(f"lost the task queue's database: {cause_of(exc)}") from exc

        async with self.app.open_async():
            watcher = asyncio.create_task(self._watch_stalled(), name="stalled jobs")
            try:
                await keep_working(run, base=schedule.heartbeat, ceiling=schedule.stalled_after)
            finally:
                watcher.cancel()
                await asyncio.gather(watcher, return_exceptions=True)

    def _job(
        self, context: procrastinate.JobContext, source: str, after: str | None, attempt: int = 1
    ) -> str:
        """The task: refresh one source, unless a newer run already served this job.

        A failure of the source is recorded by the refresher and is not an error of the job;
        a run whose outcome could not be recorded (the database was gone) raises, so the job is
        retried by :class:`BackoffRetry`. ``attempt`` is accepted from jobs queued by earlier
        versions and ignored: procrastinate counts attempts itself.
        """
        refresher = self._refresher
        assert refresher is not None, "jobs run only in run_worker"
        if refresher.settings.source(source) is None:  # added at run time, perhaps
            refresher.settings = roster(self.settings, refresher.store).settings
        if refresher.settings.source(source) is None:
            log.warning("queued source %s is not configured here; job dropped", source)
            return "unknown source"
        if _served(refresher, source, after):
            return "already refreshed by a newer run"
        result = refresher.refresh(source, wait=True)
        if not result.recorded:
            raise StoreError(f"the run of {source} could not be recorded: {result.message}")
        self._honour_retry_after(result)
        return f"{result.outcome} ({result.new} new, {result.updated} updated)"

    def _hub_job(self, kind: str, item: int) -> str:
        """The task of the built-in hub: one verification or delivery (the store claims it,
        so a second job of the same work finds nothing to do)."""
        if self._hub_work is None:
            return "this worker does no WebSub work"
        return self._hub_work(kind, item)

    def _honour_retry_after(self, result: RunResult) -> None:
        """Queue the source's next job for the time its server asked us to come back."""
        if not result.failed or result.retry_after is None:
            return
        job = self._task.configure(
            lock=f"source:{result.source}",
            queueing_lock=f"refresh:{result.source}",
            schedule_at=result.retry_after,
        )
        try:
            job.defer(source=result.source, after=result.started.isoformat())
        except queue_errors.AlreadyEnqueued:
            log.info(
                "%s asked to wait until %s but a job is already queued",
                result.source,
                result.retry_after.isoformat(),
            )

    # -- stalled jobs -----------------------------------------------------------------------

    async def _watch_stalled(self) -> None:
        """Put back the jobs of dead workers, every heartbeat, as long as this worker runs; and
        log the runs that ended while the database was away, though no job comes to log them."""
        while True:
            await asyncio.sleep(self.settings.schedule.heartbeat)
            try:
                await self.retry_stalled()
            except queue_errors.ConnectorException as exc:
                log.warning("cannot look for stalled jobs: %s", cause_of(exc))
            if self._refresher is not None:
                await asyncio.to_thread(self._refresher.record_pending)

    async def retry_stalled(self) -> int:
        """Queue again the running refreshes whose worker stopped writing heartbeats; how many.

        The built-in hub's are ended instead: its claim in the store runs out and the work is
        queued again when due, so the job would otherwise stay running for a dead worker."""
        manager = self.app.job_manager
        stalled = await manager.get_stalled_jobs(
            seconds_since_heartbeat=self.settings.schedule.stalled_after
        )
        retried = 0
        for job in stalled:
            if job.task_name == HUB_TASK:
                await manager.finish_job(job, queue_jobs.Status.FAILED, True)
            elif job.task_name == TASK:
                retried += await self._recover(job)
        return retried

    async def _recover(self, job: queue_jobs.Job) -> int:
        assert job.id is not None
        source = str(job.task_kwargs.get("source", ""))
        if job.attempts + 1 >= MAX_ATTEMPTS:
            await self._give_up(job, source)
            return 0
        try:
            await self.app.job_manager.retry_job(job)
        except queue_errors.UniqueViolation:
            # Another job of the source already waits: it will do this one's work.
            await self.app.job_manager.finish_job(job, queue_jobs.Status.FAILED, False)
            return 0
        except queue_errors.ConnectorException as exc:
            log.info(
                "stalled job %s of %s not retried (another worker did?): %s", job.id, source, exc
            )
            return 0
        log.warning("the worker refreshing %s stopped; job %s queued again", source, job.id)
        return 1

    async def _give_up(self, job: queue_jobs.Job, source: str) -> None:
        await self.app.job_manager.finish_job(job, queue_jobs.Status.FAILED, False)
        message = f"the worker refreshing it stopped {job.attempts + 1} times; given up"
        log.error("%s: %s", source, message)
        if self._refresher is not None and source:
            await asyncio.to_thread(self._record_failure, source, message)

    def _record_failure(self, source: str, message: str) -> None:
        assert self._refresher is not None
        try:
            self._refresher.store.record_failure(source, message, at=self._refresher.clock())
        except StoreError as exc:
            log.error("cannot record the failure of %s: %s", source, exc)


def _served(refresher: Refresher, source: str, after: str | None) -> bool:
    """True when the run log has a run newer than the one the enqueuer had seen."""
    # A run still running or cut short (its worker was killed) serves nobody: only finished
    # runs count, or the retried job of a killed worker would think itself served. Enqueuers
    # name the last finished run too (see ``schedule``).
    runs = refresher.store.runs.recent_runs(source, limit=1, finished=True)
    if not runs:
        return False
    return after is None or runs[0].started > datetime.fromisoformat(after)
