"""The scheduler: due jobs run, failures back off, restarts respect the store, shutdown waits."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from httpserver import Reply, TestServer
from test_refresh import FIRST, rss

from syndicate.config import ScheduleSettings, Settings, SourceSettings
from syndicate.refresh import Refresher
from syndicate.schedule import RefreshScheduler, backoff_seconds, next_run
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
        (SourceState("s", last_failure=NOW - timedelta(minutes=10), consecutive_failures=2),
         NOW + timedelta(minutes=50)),
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
    settings: Settings, store: Store, server: TestServer, *, interval: int, jitter: int = 1,
    **options: object,
) -> RefreshScheduler:
    fields: dict[str, object] = {"name": "news", "kind": "feed", "url": server.url("/f"),
                                 "allow_private": True, "interval": interval}
    fields.update(options)
    configured = replace(settings, sources=(SourceSettings(**fields),),  # type: ignore[arg-type]
                         schedule=ScheduleSettings(jitter=jitter, backoff_max=6 * 3600))
    return RefreshScheduler(configured, Refresher(configured, store))


def wait_for(condition: Callable[[], bool], seconds: float = 8.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


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
