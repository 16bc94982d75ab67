"""Article identity: an explicit id, then the link, then the file's path; never the title alone.

The fixture folder ``tests/data/identity/desk`` holds four files titled "Weather update" (one
plain, one with ``id:``, one with ``url:``, one with a relative ``permalink:`` and a ``slug:``),
two "Derby ends in a draw" files with distinct slugs, and a JSON list with a ``guid`` and two
entries titled "Table". An earlier version made all same-titled files one article; published
ids it gave must survive the upgrade (``helpers.legacy`` writes rows the way it did).
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.legacy import PREVIOUS_REVISION, previous_id, store_as_before
from helpers.upstream import Reply, TestServer

from syndicate.cli import cli
from syndicate.config import Settings, SourceSettings
from syndicate.model import Article
from syndicate.normalize import article_id, normalize
from syndicate.refresh import Refresher
from syndicate.refresh.ingest import ingest_files
from syndicate.sources import files, read, syndication
from syndicate.store import Store, migrations

DESK = Path(__file__).parent / "data" / "identity" / "desk"
NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
BODIES = {
    "weather/monday.md": "Rain all day on Monday",
    "weather/tuesday.md": "Sunny spells on Tuesday",
    "weather/wednesday.md": "Fog in the morning on Wednesday",
    "weather/thursday.md": "Snow on the hills on Thursday",
    "sport/derby.md": "The city derby ended one all",
    "sport/derby-report.md": "A full report of the derby",
    "sport/results.json#results": "Week ten results",
    "sport/results.json#table": "The league table after week ten",
    "sport/results.json#table-2": "The women's league table after week ten",
}


def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    config = tmp_path / "syndicate.toml"
    config.write_text('[site]\nbase_url = "https://news.example"\n')
    return {"SYNDICATE_CONFIG": str(config), "SYNDICATE_DATABASE_URL": database_url}


def body_of(store: Store, article_id: str) -> str:
    found = store.get(article_id)
    assert found is not None, article_id
    return found.body_html


def by_body(store: Store) -> dict[str, Article]:
    """Every stored article, keyed by which fixture file's text it holds."""
    found: dict[str, Article] = {}
    for article in store.latest(limit=100):
        names = [name for name, text in BODIES.items() if text in article.body_html]
        assert len(names) == 1, (article.title, article.body_html)
        assert names[0] not in found, f"{names[0]} stored twice"
        found[names[0]] = article
    return found


def test_same_titled_files_are_separate_articles(env: dict[str, str], store: Store) -> None:
    code, out, err = run(env, "ingest", str(DESK))
    assert code == 0, err
    assert "7 file(s): 9 new, 0 updated, 0 unchanged, 0 skipped, 0 failed" in out
    stored = by_body(store)
    assert sorted(stored) == sorted(BODIES)
    code, out, _ = run(env, "ingest", str(DESK))
    assert "0 new, 0 updated, 9 unchanged" in out


def test_the_id_rule_explicit_id_then_link_then_path(env: dict[str, str], store: Store) -> None:
    run(env, "ingest", str(DESK))
    stored = by_body(store)
    expected = {
        "weather/tuesday.md": "id:wx-2026-03-10",  # front matter id: wins
        "weather/wednesday.md": "url:https://desk.example/weather/2026-03-11",  # url:
        "weather/monday.md": "path:weather/monday.md",  # neither: the path under the root
        "weather/thursday.md": "path:weather/thursday.md",  # a relative permalink is no link
        "sport/results.json#results": "id:results-week-10",  # JSON guid
        "sport/results.json#table": "path:sport/results.json#table",
        "sport/results.json#table-2": "path:sport/results.json#table-2",
    }
    for name, key in expected.items():
        assert stored[name].id == article_id("local", key), name
    assert stored["weather/wednesday.md"].link == "https://desk.example/weather/2026-03-11"
    # A slug: is the page's slug when free; same titles without one get the id's suffix.
    assert stored["weather/thursday.md"].slug == "weather-thursday"
    assert stored["sport/derby.md"].slug == "derby-draw"
    assert stored["sport/derby-report.md"].slug == "derby-draw-report"
    assert len({a.slug for a in stored.values()}) == len(stored)


def test_moving_the_folder_changes_no_id(env: dict[str, str], store: Store, tmp_path: Path) -> None:
    run(env, "ingest", str(DESK))
    before = {name: a.id for name, a in by_body(store).items()}
    moved = tmp_path / "elsewhere" / "desk"
    shutil.copytree(DESK, moved)
    code, out, _ = run(env, "ingest", str(moved))
    assert code == 0 and "0 new, 0 updated, 9 unchanged" in out
    assert {name: a.id for name, a in by_body(store).items()} == before


