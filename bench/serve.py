"""Serving a 50-item feed: syndicate against nginx, a raw WSGI app and Django syndication.

Usage (from the repository root, after ``pip install -e '.[bench]'`` and
``apt-get install wrk nginx``)::

    .venv/bin/python bench/serve.py [--duration 5] [--runs 3] [--connections 32]

Everything listens on 127.0.0.1 only. One SQLite database of 50 generated articles (about 2 KB
of HTML each) in a temporary folder serves all four:

(a) syndicate under gunicorn (``syndicate.web:create_app()``), ``/feeds/all.rss``;
(b) nginx serving the very bytes syndicate sent, as a static file (gzip: a ``.gz`` beside it,
    ``gzip_static``), the physical limit of this machine;
(c) a raw WSGI callable returning those bytes (with an ETag check and a gzip copy) under the
    same gunicorn settings as (a), the ceiling of Python behind gunicorn;
(d) a Django project with ``django.contrib.syndication`` over the same ``articles`` table, with
    ``ConditionalGetMiddleware`` and ``GZipMiddleware``: what a Python user would pick instead.

Each case is driven by wrk (``--latency``) as a plain 200, as a 304 (``If-None-Match`` with
the ETag that server gave) and as a 200 with ``Accept-Encoding: gzip``; the median of
``--runs`` runs is printed (requests per second and p99 latency), then every ratio of (a) to
(b), (c) and (d).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ARTICLES = 50
FEED_PATH = "/feeds/all.rss"
WORKERS, THREADS = 1, 4  # same gunicorn settings for (a), (c) and (d); the box has few cores
CASES = ("200", "304", "gzip")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--runs", type=int, default=3, help="runs per case (median kept)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            sys.exit(f"{tool} is missing: apt-get install wrk nginx")
    with tempfile.TemporaryDirectory(prefix="syndicate-bench-") as folder:
        os.chmod(folder, 0o755)  # nginx workers run unprivileged
        results = run_all(Path(folder), args)
    report(results, args)


def run_all(folder: Path, args: argparse.Namespace) -> dict[str, dict[str, tuple[float, float]]]:
    database = folder / "bench.db"
    fill(database)
    env = os.environ | {
        "SYNDICATE_CONFIG": str(write(folder / "syndicate.toml", "")),
        "SYNDICATE_DATABASE_URL": f"sqlite:///{database}",
        "SYNDICATE_BASE_URL": "http://127.0.0.1",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}",
        "BENCH_FOLDER": str(folder),
        "BENCH_DATABASE": str(database),
    }
    results: dict[str, dict[str, tuple[float, float]]] = {}
    port = free_port()
    with gunicorn("syndicate.web:create_app()", port, env):
        body, gz, etag = fetch(port, FEED_PATH)
        results["syndicate"] = drive(port, FEED_PATH, etag, args)
    (folder / "feed.rss").write_bytes(body)
    (folder / "feed.rss.gz").write_bytes(gz)
    env["BENCH_ETAG"] = etag
    port = free_port()
    with nginx(folder, port):
        _, _, static_etag = fetch(port, "/feed.rss")
        results["nginx"] = drive(port, "/feed.rss", static_etag, args)
    port = free_port()
    with gunicorn("serve_peers:raw_app", port, env):
        results["raw wsgi"] = drive(port, "/feed.rss", etag, args)
    port = free_port()
    with gunicorn("serve_peers:django_app()", port, env):
        _, _, django_etag = fetch(port, "/feed.rss")
        results["django"] = drive(port, "/feed.rss", django_etag, args)
    return results


def fill(database: Path) -> None:
    """50 articles of about 2 KB of HTML each, in three categories."""
    from syndicate.model import Article
    from syndicate.store import Store

    store = Store(f"sqlite:///{database}")
    store.create_schema()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    paragraph = "<p>" + "A sentence of an article about the news of the day. " * 6 + "</p>"
    store.upsert_many(
        Article(
            id=f"00000000-0000-4000-8000-{n:012d}",
            source="bench",
            slug=f"article-{n}",
            title=f"Article number {n}",
            blocks=(),
            body_html=paragraph * 6,
            summary=f"The summary of article {n}.",
            published=start + timedelta(hours=n),
            updated=start + timedelta(hours=n),
            content_hash=f"h{n}",
            categories=(("News", "Sports", "Arts")[n % 3],),
            authors=("A. Writer",),
        )
        for n in range(1, ARTICLES + 1)
    )
    store.close()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(app: str, port: int, env: dict[str, str]) -> Iterator[None]:
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--threads",
        str(THREADS),
        "--worker-class",
        "gthread",
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
        "--chdir",
        str(ROOT / "bench"),
    ]
    with process(command, env, port):
        yield


@contextmanager
def nginx(folder: Path, port: int) -> Iterator[None]:
    conf = write(
        folder / "nginx.conf",
        f"""
