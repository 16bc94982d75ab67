"""Refreshes on the task queue, with real processes on a real PostgreSQL.

Schedulers and workers run as ``syndicate scheduler`` and ``syndicate worker`` child processes
over the test's own schema; the upstream feeds come from a loopback server that counts, per
feed, how many requests are in flight at once. Skipped unless the suite runs on PostgreSQL
(``SYNDICATE_TEST_DATABASE_URL``, the second pass of ``make test``): the queue lives there.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers.database import BACKEND
from helpers.processes import Children, child_env, wait_for
from helpers.upstream import FIRST, Reply, Seen, TestServer, rss

from syndicate.config import ScheduleSettings, Settings, SourceSettings
from syndicate.errors import ConfigError
from syndicate.refresh import Refresher
from syndicate.refresh.queue import RefreshQueue, _served, conninfo, retry_delay
from syndicate.store import Run, Store

ROOT = Path(__file__).parent.parent
postgresql_only = pytest.mark.skipif(
    BACKEND != "postgresql",
    reason="the task queue lives in PostgreSQL: set SYNDICATE_TEST_DATABASE_URL",
)
HEARTBEAT, STALLED_AFTER = 0.3, 1.2  # seconds: short, so a dead worker is noticed quickly


# -- a loopback upstream that sees overlapping refreshes -------------------------------------


@dataclass
class Upstream:
    """Feeds at /f/<name> that take ``delay`` seconds and record overlapping requests."""

    server: TestServer
    delay: float = 0.3
    bodies: dict[str, bytes] = field(default_factory=dict)
    active: Counter[str] = field(default_factory=Counter)
    most: Counter[str] = field(default_factory=Counter)
    hits: Counter[str] = field(default_factory=Counter)
    gate: threading.Event = field(default_factory=threading.Event)  # cleared: requests stall
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.gate.set()

    def add(self, name: str, body: bytes) -> str:
        self.bodies[name] = body
        self.server.serve(f"/f/{name}", self._answer)
        return self.server.url(f"/f/{name}")

    def _answer(self, seen: Seen) -> Reply:
        name = seen.path.rsplit("/", 1)[-1]
        with self.lock:
            self.hits[name] += 1
            self.active[name] += 1
            self.most[name] = max(self.most[name], self.active[name])
        try:
            time.sleep(self.delay)
            self.gate.wait(timeout=30)
            return Reply(self.bodies[name])
        finally:
            with self.lock:
                self.active[name] -= 1


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    with TestServer() as server:
        yield Upstream(server)


# -- child processes ----------------------------------------------------------------------


def write_config(
    path: Path, sources: dict[str, str], *, interval: str = "1h", jitter: int = 1
) -> Path:
    """A config file of feed sources (name -> URL) for queue mode with short heartbeats."""
    lines = [
        "[schedule]",
        'mode = "queue"',
        f"jitter = {jitter}",
        f"heartbeat = {HEARTBEAT}",
        f"stalled_after = {STALLED_AFTER}",
        "",
    ]
    for name, url in sources.items():
        lines += [
            "[[sources]]",
            f'name = "{name}"',
            'kind = "feed"',
            f'url = "{url}"',
            f'interval = "{interval}"',
            "allow_private = true",
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# -- fixtures over the test's schema ------------------------------------------------------


def queue_settings(settings: Settings, sources: dict[str, str] | None = None) -> Settings:
    configured = tuple(
        SourceSettings(name=name, kind="feed", url=url, allow_private=True, interval=3600)
        for name, url in (sources or {}).items()
    )
    schedule = ScheduleSettings(
        mode="queue", jitter=1, heartbeat=HEARTBEAT, stalled_after=STALLED_AFTER
    )
    return replace(settings, sources=configured, schedule=schedule)


@pytest.fixture
def queue(settings: Settings, store: Store) -> Iterator[RefreshQueue]:
    """The task queue in the test's schema, tables created."""
    opened = RefreshQueue(queue_settings(settings)).open()
    opened.init()
    yield opened
    opened.close()


