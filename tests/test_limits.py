"""Limits on what goes in and what comes out, each said in words.

``[ingest] max_bytes`` (2 MiB by default) refuses a bigger file or feed entry, naming it and the
limit; ``max_title_chars`` cuts a longer title with a note. ``feeds.max_bytes`` (1 MB by
default) keeps every feed document under it: fewer items first, then summaries for the largest,
never an article the archive chain needs.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.articles import article
from helpers.live import serve
from helpers.upstream import Reply, TestServer
from helpers.validity import assert_valid_feed

from syndicate.cli import cli
from syndicate.config import FeedSettings, IngestSettings, Settings, SourceSettings
from syndicate.refresh import Refresher
from syndicate.store import Store

MIB = 1024 * 1024


def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    config = tmp_path / "syndicate.toml"
    config.write_text('[site]\nbase_url = "https://news.example"\n')
    return {"SYNDICATE_CONFIG": str(config), "SYNDICATE_DATABASE_URL": database_url}


def test_a_file_over_the_limit_is_refused_with_its_name_and_the_limit(
    env: dict[str, str], tmp_path: Path, store: Store
) -> None:
    big = tmp_path / "dump.txt"
    big.write_text("Headline of a dump\n\n" + "word " * (MIB + 100_000))  # ~5.5 MB
    code, out, err = run(env, "ingest", str(big))
    assert code == 1
    assert f"error: {big}: file is {big.stat().st_size} bytes; the limit is {2 * MIB} bytes " in err
    assert "([ingest] max_bytes)" in err
    assert "0 new" in out and "1 failed" in out
    assert store.count() == 0


def test_the_ingest_limit_is_a_setting(env: dict[str, str], tmp_path: Path) -> None:
    Path(env["SYNDICATE_CONFIG"]).write_text("[ingest]\nmax_bytes = 1000\n")
    post = tmp_path / "post.md"
    post.write_text("---\ntitle: Long\n---\n\n" + "Words and more words. " * 100)
    code, _, err = run(env, "ingest", str(post))
    assert code == 1 and "the limit is 1000 bytes ([ingest] max_bytes)" in err


def test_a_long_title_is_cut_with_a_note(env: dict[str, str], tmp_path: Path, store: Store) -> None:
    post = tmp_path / "post.md"
    post.write_text("---\ntitle: " + "Very long title " * 40 + "\n---\n\nThe body.\n")
    code, _, err = run(env, "ingest", str(post))
    assert code == 0
    (stored,) = store.latest()
    assert len(stored.title) <= 300 and stored.title.endswith("…")
    assert f"note: {post}: title of 639 characters cut to {len(stored.title)} " in err
    assert "([ingest] max_title_chars = 300)" in err


def test_a_feed_entry_over_the_limit_is_skipped_and_named(settings: Settings, store: Store) -> None:
    huge = "<p>" + "Long text. " * 20_000 + "</p>"  # ~220 KB
    feed = (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>T</title><link>http://t/</link>"
        "<item><title>Fine</title><link>https://t.example/fine</link>"
        "<description>Short.</description></item>"
        "<item><title>Huge</title><link>https://t.example/huge</link>"
        f"<description><![CDATA[{huge}]]></description></item></channel></rss>"
    ).encode()
    with TestServer() as server:
        server.serve("/feed.xml", Reply(feed))
        source = SourceSettings(
            name="t", kind="feed", url=server.url("/feed.xml"), allow_private=True
        )
        limited = replace(settings, sources=(source,), ingest=IngestSettings(max_bytes=100_000))
        result = Refresher(limited, store).refresh("t")
    assert (result.new, result.skipped) == (1, 1)
    assert "Huge: 'Huge': the entry's text is over 100000 bytes" in result.message
    assert "([ingest] max_bytes)" in result.message
    assert [a.title for a in store.latest()] == ["Fine"]


def big(n: int, size: int) -> object:
    body = f"<p>Article {n}. " + "Many words of a long article. " * (size // 30) + "</p>"
    return article(n, body_html=body)


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_feeds_stay_under_max_bytes(settings: Settings, store: Store, fmt: str) -> None:
    store.upsert_many(big(n, 300_000) for n in range(1, 13))  # ~3.6 MB of text
    small = replace(settings, feeds=FeedSettings(items=5, max_items=50))
    with serve(small, store) as live:
        for path in (f"/feeds/all.{fmt}", f"/feeds/all.{fmt}?limit=2"):
            body = live.get(path).body
            assert len(body) <= 1_000_000, path
            assert_valid_feed(body, fmt)
        # The subscription document: the newest, and the two articles no archive page holds.
        shown = live.get(f"/feeds/all.{fmt}").body
        for n in (11, 12):
            assert f"-{n:012d}".encode() in shown
        # Archive pages keep every member; the largest lose their full text.
        for page in (1, 2):
            body = live.get(f"/feeds/all/archive/{page}.{fmt}").body
            assert len(body) <= 1_000_000
            assert_valid_feed(body, fmt)
            members = range(5 * page - 4, 5 * page + 1)
            assert all(f"-{n:012d}".encode() in body for n in members)
            full = [n for n in members if f"Article {n}. Many words".encode() in body]
            assert 1 <= len(full) < 5  # ~1.5 MB of text: some carry their summaries only


def test_a_small_feed_is_not_touched(settings: Settings, store: Store) -> None:
    store.upsert_many(article(n) for n in range(1, 4))
    with serve(settings, store) as live:
        body = live.get("/feeds/all.atom").body
        assert body.count(b"Body of article") == 3
