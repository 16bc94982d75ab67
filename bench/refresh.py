"""Refresh N feed sources of M entries served over loopback; print sources/s and peak memory.

Each repetition starts on an empty SQLite store and runs two passes over every source:
the first fetches, parses, normalizes and inserts everything; the second finds every feed
unchanged (the server answers the conditional GET with 304), so it must be far cheaper. The
feed server runs in its own process so it does not share our GIL.

    .venv/bin/python bench/refresh.py [--sources 200] [--entries 50] [--repeat 3] [--workers 8]

Peak memory is the Python heap's peak during each pass (tracemalloc, measured in one extra
pass pair since tracing slows everything) and the process's maximum resident set size.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from syndicate.config import FetchSettings, Settings, SourceSettings  # noqa: E402
from syndicate.refresh import Outcome, Refresher  # noqa: E402
from syndicate.store import Store  # noqa: E402


def feed_xml(feed: int, entries: int) -> bytes:
    """An RSS 2.0 feed whose items have a few paragraphs each, like a news wire."""
    items = []
    for n in range(entries):
        paragraphs = "".join(
            f"<p>Paragraph {p} of story {n} in feed {feed}: the council met on Tuesday and "
            f"agreed the budget for the coming year after a long debate.</p>"
            for p in range(4)
        )
        items.append(
            f"<item><title>Story {n} of feed {feed}</title>"
            f"<link>https://feed{feed}.example.com/story/{n}</link>"
            f"<pubDate>Mon, 06 May 2024 {n % 24:02d}:00:00 GMT</pubDate>"
            f"<category>Bench</category><description><![CDATA[{paragraphs}]]></description></item>"
        )
    return (
        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Feed {feed}</title><link>https://feed{feed}.example.com/</link>"
        f"{''.join(items)}</channel></rss>"
    ).encode()


def serve(port_queue: Any, sources: int, entries: int) -> None:
    """The feed server (child process): /feed/<n>.xml with ETags; 304 when they match."""
    bodies = {f"/feed/{i}.xml": feed_xml(i, entries) for i in range(sources)}
    etags = {path: f'"{hashlib.sha1(body).hexdigest()[:16]}"' for path, body in bodies.items()}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            body = bodies.get(self.path)
            if body is None:
                self.send_error(404)
                return
            if self.headers.get("If-None-Match") == etags[self.path]:
                self.send_response(304)
                self.send_header("ETag", etags[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("ETag", etags[self.path])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_queue.put(server.server_address[1])
    server.serve_forever()


def settings_for(folder: Path, port: int, sources: int) -> Settings:
    configured = tuple(
        SourceSettings(
            name=f"feed{i}",
            kind="feed",
            url=f"http://127.0.0.1:{port}/feed/{i}.xml",
            allow_private=True,
        )
        for i in range(sources)
    )
    return replace(
        Settings(),
        sources=configured,
        database_url=f"sqlite:///{folder}/bench.db",
        fetch=FetchSettings(per_host=8),
    )


def one_pass(refresher: Refresher, workers: int) -> tuple[float, dict[str, int]]:
    started = time.perf_counter()
    outcomes: dict[str, int] = {}
    for result in refresher.refresh_many(workers=workers):
        outcomes[str(result.outcome)] = outcomes.get(str(result.outcome), 0) + 1
        if result.outcome is Outcome.FAILED:
            print(f"  failed: {result.source}: {result.message}", file=sys.stderr)
    return time.perf_counter() - started, outcomes


def repetition(port: int, args: argparse.Namespace, traced: bool) -> list[tuple[float, int]]:
    """Two passes on a fresh store: [(seconds, tracemalloc peak bytes or 0)] per pass."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings_for(Path(tmp), port, args.sources)
        store = Store(settings.database_url)
        store.create_schema()
        refresher = Refresher(settings, store)
        figures = []
        try:
            for _ in range(2):
                if traced:
                    tracemalloc.start()
                seconds, outcomes = one_pass(refresher, args.workers)
                peak = tracemalloc.get_traced_memory()[1] if traced else 0
                if traced:
                    tracemalloc.stop()
                figures.append((seconds, peak))
                if not traced:
                    print(f"  pass {len(figures)}: {seconds:.2f} s {outcomes}")
            assert store.count() == args.sources * args.entries, store.count()
        finally:
            refresher.close()
            store.close()
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    queue: Any = multiprocessing.Queue()
    server = multiprocessing.Process(
        target=serve, args=(queue, args.sources, args.entries), daemon=True
    )
    server.start()
    port = queue.get(timeout=30)
    try:
        runs = []
        for n in range(args.repeat):
            print(f"repetition {n + 1}/{args.repeat}")
            runs.append(repetition(port, args, traced=False))
        traced = repetition(port, args, traced=True)
    finally:
        server.terminate()
    report(args, runs, traced)


def report(
    args: argparse.Namespace, runs: list[list[tuple[float, int]]], traced: list[tuple[float, int]]
) -> None:
    first = statistics.median(r[0][0] for r in runs)
    second = statistics.median(r[1][0] for r in runs)
    maxrss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\n{args.sources} feed sources x {args.entries} entries, {args.workers} workers, "
        f"median of {args.repeat}"
    )
    print(
        f"first run:     {first:6.2f} s  {args.sources / first:7.1f} sources/s  "
        f"{args.sources * args.entries / first:8.0f} entries/s  "
        f"heap peak {traced[0][1] / 2**20:6.1f} MiB"
    )
    print(
        f"unchanged run: {second:6.2f} s  {args.sources / second:7.1f} sources/s  "
        f"(x{first / second:.0f} cheaper)  heap peak {traced[1][1] / 2**20:6.1f} MiB"
    )
    print(f"process max RSS: {maxrss_mib:.0f} MiB")


if __name__ == "__main__":
    main()
