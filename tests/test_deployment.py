"""The documented deployment: gunicorn web processes over one database, writers elsewhere.

Two gunicorn servers (two "machines", each with its own worker processes and feed cache)
serve ``wsgi:app``; a third process refreshes a source. Both must serve the new feed, with
its new ETag, within the feed cache's change-log interval, and answer a conditional GET for
the current ETag with a bodiless 304. Runs on both databases (each pass of ``make test``).
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.processes import Children, child_env
from helpers.upstream import FIRST, Reply, TestServer, rss

from syndicate.config import Settings
from syndicate.store import Store

ROOT = Path(__file__).parent.parent
FEED = "/feeds/all.atom"
CHANGE_INTERVAL = 1.0  # the feed cache's default change-log interval (seconds)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(port: int, path: str, etag: str | None = None) -> tuple[int, str, bytes]:
    """(status, ETag, body) of a GET on 127.0.0.1."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"If-None-Match": etag} if etag else {})
        response = conn.getresponse()
        return response.status, response.getheader("ETag") or "", response.read()
    finally:
        conn.close()


def start_gunicorn(children: Children, env: dict[str, str], workers: int) -> int:
    port = free_port()
    args = [
        "-m",
        "gunicorn",
        "--chdir",
        str(ROOT),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--graceful-timeout",
        "5",
        "wsgi:app",
    ]
    log = children.tmp_path / f"gunicorn-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, *args],
            env=env,
            cwd=children.tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    children.running.append(process)
    deadline = time.monotonic() + 30
    while True:
        try:
            if get(port, "/healthz")[0] == 200:
                return port
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"gunicorn did not start\n{children.logs()}")
        time.sleep(0.1)


@pytest.fixture
def children(tmp_path: Path) -> Iterator[Children]:
    """Child processes stopped as servers like it: SIGTERM (gunicorn stops its workers), then
    SIGKILL after 15 s."""
    started = Children(tmp_path)
    try:
        yield started
    finally:
        started.stop_all(graceful=15)


def etags_of(ports: list[int]) -> set[str]:
    return {get(port, FEED)[1] for port in ports}


def test_gunicorn_processes_serve_the_new_etag_after_a_refresh_elsewhere(
    tmp_path: Path, settings: Settings, store: Store, children: Children
) -> None:
    with TestServer() as upstream:
        current = [Reply(rss(*FIRST))]
        upstream.serve("/f", lambda _seen: current[0])
        config = tmp_path / "syndicate.toml"
        config.write_text(
            '[site]\nbase_url = "http://feeds.example.test"\n\n'
            f'[[sources]]\nname = "news"\nkind = "feed"\nurl = "{upstream.url("/f")}"\n'
            "allow_private = true\n",
            encoding="utf-8",
        )
        env = child_env(config, settings.database_url)
        refresh = [
            sys.executable,
            "-c",
            "from syndicate.cli import main; main()",
            "refresh",
            "news",
        ]
        subprocess.run(refresh, env=env, cwd=tmp_path, check=True, capture_output=True, timeout=60)
        ports = [start_gunicorn(children, env, workers=2) for _ in range(2)]

        # Every worker of both servers builds the same bytes: one ETag (ask each several times).
        before = {get(port, FEED)[1] for port in ports for _ in range(4)}
        assert len(before) == 1 and "Third story" not in get(ports[0], FEED)[2].decode()
        old = before.pop()
        assert all(get(port, FEED, etag=old)[:1] == (304,) for port in ports)

        current[0] = Reply(rss(*FIRST, ("three", "Third story", "Body three.")))
        done = subprocess.run(refresh, env=env, cwd=tmp_path, capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr.decode()
        changed_at = time.monotonic()

        # Until every sampled answer (several per server, so each of its workers) is new.
        deadline = changed_at + 3 * CHANGE_INTERVAL + 2
        while (after := {get(port, FEED)[1] for port in ports for _ in range(6)}) - {
            old
        } != after or len(after) != 1:
            assert time.monotonic() < deadline, f"stale ETag served: {after}\n{children.logs()}"
            time.sleep(0.1)

    new = after.pop()
    for port in ports:
        status, etag, body = get(port, FEED)
        assert (status, etag) == (200, new) and b"Third story" in body
        status, etag, body = get(port, FEED, etag=new)
        assert (status, etag, body) == (304, new, b"")
