"""Media end to end: enclosures and lead images from every input, in every format and on pages.

Fixtures: ``tests/data/media/episode.md`` (front matter ``image:`` and ``enclosure:``),
``gallery.md`` (an image in the body only), ``harbour.html`` (a page with ``og:image``, a
figure with ``srcset``, a lazy-loaded image and a tracking pixel).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from helpers.articles import story
from helpers.validity import assert_valid_feed
from lxml import etree, html

from syndicate.model import IMAGE, Article, Channel, Media
from syndicate.normalize import normalize
from syndicate.refresh.ingest import ingest_file
from syndicate.render.jsonfeed import render_json_feed
from syndicate.render.xmlfeed import render_feed
from syndicate.sources import read
from syndicate.store import Store

MEDIA = Path(__file__).parent / "data" / "media"
NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
MRSS = "{http://search.yahoo.com/mrss/}"
ATOM = "{http://www.w3.org/2005/Atom}"
EPISODE = Media("https://cdn.example/ep12.mp3", "audio/mpeg", 24986239, "Episode 12")
VIDEO = Media("https://cdn.example/ep12.mp4", "video/mp4", 99)
LEAD = Media("https://cdn.example/ep12.jpg", "image/jpeg", role=IMAGE)


def article_of(name: str) -> Article:
    path = MEDIA / name
    (entry,) = read(path.read_bytes(), str(path)).entries
    return normalize(replace(entry, path=name), source="desk", now=NOW)


def permalink(article: Article) -> str:
    return f"https://news.example/articles/{article.slug}"


def with_media(*media: Media) -> Article:
    return story(1, media=media)


# -- from the inputs ---------------------------------------------------------------------------


def test_front_matter_image_and_enclosure_are_kept() -> None:
    article = article_of("episode.md")
    assert [(m.url, m.type, m.length) for m in article.enclosures] == [
        ("https://cdn.podcast.example/ep12.mp3", "audio/mpeg", 24986239)
    ]
    assert article.image is not None
    assert article.image.url == "https://podcast.example/img/ep12.jpg"  # against the link


def test_the_first_body_image_is_the_lead_image_without_another() -> None:
    article = article_of("gallery.md")
    assert article.image is not None and article.image.url == "https://photos.example/launch-1.jpg"
    assert '<img src="https://photos.example/launch-1.jpg"' in article.body_html


def test_images_in_an_html_article_survive() -> None:
    article = article_of("harbour.html")
    body = article.body_html
    base = "https://coastal-times.example/img"
    assert (
        f'<img src="{base}/crane.jpg" srcset="{base}/crane.jpg 1x, {base}/crane@2x.jpg 2x"' in body
    )
    assert f'<img src="{base}/ferry.jpg" alt="The ferry">' in body  # the lazy source taken
    assert "data:" not in body and "data-src" not in body and "pixel.gif" not in body
    assert article.image is not None and article.image.url == f"{base}/harbour-lead.jpg"


# -- in the feeds ------------------------------------------------------------------------------


def test_rss_writes_one_enclosure_then_media_content_and_a_thumbnail() -> None:
    meta = replace(channel_for(), feed_url="https://news.example/feeds/all.rss")
    body = render_feed(meta, [with_media(EPISODE, VIDEO, LEAD)], "rss", permalink=permalink).body
    assert_valid_feed(body, "rss")
    item = etree.fromstring(body).find("channel/item")
    (enclosure,) = item.findall("enclosure")
    assert dict(enclosure.attrib) == {
        "url": EPISODE.url,
        "length": str(EPISODE.length),
        "type": EPISODE.type,
    }
    (content,) = item.findall(f"{MRSS}content")
    assert dict(content.attrib) == {"url": VIDEO.url, "type": VIDEO.type, "fileSize": "99"}
    assert item.find(f"{MRSS}thumbnail").get("url") == LEAD.url
    # The namespace is declared once, on the root, and only where media is written.
    assert body.count(b'xmlns:media="http://search.yahoo.com/mrss/"') == 1
    plain = render_feed(meta, [story(2)], "rss", permalink=permalink).body
    assert b"mrss" not in plain


def test_rss_enclosure_of_unknown_length_and_type_is_still_complete() -> None:
    unknown = Media("https://cdn.example/talk")
    body = render_feed(channel_for(), [with_media(unknown)], "rss", permalink=permalink).body
    enclosure = etree.fromstring(body).find("channel/item/enclosure")
    assert enclosure.get("length") == "0" and enclosure.get("type") == "application/octet-stream"


def test_atom_writes_every_enclosure_link_and_the_thumbnail() -> None:
    body = render_feed(
        channel_for(), [with_media(EPISODE, VIDEO, LEAD)], "atom", permalink=permalink
    ).body
    assert_valid_feed(body, "atom")
    entry = etree.fromstring(body).find(f"{ATOM}entry")
    links = [dict(link.attrib) for link in entry.findall(f"{ATOM}link")]
    assert {"href": permalink(story(1)), "rel": "alternate", "type": "text/html"} in links
    assert {
        "href": EPISODE.url,
        "rel": "enclosure",
        "type": "audio/mpeg",
        "length": "24986239",
        "title": "Episode 12",
    } in links
    assert {"href": VIDEO.url, "rel": "enclosure", "type": "video/mp4", "length": "99"} in links
    assert entry.find(f"{MRSS}thumbnail").get("url") == LEAD.url


def test_json_feed_writes_attachments_and_image() -> None:
    body = render_json_feed(
        channel_for(), [with_media(EPISODE, VIDEO, LEAD)], permalink=permalink
    ).body
    (item,) = assert_valid_feed(body, "json")["items"]
    assert item["image"] == LEAD.url
    assert item["attachments"] == [
        {
            "url": EPISODE.url,
            "mime_type": "audio/mpeg",
            "title": "Episode 12",
            "size_in_bytes": 24986239,
        },
        {"url": VIDEO.url, "mime_type": "video/mp4", "size_in_bytes": 99},
    ]


def channel_for() -> Channel:
    return Channel(
        id="urn:uuid:6f1c1d1e-0a7b-4c7e-9a55-2b1f8f3b9a10",
        title="Media",
        site_url="https://news.example/",
        feed_url="https://news.example/feeds/all.atom",
    )


# -- stored and served -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["episode.md", "harbour.html", "gallery.md"])
def test_media_survive_the_store(store: Store, name: str) -> None:
    article = article_of(name)
    store.upsert(article)
    stored = store.get(article.id)
    assert stored is not None and stored.media == article.media


def test_the_page_shows_the_lead_image_and_the_files(client: FlaskClient, store: Store) -> None:
    for name in ("episode.md", "gallery.md"):
        assert not ingest_file(MEDIA / name, store, now=NOW).failed
    page = html.fromstring(client.get("/articles/harbour-talk-episode-12").data)
    assert page.xpath("//figure[@class='lead']/img/@src") == [
        "https://podcast.example/img/ep12.jpg"
    ]
    (link,) = page.xpath("//ul[@class='enclosures']//a")
    assert link.get("href") == "https://cdn.podcast.example/ep12.mp3"
    assert link.text_content() == "ep12.mp3 (audio/mpeg, 25.0 MB)"
    # The lead image taken from the body is not shown twice.
    gallery = html.fromstring(client.get("/articles/the-launch-in-pictures").data)
    assert not gallery.xpath("//figure[@class='lead']")
    assert gallery.xpath("//div[@class='body']//img/@src") == [
        "https://photos.example/launch-1.jpg"
    ]


def test_feeds_of_the_site_carry_the_media(client: FlaskClient, store: Store) -> None:
    assert not ingest_file(MEDIA / "episode.md", store, now=NOW).failed
    rss = client.get("/feeds/all.rss").data
    assert b'<enclosure url="https://cdn.podcast.example/ep12.mp3" length="24986239"' in rss
    assert b'<media:thumbnail url="https://podcast.example/img/ep12.jpg"/>' in rss
    document = json.loads(client.get("/feeds/all.json").data)
    assert document["items"][0]["attachments"][0]["url"].endswith("ep12.mp3")
