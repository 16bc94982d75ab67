"""``syndicate export DIR``: every feed and page as files with .gz and .br copies, rewritten
only when their bytes change, and an nginx site file that serves them as the app does."""

from __future__ import annotations

import gzip
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import brotli
import pytest
from helpers.articles import article
from helpers.live import Site, serve
from helpers.processes import Children, child_env
from helpers.servers import free_port, nginx, nginx_test, request

from syndicate.config import FeedSettings, Settings, WebSubSettings
from syndicate.publish.export import MANIFEST, NGINX_FILE, export, file_of
from syndicate.store import Store

ARTICLES = range(1, 13)
HUB = "https://hub.example.test/"
# Every kind of document, and what the app calls it.
SAMPLES = [
    "/feeds/all.rss",
    "/feeds/all.atom",
    "/feeds/all.json",
    "/feeds/news.atom",
    "/feeds/tags/tag-0.rss",
    "/feeds/authors/ada-byron.json",
    "/feeds/all/archive/1.atom",
    "/feeds.opml",
    "/",
    "/categories/sports",
    "/articles/article-5",
    "/static/style.css",
]


@pytest.fixture
def site(settings: Settings, store: Store) -> Iterator[Site]:
    """The app over 12 articles, 3 to a feed page (so feeds have archives), one hub."""
    small = replace(settings, feeds=FeedSettings(items=3), websub=WebSubSettings(hubs=(HUB,)))
    store.upsert_many(article(n) for n in ARTICLES)
    with serve(small, store) as live:
        yield live


