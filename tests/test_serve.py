"""``syndicate serve`` on granian: worker processes, the scheduler exactly once, and a stop
that finishes what was running (requests in flight, refreshes)."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.database import BACKEND
from helpers.processes import Children, child_env, wait_for
from helpers.servers import free_port, request, syndicate_serve
from helpers.upstream import FIRST, Reply, TestServer, rss
from sqlalchemy import create_engine, text

from syndicate.config import Settings
from syndicate.store import Store


@pytest.fixture
def upstream() -> Iterator[TestServer]:
    with TestServer() as server:
        yield server


def config(tmp_path: Path, upstream: TestServer) -> Path:
    path = tmp_path / "syndicate.toml"
    path.write_text(
        f'[[sources]]\nname = "news"\nkind = "feed"\nurl = "{upstream.url("/f")}"\n'
        'interval = "1h"\nallow_private = true\n\n[schedule]\njitter = 1\nheartbeat = 1\n'
        "stalled_after = 5\n",
        encoding="utf-8",
    )
    return path


def children_of(pid: int) -> list[int]:
    """The pids whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_serve_runs_granian_workers_and_one_scheduler(
    tmp_path: Path, settings: Settings, store: Store, children: Children, upstream: TestServer
) -> None:
    upstream.serve("/f", Reply(rss(*FIRST)))
    env = child_env(config(tmp_path, upstream), settings.database_url)
    port, process = syndicate_serve(children, env, "--workers", "3")
    wait_for(lambda: store.count() == 2, 30, "first refresh stored", children)
    status, headers, body = request(port, "/feeds/all.rss")
    assert status == 200 and headers["server"] == "granian" and b"Second story" in body
    assert len([p for p in children_of(process.pid) if Path(f"/proc/{p}/cmdline").exists()]) >= 3

    # One scheduler, in the supervising process: one tick row, named after its pid, and one
    # fetch of the source however many workers serve.
    wait_for(lambda: store.controls.last_tick() is not None, 10, "scheduler tick", children)
    with store.engine.connect() as conn:
        names = list(conn.execute(text("SELECT scheduler FROM scheduler_ticks")).scalars())
    assert [name.rsplit(":", 1)[1] for name in names] == [str(process.pid)]
    time.sleep(2)
    assert upstream.hits["/f"] == 1
    assert request(port, "/healthz?deep=1")[0] == 200

    children.stop(process, signal.SIGTERM)
    assert process.returncode == 0, children.logs()
    assert store.controls.last_tick() is None  # removed on the way out


def test_sigterm_lets_a_running_refresh_finish(
    tmp_path: Path, settings: Settings, store: Store, children: Children, upstream: TestServer
) -> None:
    upstream.serve("/f", Reply(rss(*FIRST), delay=3.0))
    env = child_env(config(tmp_path, upstream), settings.database_url)
    # Not waiting for the workers: the scheduler starts first, in the supervising process.
    process = children.start(env, "serve", "--port", str(free_port()))
    wait_for(lambda: upstream.active == 1, 30, "refresh in flight", children)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0, children.logs()
    assert store.count() == 2  # what the refresh fetched was stored before the exit
    runs = store.recent_runs("news")
    assert [run.outcome for run in runs] == ["ok"]
    assert "waiting for running refreshes" in children.logs()


@pytest.mark.skipif(
    BACKEND == "sqlite",
    reason="needs a lock that readers wait for: on SQLite (WAL) readers never wait",
)
def test_sigterm_lets_a_request_in_flight_finish(
    tmp_path: Path, settings: Settings, store: Store, children: Children
) -> None:
    from helpers.articles import article

    store.upsert_many(article(n) for n in range(1, 4))
    path = tmp_path / "syndicate.toml"
    path.write_text("", encoding="utf-8")
    port, process = syndicate_serve(children, child_env(path, settings.database_url))
    answers: list[tuple[int, bytes]] = []
    engine = create_engine(settings.database_url)
    with engine.connect() as conn:
        # Until this transaction ends, building the page waits on its lock.
        conn.execute(text("LOCK TABLE articles IN ACCESS EXCLUSIVE MODE"))
        asking = threading.Thread(
            target=lambda: answers.append(request(port, "/articles/article-2")[::2])
        )
        asking.start()
        time.sleep(1.0)
        process.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        assert not answers and process.poll() is None  # still waiting for the request
        conn.rollback()
    asking.join(timeout=30)
    engine.dispose()
    assert answers and answers[0][0] == 200 and b"Article 2" in answers[0][1]
    assert process.wait(timeout=30) == 0, children.logs()
