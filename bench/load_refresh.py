"""Load with refreshes running: readers hammer feeds and pages while 200 sources change.

    .venv/bin/python bench/load_refresh.py [--seconds 60] [--connections 64] [--sources 200]
        [--interval 2] [--runs 2] [--database-url URL]

One ``syndicate serve`` (web and in-process scheduler) on a fresh SQLite database (or the
PostgreSQL database given) refreshes ``--sources`` loopback feed sources every ``--interval``
seconds; the feed server (a child process) adds a new entry to a tenth of its feeds on every
interval, so every refresh round writes. Meanwhile ``--connections`` keep-alive connections
(four load processes) request, at random: the whole-site feed in each format, the per-source
category feeds (half of them with ``If-None-Match`` of the ETag they last saw) and article
pages.

Printed per run, and as medians of ``--runs`` runs: requests, errors (anything but 200/304, or
no answer), stale answers, requests per second, p50/p99 latency over the first and the last
10 s window, and the server's peak RSS in the first and the last 10 s (its process and its
children, from ``/proc``). A stale answer is a category feed that lacks an article the checker
saw in the database at least 1.5 s before the request was sent (the change log is read every
second by other processes; this one's writes drop the cache at once).

Everything runs on this machine's cores; ``uptime`` is printed with the figures.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

PROCESSES = 4
WINDOW = 10.0  # seconds: the first and the last window are compared
STALE_AFTER = 1.5  # seconds after an article is seen in the database


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- the changing upstream -------------------------------------------------------------------


def feed_server(port: int, sources: int, interval: float) -> None:
    """Child process: /feed/<n>.xml; a tenth of the feeds gain an entry every interval."""
    started = time.time()

    def body(n: int) -> bytes:
        rounds = int((time.time() - started) / interval)
        newest = rounds // 10 + (1 if n % 10 < rounds % 10 else 0)
        items = "".join(
            f"<item><title>Source {n} story {k}</title><link>https://up.example/{n}/{k}</link>"
            f"<guid>https://up.example/{n}/{k}</guid>"
            f"<pubDate>{time.strftime('%a, %d %b %Y %H:%M:%S GMT', time.gmtime())}</pubDate>"
            f"<description>Story {k} of source {n}, text enough to read.</description></item>"
            for k in range(newest, max(-1, newest - 5), -1)
        )
        return (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>Source {n}</title>'
            f"<link>https://up.example/{n}</link><description>d</description>{items}"
            "</channel></rss>"
        ).encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            data = body(int(self.path.rsplit("/", 1)[-1].split(".")[0]))
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


# -- readers ---------------------------------------------------------------------------------


def reader(port: int, seconds: float, connections: int, sources: int, slugs: list[str],
           results: Any) -> None:  # fmt: skip
    """Child process: ``connections`` threads, each one keep-alive connection; records
    (sent at, latency, status) for every request."""
    stop = time.monotonic() + seconds
    lock = threading.Lock()
    records: list[tuple[float, float, int]] = []

    def run(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        etags: dict[str, str] = {}
        mine: list[tuple[float, float, int]] = []
        while time.monotonic() < stop:
            roll = rng.random()
            if roll < 0.3:
                path = f"/feeds/all.{rng.choice(['atom', 'rss', 'json'])}"
            elif roll < 0.8:
                path = f"/feeds/src-{rng.randrange(sources)}.{rng.choice(['atom', 'rss'])}"
            else:
                path = f"/articles/{rng.choice(slugs)}" if slugs else "/"
            headers = {"Accept-Encoding": "gzip"}
            if path in etags and rng.random() < 0.5:
                headers["If-None-Match"] = etags[path]
            sent = time.time()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.getheader("ETag"):
                    etags[path] = response.getheader("ETag") or ""
            except (OSError, http.client.HTTPException):
                status = 0
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append((sent, time.time() - sent, status))
        with lock:
            records.extend(mine)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(records)


def checker(port: int, url: str, seconds: float, sources: int, out: Any) -> None:
    """Child process: stale answers, as defined in the module docstring."""
    engine = create_engine(url)
    stop = time.monotonic() + seconds
    rng = random.Random(7)
    checked = stale = 0
    examples: list[str] = []
    while time.monotonic() < stop:
        n = rng.randrange(sources)
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT title FROM articles WHERE source = :s ORDER BY published DESC, id "
                    "DESC LIMIT 1"
                ),  # fmt: skip
                {"s": f"src-{n}"},
            ).first()
        if row is None:
            time.sleep(0.1)
            continue
        time.sleep(STALE_AFTER)
        conn_http = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn_http.request("GET", f"/feeds/src-{n}.atom")
            body = conn_http.getresponse().read()
        finally:
            conn_http.close()
        checked += 1
        if row[0].encode() not in body:
            stale += 1
            examples.append(f"src-{n}: {row[0]}")
    engine.dispose()
    out.put((checked, stale, examples[:3]))


# -- the server ------------------------------------------------------------------------------


def rss_of(pid: int) -> int:
    """Resident bytes of a process and all its descendants."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(x for x in status.splitlines() if x.startswith("VmRSS")).split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return total * 1024


