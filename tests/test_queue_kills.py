"""Queue workers killed at any moment: nothing lost, nothing half-written, no job stuck.

The sources of ``tests/test_kills.py`` (a folder source of Markdown files, a feed source over
real HTTP) in queue mode: their refreshes are enqueued as a scheduler does (each job naming
the newest finished run its enqueuer saw) and ``syndicate worker`` processes are SIGKILLed at
random moments of their work, each followed by a new worker, with files edited between
rounds. The jobs of killed workers are taken up again by the next worker once their heartbeat
is older than ``schedule.stalled_after`` (or given up after ``MAX_ATTEMPTS`` and recorded as
the source's failure). At the end one worker drains the queue, twice (the second pass is a
run of every source newer than any killed one, which marks the killed runs interrupted);
then no job is left waiting or running, and the store passes the checks of
``tests/helpers/kills.py``.

PostgreSQL only: the queue lives there. Default run: 8 kills over 300 files and a 100-entry
feed. ``-m soak``: 100 kills over 3,000 files and a 500-entry feed. Each run prints the kill
count and what was checked.
"""

from __future__ import annotations

import random
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.database import BACKEND
from helpers.kills import (
    Process,
    assert_nothing_lost,
    checked,
    feed,
    kill_at_random_moments,
    write_story,
)
from helpers.processes import Children, child_env, wait_for
from helpers.upstream import Reply, TestServer

from syndicate.config import Settings, load_settings
from syndicate.refresh.queue import RefreshQueue, conninfo
from syndicate.store import Store

pytestmark = pytest.mark.skipif(
    BACKEND != "postgresql",
    reason="the task queue lives in PostgreSQL: set SYNDICATE_TEST_DATABASE_URL",
)
HEARTBEAT, STALLED_AFTER = 0.3, 1.2  # seconds: short, so a killed worker's job is retried soon


@pytest.fixture
def server() -> Iterator[TestServer]:
    with TestServer() as running:
        yield running


def write_config(path: Path, desk: Path, wire: str) -> Path:
    path.write_text(
        '[site]\nbase_url = "https://news.example"\n'
        f'[schedule]\nmode = "queue"\nheartbeat = {HEARTBEAT}\nstalled_after = {STALLED_AFTER}\n'
        f'[[sources]]\nname = "desk"\nkind = "folder"\npath = "{desk}"\n'
        f'[[sources]]\nname = "wire"\nkind = "feed"\nurl = "{wire}"\nallow_private = true\n'
    )
    return path


def jobs(settings: Settings) -> Counter[str]:
    """The refresh jobs in the queue by status."""
    import psycopg

    with psycopg.connect(conninfo(settings.database_url)) as conn:
        found = conn.execute(
            "SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY 1"
        ).fetchall()
    return Counter({str(status): int(count) for status, count in found})


def newest_worker(settings: Settings) -> int:
    """The id of the worker registered last (each registers when it starts), 0 before any."""
    import psycopg

    with psycopg.connect(conninfo(settings.database_url)) as conn:
        row = conn.execute("SELECT coalesce(max(id), 0) FROM procrastinate_workers").fetchone()
    return int(row[0]) if row else 0


def refreshing(settings: Settings, since: int) -> bool:
    """A job is running on a worker registered after the one numbered ``since``."""
    import psycopg

    with psycopg.connect(conninfo(settings.database_url)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing' AND worker_id > %s",
            (since,),
        ).fetchone()
    return bool(row and row[0])


def drained(settings: Settings) -> bool:
    """No job waiting and none running (a dead worker's job counts as running)."""
    waiting = jobs(settings)
    return waiting["todo"] + waiting["doing"] == 0


def enqueue(queue: RefreshQueue, store: Store) -> int:
    """Queue a refresh of both sources, as the scheduler does: each job names the newest
    finished run, so a run cut short by a kill serves none of them."""
    newest = {}
    for name in ("desk", "wire"):
        runs = store.runs.recent_runs(name, limit=1, finished=True)
        newest[name] = runs[0].started if runs else None
    return queue.enqueue_many(newest)


def drain(children: Children, env: dict[str, str], queue: RefreshQueue, store: Store) -> None:
    """One worker left alone until the queue is empty, twice: the second pass runs both
    sources again after every killed run."""
    worker = children.start(env, "worker", "--concurrency", "2")
    for _ in range(2):
        enqueue(queue, store)
        wait_for(lambda: drained(queue.settings), 300, "the queue drained", children)
    assert children.stop(worker, signal.SIGTERM) == 0, children.logs()


@pytest.mark.parametrize(
    ("kills", "files", "entries"),
    [
        pytest.param(8, 300, 100, id="bounded"),
        pytest.param(100, 3000, 500, id="soak", marks=pytest.mark.soak),
    ],
)
def test_workers_killed_at_random_moments_lose_nothing_and_leave_no_job_stuck(
    children: Children,
    server: TestServer,
    tmp_path: Path,
    database_url: str,
    kills: int,
    files: int,
    entries: int,
) -> None:
    desk = tmp_path / "desk"
    desk.mkdir()
    for n in range(files):
        write_story(desk, "desk", n)
    server.serve("/wire.xml", Reply(feed(entries)))
    config = write_config(tmp_path / "syndicate.toml", desk, server.url("/wire.xml"))
    env = child_env(config, database_url)
    for command in (("db", "upgrade"), ("queue", "init")):
        assert children.start(env, *command).wait(timeout=120) == 0, children.logs()
    settings = load_settings(config, environ={"SYNDICATE_DATABASE_URL": database_url})
    killed: Counter[str] = Counter()
    rng = random.Random(kills)
    with Store(database_url) as store, RefreshQueue(settings) as queue:
        before: dict[int, int] = {}  # worker process id -> the newest worker before it

        def start(_attempt: int) -> tuple[str, Process]:
            if drained(settings):  # else the jobs of the killed worker are to be taken up
                enqueue(queue, store)
            newest = newest_worker(settings)
            worker = children.start(env, "worker", "--concurrency", "2")
            before[worker.pid] = newest
            return "worker", worker

        for round_ in range(4):  # edits between rounds: updates are killed too, not only inserts
            for n in rng.sample(range(files), 10):
                write_story(desk, "desk", n, edition=round_ + 1)
            killed += kill_at_random_moments(
                children,
                start,
                lambda _worker: drained(settings),
                kills // 4,
                seed=round_,
                busy=lambda worker: refreshing(settings, before[worker.pid]),
            )
        drain(children, env, queue, store)
        left = jobs(settings)
        assert left["todo"] == left["doing"] == 0, left  # no job stuck for a dead worker
        expected = [f"Desk story {n:04d}" for n in range(files)] + [
            f"Wire story {n:04d}" for n in range(entries)
        ]
        outcomes = assert_nothing_lost(store, settings, expected, desk, files)
    logs = "".join(p.read_text(errors="replace") for p in tmp_path.glob("worker-*.log"))
    retried = logs.count("queued again")
    print(
        f"\nkills: {sum(killed.values())} workers mid-refresh; jobs of dead workers queued again: "
        f"{retried}, given up: {logs.count('; given up')}, jobs left: {dict(left)}; "
        f"checked: no job waiting or running, {checked(len(expected), outcomes)}"
    )
    assert retried > 0  # the kills did leave jobs running for dead workers, and they came back
