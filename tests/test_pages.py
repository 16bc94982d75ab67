"""Reader pages through the app: listings with cursor paging, tag and author pages, article
pages with their links, social cards, JSON-LD, canonical and hreflang, valid HTML5."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from helpers.articles import article
from helpers.site import HOSTILE_TITLE, LEAD_IMAGE, html5_errors, site_articles
from lxml import html

from syndicate.config import CategorySettings, FeedSettings, Settings
from syndicate.store import Store
from syndicate.web import create_app
from tests.conftest import BASE_URL

PAGE_SIZE = 3


@pytest.fixture
def site_settings(settings: Settings) -> Settings:
    return replace(
        settings,
        site=replace(settings.site, copyright="© Test Gazette", logo="/static/logo.png"),
        feeds=FeedSettings(items=PAGE_SIZE, max_items=50),
        categories=(
            CategorySettings("News", description="What happened today", title="The News Desk"),
        ),
    )


@pytest.fixture
def reader(site_settings: Settings, store: Store) -> FlaskClient:
    store.upsert_many(site_articles())
    app: Flask = create_app(site_settings, store=store, watch_interval=None)
    return app.test_client()


def get(client: FlaskClient, path: str, status: int = 200) -> html.HtmlElement:
    response = client.get(path)
    assert response.status_code == status, (path, response.text[:300])
    assert html5_errors(response.text) == [], path
    return html.fromstring(response.data)


def titles(doc: html.HtmlElement) -> list[str]:
    return [a.text_content() for a in doc.xpath("//li[@class='card']/h3/a")]


def local(url: str) -> str:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == BASE_URL, url
    return parts.path + (f"?{parts.query}" if parts.query else "")


def walk(client: FlaskClient, path: str, rel: str) -> list[list[str]]:
    """The titles of each page met following ``rel`` links from ``path``."""
    pages = []
    while path:
        doc = get(client, path)
        pages.append(titles(doc))
        found = doc.xpath(f"//head/link[@rel='{rel}']/@href")
        visible = doc.xpath(f"//nav[@class='pager']/a[@rel='{rel}']/@href")
        assert found == visible  # the head and the page agree
        path = local(found[0]) if found else ""
        assert len(pages) < 20, "the links loop"
    return pages


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/categories/news", [3, 6]),  # articles 3 and 6 (n % 3 == 0) are News
        ("/tags/tag-0", [2, 4, 6, 8]),
        ("/authors/ada-byron", [2, 4, 6, 8]),
    ],
)
def test_listings_page_newest_first_and_back(
    reader: FlaskClient, path: str, expected: list[int]
) -> None:
    made = {n: a.title for n, a in enumerate(site_articles(), start=1)}
    newest_first = [made[n] for n in sorted(expected, reverse=True)]
    forward = walk(reader, path, "next")
    assert [t for page in forward for t in page] == newest_first
    assert all(len(page) == PAGE_SIZE for page in forward[:-1])
    # from the last page, rel="prev" walks back to the first, through the same pages
    last = get(reader, path)
    for _ in forward[1:]:
        last_href = last.xpath("//head/link[@rel='next']/@href")[0]
        last = get(reader, local(last_href))
    back = walk(reader, local(last.xpath("//head/link[@rel='canonical']/@href")[0]), "prev")
    assert back == forward[::-1]


def test_front_page_pages_through_every_article(
    site_settings: Settings, store: Store, reader: FlaskClient
) -> None:
    store.upsert_many(article(n, slug=f"more-{n}", id=f"more-{n:04d}") for n in range(10, 45))
    pages = walk(reader, "/", "next")
    seen = [t for page in pages for t in page]
    assert len(seen) == len(set(seen)) == store.count()
    assert len(pages[0]) == 30 and len(pages) == 2
    first = get(reader, "/")
    assert first.xpath("string(//h1)") == "Test Gazette"
    assert first.xpath("string(//p[@class='dek'])") == "Test feeds"  # the site's description
    sections = first.xpath("//section[@class='sections']//li")
    news = next(li for li in sections if li.xpath("string(a)") == "News")
    assert "What happened today" in news.text_content()  # a category's description


def test_listing_cards_show_date_byline_summary_and_lead_image(reader: FlaskClient) -> None:
    doc = get(reader, "/tags/tag-0")
    cards = doc.xpath("//li[@class='card']")
    assert [c.xpath("string(h3/a)") for c in cards] == ["Article 8", "Artikel 6", "Article 4"]
    assert cards[0].xpath("string(.//p[@class='summary'])") == "Summary of article 8."
    assert cards[0].xpath(".//time/@datetime") == ["2024-01-01T08:00:00+00:00"]
    assert cards[0].xpath(".//p[@class='byline']/a/@href") == [f"{BASE_URL}/authors/ada-byron"]
    (image,) = cards[2].xpath(".//img")
    assert image.get("src") == LEAD_IMAGE.url and image.get("alt") == "A crane"


def test_category_page_shows_its_title_description_and_feeds(reader: FlaskClient) -> None:
    doc = get(reader, "/categories/news")
    assert doc.xpath("string(//h1)") == "The News Desk"
    assert doc.xpath("string(//main/p[@class='dek'])") == "What happened today"
    feeds = doc.xpath("//p[@class='feeds']/a/@href")
    assert feeds == [f"{BASE_URL}/feeds/news.{fmt}" for fmt in ("rss", "atom", "json")]


@pytest.mark.parametrize("path", ["/tags/nope", "/authors/nobody", "/categories/nope"])
def test_unknown_tag_author_or_category_is_a_404_saying_what(
    reader: FlaskClient, path: str
) -> None:
    response = reader.get(path)
    assert response.status_code == 404
    assert path.rsplit("/", 1)[1] in response.text


@pytest.mark.parametrize("cursor", ["before=yesterday", "after=2024-01-01T00:00:00Z", "before="])
def test_a_bad_cursor_is_a_400_saying_what_a_cursor_is(reader: FlaskClient, cursor: str) -> None:
    response = reader.get(f"/categories/news?{cursor}")
    assert response.status_code == 400
    assert "is not a page cursor" in response.text and "/categories/news" in response.text


def test_article_page_links_every_tag_author_and_category(
    reader: FlaskClient, store: Store
) -> None:
    found = store.get_by_slug("article-4")
    doc = get(reader, "/articles/article-4")
    tags = doc.xpath("//p[@class='tags']/a")
    assert [(a.text, a.get("href")) for a in tags] == [("tag-0", f"{BASE_URL}/tags/tag-0")]
    authors = doc.xpath("//p[@class='byline']/a[@rel='author']/@href")
    assert authors == [f"{BASE_URL}/authors/ada-byron"]
    categories = doc.xpath("//p[@class='categories']/a/@href")
    assert categories == [f"{BASE_URL}/categories/sports"]
    for href in [*authors, *categories, *(a.get("href") for a in tags)]:
        get(reader, local(href))
    assert found is not None and found.word_count == 460
    assert doc.xpath("string(//span[@class='reading'])") == "2 min read"  # 460 words at 230/min
    (lead,) = doc.xpath("//figure[@class='lead']/img")
    assert lead.get("alt") == "A crane"


def test_article_page_links_its_neighbours_in_its_category(reader: FlaskClient) -> None:
    doc = get(reader, "/articles/article-4")  # Sports: articles 1, 4, 7
    assert doc.xpath("//p[@class='older']/a/@href") == [f"{BASE_URL}/articles/article-1"]
    assert doc.xpath("//p[@class='newer']/a/@href") == [f"{BASE_URL}/articles/article-7"]
    oldest = get(reader, "/articles/article-1")
    assert not oldest.xpath("//p[@class='older']")
    assert oldest.xpath("//p[@class='newer']/a/@href") == [f"{BASE_URL}/articles/article-4"]


def test_article_page_subscribe_links_name_every_feed_it_is_in(reader: FlaskClient) -> None:
    doc = get(reader, "/articles/article-4")
    links = doc.xpath("//section[@class='subscribe']//a/@href")
    for name in ("sports", "tags/tag-0", "authors/ada-byron", "all"):
        for fmt in ("rss", "atom", "json"):
            assert f"{BASE_URL}/feeds/{name}.{fmt}" in links
    for href in links:
        assert reader.get(local(href)).status_code == 200, href


@pytest.mark.parametrize(
    "path", ["/", "/categories/news", "/tags/tag-1", "/authors/bo-diddley", "/articles/article-4"]
)
def test_every_page_has_a_social_card_canonical_and_no_script_csp(
    reader: FlaskClient, path: str
) -> None:
    response = reader.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    doc = html.fromstring(response.data)
    meta = {m.get("property") or m.get("name"): m.get("content") for m in doc.xpath("//meta")}
    for key in ("og:site_name", "og:title", "og:type", "og:url", "og:description", "og:image"):
        assert meta.get(key), (path, key)
    assert meta["og:url"] == doc.xpath("//link[@rel='canonical']/@href")[0]
    assert meta["og:url"] == f"{BASE_URL}{path}"
    assert meta["twitter:card"] in ("summary", "summary_large_image")
    assert meta["twitter:title"] == meta["og:title"]
    assert doc.xpath("//link[@rel='icon']/@href") == [f"{BASE_URL}/favicon.ico"]
    assert doc.xpath("string(//p[@class='copyright'])") == "© Test Gazette"


def test_article_social_card_uses_its_lead_image_else_the_logo(reader: FlaskClient) -> None:
    def image(path: str) -> str:
        return get(reader, path).xpath("//meta[@property='og:image']/@content")[0]

    assert image("/articles/article-4") == LEAD_IMAGE.url
    assert image("/articles/article-5") == f"{BASE_URL}/static/logo.png"
    doc = get(reader, "/articles/article-4")
    assert doc.xpath("//meta[@property='og:type']/@content") == ["article"]
    assert doc.xpath("//meta[@property='article:published_time']/@content") == [
        "2024-01-01T04:00:00+00:00"
    ]


def test_article_json_ld_is_a_news_article_that_cannot_end_its_element(
    reader: FlaskClient, store: Store
) -> None:
    hostile = next(a for a in site_articles() if a.title == HOSTILE_TITLE)
    response = reader.get(f"/articles/{hostile.slug}")
    page = response.text
    start = page.index('<script type="application/ld+json">') + len(
        '<script type="application/ld+json">'
    )
    text = page[start : page.index("</script>", start)]
    assert not re.search(r"[<>&]", text)  # escaped as \u003c, \u003e, \u0026
    data = json.loads(text)
    assert data["@context"] == "https://schema.org" and data["@type"] == "NewsArticle"
    assert data["headline"] == HOSTILE_TITLE
    assert data["datePublished"] == hostile.published.isoformat()
    assert data["author"] == [{"@type": "Person", "name": "Bo Diddley"}]
    assert data["publisher"]["name"] == "Test Gazette"
    assert data["publisher"]["logo"]["url"] == f"{BASE_URL}/static/logo.png"
    assert data["mainEntityOfPage"]["@id"] == f"{BASE_URL}/articles/{hostile.slug}"
    doc = html.fromstring(response.data)
    assert [s.get("type") for s in doc.xpath("//script")] == ["application/ld+json"]
    assert doc.xpath("string(//article//h1)") == HOSTILE_TITLE
    assert html5_errors(page) == []


def test_hreflang_feeds_appear_when_the_site_has_several_languages(
    reader: FlaskClient, store: Store, site_settings: Settings
) -> None:
    doc = get(reader, "/")
    languages = {
        (link.get("hreflang"), link.get("href"))
        for link in doc.xpath("//head/link[@rel='alternate'][@hreflang]")
    }
    assert ("de", f"{BASE_URL}/feeds/lang/de.atom") in languages
    assert ("en", f"{BASE_URL}/feeds/lang/en.rss") in languages
    german = get(reader, "/articles/article-6")
    assert german.xpath("//article/@lang") == ["de"] and german.xpath("/html/@lang") == ["de"]


def test_no_hreflang_on_a_site_of_one_language(settings: Settings, store: Store) -> None:
    store.upsert_many([article(1), article(2)])
    client = create_app(settings, store=store, watch_interval=None).test_client()
    doc = html.fromstring(client.get("/").data)
    assert not doc.xpath("//link[@hreflang]")
    assert client.get("/feeds/lang/en.atom").status_code == 404


def test_a_cursor_page_is_canonical_by_its_cursor_alone(reader: FlaskClient) -> None:
    first = get(reader, "/tags/tag-0")
    older = local(first.xpath("//head/link[@rel='next']/@href")[0])
    doc = get(reader, f"{older}&utm_source=elsewhere")
    assert doc.xpath("//link[@rel='canonical']/@href") == [f"{BASE_URL}{older}"]
    assert titles(doc) == ["Article 2"]