def config(folder: Path, upstream: int, sources: int, interval: float) -> Path:
    lines = ['[site]\nbase_url = "https://news.example"\n[schedule]\njitter = 1\n']
    for n in range(sources):
        lines.append(
            f'[[sources]]\nname = "src-{n}"\nkind = "feed"\n'
            f'url = "http://127.0.0.1:{upstream}/feed/{n}.xml"\ninterval = "{interval:g}s"\n'
            f'category = "src-{n}"\nallow_private = true\n'
        )
    path = folder / "syndicate.toml"
    path.write_text("\n".join(lines))
    return path


def one_run(args: argparse.Namespace) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = args.database_url or f"sqlite:///{folder / 'load.db'}"
        upstream, port = free_port(), free_port()
        feeds = multiprocessing.Process(
            target=feed_server, args=(upstream, args.sources, args.interval), daemon=True
        )
        feeds.start()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}
        env |= {
            "SYNDICATE_CONFIG": str(config(folder, upstream, args.sources, args.interval)),
            "SYNDICATE_DATABASE_URL": url,
        }
        cli = [sys.executable, "-c", "from syndicate.cli import main; main()"]
        subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True)
        subprocess.run([*cli, "refresh"], env=env, check=False, capture_output=True)
        log = (folder / "serve.log").open("wb")
        server = subprocess.Popen(
            [*cli, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            return _measure(args, server, port, url)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
            feeds.terminate()
            feeds.join(5)


def _measure(args: argparse.Namespace, server: Any, port: int, url: str) -> dict[str, float]:
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("syndicate serve did not start") from None
            time.sleep(0.2)
    engine = create_engine(url)
    with engine.connect() as conn:
        slugs = [str(s) for (s,) in conn.execute(text("SELECT slug FROM articles LIMIT 500"))]
    engine.dispose()
    results: Any = multiprocessing.Queue()
    stale_out: Any = multiprocessing.Queue()
    per = max(1, args.connections // PROCESSES)
    readers = [
        multiprocessing.Process(
            target=reader, args=(port, args.seconds, per, args.sources, slugs, results)
        )
        for _ in range(PROCESSES)
    ]
    check = multiprocessing.Process(
        target=checker, args=(port, url, args.seconds, args.sources, stale_out)
    )
    started = time.time()
    for process in [*readers, check]:
        process.start()
    memory: list[tuple[float, int]] = []
    while time.time() - started < args.seconds:
        memory.append((time.time() - started, rss_of(server.pid)))
        time.sleep(1.0)
    # Read the results before joining: a child cannot exit while its queue is unread.
    records = [r for _ in readers for r in results.get(timeout=120)]
    checked, stale, examples = stale_out.get(timeout=60)
    for process in [*readers, check]:
        process.join(10)
    return _figures(args, records, memory, started, checked, stale, examples)


def _figures(args: argparse.Namespace, records: list[tuple[float, float, int]],
             memory: list[tuple[float, int]], started: float, checked: int, stale: int,
             examples: list[str]) -> dict[str, float]:  # fmt: skip
    end = max(sent for sent, _, _ in records) - started
    first = [lat for sent, lat, _ in records if sent - started < WINDOW]
    last = [lat for sent, lat, _ in records if sent - started >= end - WINDOW]
    errors = sum(1 for _, _, status in records if status not in (200, 304))
    mem_first = max((m for t, m in memory if t < WINDOW), default=0)
    mem_last = max((m for t, m in memory if t >= end - WINDOW), default=0)

    def pct(values: list[float], q: float) -> float:
        return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else 0.0

    figures = {
        "requests": float(len(records)),
        "errors": float(errors),
        "stale": float(stale),
        "checked": float(checked),
        "rps": len(records) / end,
        "p50_first_ms": pct(first, 50),
        "p99_first_ms": pct(first, 99),
        "p50_last_ms": pct(last, 50),
        "p99_last_ms": pct(last, 99),
        "rss_first_mb": mem_first / 2**20,
        "rss_last_mb": mem_last / 2**20,
        "rss_peak_mb": max(m for _, m in memory) / 2**20,
    }
    print(
        "run: "
        + ", ".join(
            f"{k} {v:.1f}" if "ms" in k or "mb" in k or k == "rps" else f"{k} {v:.0f}"
            for k, v in figures.items()
        )  # fmt: skip
        + (f"; stale examples: {examples}" if examples else ""),
        flush=True,
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    runs = [one_run(args) for _ in range(args.runs)]
    print(f"\nmedians of {args.runs} run(s), {args.seconds:g} s each, {args.connections} "
          f"connections, {args.sources} sources refreshed every {args.interval:g} s:")  # fmt: skip
    for key in runs[0]:
        print(f"  {key:14} {statistics.median(r[key] for r in runs):10.1f}")
    first = statistics.median(r["p99_first_ms"] for r in runs)
    last = statistics.median(r["p99_last_ms"] for r in runs)
    rss = statistics.median(r["rss_last_mb"] / max(r["rss_first_mb"], 1e-9) for r in runs)
    print(f"  p99 last/first window: {last / max(first, 1e-9):.2f}; RSS last/first: {rss:.2f}")
    print(f"  load: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")


if __name__ == "__main__":
    main()