worker_processes {WORKERS};
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
daemon off;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    types {{ application/rss+xml rss; }}
    server {{
        listen 127.0.0.1:{port};
        root {folder};
        gzip_static on;
        location / {{ add_header Cache-Control "public, max-age=1800"; }}
    }}
}}
""",
    )
    nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
    with process(
        [nginx_bin, "-c", str(conf), "-e", str(folder / "nginx-error.log")], dict(os.environ), port
    ):
        yield


@contextmanager
def process(command: list[str], env: dict[str, str], port: int) -> Iterator[None]:
    proc = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        wait_for(port, proc)
        yield
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_for(port: int, proc: subprocess.Popen[Any]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server exited with status {proc.returncode}: {proc.args}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"server did not listen on {port}: {proc.args}")


def fetch(port: int, path: str) -> tuple[bytes, bytes, str]:
    """The identity body, the gzip body and the ETag a server sends (checks both are 200)."""
    url = f"http://127.0.0.1:{port}{path}"
    with urllib.request.urlopen(url, timeout=10) as response:
        body, etag = response.read(), response.headers.get("ETag", "")
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=10) as response:
        gz = response.read()
    return body, gz, etag


def drive(
    port: int, path: str, etag: str, args: argparse.Namespace
) -> dict[str, tuple[float, float]]:
    url = f"http://127.0.0.1:{port}{path}"
    headers = {
        "200": [],
        "304": ["-H", f"If-None-Match: {etag}"],
        "gzip": ["-H", "Accept-Encoding: gzip"],
    }
    results = {}
    for case in CASES:
        wrk_once(url, headers[case], 1, args)  # warm-up: caches, connections, compression
        runs = [wrk_once(url, headers[case], args.duration, args) for _ in range(args.runs)]
        results[case] = (
            statistics.median(r[0] for r in runs),
            statistics.median(r[1] for r in runs),
        )
        print(
            f"  {url} {case}: {results[case][0]:,.0f} rps, p99 {results[case][1]:.2f} ms",
            flush=True,
        )
    return results


def wrk_once(
    url: str, headers: list[str], duration: int, args: argparse.Namespace
) -> tuple[float, float]:
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration}s",
        "--latency",
        *headers,
        url,
    ]
    out = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=duration + 30
    ).stdout
    if "Non-2xx or 3xx responses" in out:
        sys.exit(f"errors from {url}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    assert p99 is not None, out
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99[2]]
    return rps, float(p99[1]) * scale


def report(results: dict[str, dict[str, tuple[float, float]]], args: argparse.Namespace) -> None:
    print(
        f"\n{ARTICLES}-item RSS feed, wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration}s, median of {args.runs}; gunicorn gthread {WORKERS} worker x "
        f"{THREADS} threads; nginx {WORKERS} worker\n"
    )
    print(f"{'server':<12}" + "".join(f"{c + ' rps':>12}{c + ' p99 ms':>12}" for c in CASES))
    for server, cases in results.items():
        print(
            f"{server:<12}" + "".join(f"{cases[c][0]:>12,.0f}{cases[c][1]:>12.2f}" for c in CASES)
        )
    ours = results["syndicate"]
    print("\nsyndicate rps as a multiple of each peer:")
    for peer in ("nginx", "raw wsgi", "django"):
        ratios = "  ".join(f"{c} {ours[c][0] / results[peer][c][0]:.2f}x" for c in CASES)
        print(f"  vs {peer:<9} {ratios}")


if __name__ == "__main__":
    main()
