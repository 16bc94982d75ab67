"""What crawlers read: sitemaps (one file, or an index past the limit), the Google News
sitemap, robots.txt and the favicon."""

from __future__ import annotations

import struct
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from flask.testing import FlaskClient
from helpers.articles import article
from lxml import etree

from syndicate.config import Settings
from syndicate.store import Store
from syndicate.text.dates import utc_now
from syndicate.web import create_app
from tests.conftest import BASE_URL

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
NEWS = {"s": NS["s"], "n": "http://www.google.com/schemas/sitemap-news/0.9"}
ARTICLES = 12
# The site's listing pages for articles 1..12: the front page, News/Sports/Arts, two tags and
# two authors.
PAGES = 1 + 3 + 2 + 2


def client_for(settings: Settings, store: Store, **site: object) -> FlaskClient:
    configured = replace(settings, site=replace(settings.site, **site))
    return create_app(configured, store=store, watch_interval=None).test_client()


def xml(client: FlaskClient, path: str) -> etree._Element:
    response = client.get(path)
    assert response.status_code == 200, (path, response.text[:300])
    assert response.content_type == "application/xml; charset=utf-8"
    return etree.fromstring(response.data)


def urls(doc: etree._Element) -> dict[str, str | None]:
    return {
        url.findtext("s:loc", namespaces=NS): url.findtext("s:lastmod", namespaces=NS)
        for url in doc.iterfind("s:url", NS)
    }


@pytest.fixture
def filled(store: Store) -> Store:
    store.upsert_many(article(n) for n in range(1, ARTICLES + 1))
    return store


def test_sitemap_lists_every_page_and_article_with_lastmod(
    settings: Settings, filled: Store
) -> None:
    doc = xml(client_for(settings, filled), "/sitemap.xml")
    assert doc.tag == f"{{{NS['s']}}}urlset"
    found = urls(doc)
    assert len(found) == PAGES + ARTICLES
    for n in range(1, ARTICLES + 1):
        made = article(n)
        assert found[f"{BASE_URL}/articles/{made.slug}"] == made.updated.isoformat()
    newest = article(ARTICLES).updated.isoformat()
    assert found[f"{BASE_URL}/"] == newest
    assert found[f"{BASE_URL}/categories/news"] == article(12).updated.isoformat()
    for path in ("/tags/tag-0", "/tags/tag-1", "/authors/ada-byron", "/authors/bo-diddley"):
        assert f"{BASE_URL}{path}" in found
    for lastmod in filter(None, found.values()):
        assert datetime.fromisoformat(lastmod).utcoffset() == timedelta(0)


def test_a_listing_lastmod_follows_an_edit_on_its_first_page(
    settings: Settings, filled: Store
) -> None:
    edited = article(9, title="Article 9, corrected", content_hash="edited")  # News
    filled.upsert(replace(edited, updated=article(ARTICLES).updated + timedelta(hours=5)))
    found = urls(xml(client_for(settings, filled), "/sitemap.xml"))
    stored = filled.get(edited.id)
    assert stored is not None
    assert found[f"{BASE_URL}/categories/news"] == stored.updated.isoformat()
    assert found[f"{BASE_URL}/"] == stored.updated.isoformat()
    assert found[f"{BASE_URL}/categories/arts"] == article(11).updated.isoformat()


