"""Refresh N loopback feed sources through the task queue with 1, 2 and 4 worker processes.

    .venv/bin/python bench/scale_refresh.py [--sources 2000] [--entries 5] [--workers 1 2 4]
        [--concurrency 4] [--repeat 3] [--postgres-url URL]

For each worker count and repetition: a fresh schema in the PostgreSQL database (by default
the cluster of ``scripts/postgres.sh``), the store's tables and the queue's; N ``syndicate
worker`` processes started and registered; then every source enqueued in one batch, and the
clock runs until the queue is empty. Sources per second is N sources over that time; the
speed-up is against one worker. The feeds (small: ``--entries`` items each) come from
``--servers`` feed server processes on 127.0.0.1, so serving them is not the bottleneck.

Everything runs on this one machine: the workers share its cores with PostgreSQL and the feed
servers, so scaling past the number of cores is not expected here (the figures say how many).
This is the queue's benchmark; ``bench/scale.py`` (storage at scale) is a separate one.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from refresh import serve  # noqa: E402  (bench/refresh.py's feed server)

from syndicate.config import ScheduleSettings, Settings  # noqa: E402
from syndicate.refresh.queue import RefreshQueue, conninfo  # noqa: E402
from syndicate.store import Store  # noqa: E402


def start_servers(count: int, sources: int, entries: int) -> tuple[list[Any], list[int]]:
    """Feed server processes, each serving every /feed/<n>.xml; their ports."""
    ports: Any = multiprocessing.Queue()
    servers = [
        multiprocessing.Process(target=serve, args=(ports, sources, entries), daemon=True)
        for _ in range(count)
    ]
    for server in servers:
        server.start()
    return servers, [ports.get(timeout=60) for _ in servers]


def write_config(folder: Path, ports: list[int], sources: int, concurrency: int) -> Path:
    lines = [
        "[schedule]",
        'mode = "queue"',
        "heartbeat = 2",
        "stalled_after = 10",
        "",
        "[fetch]",
        f"per_host = {max(2, concurrency)}",
        "",
    ]
    for i in range(sources):
        port = ports[i % len(ports)]
        lines += [
            "[[sources]]",
            f'name = "feed{i}"',
            'kind = "feed"',
            f'url = "http://127.0.0.1:{port}/feed/{i}.xml"',
            "allow_private = true",
            "",
        ]
    path = folder / "syndicate.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def fresh_schema(base_url: str) -> tuple[str, str]:
    """A new schema in the database; (its name, an SQLAlchemy URL that uses it)."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(conninfo(base_url), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    separator = "&" if "?" in base_url else "?"
    return name, f"{base_url}{separator}options=-csearch_path%3D{name}"


def drop_schema(base_url: str, name: str) -> None:
    with psycopg.connect(conninfo(base_url), autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {name} CASCADE")


def registered_workers(url: str) -> int:
    with psycopg.connect(conninfo(url)) as conn:
        row = conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()
    return int(row[0]) if row else 0


def one_pass(queue: RefreshQueue, sources: int, after: datetime | None) -> float:
    """Enqueue every source in one batch; seconds until the queue is empty again."""
    started = time.perf_counter()
    queued = queue.enqueue_many(dict.fromkeys((f"feed{i}" for i in range(sources)), after))
    assert queued == sources, queued
    while (counts := queue.counts()).todo or counts.doing:
        time.sleep(0.05)
    assert counts.failed == 0, counts
    return time.perf_counter() - started


def one_run(args: argparse.Namespace, config: Path, workers: int) -> tuple[float, float]:
    """Seconds to refresh every source with ``workers`` worker processes: a first pass
    (fetch, parse, store everything) and an unchanged one (every feed answers 304)."""
    schema, url = fresh_schema(args.postgres_url)
    settings = replace(
        Settings(),
        database_url=url,
        schedule=ScheduleSettings(mode="queue", heartbeat=2, stalled_after=10),
    )
    store = Store(url)
    store.create_schema()
    queue = RefreshQueue(settings).open()
    queue.init()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}
    env.update(SYNDICATE_CONFIG=str(config), SYNDICATE_DATABASE_URL=url)
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from syndicate.cli import main; main()",
                "worker",
                "--concurrency",
                str(args.concurrency),
                "--name",
                f"bench-{n}",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
        )
        for n in range(workers)
    ]
    try:
        deadline = time.monotonic() + 60
        while registered_workers(url) < workers:
            if time.monotonic() > deadline:
                raise RuntimeError("the workers did not start")
            time.sleep(0.1)
        first = one_pass(queue, args.sources, None)
        stored = store.count()
        assert stored == args.sources * args.entries, stored
        # "after" = now: every run so far is older, so no job counts as already served.
        unchanged = one_pass(queue, args.sources, datetime.now(UTC))
        outcomes = Counter(r.outcome for r in store.recent_runs(limit=2 * args.sources))
        assert outcomes == {"ok": args.sources, "not_modified": args.sources}, outcomes
        return first, unchanged
    finally:
        for child in children:
            os.kill(child.pid, signal.SIGTERM)
        for child in children:
            child.wait(timeout=60)
        queue.close()
        store.close()
        drop_schema(args.postgres_url, schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=5)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument(
        "--concurrency", type=int, default=4, help="refreshes at once in each worker process"
    )
    parser.add_argument("--servers", type=int, default=2, help="feed server processes")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres-url", default="")
    args = parser.parse_args()
    if not args.postgres_url:
        args.postgres_url = subprocess.run(
            ["bash", str(ROOT / "scripts" / "postgres.sh"), "url", "syndicate_bench"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    servers, ports = start_servers(args.servers, args.sources, args.entries)
    results: dict[int, list[tuple[float, float]]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = write_config(Path(tmp), ports, args.sources, args.concurrency)
            for n in range(args.repeat):
                for workers in args.workers:
                    first, unchanged = one_run(args, config, workers)
                    results.setdefault(workers, []).append((first, unchanged))
                    print(
                        f"run {n + 1}/{args.repeat}, {workers} worker(s): first "
                        f"{args.sources / first:6.1f} sources/s, unchanged "
                        f"{args.sources / unchanged:6.1f} sources/s",
                        flush=True,
                    )
    finally:
        for server in servers:
            server.terminate()
    report(args, results)


def report(args: argparse.Namespace, results: dict[int, list[tuple[float, float]]]) -> None:
    print(
        f"\n{args.sources} feed sources x {args.entries} entries through the queue, "
        f"{args.concurrency} refreshes at once per worker, median of {args.repeat}, "
        f"{os.cpu_count()} CPU cores shared with PostgreSQL and {args.servers} feed servers"
    )
    print("workers   first run (sources/s, speed-up)   unchanged run (sources/s, speed-up)")
    fewest = min(results)
    base = [args.sources / statistics.median(r[i] for r in results[fewest]) for i in (0, 1)]
    for workers in sorted(results):
        rates = [args.sources / statistics.median(r[i] for r in results[workers]) for i in (0, 1)]
        print(
            f"{workers:7d}   {rates[0]:9.1f}  x{rates[0] / base[0]:.2f}"
            f"                   {rates[1]:9.1f}  x{rates[1] / base[1]:.2f}"
        )


if __name__ == "__main__":
    main()
