"""HTTP servers as child processes (granian, gunicorn, ``syndicate serve``, nginx) and plain
HTTP requests to them over 127.0.0.1."""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers.processes import Children

ROOT = Path(__file__).parent.parent.parent
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def request(
    port: int, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers with lower-case names, body as sent) of one request on 127.0.0.1."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def get(port: int, path: str, etag: str | None = None) -> tuple[int, str, bytes]:
    """(status, ETag, body) of a GET on 127.0.0.1."""
    status, headers, body = request(port, path, {"If-None-Match": etag} if etag else {})
    return status, headers.get("etag", ""), body


def start(
    children: Children,
    env: dict[str, str],
    args: list[str],
    port: int,
    *,
    name: str,
    ready: str = "/healthz",
) -> subprocess.Popen[bytes]:
    """Start ``args`` (a command line; a leading ``-m`` or ``-c`` runs this Python) and wait
    until ``ready`` answers on ``port``; its output goes to ``<name>-<port>.log``."""
    command = [sys.executable, *args] if args[0] in ("-m", "-c") else args
    log = children.tmp_path / f"{name}-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, cwd=children.tmp_path, stdout=out, stderr=subprocess.STDOUT
        )
    children.running.append(process)
    deadline = time.monotonic() + 60
    while True:
        try:
            if request(port, ready)[0] < 500:
                return process
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{name} did not start\n{children.logs()}")
        time.sleep(0.1)


def granian(children: Children, env: dict[str, str], workers: int) -> int:
    """``granian --interface wsgi --workers N wsgi:app`` (the production recipe); its port."""
    port = free_port()
    args = ["-m", "granian", "--interface", "wsgi", "--workers", str(workers)]
    args += ["--host", "127.0.0.1", "--port", str(port), "--working-dir", str(ROOT), "wsgi:app"]
    start(children, env, args, port, name="granian")
    return port


def gunicorn(children: Children, env: dict[str, str], workers: int) -> int:
    """``gunicorn --workers N wsgi:app`` (the alternative the README names); its port."""
    port = free_port()
    args = ["-m", "gunicorn", "--chdir", str(ROOT), "--bind", f"127.0.0.1:{port}"]
    args += ["--workers", str(workers), "--graceful-timeout", "5", "wsgi:app"]
    start(children, env, args, port, name="gunicorn")
    return port


def syndicate_serve(
    children: Children, env: dict[str, str], *options: str
) -> tuple[int, subprocess.Popen[bytes]]:
    """``syndicate serve --port P [options]``; its port and process."""
    port = free_port()
    args = ["-c", "from syndicate.cli import main; main()", "serve", "--port", str(port), *options]
    return port, start(children, env, args, port, name="serve")


def nginx_conf(folder: Path, include: Path) -> Path:
    """A main nginx configuration in ``folder`` that includes ``include`` in its http block
    (a site file, as Debian's sites-enabled are), logging and keeping its pid there."""
    user = "user root;\n" if os.getuid() == 0 else ""  # workers must read the test's folders
    conf = folder / "nginx-main.conf"
    conf.write_text(
        # One process, no master: stopping it (SIGKILL included) leaves no worker behind.
        f"{user}master_process off;\nworker_processes 1;\npid {folder}/nginx.pid;\n"
        f"error_log {folder}/nginx-error.log warn;\ndaemon off;\n"
        "events { worker_connections 256; }\n"
        f"http {{\n    access_log off;\n    include {include};\n}}\n",
        encoding="utf-8",
    )
    return conf


def nginx_test(folder: Path, include: Path) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` of a site file (included in a main configuration of the test's own)."""
    assert NGINX is not None, "nginx is not installed: `make test` installs it"
    conf = nginx_conf(folder, include)
    return subprocess.run(
        [NGINX, "-t", "-c", str(conf), "-e", str(folder / "nginx-error.log")],
        capture_output=True,
        text=True,
        timeout=30,
    )


def nginx(children: Children, folder: Path, include: Path, port: int) -> None:
    """Run nginx with a site file listening on ``port`` until the test ends."""
    assert NGINX is not None, "nginx is not installed: `make test` installs it"
    conf = nginx_conf(folder, include)
    args = [NGINX, "-c", str(conf), "-e", str(folder / "nginx-error.log")]
    start(children, dict(os.environ), args, port, name="nginx")