def jobs(settings: Settings) -> list[tuple[str, str, int]]:
    """(source, status, attempts) of every job in the test's schema."""
    import psycopg

    with psycopg.connect(conninfo(settings.database_url)) as conn:
        rows = conn.execute(
            "SELECT args->>'source', status::text, attempts FROM procrastinate_jobs ORDER BY id"
        ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


# -- without processes --------------------------------------------------------------------


def test_conninfo_keeps_the_search_path_and_drops_the_driver() -> None:
    url = "postgresql+psycopg://u@127.0.0.1:5432/db?options=-csearch_path%3Dt_1"
    assert conninfo(url) == "postgresql://u@127.0.0.1:5432/db?options=-csearch_path%3Dt_1"
    with pytest.raises(ConfigError, match="PostgreSQL"):
        conninfo("sqlite:///var/syndicate.db")


def test_queue_refuses_sqlite_in_queue_mode() -> None:
    settings = replace(
        Settings(), database_url="sqlite:///x.db", schedule=ScheduleSettings(mode="queue")
    )
    with pytest.raises(ConfigError, match="needs a PostgreSQL database"):
        RefreshQueue(settings)


def test_retry_delay_doubles() -> None:
    assert [retry_delay(n) for n in (1, 2, 3)] == [10, 20, 40]


def test_served_only_by_a_run_newer_than_the_one_seen(settings: Settings, store: Store) -> None:
    refresher = Refresher(settings, store)
    first = datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert not _served(refresher, "news", None)
    store.log_run("news", started=first, duration=0.1, outcome="ok")
    assert _served(refresher, "news", None)  # a run happened after an enqueuer saw none
    assert not _served(refresher, "news", first.isoformat())
    assert _served(refresher, "news", (first - timedelta(seconds=1)).isoformat())
    refresher.close()


# -- the queue itself ---------------------------------------------------------------------


@postgresql_only
def test_enqueue_admits_one_waiting_job_per_source_across_enqueuers(
    settings: Settings, store: Store, queue: RefreshQueue
) -> None:
    other = RefreshQueue(queue_settings(settings)).open()  # a second scheduler replica
    try:
        assert queue.enqueue("news")
        assert not other.enqueue("news")
        assert not queue.enqueue("news")
        assert other.enqueue("sport")
    finally:
        other.close()
    assert queue.counts().todo == 2
    assert [(s, st) for s, st, _ in jobs(settings)] == [("news", "todo"), ("sport", "todo")]


@postgresql_only
def test_enqueue_many_skips_sources_already_waiting(
    settings: Settings, store: Store, queue: RefreshQueue
) -> None:
    seen = datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert queue.enqueue("b")
    assert queue.enqueue_many({"a": None, "b": None, "c": seen}) == 2
    assert queue.enqueue_many({"a": None}) == 0
    assert sorted(s for s, _, _ in jobs(settings)) == ["a", "b", "c"]


@postgresql_only
def test_queue_init_is_idempotent(queue: RefreshQueue) -> None:
    assert queue.ready()
    assert queue.init() is False


@postgresql_only
def test_concurrent_enqueues_from_many_threads_queue_one_job(
    settings: Settings, store: Store, queue: RefreshQueue
) -> None:
    replicas = [RefreshQueue(queue_settings(settings)).open() for _ in range(4)]
    results: list[bool] = []
    barrier = threading.Barrier(len(replicas))

    def race(replica: RefreshQueue) -> None:
        barrier.wait()
        results.append(replica.enqueue("news"))

    threads = [threading.Thread(target=race, args=(r,)) for r in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for replica in replicas:
        replica.close()
    assert sorted(results) == [False, False, False, True]
    assert len(jobs(settings)) == 1


@postgresql_only
def test_a_dead_workers_refresh_is_queued_again_and_its_hub_job_ended(
    settings: Settings, store: Store, queue: RefreshQueue
) -> None:
    """Neither stays running for a dead worker: the hub's work is queued again by the store's
    claim running out, so its job is ended rather than retried."""
    import psycopg

    assert queue.enqueue("news") and queue.enqueue_hub([("delivery", 7)]) == 1

    async def scenario() -> int:
        worker = RefreshQueue(queue_settings(settings))
        async with worker.app.open_async():
            manager = worker.app.job_manager
            dead = await manager.register_worker()
            for _ in range(2):
                assert await manager.fetch_job(queues=None, worker_id=dead) is not None
            with psycopg.connect(conninfo(settings.database_url)) as conn:
                conn.execute(
                    "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour'"
                )
            return await worker.retry_stalled()

    assert asyncio.run(scenario()) == 1
    assert jobs(settings) == [("news", "todo", 1)]


# -- workers and schedulers as processes ---------------------------------------------------


@postgresql_only
def test_two_schedulers_and_two_workers_refresh_each_source_once_per_due_time(
    tmp_path: Path,
    settings: Settings,
    store: Store,
    queue: RefreshQueue,
    upstream: Upstream,
    children: Children,
) -> None:
    """Both schedulers find every source due at start; each is fetched exactly once."""
    names = [f"s{i}" for i in range(6)]
    sources = {n: upstream.add(n, rss((n, f"Story of {n}", "Body."))) for n in names}
    env = child_env(write_config(tmp_path / "syndicate.toml", sources), settings.database_url)
    for _ in range(2):
        children.start(env, "worker", "--concurrency", "3")
    for _ in range(2):
        children.start(env, "scheduler")
    wait_for(lambda: all(store.count(n) == 1 for n in names), 30, "every source stored", children)
    time.sleep(2 * upstream.delay + 1.0)  # time for a duplicate job to show itself
    assert dict(upstream.hits) == dict.fromkeys(names, 1), children.logs()
    assert all(len(store.recent_runs(n)) == 1 for n in names)


@postgresql_only
def test_two_schedulers_and_two_workers_never_refresh_one_source_twice_at_once(
    tmp_path: Path,
    settings: Settings,
    store: Store,
    queue: RefreshQueue,
    upstream: Upstream,
    children: Children,
) -> None:
    """Sources due every second, fetches slower than that: runs queue up behind the lock."""
    upstream.delay = 0.6
    names = ["a", "b", "c"]
    sources = {n: upstream.add(n, rss((n, f"Story {n}", "Body."))) for n in names}
    config = write_config(tmp_path / "syndicate.toml", sources, interval="1s")
    env = child_env(config, settings.database_url)
    for _ in range(2):
        children.start(env, "scheduler")
    for _ in range(2):
        children.start(env, "worker", "--concurrency", "4")
    # Manual enqueues on top of the schedulers' own, as an operator would.
    for name in names:
        queue.enqueue(name)
    wait_for(
        lambda: all(upstream.hits[n] >= 3 for n in names),
        40,
        "three refreshes of every source",
        children,
    )
    assert max(upstream.most.values()) == 1, (dict(upstream.most), children.logs())
    assert all(store.count(n) == 1 for n in names)


@postgresql_only
def test_worker_killed_mid_refresh_its_job_is_retried_by_another_and_nothing_is_lost(
    tmp_path: Path,
    settings: Settings,
    store: Store,
    queue: RefreshQueue,
    upstream: Upstream,
    children: Children,
) -> None:
    url = upstream.add("news", rss(*FIRST))
    configured = queue_settings(settings, {"news": url})
    first = Refresher(configured, store).refresh("news")
    assert (first.outcome, store.count("news")) == ("ok", 2)
    stored = store.article_ids("news")
    upstream.bodies["news"] = rss(*FIRST, ("three", "Third story", "Body three."))
    upstream.gate.clear()  # the next fetch hangs until the test lets it go
    env = child_env(write_config(tmp_path / "syndicate.toml", {"news": url}), settings.database_url)
    doomed = children.start(env, "worker")
    seen = upstream.hits["news"]
    queue.enqueue("news", after=store.recent_runs("news", limit=1)[0].started)  # the first run
    wait_for(lambda: upstream.hits["news"] > seen, 20, "the worker fetching", children)
    survivor = children.start(env, "worker")
    assert children.stop(doomed, signal.SIGKILL) == -signal.SIGKILL
    upstream.gate.set()
    wait_for(lambda: store.count("news") == 3, 30, "the retried run stored", children)
    # The articles are committed a moment before the run that stored them is logged.
    wait_for(
        lambda: store.recent_runs("news", limit=1)[0].outcome == "ok",
        10,
        "the retried run logged",
        children,
    )
    assert survivor.poll() is None
    assert "job 1 queued again" in children.logs()  # by a worker, from the dead one's silence
    # The killed worker's run is in the log, as cut short.
    assert [r.outcome for r in store.recent_runs("news")] == ["ok", "interrupted", "ok"]
    wait_for(lambda: not jobs(settings), 10, "the retried job done and deleted", children)
    assert store.article_ids("news") > stored


@postgresql_only
def test_worker_on_sigterm_finishes_its_refresh_then_exits(
    tmp_path: Path,
    settings: Settings,
    store: Store,
    queue: RefreshQueue,
    upstream: Upstream,
    children: Children,
) -> None:
    upstream.delay = 1.0
    url = upstream.add("news", rss(*FIRST))
    env = child_env(write_config(tmp_path / "syndicate.toml", {"news": url}), settings.database_url)
    worker = children.start(env, "worker")
    queue.enqueue("news")
    wait_for(lambda: upstream.hits["news"] == 1, 20, "the worker fetching", children)
    assert children.stop(worker, signal.SIGTERM) == 0, children.logs()
    runs = store.recent_runs("news")
    assert [r.outcome for r in runs] == ["ok"] and store.count("news") == 2
    assert jobs(settings) == []


@postgresql_only
def test_retry_after_queues_the_next_job_for_that_time(
    tmp_path: Path,
    settings: Settings,
    store: Store,
    queue: RefreshQueue,
    children: Children,
) -> None:
    with TestServer() as server:
        server.serve("/f", Reply(b"", status=503, headers={"Retry-After": "3600"}))
        env = child_env(
            write_config(tmp_path / "syndicate.toml", {"news": server.url("/f")}),
            settings.database_url,
        )
        children.start(env, "worker")
        queue.enqueue("news")
        wait_for(
            lambda: (
                [s for _, s, _ in jobs(settings)] == ["todo"] and bool(store.recent_runs("news"))
            ),
            20,
            "the failure recorded",
            children,
        )
    state = store.source_state("news")
    assert state is not None and state.consecutive_failures == 1
    assert not queue.enqueue("news")  # the delayed job holds the source's place
    last: Run = store.recent_runs("news")[0]
    assert last.outcome == "failed"


# -- the commands -------------------------------------------------------------------------


def run_cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    from click.testing import CliRunner

    from syndicate.cli import cli

    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def test_worker_refuses_to_run_outside_queue_mode(tmp_path: Path) -> None:
    config = tmp_path / "syndicate.toml"
    config.write_text("")
    env = {
        "SYNDICATE_CONFIG": str(config),
        "SYNDICATE_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
    }
    code, output = run_cli(env, "worker")
    assert code == 2 and 'needs schedule.mode = "queue"' in output


@postgresql_only
def test_queue_commands_init_enqueue_and_count(
    tmp_path: Path, settings: Settings, store: Store, upstream: Upstream
) -> None:
    sources = {n: upstream.add(n, rss((n, "Story", "Body."))) for n in ("a", "b")}
    env = child_env(write_config(tmp_path / "syndicate.toml", sources), settings.database_url)
    code, output = run_cli(env, "refresh", "--enqueue")
    assert code == 2 and "syndicate queue init" in output
    assert run_cli(env, "queue", "init") == (0, "task queue created\n")
    assert run_cli(env, "queue", "init") == (0, "task queue already there\n")
    assert run_cli(env, "refresh", "--enqueue") == (0, "2 refresh(es) queued; 0 already waiting\n")
    again = run_cli(env, "refresh", "--enqueue", "a")
    assert again == (0, "0 refresh(es) queued; 1 already waiting\n")
    code, output = run_cli(env, "queue", "status")
    assert code == 0 and output.startswith("waiting: 2   running: 0")
