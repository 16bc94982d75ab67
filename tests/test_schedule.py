"""The scheduler: due jobs run, failures back off, restarts respect the store, shutdown waits."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from helpers.processes import wait_for
from helpers.upstream import FIRST, Reply, TestServer, rss

from syndicate.backoff import backoff_seconds
from syndicate.config import ScheduleSettings, Settings, SourceSettings
from syndicate.refresh import Refresher
from syndicate.refresh.health import next_run
from syndicate.refresh.schedule import RefreshScheduler
from syndicate.store import SourceState, Store

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("interval", "failures", "ceiling", "expected"),
    [
        (900, 0, 21600, 900),
        (900, 1, 21600, 1800),
        (900, 3, 21600, 7200),
        (900, 10, 21600, 21600),
        (900, 10_000, 21600, 21600),
        (86400, 2, 21600, 86400),  # never sooner than the interval itself
    ],
)
def test_backoff_seconds_doubles_up_to_the_ceiling(
    interval: int, failures: int, ceiling: int, expected: int
) -> None:
    assert backoff_seconds(interval, failures, ceiling) == expected


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (None, NOW),
        (SourceState("s", last_success=NOW - timedelta(minutes=10)), NOW + timedelta(minutes=5)),
        (SourceState("s", last_success=NOW - timedelta(hours=2)), NOW),
        (
            SourceState("s", last_failure=NOW - timedelta(minutes=10), consecutive_failures=2),
            NOW + timedelta(minutes=50),
        ),
    ],
    ids=["never-run", "fresh", "overdue", "failing"],
)
def test_next_run_follows_the_store(state: SourceState | None, expected: datetime) -> None:
    source = SourceSettings(name="s", kind="feed", url="https://x.example/f", interval=900)
    assert next_run(source, state, ScheduleSettings(), NOW) == expected


@pytest.fixture
def server() -> Iterator[TestServer]:
    with TestServer() as running:
        yield running


def scheduled(
    settings: Settings,
    store: Store,
    server: TestServer,
    *,
    interval: int,
    jitter: int = 1,
    **options: object,
) -> RefreshScheduler:
    fields: dict[str, object] = {
        "name": "news",
        "kind": "feed",
        "url": server.url("/f"),
        "allow_private": True,
        "interval": interval,
    }
    fields.update(options)
    configured = replace(
        settings,
        sources=(SourceSettings(**fields),),  # type: ignore[arg-type]
        schedule=ScheduleSettings(jitter=jitter, backoff_max=6 * 3600),
    )
    return RefreshScheduler(configured, Refresher(configured, store))


def test_scheduler_runs_due_jobs_repeatedly(
    settings: Settings, store: Store, server: TestServer
) -> None:
    server.serve("/f", Reply(rss(*FIRST), etag='"1"'))
    sched = scheduled(settings, store, server, interval=1)
    sched.start()
    try:
        wait_for(lambda: server.hits["/f"] >= 3)
    finally:
        sched.shutdown()
    outcomes = {r.outcome for r in store.recent_runs("news")}
    assert outcomes == {"ok", "not_modified"}
    assert store.count("news") == 2


def test_scheduler_backs_off_a_failing_source_and_honours_retry_after(
    settings: Settings, store: Store, server: TestServer
) -> None:
    current = [Reply(b"", status=500)]
    server.serve("/f", lambda _seen: current[0])
    # Refreshed just now: the job's own first run waits an hour, so only these runs happen.
    store.record_success("news", at=datetime.now(UTC))
    sched = scheduled(settings, store, server, interval=3600)
    sched.start()
    try:
        sched.run_job("news")
        delay = (sched.next_run_time("news") - datetime.now(UTC)).total_seconds()  # type: ignore[operator]
        assert 7100 < delay <= 7200
        sched.run_job("news")
        delay = (sched.next_run_time("news") - datetime.now(UTC)).total_seconds()  # type: ignore[operator]
        assert 14300 < delay <= 14400
        current[0] = Reply(b"", status=503, headers={"Retry-After": "50000"})
        sched.run_job("news")
        delay = (sched.next_run_time("news") - datetime.now(UTC)).total_seconds()  # type: ignore[operator]
        assert 49900 < delay <= 50000
    finally:
        sched.shutdown()


def test_scheduler_first_run_waits_out_a_recent_success(
    settings: Settings, store: Store, server: TestServer
) -> None:
    store.record_success("news", at=datetime.now(UTC).replace(microsecond=0))
    sched = scheduled(settings, store, server, interval=3600, jitter=5)
    due = sched.next_run_time("news")
    assert due is not None
    assert 3590 < (due - datetime.now(UTC)).total_seconds() <= 3606


def test_scheduler_skips_disabled_sources(
    settings: Settings, store: Store, server: TestServer
) -> None:
    sched = scheduled(settings, store, server, interval=60, enabled=False)
    assert sched.next_run_time("news") is None


def test_scheduler_shutdown_waits_for_the_running_refresh(
    settings: Settings, store: Store, server: TestServer
) -> None:
    server.serve("/f", Reply(rss(*FIRST), delay=0.6))
    sched = scheduled(settings, store, server, interval=1)
    sched.start()
    wait_for(lambda: server.hits["/f"] >= 1)
    sched.shutdown(wait=True)
    assert not sched.running
    runs = store.recent_runs("news")
    assert [r.outcome for r in runs] == ["ok"]
    assert store.count("news") == 2


# -- queue mode: the scheduler enqueues, workers refresh, the store tells what is due ---------


class FakeQueue:
    """An enqueuer that holds one waiting job per source, as the task queue does."""

    def __init__(self) -> None:
        self.waiting: dict[str, datetime | None] = {}

    def enqueue(
        self, name: str, *, after: datetime | None = None, at: datetime | None = None
    ) -> bool:
        if name in self.waiting:
            return False
        self.waiting[name] = after
        return True


def queued(
    settings: Settings, store: Store, queue: FakeQueue, *, interval: int = 3600
) -> RefreshScheduler:
    source = SourceSettings(
        name="news", kind="feed", url="http://127.0.0.1:9/f", allow_private=True, interval=interval
    )
    configured = replace(
        settings, sources=(source,), schedule=ScheduleSettings(jitter=5, mode="queue")
    )
    return RefreshScheduler(configured, store=store, queue=queue)


def test_scheduler_in_queue_mode_enqueues_a_due_source_once(
    settings: Settings, store: Store
) -> None:
    queue = FakeQueue()
    replicas = [queued(settings, store, queue), queued(settings, store, queue)]
    assert replicas[0].enqueue_job("news") is True
    assert replicas[1].enqueue_job("news") is False  # already waiting
    assert queue.waiting == {"news": None}


def test_scheduler_in_queue_mode_passes_the_newest_run_it_saw(
    settings: Settings, store: Store
) -> None:
    queue = FakeQueue()
    started = datetime.now(UTC) - timedelta(hours=2)
    store.log_run("news", started=started, duration=0.5, outcome="ok")
    store.record_success("news", at=started)
    assert queued(settings, store, queue).enqueue_job("news")
    assert queue.waiting["news"] == started


def test_scheduler_in_queue_mode_moves_a_source_not_yet_due(
    settings: Settings, store: Store
) -> None:
    """A worker (or a replica's job) refreshed it already: wait out the interval."""
    queue = FakeQueue()
    store.record_success("news", at=datetime.now(UTC))
    sched = queued(settings, store, queue)
    sched.start()
    try:
        assert sched.enqueue_job("news") is False
        delay = (sched.next_run_time("news") - datetime.now(UTC)).total_seconds()  # type: ignore[operator]
        assert 3590 < delay <= 3600
    finally:
        sched.shutdown()
    assert queue.waiting == {}


def test_scheduler_in_queue_mode_backs_off_from_failures_workers_recorded(
    settings: Settings, store: Store
) -> None:
    queue = FakeQueue()
    now = datetime.now(UTC)
    for _ in range(2):
        store.record_failure("news", "503 from upstream", at=now)
    sched = queued(settings, store, queue)
    sched.start()
    try:
        assert sched.enqueue_job("news") is False
        delay = (sched.next_run_time("news") - datetime.now(UTC)).total_seconds()  # type: ignore[operator]
        assert 4 * 3600 - 10 < delay <= 4 * 3600
    finally:
        sched.shutdown()


def test_scheduler_enqueues_within_the_slack_before_due(settings: Settings, store: Store) -> None:
    """The firing one interval after the last one comes just before the store's due time."""
    queue = FakeQueue()
    store.record_success("news", at=datetime.now(UTC) - timedelta(seconds=3598))
    assert queued(settings, store, queue).enqueue_job("news") is True


def test_scheduler_needs_a_refresher_or_a_queue_not_both(settings: Settings, store: Store) -> None:
    with pytest.raises(ValueError, match="not both"):
        RefreshScheduler(settings, Refresher(settings, store), queue=FakeQueue())
    with pytest.raises(ValueError, match="not both"):
        RefreshScheduler(settings, store=store)