def test_a_file_with_an_id_keeps_it_when_renamed(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "posts"
    folder.mkdir()
    shutil.copy(DESK / "weather" / "tuesday.md", folder / "tuesday.md")
    first = list(ingest_files(files.expand([folder]), store, now=NOW))
    (folder / "tuesday.md").rename(folder / "2026-03-10-forecast.md")
    again = list(ingest_files(files.expand([folder]), store, now=NOW))
    assert first[0].changed[0].id == article_id("local", "id:wx-2026-03-10")
    assert sum(again[0].results.values()) == 1 and not again[0].changed
    assert store.count() == 1


def test_a_folder_source_identifies_files_by_their_path_under_its_root(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    def refresh(path: Path) -> dict[str, str]:
        source = SourceSettings(name="desk", kind="folder", path=str(path))
        Refresher(replace(settings, sources=(source,)), store).refresh("desk")
        return {name: a.id for name, a in by_body(store).items()}

    first = refresh(DESK)
    assert first["weather/monday.md"] == article_id("desk", "path:weather/monday.md")
    moved = tmp_path / "mounted" / "desk"
    shutil.copytree(DESK, moved)
    assert refresh(moved) == first
    assert store.count() == len(BODIES)


# -- an upgrade from the previous version's database ----------------------------------------


def previous_rows(source: str) -> list[Article]:
    """What the previous version stored from the fixture folder, ingesting files in order.

    It read no ``id``, ``guid`` or ``url:``, so same-titled files made one row: the first
    file's slug, the last file's text, the id of the title.
    """
    rows: dict[str, Article] = {}
    for path, where in files.expand([DESK]):
        for entry in files.located(read(path.read_bytes(), str(path)).entries, where):
            old = replace(entry, guid="", path="", link="")
            article = normalize(old, source=source, now=NOW)
            old_id = previous_id(source, "", article.title)
            earlier = rows.get(old_id)
            slug = earlier.slug if earlier else article.slug
            rows[old_id] = replace(article, id=old_id, slug=slug)
    return list(rows.values())


@pytest.fixture
def previous(store: Store) -> list[Article]:
    """The store as the previous version left it: schema 0002, its rows, no key rows."""
    rows = previous_rows("local")
    with store.engine.begin() as conn:
        migrations.downgrade(conn, PREVIOUS_REVISION)
    store_as_before(store, rows)
    store.upgrade()
    return rows


def test_upgrade_keeps_every_published_id_and_slug(
    previous: list[Article], env: dict[str, str], store: Store
) -> None:
    assert len(previous) == 4  # weather, derby, results, table: what the old rule made
    code, out, err = run(env, "ingest", str(DESK))
    assert code == 0, err
    stored = by_body(store)
    assert sorted(stored) == sorted(BODIES)  # every file's text, each once
    assert store.count() == len(BODIES)
    now_by_id = {a.id: a for a in stored.values()}
    for row in previous:
        assert row.id in now_by_id, row.title
        assert now_by_id[row.id].slug == row.slug
        # A row several files shared goes to the file whose text it holds: unchanged.
        assert now_by_id[row.id].body_html == row.body_html
    assert "Fog in the morning" in body_of(store, previous_id("local", "", "Weather update"))
    code, out, _ = run(env, "ingest", str(DESK))
    assert "0 new, 0 updated, 9 unchanged" in out


FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Wire</title><link>https://wire.example/</link>
<item><title>Port strike ends</title><link>https://wire.example/port-strike</link>
<guid isPermaLink="false">wire-4471</guid><pubDate>Mon, 09 Mar 2026 08:00:00 GMT</pubDate>
<description>The strike at the port ended on Monday.</description></item>
</channel></rss>"""


def test_upgrade_of_a_feed_keeps_ids_when_entries_are_known_by_their_guid(
    settings: Settings, store: Store
) -> None:
    entry = syndication.parse(FEED, "https://wire.example/feed.xml")[0]
    assert entry.guid == "wire-4471"
    # The previous version read no guid: its id was the link's.
    old = normalize(replace(entry, guid=""), source="wire", now=NOW)
    legacy = replace(old, id=previous_id("wire", old.link, old.title))
    with store.engine.begin() as conn:
        migrations.downgrade(conn, PREVIOUS_REVISION)
    store_as_before(store, [legacy])
    store.upgrade()
    with TestServer() as server:
        server.serve("/feed.xml", Reply(FEED))
        source = SourceSettings(
            name="wire", kind="feed", url=server.url("/feed.xml"), allow_private=True
        )
        refresher = Refresher(replace(settings, sources=(source,)), store)
        first, again = refresher.refresh("wire"), refresher.refresh("wire")
    assert (first.new, first.skipped, again.new, again.updated) == (0, 0, 0, 0), first.message
    assert [a.id for a in store.latest()] == [legacy.id]
    # From now on the guid finds it, even when the link moves.
    moved = normalize(replace(entry, link="https://wire.example/2026/port"), source="wire", now=NOW)
    assert store.stored_id(moved.id, moved.legacy_ids) == legacy.id


def test_an_old_title_id_is_taken_over_only_by_an_entry_the_old_rule_gave_it(
    store: Store,
) -> None:
    # The previous version stored a linkless entry under its title's id; a new entry of the
    # same title with a link had the link's id then, and must not take the old one over now.
    linkless = syndication.parse(
        FEED.replace(b"<link>https://wire.example/port-strike</link>", b"").replace(
            b'<guid isPermaLink="false">wire-4471</guid>', b""
        ),
        "feed",
    )[0]
    old = normalize(linkless, source="wire", now=NOW)
    assert old.id == previous_id("wire", "", "Port strike ends")
    with store.engine.begin() as conn:
        migrations.downgrade(conn, PREVIOUS_REVISION)
    store_as_before(store, [old])
    store.upgrade()
    linked = normalize(syndication.parse(FEED, "feed")[0], source="wire", now=NOW)
    assert linked.legacy_ids == (previous_id("wire", linked.link, linked.title),)
    store.upsert(linked)
    assert {a.id for a in store.latest()} == {old.id, linked.id}
    assert store.stored_id(old.id) == old.id  # the linkless one is still found as it was
