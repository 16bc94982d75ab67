"""Serving a cached feed and an article page: syndicate against nginx, raw WSGI and Django.

Usage (from the repository root, after ``pip install -e '.[bench]'`` and
``apt-get install wrk nginx``)::

    .venv/bin/python bench/serve.py [--duration 5] [--runs 3] [--connections 32] [--threads 4]

Everything listens on 127.0.0.1 only and runs one worker process. One SQLite database of 50
generated articles (about 2 KB of HTML each) in a temporary folder serves all of them, in one
run:

- **syndicate, granian**: ``granian --interface wsgi --workers 1 --blocking-threads T wsgi:app``
  (what ``syndicate serve`` runs), ``/feeds/all.rss`` and ``/articles/article-1``;
- **syndicate, uncounted**: the same with ``[stats] enabled = false``: what counting the
  polls of each feed (on by default) costs the serving path, printed as a ratio per case;
- **syndicate, gunicorn**: ``gunicorn wsgi:app`` (gthread, 1 worker x T threads);
- **raw WSGI, granian** and **raw WSGI, gunicorn**: a WSGI callable returning the very bytes
  syndicate sent (an ETag check and a gzip copy, nothing else), under the same two servers:
  the ceiling of Python behind each;
- **nginx static**: nginx serving those same bytes as static files (``gzip_static``): what the
  machine can do without Python, the bar every figure is divided by;
- **nginx export**: nginx serving ``syndicate export`` output with its generated site file;
- **Django**: ``django.contrib.syndication`` for the feed and a template view for the page,
  over the same ``articles`` table, with ``ConditionalGetMiddleware`` and ``GZipMiddleware``,
  under gunicorn.

All of them run at once; wrk (``--latency``) drives the feed as a plain 200, a 304
(``If-None-Match`` with the ETag that server gave) and a gzip 200, and the page as a 200 and a
304; each is the median of ``--runs`` runs, and each run goes round every server in turn, so
load from elsewhere on a shared machine falls on all of them alike. It prints requests per
second and p99 per case, then every server's rate as a multiple of nginx static's, the targets,
and the cost of counting (counted / uncounted). ``--only REGEX`` runs only the servers whose
name matches, and nginx static (the bar): ``--only '^syndicate, (granian|uncounted)$'``
measures the cost of counting alone.
"""

from __future__ import annotations

