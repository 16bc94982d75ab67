"""Child processes of the tests (``syndicate`` commands, servers) and waiting on conditions.

:class:`Children` starts ``syndicate`` commands (or any command) as child processes with their
output in log files, and stops every one of them when the test ends (the ``children`` fixture
of ``conftest.py``). :func:`wait_for` polls a condition, failing with the children's logs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest


def child_env(config: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}
    env.update(
        SYNDICATE_CONFIG=str(config), SYNDICATE_DATABASE_URL=database_url, PYTHONUNBUFFERED="1"
    )
    return env


class Children:
    """``syndicate`` child processes, each stopped (by pid) when the test ends."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
        with (self.tmp_path / f"{args[0]}-{len(self.running)}.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-c", "from syndicate.cli import main; main()", *args],
                env=env,
                cwd=self.tmp_path,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.running.append(process)
        return process

    def stop(self, process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> int:
        if process.poll() is None:
            os.kill(process.pid, sig)
        return process.wait(timeout=20)

    def stop_all(self, *, graceful: float = 0.0) -> None:
        """Stop every child: SIGKILL, or SIGTERM and up to ``graceful`` seconds to exit first
        (servers that stop their own workers on SIGTERM)."""
        if graceful > 0:
            for process in self.running:
                if process.poll() is None:
                    os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + graceful
        for process in self.running:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(
            f"== {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.tmp_path.glob("*.log"))
        )


def wait_for(
    condition: Callable[[], bool],
    seconds: float = 8.0,
    what: str = "condition",
    children: Children | None = None,
) -> None:
    """Poll ``condition`` every 50 ms; fail the test (with the children's logs) when it is not
    true within ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            logs = children.logs() if children else ""
            pytest.fail(f"{what}: not within {seconds} s\n{logs}")
        time.sleep(0.05)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for a server child to take)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
