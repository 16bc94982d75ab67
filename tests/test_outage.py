"""The database goes away under a running ``syndicate serve`` and comes back.

PostgreSQL: a cluster of the test's own is stopped under ``syndicate serve`` (web and the
scheduler refreshing a feed every second). While it is down, cached feeds are served with
their validators (304 to a matching ``If-None-Match``), and so are cached pages; anything
else answers 503 with
``Retry-After`` and a body that says why; refreshes fail. When it is back, with no restart,
everything answers again, the refreshes that failed meanwhile are in the run log, and new
articles appear. SQLite: another writer holds the file's write lock for twice the busy
timeout (21 s by default, 30 s under ``-m soak``): feeds and pages keep being served (WAL
readers are not blocked), a refresh that cannot write waits the lock out or fails, and every
run is in the run log once the lock is gone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.client import call
from helpers.database import BACKEND
from helpers.outage import HeldLock, OwnCluster, free_port, have_postgresql
from helpers.processes import Children, child_env, wait_for
from helpers.upstream import Reply, Seen, TestServer, rss
from helpers.validity import assert_valid_feed
from sqlalchemy import create_engine, text

UNAVAILABLE = b"The database cannot be reached right now"


@pytest.fixture
def children(children: Children) -> Iterator[Children]:
    """The suite's child processes, stopped with SIGTERM first: ``syndicate serve`` then stops
    granian's worker process, which a SIGKILL of its parent would leave running."""
    yield children
    children.stop_all(graceful=15)


@pytest.fixture
def upstream() -> Iterator[TestServer]:
    with TestServer() as running:
        yield running


def config(tmp_path: Path, upstream: TestServer) -> Path:
    path = tmp_path / "syndicate.toml"
    path.write_text(
        '[site]\nbase_url = "https://news.example"\n[schedule]\njitter = 1\n'
        f'[[sources]]\nname = "wire"\nkind = "feed"\nurl = "{upstream.url("/wire.xml")}"\n'
        'interval = "1s"\nallow_private = true\n'
    )
    return path


def serve(children: Children, env: dict[str, str]) -> int:
    assert children.start(env, "db", "upgrade").wait(timeout=120) == 0, children.logs()
    port = free_port()
    children.start(env, "serve", "--port", str(port))
    wait_for(lambda: _up(port), 30, "syndicate serve answering", children)
    return port


def _up(port: int) -> bool:
    try:
        return call(port, "GET", "/healthz").status in (200, 503)
    except OSError:
        return False