import argparse
import os
import platform
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
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ARTICLES = 50
FEED, PAGE = "/feeds/all.rss", "/articles/article-1"
THREADS = 4  # request threads of the Python servers (syndicate serve's default)
CASES = {"feed": ("200", "304", "gzip"), "page": ("200", "304")}
BASELINE = "nginx static"
# (server, document, case) -> the least multiple of nginx static's rate asked for.
TARGETS = {
    ("syndicate, granian", "feed", "200"): 1.0,
    ("syndicate, granian", "feed", "304"): 0.5,
    ("syndicate, granian", "page", "200"): 0.5,
    ("nginx export", "feed", "200"): 1.0,
}
COUNTED, UNCOUNTED = "syndicate, granian", "syndicate, uncounted"
COUNTING_TARGET = 0.95  # counting polls may cost at most 5% of the serving rate
Results = dict[str, dict[tuple[str, str], tuple[float, float]]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--runs", type=int, default=3, help="runs per case (median kept)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--threads", type=int, default=THREADS, help="Python server threads")
    parser.add_argument("--only", default="", help="only the servers matching this regex")
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            sys.exit(f"{tool} is missing: apt-get install wrk nginx")
    print(machine(), flush=True)
    with tempfile.TemporaryDirectory(prefix="syndicate-bench-") as folder:
        os.chmod(folder, 0o755)  # nginx workers run unprivileged
        results = run_all(Path(folder), args)
    report(results, args)
    print(f"\nload after: {load()}")


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}, {platform.system()} {platform.release()}; {load()}"


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def run_all(folder: Path, args: argparse.Namespace) -> Results:
    """Start every server at once, then measure them interleaved: each case's runs go round
    all servers in turn, so load from elsewhere on the machine falls on all of them alike."""
    database = folder / "bench.db"
    fill(database)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}
    env |= {
        "SYNDICATE_CONFIG": str(write(folder / "syndicate.toml", "")),
        "SYNDICATE_DATABASE_URL": f"sqlite:///{database}",
        "SYNDICATE_BASE_URL": "http://127.0.0.1",
        "SYNDICATE_STATS_SALT": "bench-salt-of-sixteen-characters",  # no salt file made
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}",
        "BENCH_FOLDER": str(folder),
        "BENCH_DATABASE": str(database),
    }
    ours = {"feed": FEED, "page": PAGE}
    raw = {"feed": "/feed.rss", "page": "/article.html"}
    servers: dict[str, tuple[int, dict[str, str]]] = {}
    only = re.compile(args.only) if args.only else None

    def wanted(name: str) -> bool:
        return only is None or name == BASELINE or bool(only.search(name))

    with ExitStack() as running:
        port = free_port()
        running.enter_context(granian("wsgi:app", port, env, args))  # the bytes the others send
        if wanted(COUNTED):
            servers[COUNTED] = (port, ours)
        feed, feed_gz, feed_etag = fetch(port, FEED)
        page, page_gz, page_etag = fetch(port, PAGE)
        for name, body in (
            ("feed.rss", feed),
            ("feed.rss.gz", feed_gz),
            ("article.html", page),
            ("article.html.gz", page_gz),
        ):
            (folder / name).write_bytes(body)
        env |= {"BENCH_FEED_ETAG": feed_etag, "BENCH_PAGE_ETAG": page_etag}
        uncounted = env | {
            "SYNDICATE_CONFIG": str(write(folder / "uncounted.toml", "[stats]\nenabled = false\n"))
        }
        starters: list[tuple[str, Any, dict[str, str]]] = [
            (UNCOUNTED, lambda p: granian("wsgi:app", p, uncounted, args), ours),
            ("syndicate, gunicorn", lambda p: gunicorn("wsgi:app", p, env, args), ours),
            ("raw WSGI, granian", lambda p: granian("serve_peers:raw_app", p, env, args), raw),
            ("raw WSGI, gunicorn", lambda p: gunicorn("serve_peers:raw_app", p, env, args), raw),
            (BASELINE, lambda p: nginx(folder / "static", static_site(folder, p)), raw),
            (
                "nginx export",
                lambda p: nginx(folder / "exported", export(folder / "export", env, p)),
                ours,
            ),
            (
                "Django",
                lambda p: gunicorn("serve_peers:django_app()", p, env, args),
                {"feed": "/feed.rss", "page": PAGE},
            ),
        ]
        for name, start, paths in starters:
            if wanted(name):
                port = free_port()
                running.enter_context(start(port))
                servers[name] = (port, paths)
        return drive(servers, args)


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


def export(folder: Path, env: dict[str, str], port: int) -> Path:
    """``syndicate export`` of the bench database; its nginx site file."""
    command = [str(ROOT / ".venv" / "bin" / "syndicate"), "export", str(folder)]
    subprocess.run([*command, "--listen", f"127.0.0.1:{port}"], env=env, check=True)
    return folder / "syndicate-nginx.conf"


@contextmanager
def granian(app: str, port: int, env: dict[str, str], args: argparse.Namespace) -> Iterator[None]:
    command = [str(ROOT / ".venv" / "bin" / "granian"), "--interface", "wsgi", "--workers", "1"]
    command += ["--blocking-threads", str(args.threads), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--log-level", "warning", "--no-ws"]
    command += ["--working-dir", str(ROOT / "bench"), app]
    with process(command, env | {"PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}"}, port):
        yield


@contextmanager
def gunicorn(app: str, port: int, env: dict[str, str], args: argparse.Namespace) -> Iterator[None]:
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), app, "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "1", "--threads", str(args.threads), "--worker-class", "gthread"]
    command += ["--keep-alive", "30", "--log-level", "warning", "--chdir", str(ROOT / "bench")]
    with process(command, env, port):
        yield


def static_site(folder: Path, port: int) -> Path:
    """An nginx site serving the bytes syndicate sent as plain static files."""
    return write(
        folder / "static-site.conf",
        f"""
types {{ application/rss+xml rss; text/html html; }}
server {{
    listen 127.0.0.1:{port};
    root {folder};
    gzip_static on;
    location / {{ add_header Cache-Control "public, max-age=1800"; }}
}}
""",
    )