def file_for(url: str) -> str:
    return url.lstrip("/") if url.startswith(("/feeds", "/static")) else file_of(url)


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime in ns) of every file under ``folder``."""
    return {
        str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_export_writes_what_the_app_serves_with_compressed_copies(
    site: Site, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    report = export(site.store, site.settings, out)
    assert report.written and not report.unchanged and not report.removed
    for url in SAMPLES:
        served = site.get(url)
        assert served.status == 200, url
        body = (out / file_for(url)).read_bytes()
        assert body == served.body, url
        assert gzip.decompress((out / (file_for(url) + ".gz")).read_bytes()) == body
        assert brotli.decompress((out / (file_for(url) + ".br")).read_bytes()) == body
    # Every archive page of every feed, in every format.
    archives = sorted(str(p.relative_to(out)) for p in out.glob("feeds/all/archive/*.rss"))
    assert archives == [f"feeds/all/archive/{n}.rss" for n in (1, 2, 3, 4)]  # every full page
    assert (out / NGINX_FILE).is_file() and (out / MANIFEST).is_file()


def test_a_second_export_of_an_unchanged_store_writes_nothing(site: Site, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = export(site.store, site.settings, out)
    before = snapshot(out)
    again = export(site.store, site.settings, out)
    assert again.written == [] and again.unchanged == first.documents
    assert snapshot(out) == before


def test_a_change_rewrites_exactly_the_documents_it_changed(site: Site, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export(site.store, site.settings, out)
    before = snapshot(out)
    changed = replace(article(11), title="Article 11, corrected", content_hash="hash-11b")
    site.store.upsert(changed)  # Arts, tag-1, Bo Diddley; in the subscription documents
    report = export(site.store, site.settings, out)
    after = snapshot(out)
    moved = {name for name in after if after[name] != before.get(name)}
    expected = {
        f"feeds/{name}.{fmt}"
        for name in ("all", "arts", "tags/tag-1", "authors/bo-diddley")
        for fmt in ("rss", "atom", "json")
    } | {"index.html", "categories/arts.html", "tags/tag-1.html", "authors/bo-diddley.html"}
    # Its own page, and article 8's: article 11 is its newer neighbour in Arts.
    expected |= {"articles/article-11.html", "articles/article-8.html"}
    # The archive pages that hold it (stored order, 3 to a page): the 4th of all (10-12), the
    # 2nd of tag-1 and of Bo Diddley (7, 9, 11); in Arts (2, 5, 8, 11) no full page holds it.
    expected |= {
        f"feeds/{name}/archive/{page}.{fmt}"
        for name, page in (("all", 4), ("tags/tag-1", 2), ("authors/bo-diddley", 2))
        for fmt in ("rss", "atom", "json")
    }
    assert set(report.written) == expected
    assert moved == {name + suffix for name in expected for suffix in ("", ".gz", ".br")}


def test_documents_that_no_longer_exist_are_removed(site: Site, tmp_path: Path) -> None:
    out = tmp_path / "out"
    mine = out / "notes.txt"
    out.mkdir()
    mine.write_text("the publisher's own file", encoding="utf-8")
    export(site.store, site.settings, out)
    assert (out / "feeds/tags/tag-0.rss").is_file()
    for n in ARTICLES:
        if n % 2 == 0:  # every article of tag-0 moves to tag-2
            site.store.upsert(replace(article(n), tags=("tag-2",), content_hash=f"moved-{n}"))
    report = export(site.store, site.settings, out)
    assert "feeds/tags/tag-0.rss" in report.removed
    for suffix in ("", ".gz", ".br"):
        assert not (out / f"feeds/tags/tag-0.rss{suffix}").exists()
    assert (out / "feeds/tags/tag-2.rss").is_file() and mine.is_file()


def test_the_command_reports_and_refuses_a_folder_it_cannot_write(
    tmp_path: Path, settings: Settings, store: Store
) -> None:
    store.upsert_many(article(n) for n in ARTICLES)
    config = tmp_path / "syndicate.toml"
    config.write_text("", encoding="utf-8")
    env = child_env(config, settings.database_url)
    command = [sys.executable, "-c", "from syndicate.cli import main; main()", "export"]
    done = subprocess.run([*command, str(tmp_path / "out")], env=env, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    # 8 feeds in 3 formats, the OPML list, 20 pages, 3 static files
    assert done.stdout.decode().startswith("48 documents in ")
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    refused = subprocess.run(
        [*command, str(tmp_path / "a-file" / "out")], env=env, capture_output=True
    )
    assert refused.returncode == 1
    assert "syndicate: export failed: " in refused.stderr.decode()
    assert "a-file" in refused.stderr.decode()


# -- served by nginx --------------------------------------------------------------------------


@pytest.fixture
def exported(site: Site, tmp_path: Path, children: Children) -> tuple[Site, int]:
    """The export served by a real nginx with its site file; (the app's site, nginx's port)."""
    port = free_port()
    out = tmp_path / "out"
    export(site.store, site.settings, out, listen=f"127.0.0.1:{port}")
    checked = nginx_test(tmp_path, out / NGINX_FILE)
    assert checked.returncode == 0, checked.stderr
    nginx(children, tmp_path, out / NGINX_FILE, port)
    return site, port


SAME_HEADERS = [
    "content-type",
    "cache-control",
    "vary",
    "link",
    "access-control-allow-origin",
    "access-control-expose-headers",
    "x-content-type-options",
    "content-security-policy",
    "referrer-policy",
]


@pytest.mark.parametrize("url", [url for url in SAMPLES if not url.startswith("/static/")])
def test_nginx_serves_the_export_as_the_app_does(exported: tuple[Site, int], url: str) -> None:
    site, port = exported
    for coding in ("identity", "gzip", "br"):
        app = site.get(url, {"Accept-Encoding": coding})
        status, headers, body = request(port, url, {"Accept-Encoding": coding})
        assert status == app.status == 200, (url, coding)
        assert headers.get("content-encoding") == app.headers.get("content-encoding"), coding
        assert body == app.body, (url, coding)
        for name in SAME_HEADERS:
            if name == "vary" and url.endswith((".rss", ".atom")):
                # The app varies RSS and Atom on Accept too (browsers get application/xml);
                # nginx serves every client the feed's own type.
                assert headers[name] == "Accept-Encoding"
                continue
            assert headers.get(name) == app.headers.get(name), (url, coding, name)
        etag = headers["etag"]
        status, again, body = request(port, url, {"Accept-Encoding": coding, "If-None-Match": etag})
        assert (status, body, again["etag"]) == (304, b"", etag), (url, coding)


def test_nginx_answers_health_the_style_sheet_and_hides_everything_else(
    exported: tuple[Site, int],
) -> None:
    site, port = exported
    status, headers, body = request(port, "/static/style.css", {"Accept-Encoding": "br"})
    assert (status, headers["content-type"]) == (200, "text/css; charset=utf-8")
    assert brotli.decompress(body) == site.get("/static/style.css").body  # Flask: identity only
    for path, kind in (
        ("/static/feed.xsl", "application/xslt+xml; charset=utf-8"),
        ("/static/favicon.ico", "image/vnd.microsoft.icon"),
    ):
        status, headers, body = request(port, path)
        assert (status, headers["content-type"], body) == (200, kind, site.get(path).body)
    assert request(port, "/healthz")[::2] == (200, b'{"status": "ok"}\n')
    for path in (f"/{NGINX_FILE}", f"/{MANIFEST}", "/feeds/nowhere.rss", "/admin/sources"):
        assert request(port, path)[0] == 404, path
