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

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.client import call
from helpers.database import BACKEND
from helpers.outage import HeldLock, OwnCluster, free_port, have_postgresql
from helpers.processes import Children, child_env, wait_for
from helpers.upstream import Reply, TestServer, rss
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
