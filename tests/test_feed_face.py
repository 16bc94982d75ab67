"""Feeds that explain themselves and have a face: the XSLT instruction, the HTML-preferring
request answered as application/xml, the site's logo, icon and copyright and a category's
title, description and image in every format, and feeds per language."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import feedparser
import pytest
from helpers.articles import article
from helpers.hostile import ATOM_SCHEMA
from helpers.live import Site, serve
from helpers.site import site_articles
from lxml import etree

from syndicate.config import CategorySettings, Settings
from syndicate.publish.cache import FeedCache
from syndicate.store import Store

BROWSER = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
READERS = [
    "",
    "*/*",
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.8",
    "application/atom+xml,application/rss+xml,text/html;q=0.5",
]
ATOM = {"a": "http://www.w3.org/2005/Atom"}
LOGO, ICON = "https://cdn.example/logo.png", "/static/icon.png"
SPORTS_IMAGE = "https://cdn.example/sports.png"


@pytest.fixture
def face(settings: Settings) -> Settings:
    return replace(
        settings,
        site=replace(settings.site, logo=LOGO, icon=ICON, copyright="© 2026 Test Gazette"),
        categories=(
            CategorySettings(
                "Sports", title="Sports Desk", description="Scores & games", image=SPORTS_IMAGE
            ),
        ),
    )


@pytest.fixture
def site(face: Settings, store: Store) -> Iterator[Site]:
    store.upsert_many(site_articles())
    with serve(face, store) as live:
        yield live


def stylesheet_of(body: bytes) -> str | None:
    tree = etree.fromstring(body).getroottree()
    found = [
        node.get("href")
        for node in tree.xpath("/processing-instruction('xml-stylesheet')")
        if node.get("type") == "text/xsl"
    ]
    return found[0] if found else None


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_rss_and_atom_name_their_xslt_and_stay_valid(site: Site, fmt: str) -> None:
    body = site.get(f"/feeds/all.{fmt}").body
    assert body.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<?xml-stylesheet ")
    href = stylesheet_of(body)
    assert href == f"{site.settings.site.base_url}/static/feed.xsl"
    xsl = site.get("/static/feed.xsl")
    assert xsl.status == 200 and etree.XSLT(etree.fromstring(xsl.body))  # a stylesheet
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0 and len(parsed.entries) == len(site_articles())
    if fmt == "atom":
        assert ATOM_SCHEMA.validate(etree.fromstring(body)), ATOM_SCHEMA.error_log


def test_the_stylesheet_turns_a_feed_into_a_page_without_script(site: Site) -> None:
    transform = etree.XSLT(etree.fromstring(site.get("/static/feed.xsl").body))
    for fmt in ("rss", "atom"):
        page = transform(etree.fromstring(site.get(f"/feeds/all.{fmt}").body))
        text = str(page)
        assert "This is a web feed" in text and "Test Gazette" in text
        assert page.xpath("//input[@id='address']/@value") == [
            f"{site.settings.site.base_url}/feeds/all.{fmt}"
        ]
        titles = page.xpath("//li[@class='card']/h3/a/text()")
        assert titles[0] == "Article 8" and len(titles) == len(site_articles())
        assert not page.xpath("//script") and not page.xpath("//@*[starts-with(name(), 'on')]")
        assert page.xpath("//link[@rel='stylesheet']/@href") == ["/static/style.css"]


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_a_browser_gets_the_same_bytes_as_xml_and_readers_get_the_feed_type(
    site: Site, fmt: str
) -> None:
    path = f"/feeds/all.{fmt}"
    browser = site.get(path, {"Accept": BROWSER})
    assert browser.headers["content-type"] == "application/xml; charset=utf-8"
    assert browser.headers["vary"] == "Accept-Encoding, Accept"
    csp = browser.headers["content-security-policy"]
    stylesheet = f"{site.settings.site.base_url}/static/feed.xsl"
    assert f"script-src {stylesheet};" in csp and "default-src 'none'" in csp
    for accept in READERS:
        reader = site.get(path, {"Accept": accept} if accept else {})
        assert reader.headers["content-type"] == f"application/{fmt}+xml; charset=utf-8"
        assert reader.headers["vary"] == "Accept-Encoding, Accept"
        assert "content-security-policy" not in reader.headers
        assert reader.body == browser.body
        assert reader.headers["etag"] != browser.headers["etag"]  # another Content-Type
    again = site.get(path, {"Accept": BROWSER, "If-None-Match": browser.headers["etag"]})
    assert again.status == 304 and again.headers["vary"] == "Accept-Encoding, Accept"
    packed = site.get(path, {"Accept": BROWSER, "Accept-Encoding": "gzip"})
    assert packed.headers["content-type"] == "application/xml; charset=utf-8"
    assert packed.headers["content-encoding"] == "gzip"


def test_json_feed_is_the_same_for_a_browser(site: Site) -> None:
    browser = site.get("/feeds/all.json", {"Accept": BROWSER})
    reader = site.get("/feeds/all.json")
    assert browser.headers["content-type"] == reader.headers["content-type"]
    assert browser.headers["content-type"] == "application/feed+json"
    assert browser.headers["vary"] == "Accept-Encoding" and browser.body == reader.body


def test_the_site_and_category_faces_appear_in_every_format(site: Site) -> None:
    base = site.settings.site.base_url
    for name, title, logo in (
        ("all", "Test Gazette", LOGO),
        ("sports", "Sports Desk", SPORTS_IMAGE),
    ):
        rss = etree.fromstring(site.get(f"/feeds/{name}.rss").body)
        channel = rss.find("channel")
        assert channel.findtext("title") == title
        assert channel.findtext("image/url") == logo
        assert channel.findtext("image/title") == title  # RSS 2.0: the channel's title
        assert channel.findtext("image/link") == channel.findtext("link")
        assert channel.findtext("copyright") == "© 2026 Test Gazette"
        atom = etree.fromstring(site.get(f"/feeds/{name}.atom").body)
        assert atom.findtext("a:title", namespaces=ATOM) == title
        assert atom.findtext("a:icon", namespaces=ATOM) == f"{base}{ICON}"
        assert atom.findtext("a:logo", namespaces=ATOM) == logo
        assert atom.findtext("a:rights", namespaces=ATOM) == "© 2026 Test Gazette"
        assert ATOM_SCHEMA.validate(atom), ATOM_SCHEMA.error_log
        document = json.loads(site.get(f"/feeds/{name}.json").body)
        assert document["title"] == title
        assert document["icon"] == logo and document["favicon"] == f"{base}{ICON}"
        for fmt in ("rss", "atom"):
            parsed = feedparser.parse(site.get(f"/feeds/{name}.{fmt}").body)
            assert parsed.bozo == 0
            assert parsed.feed.title == title
            assert (parsed.feed.image.href if fmt == "rss" else parsed.feed.logo) == logo
            assert parsed.feed.rights == "© 2026 Test Gazette"
    sports = json.loads(site.get("/feeds/sports.json").body)
    assert sports["description"] == "Scores & games"


def test_without_a_configured_face_feeds_name_our_own_icon(
    settings: Settings, store: Store
) -> None:
    store.upsert(article(1))
    with serve(settings, store) as live:
        base = live.settings.site.base_url
        atom = etree.fromstring(live.get("/feeds/all.atom").body)
        assert atom.findtext("a:icon", namespaces=ATOM) == f"{base}/favicon.ico"
        assert atom.find("a:logo", namespaces=ATOM) is None
        assert atom.find("a:rights", namespaces=ATOM) is None
        channel = etree.fromstring(live.get("/feeds/all.rss").body).find("channel")
        assert channel.find("image") is None and channel.find("copyright") is None
        document = json.loads(live.get("/feeds/all.json").body)
        assert document["favicon"] == document["icon"] == f"{base}/favicon.ico"


def entry_titles(body: bytes) -> list[str]:
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return [e.title for e in parsed.entries]


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_feeds_per_language(site: Site, fmt: str) -> None:
    german = site.get(f"/feeds/lang/de.{fmt}")
    english = site.get(f"/feeds/lang/en.{fmt}")  # the site's language: unlabelled ones too
    assert german.status == english.status == 200
    if fmt == "json":
        de, en = json.loads(german.body), json.loads(english.body)
        assert [i["title"] for i in de["items"]] == ["Artikel 6"]
        assert de["language"] == "de" and len(en["items"]) == len(site_articles()) - 1
        return
    assert entry_titles(german.body) == ["Artikel 6"]
    assert "Artikel 6" not in entry_titles(english.body)
    assert len(entry_titles(english.body)) == len(site_articles()) - 1
    if fmt == "atom":
        root = etree.fromstring(german.body)
        assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "de"
        assert ATOM_SCHEMA.validate(root), ATOM_SCHEMA.error_log
    missing = site.get(f"/feeds/lang/fr.{fmt}")
    assert missing.status == 404 and b"the language feeds are de, en" in missing.body


def test_a_new_article_in_a_language_refreshes_its_feed(site: Site) -> None:
    before = entry_titles(site.get("/feeds/lang/de.atom").body)
    fresh = article(20, language="de", title="Artikel 20", slug="artikel-20")
    site.store.upsert(fresh)
    cache: FeedCache = site.app.extensions["syndicate.feedcache"]
    cache.invalidate_articles([fresh])
    assert entry_titles(site.get("/feeds/lang/de.atom").body) == ["Artikel 20", *before]
    unlabelled = article(21, title="Article 21", slug="article-21")  # the site's language
    site.store.upsert(unlabelled)
    cache.invalidate_articles([unlabelled])
    assert entry_titles(site.get("/feeds/lang/en.atom").body)[0] == "Article 21"