def runs(url: str) -> list[tuple[str, str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            query = text("SELECT outcome, message FROM runs ORDER BY id")
            return [(str(o), str(m)) for o, m in conn.execute(query)]
    finally:
        engine.dispose()


@pytest.mark.skipif(not have_postgresql(), reason="no PostgreSQL server binaries here")
@pytest.mark.skipif(BACKEND != "postgresql", reason="runs in the PostgreSQL pass of the suite")
def test_postgresql_stopped_under_serve_cached_feeds_served_then_all_recovers(
    tmp_path: Path, upstream: TestServer, children: Children
) -> None:
    upstream.serve("/wire.xml", Reply(rss(("one", "First story", "Body one."))))
    with OwnCluster() as cluster:
        url = cluster.url()
        env = child_env(config(tmp_path, upstream), url)
        port = serve(children, env)
        wait_for(lambda: b"First story" in call(port, "GET", "/feeds/all.atom").body, 20,
                 "the first refresh served", children)  # fmt: skip
        cached = call(port, "GET", "/feeds/all.atom")
        etag = cached.headers["etag"]
        page = call(port, "GET", "/articles/first-story")
        assert page.status == 200
        cluster.stop()
        time.sleep(2.5)  # refreshes fail meanwhile
        again = call(port, "GET", "/feeds/all.atom")
        assert (again.status, again.headers["etag"]) == (200, etag)
        assert_valid_feed(again.body, "atom")
        assert call(port, "GET", "/feeds/all.atom", headers={"If-None-Match": etag}).status == 304
        during = call(port, "GET", "/articles/first-story")  # a cached page: still served
        assert (during.status, during.headers["etag"]) == (200, page.headers["etag"])
        for path in ("/feeds/all.atom?limit=3", "/feeds/all.rss?limit=2"):
            answer = call(port, "GET", path)
            assert answer.status == 503, (path, answer.status, answer.body[:200])
            assert answer.headers["retry-after"] == "5" and UNAVAILABLE in answer.body
            assert b"Traceback" not in answer.body and b"psycopg" not in answer.body
        upstream.serve(
            "/wire.xml",
            Reply(rss(("one", "First story", "Body one."), ("two", "Second story", "Body two."))),
        )
        cluster.url()  # started again: no restart of syndicate serve
        wait_for(lambda: b"Second story" in call(port, "GET", "/feeds/all.rss").body, 30,
                 "the feeds after the database came back", children)  # fmt: skip
        assert call(port, "GET", "/articles/first-story").status == 200
        logged = runs(url)
        assert any(o == "failed" and "failed on" in m for o, m in logged), logged
        assert any(o == "ok" for o, _ in logged) and all(o != "running" for o, _ in logged[:-1])


@pytest.mark.sqlite_only("a SQLite file locked by another writer")
@pytest.mark.parametrize(
    "seconds", [pytest.param(21, id="21s"), pytest.param(30, id="30s", marks=pytest.mark.soak)]
)
def test_sqlite_locked_by_another_writer_serving_goes_on_refreshes_recover(
    tmp_path: Path, upstream: TestServer, children: Children, seconds: int
) -> None:
    upstream.serve("/wire.xml", Reply(rss(("one", "First story", "Body one."))))
    db = tmp_path / "var" / "locked.db"
    url = f"sqlite:///{db}"
    env = child_env(config(tmp_path, upstream), url)
    port = serve(children, env)
    wait_for(lambda: b"First story" in call(port, "GET", "/feeds/all.atom").body, 20,
             "the first refresh served", children)  # fmt: skip
    upstream.serve(
        "/wire.xml",
        Reply(rss(("one", "First story", "Body one."), ("two", "Second story", "Body two."))),
    )
    with HeldLock(db) as lock:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for path in ("/feeds/all.atom", "/feeds/all.json", "/", "/articles/first-story"):
                answer = call(port, "GET", path)
                assert answer.status == 200, (path, answer.status, answer.body[:200])
            time.sleep(0.5)
        lock.release()
    wait_for(lambda: b"Second story" in call(port, "GET", "/feeds/all.rss").body, 30,
             "the refresh after the lock", children)  # fmt: skip
    # Every run is in the log once the lock is gone, those that ended under it too (as ok if
    # they waited it out, as failed if a write gave up): none is left running but the newest.
    wait_for(lambda: all(o in ("ok", "not_modified", "failed") for o, _ in runs(url)[:-1]), 15,
             "the runs under the lock logged", children)  # fmt: skip
    logged = runs(url)
    assert all("locked" in m for o, m in logged if o == "failed"), logged
    assert "database is locked" in children.logs()  # what the writers met meanwhile


def queue_config(tmp_path: Path, upstream: TestServer) -> Path:
    """Queue mode: serve's scheduler enqueues the feed every second for the workers, which
    give up waiting for a connection after 2 s (``stalled_after``)."""
    path = tmp_path / "syndicate.toml"
    path.write_text(
        '[site]\nbase_url = "https://news.example"\n'
        '[schedule]\nmode = "queue"\njitter = 1\nheartbeat = 0.5\nstalled_after = 2\n'
        f'[[sources]]\nname = "wire"\nkind = "feed"\nurl = "{upstream.url("/wire.xml")}"\n'
        'interval = "1s"\nallow_private = true\n'
    )
    return path


class Held:
    """A feed whose answers wait while :attr:`gate` is cleared; counts requests held."""

    def __init__(self, body: bytes) -> None:
        self.body, self.gate, self.held = body, threading.Event(), 0
        self.gate.set()

    def __call__(self, _seen: Seen) -> Reply:
        if not self.gate.is_set():
            self.held += 1
            self.gate.wait(60)
        return Reply(self.body)


def jobs_after_loss(log: Path) -> int:
    """How many jobs a worker finished after it last lost the database (its log says so)."""
    _before, lost, since = log.read_text(errors="replace").rpartition("taking jobs again")
    return since.count("ended with status: Success") if lost else 0


@pytest.mark.skipif(not have_postgresql(), reason="no PostgreSQL server binaries here")
@pytest.mark.skipif(BACKEND != "postgresql", reason="runs in the PostgreSQL pass of the suite")
def test_postgresql_stopped_under_workers_they_wait_and_work_again_without_restart(
    tmp_path: Path, upstream: TestServer, children: Children
) -> None:
    """Two ``syndicate worker`` processes and ``syndicate serve`` (enqueuing) in queue mode;
    the database stops for longer than a worker waits for a connection, with a refresh in
    flight. The workers neither exit nor are restarted: they take jobs again when it is back,
    the refresh cut short by the outage is in the run log as failed, and serving behaves as
    under ``syndicate serve`` alone."""
    wire = Held(rss(("one", "First story", "Body one.")))
    upstream.serve("/wire.xml", wire)
    with OwnCluster() as cluster:
        url = cluster.url()
        env = child_env(queue_config(tmp_path, upstream), url)
        assert children.start(env, "db", "upgrade").wait(timeout=120) == 0, children.logs()
        assert children.start(env, "queue", "init").wait(timeout=60) == 0, children.logs()
        workers = [children.start(env, "worker", "--name", f"w{n}") for n in range(2)]
        port = serve(children, env)
        wait_for(lambda: b"First story" in call(port, "GET", "/feeds/all.atom").body, 30,
                 "the first refresh served", children)  # fmt: skip
        cached = call(port, "GET", "/feeds/all.atom")
        wire.gate.clear()  # the next refresh hangs in its fetch ...
        wait_for(lambda: wire.held > 0, 20, "a refresh in flight", children)
        cluster.stop()  # ... and ends with the database gone
        wire.body = rss(("one", "First story", "Body one."), ("two", "Second story", "Body two."))
        wire.gate.set()
        started = time.monotonic()
        wait_for(
            lambda: (
                "taking jobs again" in children.logs() or any(w.poll() is not None for w in workers)
            ),
            20,
            "the workers losing the database",
            children,
        )
        exited = [w.poll() for w in workers]
        assert exited == [None, None], f"a worker exited on losing the database: {exited}"
        again = call(port, "GET", "/feeds/all.atom")
        assert (again.status, again.headers["etag"]) == (200, cached.headers["etag"])
        assert call(port, "GET", "/feeds/all.atom",
                    headers={"If-None-Match": cached.headers["etag"]}).status == 304  # fmt: skip
        answer = call(port, "GET", "/feeds/all.rss?limit=2")
        assert (answer.status, answer.headers["retry-after"]) == (503, "5")
        assert UNAVAILABLE in answer.body and b"Traceback" not in answer.body
        time.sleep(max(0.0, 8 - (time.monotonic() - started)))  # an outage of 8 s
        assert [w.poll() for w in workers] == [None, None], children.logs()
        cluster.url()  # started again: no restart of serve or the workers
        back = time.monotonic()
        wait_for(lambda: b"Second story" in call(port, "GET", "/feeds/all.rss").body, 40,
                 "the feeds after the database came back", children)  # fmt: skip
        print(f"\nback in {time.monotonic() - back:.1f} s after an outage of 8 s")
        assert [w.poll() for w in workers] == [None, None], children.logs()
        # The refreshes since the return were done by these processes, after they lost it.
        after_loss = [jobs_after_loss(log) for log in tmp_path.glob("worker-*.log")]
        assert len(after_loss) == 2 and sum(after_loss) > 0, (after_loss, children.logs())
        wait_for(lambda: any(o == "failed" and "failed on" in m for o, m in runs(url)), 20,
                 "the refresh cut short by the outage logged as failed", children)  # fmt: skip
        logged = runs(url)
        assert all(o != "running" for o, _ in logged[:-1]), logged