@contextmanager
def nginx(folder: Path, site: Path) -> Iterator[None]:
    """An nginx of its own (configuration, pid and log in ``folder``) including ``site``."""
    folder.mkdir(exist_ok=True)
    os.chmod(folder, 0o755)
    user = "user root;" if os.getuid() == 0 else ""
    conf = write(
        folder / "nginx.conf",
        f"""
{user}
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
daemon off;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    include {site};
}}
""",
    )
    port = int(re.search(r"listen 127\.0\.0\.1:(\d+)", site.read_text())[1])  # type: ignore[index]
    nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
    command = [nginx_bin, "-c", str(conf), "-e", str(folder / "nginx-error.log")]
    with process(command, dict(os.environ), port):
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
            proc.wait(timeout=15)
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


def drive(servers: dict[str, tuple[int, dict[str, str]]], args: argparse.Namespace) -> Results:
    """Every case of every server, ``args.runs`` times, the servers in turn within each run."""
    results: Results = {name: {} for name in servers}
    for document, cases in CASES.items():
        etags = {name: fetch(port, paths[document])[2] for name, (port, paths) in servers.items()}
        for case in cases:
            runs: dict[str, list[tuple[float, float]]] = {name: [] for name in servers}
            for name, (port, paths) in servers.items():  # warm-up: caches, connections
                wrk_once(url_of(port, paths[document]), headers_of(case, etags[name]), 1, args)
            for _ in range(args.runs):
                for name, (port, paths) in servers.items():
                    url = url_of(port, paths[document])
                    runs[name].append(
                        wrk_once(url, headers_of(case, etags[name]), args.duration, args)
                    )
            for name in servers:
                found = (
                    statistics.median(r[0] for r in runs[name]),
                    statistics.median(r[1] for r in runs[name]),
                )
                results[name][(document, case)] = found
                print(f"  {name} {document} {case}: {found[0]:,.0f} rps, p99 {found[1]:.2f} ms")
            print(f"  ({load()})", flush=True)
    return results


def url_of(port: int, path: str) -> str:
    return f"http://127.0.0.1:{port}{path}"


def headers_of(case: str, etag: str) -> list[str]:
    return {
        "200": [],
        "304": ["-H", f"If-None-Match: {etag}"],
        "gzip": ["-H", "Accept-Encoding: gzip"],
    }[case]


def wrk_once(
    url: str, headers: list[str], duration: int, args: argparse.Namespace
) -> tuple[float, float]:
    command = ["wrk", f"-t{args.wrk_threads}", f"-c{args.connections}", f"-d{duration}s"]
    command += ["--latency", *headers, url]
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


def report(results: Results, args: argparse.Namespace) -> None:
    columns = [(doc, case) for doc, cases in CASES.items() for case in cases]
    print(
        f"\n{ARTICLES}-item RSS feed ({FEED}) and an article page ({PAGE}); wrk "
        f"-t{args.wrk_threads} -c{args.connections} -d{args.duration}s, median of {args.runs}; "
        f"one worker process each, Python servers with {args.threads} threads\n"
    )
    head = "".join(f"{f'{d} {c}':>14}" for d, c in columns)
    print(f"{'requests/s':<22}{head}")
    for server, cases in results.items():
        print(f"{server:<22}" + "".join(f"{cases[c][0]:>14,.0f}" for c in columns))
    print(f"\n{'p99 ms':<22}{head}")
    for server, cases in results.items():
        print(f"{server:<22}" + "".join(f"{cases[c][1]:>14.2f}" for c in columns))
    base = results[BASELINE]
    print(f"\n{'x nginx static':<22}{head}")
    for server, cases in results.items():
        print(f"{server:<22}" + "".join(f"{cases[c][0] / base[c][0]:>13.2f}x" for c in columns))
    print("\ntargets:")
    for (server, document, case), wanted in TARGETS.items():
        if server not in results:
            continue
        ratio = results[server][(document, case)][0] / base[(document, case)][0]
        verdict = "met" if ratio >= wanted else "NOT met"
        print(f"  {server} {document} {case}: {ratio:.2f}x nginx static (>= {wanted}x: {verdict})")
    if COUNTED in results and UNCOUNTED in results:
        print("\ncounting polls ([stats] enabled, the default), rate counted / uncounted:")
        for column in columns:
            ratio = results[COUNTED][column][0] / results[UNCOUNTED][column][0]
            verdict = "met" if ratio >= COUNTING_TARGET else "NOT met"
            print(f"  {column[0]} {column[1]}: {ratio:.3f}x (>= {COUNTING_TARGET}: {verdict})")


if __name__ == "__main__":
    main()
