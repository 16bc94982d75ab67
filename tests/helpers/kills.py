"""What the kill tests share: the sources they refresh, SIGKILLs at random moments, and the
checks that nothing was lost or half-written.

:func:`write_story` and :func:`feed` make the inputs (a folder of Markdown files, an RSS
feed); :func:`kill_at_random_moments` starts a command again and again and SIGKILLs it at a
random moment of its work; :func:`assert_nothing_lost` checks the store afterwards: every
article once with its latest text, :func:`~helpers.consistency.problems` empty, valid feeds,
and a refresh with nothing changed writing no article row. ``tests/test_kills.py`` kills
``ingest`` and ``refresh``, ``tests/test_queue_kills.py`` kills queue workers.
"""

from __future__ import annotations

import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path

from sqlalchemy import event

from helpers.consistency import problems, rows
from helpers.database import BACKEND
from helpers.processes import Children, wait_for
from helpers.validity import assert_valid_feed
from syndicate.config import Settings
from syndicate.refresh import Refresher
from syndicate.store import Store
from syndicate.web import create_app

CATEGORIES = ("World", "Local News", "Science")
Process = subprocess.Popen[bytes]


def write_story(folder: Path, prefix: str, n: int, edition: int = 0) -> None:
    body = " ".join(["Words of the story, told at length for the reader."] * 8)
    (folder / f"{prefix}-{n:04d}.md").write_text(
        f"---\ntitle: {prefix.title()} story {n:04d}\n"
        f"categories: [{CATEGORIES[n % 3]}]\ntags: [t{n % 7}]\n"
        f"authors: [Writer {n % 5}]\ndate: 2024-03-{1 + n % 28:02d}T10:00:00Z\n---\n\n"
        f"{body}\n\nEdition {edition} of story {n}.\n"
    )


def feed(entries: int) -> bytes:
    items = "".join(
        f"<item><title>Wire story {i:04d}</title><link>https://wire.example/{i}</link>"
        f"<guid>https://wire.example/{i}</guid><category>{CATEGORIES[i % 3]}</category>"
        f"<pubDate>Mon, 06 May 2024 10:00:00 GMT</pubDate>"
        f"<description>Wire text of entry {i}, long enough to read.</description></item>"
        for i in range(entries)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
        f"<link>https://wire.example/</link><description>w</description>{items}</channel></rss>"
    ).encode()


def kill_at_random_moments(
    children: Children,
    start: Callable[[int], tuple[str, Process]],
    done: Callable[[Process], bool],
    kills: int,
    seed: int,
    busy: Callable[[Process], bool] | None = None,
) -> Counter[str]:
    """Start ``start(attempt)`` (a label and its process) again and again and SIGKILL it at a
    random moment of its work, until ``kills`` of them were killed before ``done``; kills per
    label.

    The work starts when the process does, or, given ``busy``, once ``busy`` says it is at
    work (a worker that has taken a job), and only kills while ``busy`` count. How long each
    label's work takes when left alone is learnt from the runs that were done before their
    kill, and the next kill falls at a random moment within it; until one was, the span
    grows by half after each kill, so work longer than the first guess is killed late too.
    """
    rng = random.Random(seed)
    killed: Counter[str] = Counter()
    lasts: dict[str, float] = {}
    learnt: set[str] = set()
    attempts = 0
    while sum(killed.values()) < kills:
        attempts += 1
        assert attempts < kills * 6, f"only {dict(killed)} kills in {attempts} runs"
        label, process = start(attempts)
        if busy is not None:
            at_work = partial(_either, busy, done, process)
            wait_for(at_work, 120, f"{label} at work", children)
        started = time.monotonic()
        span = lasts.get(label, 3.0)
        delay = rng.uniform(0.1, span)
        while time.monotonic() - started < delay and not done(process):
            time.sleep(0.01)
        if done(process):
            lasts[label] = time.monotonic() - started
            learnt.add(label)
        elif busy is None or busy(process):
            killed[label] += 1
            if label not in learnt:
                lasts[label] = span * 1.5
        children.stop(process, signal.SIGKILL)
    return killed


def _either(
    first: Callable[[Process], bool], second: Callable[[Process], bool], process: Process
) -> bool:
    return first(process) or second(process)


def assert_nothing_lost(
    store: Store, settings: Settings, expected: list[str], desk: Path, files: int
) -> Counter[str]:
    """Every title in ``expected`` stored once, the desk's files with their latest edition, a
    consistent store, valid feeds, and an unchanged refresh that writes no article row; the
    runs of the run log by outcome."""
    titles = Counter(str(t) for (t,) in rows(store, "SELECT title FROM articles"))
    assert titles == Counter(expected), (titles - Counter(expected), Counter(expected) - titles)
    for n in range(files):  # the latest edition of every edited file is what is stored
        edition = (desk / f"desk-{n:04d}.md").read_text().rsplit("Edition ", 1)[1]
        query = f"SELECT body_html FROM articles WHERE title = 'Desk story {n:04d}'"
        assert f"Edition {edition.split()[0]}" in str(rows(store, query)[0][0])
    found = problems(store)
    assert found == [], found
    outcomes = Counter(str(o) for (o,) in rows(store, "SELECT outcome FROM runs"))
    # Before the app: its poll counter writes the feeds' polls on a thread of its own, which
    # would be taken for the refresh's writes.
    assert_unchanged_refresh_writes_nothing(store, settings)
    client = create_app(settings, store=store, watch_interval=None).test_client()
    for fmt in ("rss", "atom", "json"):
        answer = client.get(f"/feeds/all.{fmt}")
        assert answer.status_code == 200
        assert_valid_feed(answer.data, fmt)
    for name in ("world", "local-news", "science"):
        assert_valid_feed(client.get(f"/feeds/{name}.atom").data, "atom")
    return outcomes


def assert_unchanged_refresh_writes_nothing(store: Store, settings: Settings) -> None:
    written: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        verb = statement.lstrip().split(" ", 1)[0].upper()
        if verb in ("INSERT", "UPDATE", "DELETE") and not any(
            t in statement for t in (" runs", " sources")
        ):
            written.append(statement)

    event.listen(store.engine, "before_cursor_execute", record)
    refresher = Refresher(settings, store)
    try:
        results = list(refresher.refresh_many())
    finally:
        refresher.close()
        event.remove(store.engine, "before_cursor_execute", record)
    assert all(not r.failed for r in results), [r.message for r in results]
    assert written == [], written[:3]


def checked(articles: int, outcomes: Counter[str]) -> str:
    """What :func:`assert_nothing_lost` checked, for the tests' closing line."""
    return (
        f"{articles} articles each once with its latest text, "
        f"{'integrity_check, ' * (BACKEND == 'sqlite')}link rows, orphans, change log, "
        f"no run left running (runs: {dict(outcomes)}), feeds valid (RSS, Atom RELAX NG, "
        "JSON Feed), an unchanged refresh wrote no article row"
    )
