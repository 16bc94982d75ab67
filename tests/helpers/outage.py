"""Databases that go away: a PostgreSQL cluster of the test's own (never the shared one the
suite runs on), stopped and started under running processes, and a SQLite file held locked
by another writer.

:class:`OwnCluster` runs ``scripts/postgres.sh`` with its own port and folder
(``SYNDICATE_PG_PORT``, ``SYNDICATE_PG_DIR``), so stopping it touches no one else's server.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import sqlite3
import subprocess
import threading
import uuid
from pathlib import Path

SCRIPT = Path(__file__).parent.parent.parent / "scripts" / "postgres.sh"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def have_postgresql() -> bool:
    return bool(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")) or bool(shutil.which("pg_ctl"))


class OwnCluster:
    """A throwaway PostgreSQL cluster on a free port; a context manager that removes it."""

    def __init__(self) -> None:
        self.port = free_port()
        # Under /tmp itself: the server runs as "postgres", which cannot enter pytest's folders.
        self.root = Path(f"/tmp/syndicate-outage-{uuid.uuid4().hex[:8]}")
        self.env = os.environ | {
            "SYNDICATE_PG_PORT": str(self.port),
            "SYNDICATE_PG_DIR": str(self.root),
        }

    def _run(self, *args: str) -> str:
        done = subprocess.run(
            ["bash", str(SCRIPT), *args], env=self.env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def url(self, database: str = "syndicate_outage") -> str:
        """Start the cluster (made the first time) and give a database's URL."""
        return self._run("url", database)

    def stop(self) -> None:
        self._run("stop")

    def __enter__(self) -> OwnCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            Path(f"{self.root}.lock").unlink(missing_ok=True)


class HeldLock:
    """Another writer holding a SQLite file's write lock (``BEGIN IMMEDIATE``) on a thread,
    until :meth:`release`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.taken = threading.Event()
        self._release = threading.Event()
        self._thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("UPDATE sources SET failure_message = failure_message")
            self.taken.set()
            self._release.wait(120)
            conn.execute("ROLLBACK")
        finally:
            conn.close()

    def __enter__(self) -> HeldLock:
        self._thread.start()
        assert self.taken.wait(30), "the lock was not taken"
        return self

    def release(self) -> None:
        self._release.set()
        self._thread.join(timeout=30)

    def __exit__(self, *exc: object) -> None:
        self.release()
