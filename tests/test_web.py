"""The web app through Flask's test client: feeds, pages, 404s, absolute URLs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import feedparser
import pytest
from flask.testing import FlaskClient
from lxml import etree, html

from syndicate.refresh.ingest import ingest_file
from syndicate.store import Store
from syndicate.text.dates import utc_now
from syndicate.text.slugs import slugify
from tests.conftest import BASE_URL

ROOT = Path(__file__).parent.parent
SAMPLES = sorted((ROOT / "content" / "samples").iterdir())
ATTACK = Path(__file__).parent / "data" / "web" / "attack.md"


@pytest.fixture
def filled(store: Store) -> Store:
    for path in [*SAMPLES, ATTACK]:
        outcome = ingest_file(path, store, now=utc_now())
        assert not outcome.failed, outcome.error
    return store


def test_index_lists_categories_with_feed_links_and_autodiscovery(
    client: FlaskClient, filled: Store
) -> None:
    response = client.get("/")
    assert response.status_code == 200
    doc = html.fromstring(response.data)
    alternates = doc.xpath('//head/link[@rel="alternate"]')
    hrefs = {link.get("href") for link in alternates}
    assert f"{BASE_URL}/feeds/all.rss" in hrefs and f"{BASE_URL}/feeds/all.atom" in hrefs
    for category in filled.categories():
        assert f"{BASE_URL}/feeds/{category.slug}.rss" in hrefs
        assert f"{BASE_URL}/feeds/{category.slug}.atom" in hrefs
        assert category.name in doc.text_content()
    types = {link.get("type") for link in alternates}
    assert types == {"application/rss+xml", "application/atom+xml", "application/feed+json"}
    assert doc.xpath('//head/link[@rel="outline"][@type="text/x-opml"]/@href') == [
        f"{BASE_URL}/feeds.opml"
    ]


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_feeds_all_and_per_category_parse_cleanly(
    client: FlaskClient, filled: Store, fmt: str
) -> None:
    names = ["all"] + [c.slug for c in filled.categories()]
    for name in names:
        response = client.get(f"/feeds/{name}.{fmt}")
        assert response.status_code == 200, name
        assert response.content_type == f"application/{fmt}+xml; charset=utf-8"
        parsed = feedparser.parse(response.data)
        assert parsed.bozo == 0, (name, parsed.get("bozo_exception"))
        assert parsed.entries
        expected = filled.count() if name == "all" else filled.category(name).count
        assert len(parsed.entries) == expected
        for entry in parsed.entries:
            assert entry.link.startswith(f"{BASE_URL}/articles/")


def test_category_feed_and_pages_do_not_count_the_category(
    client: FlaskClient, filled: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    category = filled.categories()[0]
    article = filled.latest(category=category.slug, limit=1)[0]

    def counting(*_: object) -> None:
        raise AssertionError("store.category() counts the articles; only the name is needed")

    monkeypatch.setattr(Store, "category", counting)
    for path in (
        f"/feeds/{category.slug}.atom",
        f"/categories/{category.slug}",
        f"/articles/{article.slug}",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert category.name in response.text, path


def test_feed_urls_are_all_absolute(client: FlaskClient, filled: Store) -> None:
    for fmt in ("rss", "atom"):
        root = etree.fromstring(client.get(f"/feeds/all.{fmt}").data)
        urls = [*root.xpath("//@href"), *root.xpath("//*[local-name()='link']/text()")]
        assert urls
        for url in urls:
            assert re.match(r"https?://", url), url


def test_feed_newest_first(client: FlaskClient, filled: Store) -> None:
    entries = feedparser.parse(client.get("/feeds/all.atom").data).entries
    published = [e.published_parsed for e in entries]
    assert published == sorted(published, reverse=True)


def test_feed_limit_parameter_is_capped(client: FlaskClient, filled: Store) -> None:
    assert len(feedparser.parse(client.get("/feeds/all.rss?limit=2").data).entries) == 2


def test_feed_conditional_get_returns_304(client: FlaskClient, filled: Store) -> None:
    first = client.get("/feeds/all.atom")
    assert first.headers["ETag"]
    again = client.get("/feeds/all.atom", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/feeds/nope.rss", "no feed named &#39;nope&#39;"),
        ("/feeds/all.xml", "feeds are /feeds/&lt;name&gt;.rss"),
        ("/feeds/all", "no feed at /feeds/all"),
        ("/articles/no-such-article", "no article &#39;no-such-article&#39;"),
        ("/categories/nope", "no category &#39;nope&#39;"),
        ("/nowhere", "there is no page at /nowhere"),
    ],
)
def test_unknown_things_get_404_saying_what(
    client: FlaskClient, filled: Store, path: str, message: str
) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert message in response.get_data(as_text=True)


def test_article_page_is_clean_and_complete(client: FlaskClient, filled: Store) -> None:
    article = next(a for a in filled.latest(limit=50) if a.title.startswith("Welcome"))
    response = client.get(f"/articles/{article.slug}")
    assert response.status_code == 200
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    doc = html.fromstring(response.data)
    assert doc.xpath("string(//article//h1)") == "Welcome to syndicate"
    assert doc.xpath("string(//p[@class='dek'])") == article.dek
    assert "The syndicate team" in doc.xpath("string(//p[@class='byline'])")
    assert doc.xpath("//article//time/@datetime")[0].startswith("2026-11-20")
    headings = [h.text_content() for h in doc.xpath("//div[@class='body']//h2")]
    assert headings == ["What happens to an article", "Subscribing"]
    feeds = doc.xpath('//head/link[@rel="alternate"]/@href')
    assert f"{BASE_URL}/feeds/announcements.atom" in feeds
    assert f"{BASE_URL}/feeds/announcements.json" in feeds
    authors = {f"{BASE_URL}/feeds/authors/{slugify(name)}.rss" for name in article.authors}
    assert authors <= set(feeds)


def test_article_page_of_attack_input_has_no_active_content(
    client: FlaskClient, filled: Store
) -> None:
    article = next(a for a in filled.latest(limit=50) if a.title.startswith("Attack"))
    page = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    doc = html.fromstring(page)
    assert not doc.xpath(
        "//script[not(@type='application/ld+json')] | //iframe | //svg | //form | //style"
        " | //object | //embed"
    )
    # the one script element is data: schema.org JSON-LD in the head, which nothing ends early
    (data,) = doc.xpath("//script")
    assert data.getparent().tag == "head"
    assert json.loads(data.text)["headline"] == article.title
    for element in doc.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (element.tag, name)
            assert not value.strip().lower().startswith("javascript:"), (element.tag, value)
    assert doc.xpath("string(//article//h1)") == article.title
    assert "<script>alert('title')</script>" in doc.xpath("string(//article//h1)")
    relative = doc.xpath("//div[@class='body']//a[text()='relative link']/@href")
    assert relative == ["https://attacker.example/elsewhere"]


def test_create_app_refuses_a_database_without_current_schema(settings) -> None:
    from syndicate.errors import StoreError
    from syndicate.web import create_app

    with pytest.raises(StoreError, match="run `syndicate db upgrade`"):
        create_app(settings)


def test_create_app_opens_an_upgraded_database(settings, store: Store) -> None:
    from syndicate.web import create_app

    app = create_app(settings, watch_interval=None)
    assert app.test_client().get("/healthz").get_json()["status"] == "ok"


@pytest.mark.parametrize(
    ("asked", "slug"),
    [
        ("/feeds/tags/Libraries.atom", "/feeds/tags/libraries.atom"),
        ("/feeds/tags/LIBRARIES.rss?limit=3", "/feeds/tags/libraries.rss?limit=3"),
        ("/feeds/authors/Mira Okafor.json", "/feeds/authors/mira-okafor.json"),
        ("/feeds/authors/Mira%20Okafor.rss", "/feeds/authors/mira-okafor.rss"),
        ("/feeds/Local.atom", "/feeds/local.atom"),
    ],
)
def test_tag_author_and_category_feeds_answer_to_their_names(
    client: FlaskClient, filled: Store, asked: str, slug: str
) -> None:
    response = client.get(asked)
    assert response.status_code == 301
    assert response.headers["Location"] == slug
    assert client.get(slug).status_code == 200


def test_a_name_that_is_no_feed_is_still_a_404(client: FlaskClient, filled: Store) -> None:
    assert client.get("/feeds/tags/No Such Tag.atom").status_code == 404
    assert client.get("/feeds/tags/nope.atom").status_code == 404


@pytest.mark.parametrize("limit", ["0", "-1", "abc", "", "2.5", "１"])
def test_a_bad_limit_is_a_400_that_says_what_is_allowed(
    client: FlaskClient, filled: Store, limit: str
) -> None:
    response = client.get(f"/feeds/all.rss?limit={limit}")
    assert response.status_code == 400
    assert b"?limit= must be a whole number from 1 to 200" in response.data


def test_a_limit_above_the_cap_is_cut_to_it(client: FlaskClient, filled: Store) -> None:
    entries = feedparser.parse(client.get("/feeds/all.rss?limit=5000").data).entries
    assert len(entries) == filled.count()
