"""Killed at any moment, nothing lost and nothing half-written.

``syndicate ingest`` (a folder of Markdown files) and ``syndicate refresh`` (a folder source of
Markdown files and a feed source over real HTTP) run as child processes and are SIGKILLed at
random moments, each followed by a restart, with files edited between runs. At the end, after
one run of each that is left to finish: every article is there exactly once with its latest
text, the store is consistent (``tests/helpers/consistency.py``: ``PRAGMA integrity_check`` on
SQLite, link rows, orphans, change log, no run left ``running``), the feeds are valid, and a
refresh with nothing changed writes no article row.

Default run: 8 kills over 300 + 200 files and a 100-entry feed. ``-m soak``: 100 kills over
3,000 + 1,000 files and a 500-entry feed. Each run prints the kill count and what was checked.
"""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.consistency import problems, rows
from helpers.database import BACKEND
from helpers.processes import Children, child_env
from helpers.upstream import Reply, TestServer
from helpers.validity import assert_valid_feed
from sqlalchemy import event

from syndicate.config import load_settings
from syndicate.refresh import Refresher
from syndicate.store import Store
from syndicate.web import create_app

CATEGORIES = ("World", "Local News", "Science")


@pytest.fixture
def server() -> Iterator[TestServer]:
    with TestServer() as running:
        yield running


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


def kill_and_restart(
    children: Children, env: dict[str, str], runs: list[tuple[str, ...]], kills: int, seed: int
) -> Counter[str]:
    """Start each command in turn and SIGKILL it at a random moment; what was killed where."""
    rng = random.Random(seed)
    killed: Counter[str] = Counter()
    # How long each command takes when left alone, learnt from the runs that ended before
    # their kill: the next kill falls at a random moment within it.
    lasts = dict.fromkeys((args[0] for args in runs), 3.0)
    attempts = 0
    while sum(killed.values()) < kills:
        attempts += 1
        assert attempts < kills * 6, f"only {dict(killed)} kills in {attempts} runs"
        args = runs[attempts % len(runs)]
        process = children.start(env, *args)
        started = time.monotonic()
        delay = rng.uniform(0.1, lasts[args[0]])
        while time.monotonic() - started < delay and process.poll() is None:
            time.sleep(0.01)
        if process.poll() is None:
            killed[args[0]] += 1
        else:
            lasts[args[0]] = time.monotonic() - started
        children.stop(process, signal.SIGKILL)
    return killed


def finish(children: Children, env: dict[str, str], *args: str) -> None:
    process = children.start(env, *args)
    code = process.wait(timeout=600)
    assert code in (0, 1), children.logs()  # 1: some input failed, which none should


@pytest.mark.parametrize(
    ("kills", "files", "ingested", "entries"),
    [
        pytest.param(8, 300, 200, 100, id="bounded"),
        pytest.param(100, 3000, 1000, 500, id="soak", marks=pytest.mark.soak),
    ],
)
def test_kills_at_random_moments_lose_nothing_and_leave_nothing_half_written(
    children: Children,
    server: TestServer,
    tmp_path: Path,
    database_url: str,
    kills: int,
    files: int,
    ingested: int,
    entries: int,
) -> None:
    desk, inbox = tmp_path / "desk", tmp_path / "inbox"
    desk.mkdir()
    inbox.mkdir()
    for n in range(files):
        write_story(desk, "desk", n)
    for n in range(ingested):
        write_story(inbox, "inbox", n)
    server.serve("/wire.xml", Reply(feed(entries)))
    config = tmp_path / "syndicate.toml"
    config.write_text(
        '[site]\nbase_url = "https://news.example"\n'
        f'[[sources]]\nname = "desk"\nkind = "folder"\npath = "{desk}"\n'
        f'[[sources]]\nname = "wire"\nkind = "feed"\nurl = "{server.url("/wire.xml")}"\n'
        "allow_private = true\n"
    )
    env = child_env(config, database_url)
    runs = [("ingest", str(inbox)), ("refresh",)]
    killed: Counter[str] = Counter()
    rng = random.Random(kills)
    for round_ in range(4):  # edits between rounds: updates are killed too, not only inserts
        for n in rng.sample(range(files), 10):
            write_story(desk, "desk", n, edition=round_ + 1)
        killed += kill_and_restart(children, env, runs, kills // 4, seed=round_)
    finish(children, env, "ingest", str(inbox))
    finish(children, env, "refresh")
    finish(children, env, "refresh")  # a second run marks the killed runs as interrupted

    settings = load_settings(config, environ={"SYNDICATE_DATABASE_URL": database_url})
    with Store(database_url) as store:
        titles = Counter(str(t) for (t,) in rows(store, "SELECT title FROM articles"))
        expected = (
            [f"Desk story {n:04d}" for n in range(files)]
            + [f"Inbox story {n:04d}" for n in range(ingested)]
            + [f"Wire story {n:04d}" for n in range(entries)]
        )
        assert titles == Counter(expected), (titles - Counter(expected), Counter(expected) - titles)
        for n in range(files):  # the latest edition of every edited file is what is stored
            edition = (desk / f"desk-{n:04d}.md").read_text().rsplit("Edition ", 1)[1]
            stored = rows(
                store,
                f"SELECT body_html FROM articles WHERE title = 'Desk story {n:04d}'",
            )[0][0]
            assert f"Edition {edition.split()[0]}" in str(stored)
        found = problems(store)
        assert found == [], found
        outcomes = Counter(str(o) for (o,) in rows(store, "SELECT outcome FROM runs"))
        app = create_app(settings, store=store, watch_interval=None)
        client = app.test_client()
        for fmt in ("rss", "atom", "json"):
            answer = client.get(f"/feeds/all.{fmt}")
            assert answer.status_code == 200
            assert_valid_feed(answer.data, fmt)
        for name in ("world", "local-news", "science"):
            assert_valid_feed(client.get(f"/feeds/{name}.atom").data, "atom")

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
    print(
        f"\nkills: {sum(killed.values())} ({dict(killed)}); checked: {len(expected)} articles "
        f"each once with its latest text, {'integrity_check, ' * (BACKEND == 'sqlite')}"
        f"link rows, orphans, change log, no run left running (runs: {dict(outcomes)}), "
        "feeds valid (RSS, Atom RELAX NG, JSON Feed), an unchanged refresh wrote no article row"
    )
