"""Refresh against a real HTTP server on 127.0.0.1 whose feeds and pages change between runs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from helpers.upstream import FIRST, Reply, TestServer, gzip_bomb, repeated, rss

from syndicate.config import FetchSettings, Settings, SourceSettings
from syndicate.model import Article
from syndicate.refresh import Outcome, Refresher, RunResult
from syndicate.store import Store

FEED = "/feed.xml"


@pytest.fixture
def server() -> Iterator[TestServer]:
    with TestServer() as running:
        yield running


def source(server: TestServer, path: str = FEED, **options: object) -> SourceSettings:
    fields: dict[str, object] = {
        "name": "news",
        "kind": "feed",
        "url": server.url(path),
        "allow_private": True,
        "category": "World",
    }
    fields.update(options)
    return SourceSettings(**fields)  # type: ignore[arg-type]


def refresher(
    settings: Settings, store: Store, *sources: SourceSettings, **fetch: object
) -> Refresher:
    configured = replace(settings, sources=sources, fetch=replace(settings.fetch, **fetch))
    return Refresher(configured, store)


def test_refresh_inserts_then_reports_unchanged_with_304(
    server: TestServer, settings: Settings, store: Store
) -> None:
    server.serve(FEED, Reply(rss(*FIRST), etag='"v1"'))
    run = refresher(settings, store, source(server))
    first = run.refresh("news")
    assert (first.outcome, first.new, first.updated) == (Outcome.OK, 2, 0)
    assert store.count("news") == 2
    assert {a.categories for a in store.latest()} == {("World",)}
    second = run.refresh("news")
    assert second.outcome is Outcome.NOT_MODIFIED
    assert server.requests[-1].headers["if-none-match"] == '"v1"'
    assert [r.outcome for r in store.recent_runs("news")] == ["not_modified", "ok"]


def test_refresh_new_entries_appear_and_edits_update_in_place(
    server: TestServer, settings: Settings, store: Store
) -> None:
    feeds = iter(
        [
            rss(*FIRST),
            rss(("three", "Third story", "New."), ("one", "First story", "Edited body."), FIRST[1]),
        ]
    )
    server.serve(FEED, lambda _seen: Reply(next(feeds)))
    run = refresher(settings, store, source(server))
    run.refresh("news")
    before = {a.title: a for a in store.latest()}
    result = run.refresh("news")
    assert (result.new, result.updated, result.unchanged) == (1, 1, 1)
    after = {a.title: a for a in store.latest()}
    edited = after["First story"]
    assert edited.id == before["First story"].id
    assert edited.published == before["First story"].published
    assert edited.updated > before["First story"].updated
    assert "Edited body." in edited.body_html
    assert set(result.changed) == {edited.id, after["Third story"].id}


def test_refresh_skips_a_bad_entry_and_counts_it(
    server: TestServer, settings: Settings, store: Store
) -> None:
    body = rss(*FIRST).replace(b"</channel>", b"<item><title>Empty</title></item></channel>")
    server.serve(FEED, Reply(body))
    result = refresher(settings, store, source(server)).refresh("news")
    assert (result.outcome, result.new, result.skipped) == (Outcome.OK, 2, 1)
    assert "'Empty': a title alone, with no text, link or enclosure" in result.message
    assert store.recent_runs("news")[0].skipped == 1


FAILURES = {
    "http-500": (Reply(b"oops", status=500), {}, "HTTP 500 Internal Server Error from"),
    "timeout": (Reply(rss(*FIRST), delay=1.5), {"total_timeout": 0.5}, "timed out after 0.5 s"),
    "redirect-loop": (Reply(status=302, headers={"Location": FEED}), {}, "too many redirects"),
    "body-20mib": (
        Reply(repeated(b"<!-- padding -->" * 4096, 20 * 1024 * 1024)),
        {},
        "body exceeds 15 MiB",
    ),
    "gzip-bomb": (
        Reply(gzip_bomb(64 * 1024 * 1024), headers={"Content-Encoding": "gzip"}),
        {"max_bytes": 1024 * 1024},
        "body exceeds 1 MiB once decompressed",
    ),
    "malformed-xml": (
        Reply(b"<html><body><p>Not a feed & broken <b>markup</p>"),
        {},
        "not an RSS or Atom feed",
    ),
    "emptied-feed": (Reply(rss()), {}, "no entries found where there were items"),
    "rate-limited": (
        Reply(b"", status=429, headers={"Retry-After": "120"}),
        {},
        "HTTP 429 Too Many Requests",
    ),
    "garbage-labelled-utf8": (Reply(bytes(range(128, 256)) * 64), {}, "not utf-8 text as labelled"),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_refresh_failure_is_recorded_and_loses_nothing(
    case: str, server: TestServer, settings: Settings, store: Store
) -> None:
    bad, fetch, expected = FAILURES[case]
    replies = iter([Reply(rss(*FIRST)), bad])
    current = [next(replies)]
    server.serve(FEED, lambda _seen: current[0])
    run = refresher(settings, store, source(server), **fetch)
    assert run.refresh("news").outcome is Outcome.OK
    stored = {a.id: a for a in store.latest()}
    current[0] = next(replies)
    result = run.refresh("news")
    assert result.outcome is Outcome.FAILED, result
    assert expected in result.message
    assert {a.id: a for a in store.latest()} == stored
    state = store.source_state("news")
    assert state is not None and state.consecutive_failures == 1
    assert state.failure_message == result.message and state.last_failure is not None
    logged = store.recent_runs("news")[0]
    assert (logged.outcome, logged.message) == ("failed", result.message)


def test_refresh_rate_limit_carries_retry_after(
    server: TestServer, settings: Settings, store: Store
) -> None:
    server.serve(FEED, Reply(b"busy", status=503, headers={"Retry-After": "300"}))
    result = refresher(settings, store, source(server)).refresh("news")
    assert result.failed and result.retry_after is not None
    assert (result.retry_after - result.started).total_seconds() >= 290


def test_refresh_failures_count_up_and_success_resets(
    server: TestServer, settings: Settings, store: Store
) -> None:
    current = [Reply(b"", status=500)]
    server.serve(FEED, lambda _seen: current[0])
    run = refresher(settings, store, source(server))
    run.refresh("news")
    run.refresh("news")
    assert store.source_state("news").consecutive_failures == 2  # type: ignore[union-attr]
    current[0] = Reply(rss(*FIRST))
    assert run.refresh("news").outcome is Outcome.OK
    assert store.source_state("news").consecutive_failures == 0  # type: ignore[union-attr]


def test_refresh_refuses_loopback_without_allow_private(
    server: TestServer, settings: Settings, store: Store
) -> None:
    server.serve(FEED, Reply(rss(*FIRST)))
    result = refresher(settings, store, source(server, allow_private=False)).refresh("news")
    assert result.failed
    assert "refused: 127.0.0.1 is a loopback address" in result.message
    assert server.hits[FEED] == 0


def test_refresh_decodes_windows_1251_labelled_utf8(
    server: TestServer, settings: Settings, store: Store
) -> None:
    body = rss(("ru", "Привет, мир", "Сегодня в городе открылась новая библиотека для детей."))
    server.serve(FEED, Reply(body.decode().encode("cp1251")))
    result = refresher(settings, store, source(server)).refresh("news")
    assert result.outcome is Outcome.OK, result
    assert "decoded as windows-1251" in result.message
    assert store.latest()[0].title == "Привет, мир"


def test_refresh_of_one_source_never_runs_twice_at_once(
    server: TestServer, settings: Settings, store: Store
) -> None:
    server.serve(FEED, Reply(rss(*FIRST), delay=0.4))
    run = refresher(settings, store, source(server))
    results: list[RunResult] = []
    threads = [
        threading.Thread(target=lambda: results.append(run.refresh("news"))) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.outcome for r in results) == [Outcome.BUSY, Outcome.BUSY, Outcome.OK]
    assert server.hits[FEED] == 1
    assert run.refresh("news", wait=True).outcome is Outcome.OK


def test_refresh_calls_on_change_with_changed_articles(
    server: TestServer, settings: Settings, store: Store
) -> None:
    server.serve(FEED, Reply(rss(*FIRST)))
    seen: list[tuple[str, list[Article]]] = []
    configured = replace(settings, sources=(source(server),))
    run = Refresher(configured, store, on_change=lambda name, arts: seen.append((name, arts)))
    run.refresh("news")
    run.refresh("news")  # unchanged: no call
    assert [(name, sorted(a.title for a in arts)) for name, arts in seen] == [
        ("news", ["First story", "Second story"])
    ]


PAGE = (
    b"<html><head><title>Harbour reopens | Port News</title>"
    b"<meta property='og:description' content='The harbour reopened.'></head><body>"
    b"<article><h1>Harbour reopens</h1><p>The harbour reopened on Monday after a long "
    b"winter of repairs to the old stone quay, and fishing boats were back by noon.</p>"
    b"<p>Traders said the first catch sold out within the hour.</p></article></body></html>"
)


def test_refresh_page_list_links_each_article_to_its_page(
    server: TestServer, settings: Settings, store: Store
) -> None:
    server.serve("/a.html", Reply(PAGE, content_type="text/html; charset=utf-8"))
    server.serve(
        "/empty.html", Reply(b"<html><body><nav>menu</nav></body></html>", content_type="text/html")
    )
    pages = SourceSettings(
        name="port",
        kind="page",
        allow_private=True,
        urls=(server.url("/a.html"), server.url("/empty.html")),
    )
    result = refresher(settings, store, pages).refresh("port")
    assert (result.outcome, result.new, result.skipped) == (Outcome.OK, 1, 1)
    (article,) = store.latest()
    assert article.link == server.url("/a.html")
    assert article.title == "Harbour reopens"


def test_refresh_page_with_no_article_fails_readably(
    server: TestServer, settings: Settings, store: Store
) -> None:
    server.serve(
        "/p", Reply(b"<html><body><p>Words only.</p></body></html>", content_type="text/html")
    )
    page = SourceSettings(name="p", kind="page", url=server.url("/p"), allow_private=True)
    result = refresher(settings, store, page).refresh("p")
    assert result.failed and "no title" in result.message


def test_refresh_full_text_fetches_the_linked_page_once(
    server: TestServer, settings: Settings, store: Store
) -> None:
    link = server.url("/a.html")
    body = rss(("x", "Harbour reopens", "Short summary.")).replace(
        b"https://news.example.com/x", link.encode()
    )
    server.serve(FEED, Reply(body))
    server.serve("/a.html", Reply(PAGE, content_type="text/html"))
    run = refresher(settings, store, source(server, full_text=True))
    first = run.refresh("news")
    assert first.new == 1
    assert "first catch sold out" in store.latest()[0].body_html
    second = run.refresh("news")
    assert (second.new, second.updated, second.unchanged) == (0, 0, 1)
    assert server.hits["/a.html"] == 1


def write(folder: Path, name: str, title: str, body: str) -> Path:
    path = folder / name
    path.write_text(f"---\ntitle: {title}\ndate: 2024-05-01\n---\n\n{body}\n", "utf-8")
    return path


def test_refresh_folder_notices_new_changed_and_removed_files(
    tmp_path: Path, settings: Settings, store: Store
) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    first = write(folder, "a.md", "Alpha", "First body.")
    write(folder, "b.md", "Beta", "Second body.")
    (folder / ".hidden.md").write_text("---\ntitle: Hidden\n---\nNo.\n")
    local = SourceSettings(name="desk", kind="folder", path=str(folder), category="Local")
    run = refresher(settings, store, local)
    assert (run.refresh("desk").new, store.count("desk")) == (2, 2)
    write(folder, "c.md", "Gamma", "Third body.")
    first.write_text("---\ntitle: Alpha\ndate: 2024-05-01\n---\n\nFirst body, edited.\n")
    (folder / "b.md").unlink()
    result = run.refresh("desk")
    assert (result.new, result.updated, result.unchanged, result.removed) == (1, 1, 0, 1)
    assert "1 stored articles have no file any more; they are kept" in result.message
    assert store.count("desk") == 3
    again = run.refresh("desk")
    assert (again.new, again.updated, again.unchanged, again.removed) == (0, 0, 2, 1)


def test_refresh_folder_that_vanished_fails_and_keeps_articles(
    tmp_path: Path, settings: Settings, store: Store
) -> None:
    folder = tmp_path / "mount"
    folder.mkdir()
    write(folder, "a.md", "Alpha", "Body.")
    local = SourceSettings(name="desk", kind="folder", path=str(folder))
    run = refresher(settings, store, local)
    run.refresh("desk")
    (folder / "a.md").unlink()
    folder.rmdir()
    result = run.refresh("desk")
    assert result.failed and "is not a folder" in result.message
    assert store.count("desk") == 1


def test_refresh_many_runs_every_enabled_source(
    server: TestServer, settings: Settings, store: Store
) -> None:
    for name in ("a", "b", "c"):
        server.serve(f"/{name}", Reply(rss((name, f"Story {name}", "Body."))))
    sources = [source(server, f"/{n}", name=n) for n in ("a", "b")]
    sources.append(source(server, "/c", name="c", enabled=False))
    run = refresher(settings, store, *sources)
    assert sorted(r.source for r in run.refresh_many()) == ["a", "b"]
    assert sorted(r.source for r in run.refresh_many(["c"])) == ["c"]


def test_refresh_records_a_parser_bug_as_that_sources_failure_and_goes_on(
    server: TestServer,
    settings: Settings,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from syndicate.sources import syndication

    server.serve("/good", Reply(rss(("g", "Good story", "Body."))))
    server.serve("/buggy", Reply(rss(("b", "Buggy story", "Body."))))
    real = syndication.read_feed

    def read_feed(text: str, origin: str, **options: int) -> syndication.ParsedFeed:
        if origin.endswith("/buggy"):
            raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")
        return real(text, origin, **options)

    monkeypatch.setattr(syndication, "read_feed", read_feed)
    run = refresher(
        settings,
        store,
        source(server, "/good", name="good"),
        source(server, "/buggy", name="buggy"),
    )
    results = {r.source: r for r in run.refresh_many()}
    assert results["good"].outcome is Outcome.OK and store.count("good") == 1
    buggy = results["buggy"]
    assert buggy.outcome is Outcome.FAILED
    assert "TypeError" in buggy.message and "unsupported operand" in buggy.message
    state = store.source_state("buggy")
    assert state is not None and state.consecutive_failures == 1
    assert state.failure_message == buggy.message
    assert [(r.outcome, r.message) for r in store.recent_runs("buggy")] == [
        ("failed", buggy.message)
    ]
    assert any("Traceback" in (r.exc_text or "") or r.exc_info for r in caplog.records)


def test_refresh_unknown_source_name_raises(settings: Settings, store: Store) -> None:
    with pytest.raises(KeyError, match="no source named 'nope'"):
        Refresher(settings, store).refresh("nope")


def test_fetch_settings_default_cap_is_15_mib() -> None:
    assert FetchSettings().max_bytes == 15 * 1024 * 1024


def test_cli_refresh_runs_sources_and_exits_non_zero_on_failure(
    server: TestServer, tmp_path: Path, settings: Settings
) -> None:
    from click.testing import CliRunner

    from syndicate.cli import cli

    current = [Reply(rss(*FIRST))]
    server.serve(FEED, lambda _seen: current[0])
    config = tmp_path / "syndicate.toml"
    config.write_text(
        f'[database]\nurl = "{settings.database_url}"\n\n[[sources]]\nname = "news"\n'
        f'kind = "feed"\nurl = "{server.url(FEED)}"\nallow_private = true\n'
    )
    env = {"SYNDICATE_CONFIG": str(config)}
    ok = CliRunner().invoke(cli, ["refresh"], env=env)
    assert ok.exit_code == 0, ok.output
    assert "news: ok in" in ok.output and "2 new" in ok.output
    current[0] = Reply(b"", status=500)
    failed = CliRunner().invoke(cli, ["refresh", "news"], env=env)
    assert failed.exit_code == 1
    assert "news: failed" in failed.output and "HTTP 500" in failed.output
    unknown = CliRunner().invoke(cli, ["refresh", "nope"], env=env)
    assert unknown.exit_code == 2 and "no source named nope" in unknown.output


def test_refresh_keeps_upstream_categories_and_fills_in_the_sources_for_the_rest(
    server: TestServer, settings: Settings, store: Store
) -> None:
    items = (
        "<item><title>Shares rise</title><link>https://news.example.com/shares</link>"
        "<category>Business</category><category domain='post_tag'>markets</category>"
        "<description>Shares rose on Monday.</description></item>"
        "<item><title>Rain</title><link>https://news.example.com/rain</link>"
        "<description>It rained.</description></item>"
    )
    body = rss().replace(b"</channel>", items.encode() + b"</channel>")
    server.serve(FEED, Reply(body))
    refresher(settings, store, source(server)).refresh("news")  # the source's category: World
    stored = {a.title: a for a in store.latest()}
    assert (stored["Shares rise"].categories, stored["Shares rise"].tags) == (
        ("Business",),
        ("markets",),
    )
    assert stored["Rain"].categories == ("World",)
    assert store.category("business") is not None and store.category("world") is not None


def test_folder_refresh_logs_a_repaired_encoding(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "desk"
    folder.mkdir()
    encodings = Path(__file__).parent / "data" / "encodings"
    (folder / "cafe.txt").write_bytes((encodings / "broken_utf8.txt").read_bytes())
    desk = SourceSettings(name="desk", kind="folder", path=str(folder))
    result = Refresher(replace(settings, sources=(desk,)), store).refresh("desk")
    note = "cafe.txt: not UTF-8 text: 1 malformed byte(s) replaced by U+FFFD"
    assert result.new == 1 and note in result.message
    assert note in store.recent_runs("desk")[0].message
    assert store.latest()[0].title == "Caf\ufffd( owners protest new rules"
