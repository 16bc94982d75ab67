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
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.kills import (
    Process,
    assert_nothing_lost,
    checked,
    feed,
    kill_at_random_moments,
    write_story,
)
from helpers.processes import Children, child_env
from helpers.upstream import Reply, TestServer

from syndicate.config import load_settings
from syndicate.store import Store


@pytest.fixture
def server() -> Iterator[TestServer]:
    with TestServer() as running:
        yield running


def kill_and_restart(
    children: Children, env: dict[str, str], runs: list[tuple[str, ...]], kills: int, seed: int
) -> Counter[str]:
    """Start each command in turn and SIGKILL it at a random moment; what was killed where."""

    def start(attempt: int) -> tuple[str, Process]:
        args = runs[attempt % len(runs)]
        return args[0], children.start(env, *args)

    return kill_at_random_moments(
        children, start, lambda process: process.poll() is not None, kills, seed
    )


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
    expected = (
        [f"Desk story {n:04d}" for n in range(files)]
        + [f"Inbox story {n:04d}" for n in range(ingested)]
        + [f"Wire story {n:04d}" for n in range(entries)]
    )
    with Store(database_url) as store:
        outcomes = assert_nothing_lost(store, settings, expected, desk, files)
    total = sum(killed.values())
    print(f"\nkills: {total} ({dict(killed)}); checked: {checked(len(expected), outcomes)}")
