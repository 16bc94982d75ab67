"""JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/), checked against its rules."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

import pytest
from helpers.articles import article
from helpers.live import serve

from syndicate.config import CategorySettings, Settings, WebSubSettings
from syndicate.store import Store

HUB = "http://hub.example/"


def check_item(item: dict) -> None:
    assert isinstance(item["id"], str) and item["id"]  # required, a string
    assert isinstance(item["content_html"], str) and item["content_html"]
    for key in ("date_published", "date_modified"):
        datetime.fromisoformat(item[key].replace("Z", "+00:00"))  # RFC 3339
    assert item["url"].startswith("http")
    assert all(isinstance(a["name"], str) for a in item.get("authors", []))


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/all.json",
        "/feeds/news.json",
        "/feeds/tags/tag-0.json",
        "/feeds/authors/bo-diddley.json",
    ],
)
def test_json_feed_follows_version_1_1(settings: Settings, store: Store, path: str) -> None:
    store.upsert_many(article(n) for n in range(1, 9))
    with serve(replace(settings, websub=WebSubSettings(hubs=(HUB,))), store) as live:
        reply = live.get(path)
        assert reply.status == 200
        assert reply.headers["content-type"] == "application/feed+json"
        doc = json.loads(reply.body)
        assert doc["version"] == "https://jsonfeed.org/version/1.1"
        assert doc["title"] and doc["items"]
        assert doc["feed_url"] == live.settings.site.base_url + path
        assert doc["home_page_url"].startswith(live.settings.site.base_url)
        assert doc["hubs"] == [{"type": "WebSub", "url": HUB}]
        for item in doc["items"]:
            check_item(item)
        published = [item["date_published"] for item in doc["items"]]
        assert published == sorted(published, reverse=True)


def test_json_feed_summary_only_category_has_no_full_text(settings: Settings, store: Store) -> None:
    store.upsert_many(article(n) for n in range(1, 7))
    only = replace(settings, categories=(CategorySettings("Sports", summary_only=True),))
    with serve(only, store) as live:
        items = json.loads(live.get("/feeds/all.json").body)["items"]
        for item in items:  # summary-only follows the article into every feed
            assert ("Body of article" in item["content_html"]) is (item["tags"] != ["Sports"])
        sports = json.loads(live.get("/feeds/sports.json").body)["items"]
        assert sports and all("Body of" not in i["content_html"] for i in sports)
        assert all(i["content_html"].startswith("Summary of") for i in sports)
        rss = live.get("/feeds/sports.rss").body
        assert b"Body of" not in rss


def test_json_feed_limit_is_capped(settings: Settings, store: Store) -> None:
    store.upsert_many(article(n) for n in range(1, 9))
    capped = replace(settings, feeds=replace(settings.feeds, items=3, max_items=5))
    with serve(capped, store) as live:
        assert len(json.loads(live.get("/feeds/all.json?limit=2").body)["items"]) == 2
        assert len(json.loads(live.get("/feeds/all.json?limit=500").body)["items"]) == 5
        refused = live.get("/feeds/all.json?limit=x")
        assert refused.status == 400 and b"whole number from 1 to 5" in refused.body
