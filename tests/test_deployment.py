"""The documented deployment: web processes over one database, writers elsewhere.

Two granian servers (two "machines", each with its own worker processes and byte cache)
serve ``wsgi:app`` as the README's production recipe does; a third process refreshes a
source. Both must serve the new feed, with its new ETag, within the cache's change-log
interval, and answer a conditional GET for the current ETag with a bodiless 304. The same runs
on gunicorn, the alternative the README names. Runs on both databases (each pass of ``make
test``).

Each worker process has its own cache and reads the change log on its own clock, so for up to
one interval after the write a server answers with the old or the new ETag by which of its
workers takes the connection; a run of answers may all come from one worker. The test waits
for the new ETag, then until every worker has had a read of the change log since the write,
and only then requires every answer to be the new one.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import servers
from helpers.processes import Children, child_env
from helpers.servers import get
from helpers.upstream import FIRST, Reply, TestServer, rss

from syndicate.config import Settings
from syndicate.store import Store

FEED = "/feeds/all.atom"
CHANGE_INTERVAL = 1.0  # the feed cache's default change-log interval (seconds)
# After the write, by when every worker has read the change log again: one interval of waiting
# between its reads, and as long again for the read itself on a busy machine.
SETTLED = 2 * CHANGE_INTERVAL
SERVERS = {"granian": servers.granian, "gunicorn": servers.gunicorn}


@pytest.fixture
def children(tmp_path: Path) -> Iterator[Children]:
    """Child processes stopped as servers like it: SIGTERM (the server stops its workers),
    then SIGKILL after 15 s."""
    started = Children(tmp_path)
    try:
        yield started
    finally:
        started.stop_all(graceful=15)


def etags_of(ports: list[int]) -> set[str]:
    return {get(port, FEED)[1] for port in ports}


@pytest.mark.parametrize("server", list(SERVERS))
def test_web_processes_serve_the_new_etag_after_a_refresh_elsewhere(
    server: str, tmp_path: Path, settings: Settings, store: Store, children: Children
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
        ports = [SERVERS[server](children, env, 2) for _ in range(2)]

        # Every worker of both servers builds the same bytes: one ETag (ask each several times).
        before = {get(port, FEED)[1] for port in ports for _ in range(4)}
        assert len(before) == 1 and "Third story" not in get(ports[0], FEED)[2].decode()
        old = before.pop()
        assert all(get(port, FEED, etag=old)[:1] == (304,) for port in ports)

        current[0] = Reply(rss(*FIRST, ("three", "Third story", "Body three.")))
        done = subprocess.run(refresh, env=env, cwd=tmp_path, capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr.decode()
        changed_at = time.monotonic()

        # Until the sampled answers (several per server) are all new: some worker of each
        # server has read the change. Its other workers may not have: every sample can have
        # come from the one that has.
        deadline = changed_at + 3 * CHANGE_INTERVAL + 2
        while (after := {get(port, FEED)[1] for port in ports for _ in range(6)}) - {
            old
        } != after or len(after) != 1:
            assert time.monotonic() < deadline, f"stale ETag served: {after}\n{children.logs()}"
            time.sleep(0.1)
        # Every worker has read the change log since the write: from now on no answer is old.
        time.sleep(max(0.0, changed_at + SETTLED - time.monotonic()))

    new = after.pop()
    for port in ports:
        for _ in range(6):  # several per server, so each of its workers is likely asked
            status, etag, body = get(port, FEED)
            assert (status, etag) == (200, new) and b"Third story" in body
            status, etag, body = get(port, FEED, etag=new)
            assert (status, etag, body) == (304, new, b"")
