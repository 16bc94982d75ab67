"""What sending feeds to browsers as XML costs the fast path, and what pages cost.

Usage (from the repository root, after ``pip install -e '.[bench]'`` and ``apt-get install
wrk``)::

    .venv/bin/python bench/browser_accept.py [--duration 5] [--runs 3] [--connections 32]

The same SQLite database and gunicorn settings as ``bench/serve.py`` (50 articles of about
2 KB of HTML). ``/feeds/all.rss`` is driven by wrk with no ``Accept`` (the baseline), with a
feed reader's ``Accept`` and with a browser's (answered as ``application/xml``); the cases are
interleaved run by run, so drift in the machine's load hits them alike, and each median is
printed with its ratio to the baseline measured in the same run. Then the pages, which are
rendered on every request: the front page, an article, ``/sitemap.xml``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from serve import FEED_PATH, ROOT, fill, free_port, gunicorn, write, wrk_once  # noqa: E402

BROWSER = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8"
)
READER = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.8"
FEED_CASES = {"no Accept": [], "reader": ["-H", f"Accept: {READER}"]}
FEED_CASES["browser"] = ["-H", f"Accept: {BROWSER}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--runs", type=int, default=3, help="runs per case (median kept)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="syndicate-bench-") as folder:
        database = Path(folder) / "bench.db"
        fill(database)
        env = os.environ | {
            "SYNDICATE_CONFIG": str(write(Path(folder) / "syndicate.toml", "")),
            "SYNDICATE_DATABASE_URL": f"sqlite:///{database}",
            "SYNDICATE_BASE_URL": "http://127.0.0.1",
            "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}",
        }
        port = free_port()
        with gunicorn("syndicate.web:create_app()", port, env):
            base = f"http://127.0.0.1:{port}"
            feeds = measure({c: (f"{base}{FEED_PATH}", h) for c, h in FEED_CASES.items()}, args)
            article = first_article(base)
            pages = measure(
                {
                    "front page": (f"{base}/", []),
                    "article": (f"{base}{article}", []),
                    "sitemap": (f"{base}/sitemap.xml", []),
                },
                args,
            )
    report(feeds, pages, args)


def first_article(base: str) -> str:
    with urllib.request.urlopen(f"{base}/sitemap.xml", timeout=10) as response:
        text = response.read().decode()
    return "/articles/" + text.split("/articles/", 1)[1].split("<", 1)[0]


def measure(
    cases: dict[str, tuple[str, list[str]]], args: argparse.Namespace
) -> dict[str, tuple[float, float]]:
    """Median rps and p99 of each case, runs interleaved across the cases."""
    for url, headers in cases.values():
        wrk_once(url, headers, 1, args)  # warm-up
    runs: dict[str, list[tuple[float, float]]] = {case: [] for case in cases}
    for _ in range(args.runs):
        for case, (url, headers) in cases.items():
            runs[case].append(wrk_once(url, headers, args.duration, args))
    return {
        case: (statistics.median(r[0] for r in found), statistics.median(r[1] for r in found))
        for case, found in runs.items()
    }


def report(
    feeds: dict[str, tuple[float, float]],
    pages: dict[str, tuple[float, float]],
    args: argparse.Namespace,
) -> None:
    print(
        f"\nwrk -t{args.threads} -c{args.connections} -d{args.duration}s, median of "
        f"{args.runs}, load average {os.getloadavg()[0]:.2f}\n"
    )
    baseline = feeds["no Accept"][0]
    print(f"{'/feeds/all.rss':<16}{'rps':>10}{'p99 ms':>10}{'x baseline':>12}")
    for case, (rps, p99) in feeds.items():
        print(f"{case:<16}{rps:>10,.0f}{p99:>10.2f}{rps / baseline:>12.2f}")
    print(f"\n{'page':<16}{'rps':>10}{'p99 ms':>10}")
    for case, (rps, p99) in pages.items():
        print(f"{case:<16}{rps:>10,.0f}{p99:>10.2f}")


if __name__ == "__main__":
    main()
