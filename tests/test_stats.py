"""Subscriber counts over real HTTP: polls counted on the serving path and written in batches,
aggregators' reports read from their User-Agents, readers counted once a day by a salted hash,
304s and the bytes they saved, partners apart; what survives a restart; the CLI and JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import html5lib
import pytest
from click.testing import CliRunner
from helpers.admin import signed_in
from helpers.articles import article
from helpers.live import Site, serve
from sqlalchemy import select

from syndicate.cli import cli
from syndicate.config import AdminSettings, Settings, StatsSettings
from syndicate.publish.polls import PollCounter, client_hash, read_agent
from syndicate.publish.stats import feed_stats
from syndicate.store import ADMIN, Store, schema
from syndicate.text.dates import utc_now
from syndicate.web import COUNTER_KEY

DATA = Path(__file__).parent / "data" / "stats"
SALT = "a salt of at least sixteen characters"
FEEDLY = "Feedly/1.0 (+http://www.feedly.com/fetcher.html; {n} subscribers; feed-id=feed/{id})"
INOREADER = "Mozilla/5.0 (compatible; Inoreader/1.0; +http://www.inoreader.com; {n} subscribers)"
NEWSBLUR = "NewsBlur Feed Fetcher - {n} subscribers - https://www.newsblur.com/site/77/x (Mozilla)"


def counting(settings: Settings, salt: str = SALT) -> Settings:
    """Counting on, the counter flushed by the tests themselves (a long interval)."""
    return replace(settings, stats=StatsSettings(flush_seconds=3600), stats_salt=salt)


@contextmanager
def site(settings: Settings, store: Store, salt: str = SALT) -> Iterator[Site]:
    if not store.count():
        store.upsert_many(article(n) for n in range(1, 7))
    with serve(counting(settings, salt), store) as live:
        yield live


def flush(live: Site) -> int:
    counter: PollCounter = live.app.extensions[COUNTER_KEY]
    return counter.flush()


def poll(live: Site, path: str, agent: str, source: str = "", **headers: str) -> Any:
    return live.get(path, {"User-Agent": agent} | headers, source=source)


@pytest.mark.parametrize(
    "case", json.loads((DATA / "user_agents.json").read_text()), ids=lambda c: c["name"]
)
def test_user_agents_are_read_with_the_table_of_patterns(case: dict[str, Any]) -> None:
    found = read_agent(case["ua"])
    expected = (case["name"], case["aggregator"], case["subscribers"], case["ident"])
    assert (found.name, found.aggregator, found.subscribers, found.ident) == expected


def test_aggregators_and_readers_make_the_subscriber_count(
    settings: Settings, store: Store
) -> None:
    with site(settings, store) as live:
        for n in (40, 42):  # the latest report is the one that counts
            poll(live, "/feeds/all.rss", FEEDLY.format(n=n, id="a"))
        poll(live, "/feeds/all.atom", FEEDLY.format(n=8, id="b"))  # another Feedly feed id
        poll(live, "/feeds/all.rss", INOREADER.format(n=10))
        poll(live, "/feeds/all.json", NEWSBLUR.format(n=5))
        first = poll(live, "/feeds/all.rss", "NetNewsWire (RSS Reader)")
        for _ in range(3):  # one reader polling often is one reader
            poll(live, "/feeds/all.rss", "NetNewsWire (RSS Reader)", **{"If-None-Match": '"x"'})
        poll(live, "/feeds/all.rss", "NetNewsWire (RSS Reader)", "127.0.0.2")  # another machine
        not_modified = poll(
            live, "/feeds/all.rss", "Miniflux/2.1", **{"If-None-Match": first.headers["etag"]}
        )
        assert not_modified.status == 304
        poll(live, "/feeds/all/archive/1.rss", "Miniflux/2.1")  # walking back: not a poll
        poll(live, "/feeds.opml", "Miniflux/2.1")
        poll(live, "/feeds/news.rss", "Miniflux/2.1")
        assert flush(live) == 12
    [every, news] = feed_stats(store)
    assert every.feed == "all" and news.feed == "news"
    assert every.aggregators == {"Feedly": 50, "Inoreader": 10, "NewsBlur": 5}
    assert every.readers == 3  # NetNewsWire here, NetNewsWire there, Miniflux
    assert every.subscribers == 50 + 10 + 5 + 3
    assert (every.polls, every.conditional, every.not_modified) == (11, 4, 1)
    assert every.not_modified_share == pytest.approx(1 / 11)
    assert every.bytes_saved == len(first.body)
    assert every.days[-1].subscribers == every.subscribers and every.days[-1].polls == 11
    assert dict(every.top_readers) == {"NetNewsWire": 2, "Miniflux": 1}
    assert (news.subscribers, news.polls) == (1, 1)


def test_counts_survive_a_restart_and_keep_adding_up(settings: Settings, store: Store) -> None:
    with site(settings, store) as live:
        poll(live, "/feeds/all.rss", "NetNewsWire (RSS Reader)")
        poll(live, "/feeds/all.rss", FEEDLY.format(n=42, id="a"))
        counter: PollCounter = live.app.extensions[COUNTER_KEY]
        counter.stop()  # as at shutdown: what is counted is written
    assert [(s.subscribers, s.polls) for s in feed_stats(store)] == [(43, 2)]
    with site(settings, store) as again:  # a new process over the same database
        poll(again, "/feeds/all.rss", "NetNewsWire (RSS Reader)")  # the same reader
        poll(again, "/feeds/all.rss", "Miniflux/2.1")
        flush(again)
    [every] = feed_stats(store)
    assert (every.subscribers, every.readers, every.polls) == (44, 2, 4)


def test_clients_are_salted_hashes_and_the_hash_changes_with_the_salt(
    settings: Settings, store: Store
) -> None:
    assert client_hash(b"s" * 16, "127.0.0.1", "Reader/1") != client_hash(
        b"t" * 16, "127.0.0.1", "Reader/1"
    )
    assert client_hash(b"s" * 16, "127.0.0.1", "Reader/1") == client_hash(
        b"s" * 16, "127.0.0.1", "Reader/1"
    )
    with site(settings, store, salt="one salt of sixteen or more") as live:
        poll(live, "/feeds/all.rss", "Reader/1")
        flush(live)
    with site(settings, store, salt="another salt, as long as that") as live:
        poll(live, "/feeds/all.rss", "Reader/1")  # the same client, another salt
        flush(live)
    with store.engine.connect() as conn:
        rows = conn.execute(select(schema.feed_polls)).all()
    expected = {
        client_hash(salt.encode(), "127.0.0.1", "Reader/1")
        for salt in ("one salt of sixteen or more", "another salt, as long as that")
    }
    assert {row.client for row in rows} == expected and len(expected) == 2
    stored = " ".join(str(value) for row in rows for value in row)
    assert "127.0.0.1" not in stored  # never the address itself


def test_partners_are_counted_apart(settings: Settings, store: Store) -> None:
    _, key = store.partners.create("wire", [], full_text=True, now=utc_now())
    with site(settings, store) as live:
        poll(live, "/feeds/all.rss", "Wire fetcher/1", Authorization=f"Bearer {key}")
        poll(live, f"/feeds/all.rss?key={key}", "Wire fetcher/1")
        poll(live, "/feeds/all.rss", "NetNewsWire (RSS Reader)")
        flush(live)
    [every] = feed_stats(store)
    assert (every.polls, every.readers, every.subscribers) == (1, 1, 1)
    assert every.partners["wire"].polls == 2 and every.partners["wire"].clients == 1


def test_counting_off_counts_nothing(settings: Settings, store: Store) -> None:
    store.upsert(article(1))
    off = replace(settings, stats=StatsSettings(enabled=False))
    with serve(off, store) as live:
        assert live.app.extensions[COUNTER_KEY] is None
        assert live.get("/feeds/all.rss").status == 200
    assert feed_stats(store) == []


def test_stats_command_prints_a_table_and_json(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    _, key = store.partners.create("wire", [], full_text=True, now=utc_now())
    with site(settings, store) as live:
        poll(live, "/feeds/all.rss", FEEDLY.format(n=42, id="a"))
        poll(live, "/feeds/all.rss", "NetNewsWire (RSS Reader)")
        poll(live, "/feeds/news.rss", "NetNewsWire (RSS Reader)")
        poll(live, "/feeds/all.rss", "Wire/1", Authorization=f"Bearer {key}")
        flush(live)
    (tmp_path / "empty.toml").write_text("", encoding="utf-8")
    env = {
        "SYNDICATE_DATABASE_URL": store.engine.url.render_as_string(hide_password=False),
        "SYNDICATE_CONFIG": str(tmp_path / "empty.toml"),
    }
    runner = CliRunner()
    shown = runner.invoke(cli, ["stats", "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    found = {entry["feed"]: entry for entry in json.loads(shown.stdout)}
    assert set(found) == {"all", "news"}
    assert found["all"]["subscribers"] == 43 and found["all"]["aggregators"] == {"Feedly": 42}
    assert found["all"]["polls"] == 2 and found["all"]["not_modified_share"] == 0
    assert found["all"]["partners"] == {"wire": {"polls": 1, "clients": 1, "not_modified": 0}}
    assert len(found["all"]["days"]) == 30
    one = runner.invoke(cli, ["stats", "--feed", "news", "--days", "7", "--json"], env=env)
    [news] = json.loads(one.stdout)
    assert news["feed"] == "news" and news["subscribers"] == 1 and len(news["days"]) == 7
    table = runner.invoke(cli, ["stats"], env=env)
    assert "all\t43 subscriber(s) (1 reader(s) in 24 h; Feedly 42)" in table.output
    assert "partner wire: 1 poll(s)" in table.output


def test_the_admin_shows_readers_with_a_chart_of_their_days(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    _token, secret = store.tokens.create("editor", ADMIN, now=utc_now())
    configured = replace(settings, admin=AdminSettings(secret_key_file=str(tmp_path / "key")))
    _, key = store.partners.create("wire", [], full_text=True, now=utc_now())
    with site(configured, store) as live:
        poll(live, "/feeds/all.rss", FEEDLY.format(n=42, id="a"))
        first = poll(live, "/feeds/all.rss", "NetNewsWire (RSS Reader)")
        poll(live, "/feeds/all.rss", "Miniflux/2.1", **{"If-None-Match": first.headers["etag"]})
        poll(live, "/feeds/all.rss", "Wire/1", Authorization=f"Bearer {key}")
        flush(live)
        client = signed_in(live.app.test_client(), secret)
        page = client.get("/admin/stats")
        anonymous = live.app.test_client().get("/admin/stats")
    assert anonymous.status_code == 303 and anonymous.headers["Location"].endswith("/admin/login")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.data.decode()
    assert "all</a>: 44 subscribers" in html
    assert "Feedly: 42 subscribers" in html and "NetNewsWire: 1" in html
    assert "33.3% (1)" in html  # one poll of three answered 304
    assert f"{len(first.body) / 1024:.1f} KiB" in html  # the bytes that 304 saved
    assert "wire: 1 poll, 0 answered 304" in html
    svg = html[html.index('<svg class="chart"') : html.index("</svg>")]
    assert svg.count('<rect class="day"') == 30
    assert ": 44 subscribers, 3 polls</title>" in svg  # today's bar
    html5lib.HTMLParser(strict=True).parse(html)
