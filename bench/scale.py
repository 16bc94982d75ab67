"""Storage at scale: ingest N synthetic articles, then time feed queries and renders.

    .venv/bin/python bench/scale.py                    # 100,000 articles, SQLite and PostgreSQL
    .venv/bin/python bench/scale.py --articles 1000000 --steps   # 10k, 100k, 1M
    .venv/bin/python bench/scale.py --database sqlite --articles 20000

For each database and each N, in a fresh child process (so its peak memory is its own) on a
fresh database (a SQLite file, or a new schema in the PostgreSQL database of
``--postgres-url``, by default the cluster of ``scripts/postgres.sh``):

1. ingest N articles with ``Store.upsert_many`` from a generator (never a list of all of
   them): 1,000 categories with a Zipf-like size distribution (the largest holds ~13% of all
   articles, the smallest ~0.01%), a tag and an author each, ~2 KB of body;
2. ``ANALYZE``, then for the largest and a small category: the 50-item feed query
   (``store.latest(category=...)``) plus its Atom render, cold (a new Store and connection,
   first query) and warm (the same query again), median of ``--runs`` runs;
3. the feed query's plan (``EXPLAIN QUERY PLAN`` / ``EXPLAIN ANALYZE``): an index range scan
   in (slug, published DESC, article_id DESC) order, no sort, and a primary-key lookup per row.

"Cold" means a cold connection and plan, not a cold disk: the OS page cache and PostgreSQL's
shared buffers keep what ingest wrote. Peak memory is the child's maximum resident set size
(the interpreter and its libraries included), read from ``getrusage``.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from syndicate.model import Article, Block, BlockKind, Channel  # noqa: E402
from syndicate.render.xmlfeed import render_feed  # noqa: E402
from syndicate.store import Store  # noqa
from syndicate.store.articles import filters, latest_query  # noqa: E402
from syndicate.text.dates import utc_now  # noqa: E402

CATEGORIES = 1000
TAGS = 5000
AUTHORS = 500
FEED_ITEMS = 50
SMALL_RANK = 900  # the category used as "small": ~0.015% of articles
T0 = datetime(2020, 1, 1, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent
WORDS = (
    "harbour council budget school river vote market storm bridge museum festival rail "
    "hospital court farm energy water season league theatre library station forest coast"
).split()


# -- synthetic articles -----------------------------------------------------------------------


def _cumulative(count: int) -> list[float]:
    """Zipf (s=1) weights of ``count`` ranks, cumulated to 1.0."""
    weights = [1 / rank for rank in range(1, count + 1)]
    total, running, out = sum(weights), 0.0, []
    for weight in weights:
        running += weight
        out.append(running / total)
    return out


CATEGORY_CDF = _cumulative(CATEGORIES)


def _pick(cdf: list[float], fraction: float) -> int:
    return min(bisect.bisect_left(cdf, fraction), len(cdf) - 1)


def category_name(rank: int) -> str:
    return f"Category {rank:04d}"


def category_slug(rank: int) -> str:
    return f"category-{rank:04d}"


def _fraction(n: int, salt: str) -> float:
    """A deterministic, well-spread number in [0, 1) for article ``n``."""
    digest = hashlib.blake2b(f"{salt}{n}".encode(), digest_size=8).digest()
    return int.from_bytes(digest) / 2**64


def _body(n: int) -> tuple[tuple[Block, ...], str]:
    """Five paragraphs of ~400 bytes: ~2 KB of HTML."""
    paragraphs = []
    for p in range(5):
        words = [WORDS[(n * 7 + p * 13 + i * 5) % len(WORDS)] for i in range(60)]
        paragraphs.append(f"Paragraph {p} of story {n}: " + " ".join(words) + ".")
    blocks = tuple(Block(BlockKind.PARAGRAPH, text=text) for text in paragraphs)
    return blocks, "".join(f"<p>{text}</p>" for text in paragraphs)


def synthetic_article(n: int) -> Article:
    """Article ``n``: valid and distinct, one category (skewed), one tag, one author."""
    blocks, html = _body(n)
    category = _pick(CATEGORY_CDF, _fraction(n, "c")) + 1
    # Roughly in time order, with jitter so (published, id) ties and reordering both occur.
    published = T0 + timedelta(minutes=n, seconds=int(_fraction(n, "t") * 600))
    digest = hashlib.sha256(f"article {n}".encode()).hexdigest()
    return Article(
        id=f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}",
        source=f"source-{n % 2000:04d}",
        slug=f"story-{n}",
        title=f"Story {n}: the {WORDS[n % len(WORDS)]} question",
        blocks=blocks,
        body_html=html,
        summary=blocks[0].text[:200],
        published=published,
        updated=published,
        content_hash=digest,
        categories=(category_name(category),),
        tags=(f"tag-{int(_fraction(n, 'g') * TAGS)}",),
        authors=(f"Author {int(_fraction(n, 'a') * AUTHORS)}",),
        language="en",
        link=f"https://publisher.example/stories/{n}",
        word_count=300,
    )


def synthetic_articles(count: int) -> Iterator[Article]:
    """The first ``count`` articles, one at a time."""
    return (synthetic_article(n) for n in range(count))


# -- one run (child process) ---------------------------------------------------------------


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def feed_once(store: Store, slug: str) -> tuple[float, int]:
    """Query and render one 50-item Atom feed; returns (milliseconds, bytes)."""
    started = time.perf_counter()
    articles = store.latest(category=slug, limit=FEED_ITEMS)
    channel = Channel(
        id=f"urn:uuid:{hashlib.md5(slug.encode()).hexdigest()}",
        title=f"Bench: {slug}",
        site_url=f"https://bench.example/categories/{slug}",
        feed_url=f"https://bench.example/feeds/{slug}.atom",
        updated=max((a.updated for a in articles), default=None),
    )
    feed = render_feed(
        channel, articles, "atom", permalink=lambda a: f"https://bench.example/articles/{a.slug}"
    )
    return (time.perf_counter() - started) * 1000, len(feed.body)


def time_feeds(url: str, slug: str, runs: int) -> dict[str, float]:
    cold, warm = [], []
    for _ in range(runs):
        with Store(url) as store:  # new engine: new connection, nothing prepared
            cold.append(feed_once(store, slug)[0])
            warm.extend(feed_once(store, slug)[0] for _ in range(3))
    with Store(url) as store:
        started = time.perf_counter()
        found = store.category(slug)
        resolve_ms = (time.perf_counter() - started) * 1000
    return {
        "cold_ms": statistics.median(cold),
        "warm_ms": statistics.median(warm),
        "resolve_ms": resolve_ms,
        "articles": found.count if found else 0,
    }


def query_plan(url: str, slug: str) -> str:
    engine = create_engine(url, poolclass=NullPool)
    query = latest_query(filters(slug, None, None), FEED_ITEMS, None, now=utc_now())
    sql = str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    explain = (
        "EXPLAIN QUERY PLAN "
        if engine.dialect.name == "sqlite"
        else "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) "
    )
    with engine.connect() as conn:
        rows = conn.execute(text(explain + sql)).all()
    engine.dispose()
    if engine.dialect.name == "sqlite":
        return "\n".join(f"{row[3]}" for row in rows)
    return "\n".join(row[0] for row in rows)


def analyze(url: str) -> None:
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def run_one(url: str, count: int, batch_size: int, runs: int) -> dict[str, Any]:
    """Everything for one database and one N; the parent prints it."""
    with Store(url, batch_size=batch_size) as store:
        store.create_schema()
        rss_before = peak_rss_mb()
        started = time.perf_counter()
        results = store.upsert_many(synthetic_articles(count))
        seconds = time.perf_counter() - started
        stored = store.count()
    assert stored == count, (stored, count)
    assert sum(results.values()) == count
    rss_after = peak_rss_mb()
    analyze(url)
    large, small = category_slug(1), category_slug(SMALL_RANK)
    return {
        "articles": count,
        "ingest_s": seconds,
        "per_second": count / seconds,
        "rss_before_mb": rss_before,
        "peak_rss_mb": rss_after,
        "large": {"slug": large, **time_feeds(url, large, runs)},
        "small": {"slug": small, **time_feeds(url, small, runs)},
        "plan": query_plan(url, large),
    }


# -- databases -----------------------------------------------------------------------------


def fresh_sqlite(workdir: Path, count: int) -> str:
    path = workdir / f"scale-{count}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def fresh_postgres(base_url: str, count: int) -> str:
    """A new, empty schema ``bench_<count>`` in the database of ``base_url``."""
    name = f"bench_{count}"
    engine = create_engine(base_url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {name}"))
    engine.dispose()
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={name}"})
    return url.render_as_string(hide_password=False)


def drop_postgres(base_url: str, count: int) -> None:
    engine = create_engine(base_url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS bench_{count} CASCADE"))
    engine.dispose()


def postgres_url(given: str | None) -> str:
    if given:
        return given
    script = ROOT / "scripts" / "postgres.sh"
    done = subprocess.run(
        ["bash", str(script), "url", "syndicate_bench"], check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def postgres_settings(base_url: str) -> str:
    engine = create_engine(base_url, poolclass=NullPool)
    with engine.connect() as conn:
        values = [
            f"{name}={conn.execute(text(f'SHOW {name}')).scalar()}"
            for name in ("server_version", "shared_buffers", "fsync", "synchronous_commit")
        ]
    engine.dispose()
    return ", ".join(values)


# -- the parent: children per step, then the report ---------------------------------------


def child(url: str, count: int, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--child",
        url,
        "--articles",
        str(count),
        "--batch-size",
        str(args.batch_size),
        "--runs",
        str(args.runs),
    ]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def steps(articles: int, stepped: bool) -> list[int]:
    if not stepped:
        return [articles]
    counts = [n for n in (10_000, 100_000, 1_000_000, 10_000_000) if n < articles]
    return [*counts, articles]


def report_row(database: str, result: dict[str, Any]) -> str:
    large, small = result["large"], result["small"]
    return (
        f"{database:<10} {result['articles']:>9,} {result['per_second']:>9,.0f} "
        f"{result['peak_rss_mb']:>8.0f} "
        f"{large['cold_ms']:>8.1f} {large['warm_ms']:>8.1f} {large['resolve_ms']:>8.1f} "
        f"{small['cold_ms']:>8.1f} {small['warm_ms']:>8.1f}   "
        f"{large['articles']:,}/{small['articles']:,}"
    )


HEADER = (
    f"{'database':<10} {'articles':>9} {'ingest/s':>9} {'peak MB':>8} "
    f"{'L cold':>8} {'L warm':>8} {'L count':>8} {'S cold':>8} {'S warm':>8}   "
    "large/small category size"
)


def growth(database: str, results: list[dict[str, Any]]) -> list[str]:
    lines = []
    for before, after in zip(results, results[1:], strict=False):
        factor = after["articles"] / before["articles"]
        lines.append(
            f"{database}: x{factor:.0f} articles -> ingest/s x"
            f"{after['per_second'] / before['per_second']:.2f}, peak memory x"
            f"{after['peak_rss_mb'] / before['peak_rss_mb']:.2f}, large cold feed x"
            f"{after['large']['cold_ms'] / before['large']['cold_ms']:.2f}, small cold feed x"
            f"{after['small']['cold_ms'] / before['small']['cold_ms']:.2f}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument(
        "--steps",
        action="store_true",
        help="also run 10k, 100k, ... below --articles, to show growth",
    )
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--postgres-url", default=None, help="default: scripts/postgres.sh url syndicate_bench"
    )
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5, help="runs per median")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child, args.articles, args.batch_size, args.runs)))
        return

    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    counts = steps(args.articles, args.steps)
    workdir = Path(tempfile.mkdtemp(prefix="syndicate-scale-"))
    base = postgres_url(args.postgres_url) if "postgres" in databases else ""
    print(
        f"syndicate scale benchmark: {', '.join(f'{n:,}' for n in counts)} articles, "
        f"{CATEGORIES} categories, batch {args.batch_size}, medians of {args.runs} runs"
    )
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    if base:
        print(f"postgresql: {postgres_settings(base)}")
    print(
        "times in ms: L = largest category, S = category of rank "
        f"{SMALL_RANK}; 'count' = store.category(slug), which counts its articles\n"
    )
    print(HEADER, flush=True)
    all_results: dict[str, list[dict[str, Any]]] = {}
    try:
        for database in databases:
            for count in counts:
                url = (
                    fresh_sqlite(workdir, count)
                    if database == "sqlite"
                    else fresh_postgres(base, count)
                )
                result = child(url, count, args)
                all_results.setdefault(database, []).append(result)
                print(report_row(database, result), flush=True)
                if not args.keep and database == "postgres":
                    drop_postgres(base, count)
                elif not args.keep:
                    shutil.rmtree(workdir, ignore_errors=True)
                    workdir.mkdir(exist_ok=True)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    for database, results in all_results.items():
        for line in growth(database, results):
            print(line)
    for database, results in all_results.items():
        last = results[-1]
        print(
            f"\nfeed query plan on {database}, {last['articles']:,} articles, "
            f"category {last['large']['slug']}:"
        )
        print("  " + last["plan"].replace("\n", "\n  "))


if __name__ == "__main__":
    main()