@pytest.mark.parametrize("size", [5, 7, 19])
def test_sitemap_splits_into_an_index_past_its_size(
    settings: Settings, filled: Store, size: int
) -> None:
    client = client_for(settings, filled, sitemap_max_urls=size)
    index = xml(client, "/sitemap.xml")
    assert index.tag == f"{{{NS['s']}}}sitemapindex"
    files = [s.findtext("s:loc", namespaces=NS) for s in index.iterfind("s:sitemap", NS)]
    expected_files = -(-(PAGES + ARTICLES) // size)
    assert files == [f"{BASE_URL}/sitemaps/{n}.xml" for n in range(1, expected_files + 1)]
    seen: dict[str, str | None] = {}
    for number, loc in enumerate(files, start=1):
        members = urls(xml(client, loc.removeprefix(BASE_URL)))
        assert 0 < len(members) <= size
        assert not members.keys() & seen.keys()  # every URL in one file only
        seen |= members
        lastmod = index.xpath(f"s:sitemap[{number}]/s:lastmod/text()", namespaces=NS)
        newest = max(filter(None, members.values()), default=None)
        assert lastmod == ([newest] if newest else [])
    assert seen == urls(xml(client_for(settings, filled), "/sitemap.xml"))
    missing = client.get(f"/sitemaps/{expected_files + 1}.xml")
    assert missing.status_code == 404 and f"1 to {expected_files}" in missing.text


def test_sitemap_of_one_file_has_no_numbered_files(settings: Settings, filled: Store) -> None:
    response = client_for(settings, filled).get("/sitemaps/1.xml")
    assert response.status_code == 404 and "fits one sitemap" in response.text


def test_an_empty_site_has_a_sitemap_of_its_front_page(settings: Settings, store: Store) -> None:
    found = urls(xml(client_for(settings, store), "/sitemap.xml"))
    assert found == {f"{BASE_URL}/": None}


def test_sitemap_answers_conditionally(settings: Settings, filled: Store) -> None:
    client = client_for(settings, filled)
    first = client.get("/sitemap.xml")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public")
    again = client.get("/sitemap.xml", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    filled.upsert(article(ARTICLES + 1))
    changed = client.get("/sitemap.xml", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_news_sitemap_holds_the_last_two_days(settings: Settings, store: Store) -> None:
    now = utc_now().replace(microsecond=0)
    ages = {"fresh": timedelta(hours=1), "yesterday": timedelta(hours=40), "old": timedelta(days=3)}
    for n, (slug, age) in enumerate(ages.items(), start=1):
        store.upsert(article(n, slug=slug, published=now - age, updated=now - age))
    store.upsert(article(9, slug="deutsch", language="de", published=now, updated=now))
    doc = xml(client_for(settings, store), "/sitemaps/news.xml")
    entries = doc.findall("s:url", NS)
    assert [e.findtext("s:loc", namespaces=NS) for e in entries] == [
        f"{BASE_URL}/articles/{slug}" for slug in ("deutsch", "fresh", "yesterday")
    ]
    fresh = entries[1]
    assert fresh.findtext("n:news/n:publication/n:name", namespaces=NEWS) == "Test Gazette"
    assert fresh.findtext("n:news/n:publication/n:language", namespaces=NEWS) == "en"
    assert fresh.findtext("n:news/n:title", namespaces=NEWS) == "Article 1"
    published = fresh.findtext("n:news/n:publication_date", namespaces=NEWS)
    assert datetime.fromisoformat(published) == now - ages["fresh"]
    assert entries[0].findtext("n:news/n:publication/n:language", namespaces=NEWS) == "de"


def test_robots_names_the_sitemaps_and_keeps_crawlers_out_of_admin(
    settings: Settings, store: Store
) -> None:
    response = client_for(settings, store).get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    lines = response.text.splitlines()
    assert lines[0] == "User-agent: *"
    assert "Disallow: /admin/" in lines
    assert f"Sitemap: {BASE_URL}/sitemap.xml" in lines
    assert f"Sitemap: {BASE_URL}/sitemaps/news.xml" in lines


def test_favicon_is_our_own_icon_unless_one_is_configured(settings: Settings, store: Store) -> None:
    response = client_for(settings, store).get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    reserved, kind, count = struct.unpack("<HHH", response.data[:6])
    assert (reserved, kind, count) == (0, 1, 1)  # an ICO with one image
    width, height = response.data[6], response.data[7]
    assert (width, height) == (32, 32)
    offset = struct.unpack("<I", response.data[18:22])[0]
    assert response.data[offset : offset + 8] == b"\x89PNG\r\n\x1a\n"
    configured = client_for(settings, store, icon="https://cdn.example/icon.png")
    moved = configured.get("/favicon.ico")
    assert moved.status_code == 302 and moved.headers["Location"] == "https://cdn.example/icon.png"
