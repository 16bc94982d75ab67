"""Peak memory of one serving process with 10,000 distinct feeds cached, and what a miss costs.

Usage (from the repository root)::

    .venv/bin/python bench/cache_memory.py [--feeds 10000] [--articles 4000] [--cap-mib 256]

One SQLite database in a temporary folder holds ``--articles`` articles of about 3 KB of HTML,
each tagged with 50 of ``--feeds`` tags, so every tag feed (``/feeds/tags/<tag>.rss``) holds
the same number of articles and all of them together are several times ``[cache] max_bytes``.
``granian --interface wsgi --workers 1 wsgi:app`` (what ``syndicate serve`` runs) serves it;
four client threads ask for every tag feed once plain and once with gzip, over keep-alive
connections. It prints the worker's peak RSS (``VmHWM``) against the cap plus 100 MB, the
cache's own count of its bytes, and the median time of a miss (the feed or page is built:
queries and rendering) against a hit, for a tag feed, the 50-item ``/feeds/all.rss`` and an
article page (after one of each kind was built, so the templates are compiled).
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TAGS_PER_ARTICLE = 50
CLIENTS = 4
MIB = 1024 * 1024
MB = 1000 * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=10_000, help="distinct tag feeds")
    parser.add_argument("--articles", type=int, default=4_000)
    parser.add_argument("--cap-mib", type=int, default=256, help="[cache] max_bytes in MiB")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="syndicate-cache-") as folder:
        run(Path(folder), args)


def run(folder: Path, args: argparse.Namespace) -> None:
    database = folder / "bench.db"
    started = time.monotonic()
    fill(database, args.articles, args.feeds)
    print(
        f"filled {args.articles} articles, {args.feeds} tags in {time.monotonic() - started:.0f} s"
    )
    config = folder / "syndicate.toml"
    config.write_text(f"[cache]\nmax_bytes = {args.cap_mib * MIB}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}
    env |= {"SYNDICATE_CONFIG": str(config), "SYNDICATE_DATABASE_URL": f"sqlite:///{database}"}
    port = free_port()
    command = [str(ROOT / ".venv" / "bin" / "granian"), "--interface", "wsgi", "--workers", "1"]
    command += ["--blocking-threads", "4", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--log-level", "warning", "--no-ws"]
    command += ["--working-dir", str(ROOT), "wsgi:app"]
    server = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        wait_for(port, server)
        worker = worker_pid(server.pid)
        timings(port, ["/feeds/all.atom", "/articles/article-1"])  # templates, first queries
        misses = timings(port, ["/feeds/all.rss", "/articles/article-2", "/feeds/tags/tag-0.rss"])
        baseline = status(worker)["VmRSS"]
        started = time.monotonic()
        sizes = fetch_all(port, [f"/feeds/tags/tag-{n}.rss" for n in range(args.feeds)])
        took = time.monotonic() - started
        peak, now = status(worker)["VmHWM"], status(worker)["VmRSS"]
        hits = timings(port, ["/feeds/all.rss", "/articles/article-2", "/feeds/tags/tag-0.rss"])
        cached_misses = miss_costs(port, args.feeds)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    served = sum(sizes)
    cap = args.cap_mib * MIB
    print(
        f"asked for {args.feeds} feeds x 2 codings in {took:.0f} s: "
        f"{served / MIB:,.0f} MiB of distinct documents (identity + gzip), "
        f"{served / cap:.1f}x the cap"
    )
    print(f"worker RSS before: {baseline / MIB:,.0f} MiB; after: {now / MIB:,.0f} MiB")
    limit = cap + 100 * MB
    verdict = "under" if peak < limit else "OVER"
    print(
        f"worker peak RSS: {peak / MIB:,.1f} MiB ({peak / MB:,.1f} MB); cap {args.cap_mib} MiB "
        f"+ 100 MB = {limit / MIB:,.1f} MiB: {verdict} by {abs(limit - peak) / MIB:,.1f} MiB"
    )
    print("\nlatency of one request, ms (first: a miss, built; then: a hit)")
    for path in misses:
        print(f"  {path:<28} miss {misses[path]:7.2f}   hit {hits[path]:6.2f}")
    print(
        f"  tag feed miss, median of {len(cached_misses)} evicted ones: "
        f"{statistics.median(cached_misses):.2f}"
    )


def fill(database: Path, articles: int, tags: int) -> None:
    from syndicate.model import Article
    from syndicate.store import Store

    store = Store(f"sqlite:///{database}")
    store.create_schema()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    paragraph = "<p>" + "A sentence of an article about the news of the day. " * 8 + "</p>"
    store.upsert_many(
        Article(
            id=f"00000000-0000-4000-8000-{n:012d}",
            source="bench",
            slug=f"article-{n}",
            title=f"Article number {n}",
            blocks=(),
            body_html=paragraph * 7,
            summary=f"The summary of article {n}.",
            published=start + timedelta(minutes=n),
            updated=start + timedelta(minutes=n),
            content_hash=f"h{n}",
            categories=(("News", "Sports", "Arts")[n % 3],),
            tags=tuple(f"tag-{(n * TAGS_PER_ARTICLE + k) % tags}" for k in range(TAGS_PER_ARTICLE)),
            authors=("A. Writer",),
        )
        for n in range(1, articles + 1)
    )
    store.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"granian exited with {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    sys.exit("granian did not start")


def worker_pid(parent: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                return int(stat.parent.name)
        time.sleep(0.1)
    sys.exit("no granian worker process")


def status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in bytes."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) * 1024
    return found


def get(conn: http.client.HTTPConnection, path: str, gzip: bool = False) -> int:
    conn.request("GET", path, headers={"Accept-Encoding": "gzip"} if gzip else {})
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        sys.exit(f"{path}: HTTP {response.status}")
    return len(body)


def fetch_all(port: int, paths: list[str]) -> list[int]:
    """Every path plain then gzip, from CLIENTS threads; the sizes of the bodies."""
    sizes: list[int] = []
    lock = threading.Lock()

    def client(part: list[str]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = [get(conn, path) + get(conn, path, gzip=True) for path in part]
        conn.close()
        with lock:
            sizes.extend(mine)

    threads = [threading.Thread(target=client, args=(paths[i::CLIENTS],)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sizes


def timings(port: int, paths: list[str]) -> dict[str, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    found = {}
    for path in paths:
        started = time.perf_counter()
        get(conn, path)
        found[path] = (time.perf_counter() - started) * 1000
    conn.close()
    return found


def miss_costs(port: int, feeds: int) -> list[float]:
    """Latency of the oldest tag feeds again: pushed out by the newer ones, built again."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    found = []
    for n in range(0, min(feeds, 200), 4):  # the first client's first feeds: long evicted
        started = time.perf_counter()
        get(conn, f"/feeds/tags/tag-{n}.rss")
        found.append((time.perf_counter() - started) * 1000)
    conn.close()
    return found


if __name__ == "__main__":
    main()
