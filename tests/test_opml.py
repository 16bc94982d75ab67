"""OPML 2.0 subscription list and HTML autodiscovery of it."""

from __future__ import annotations

from helpers.articles import article
from helpers.live import serve
from lxml import etree, html

from syndicate.config import Settings
from syndicate.store import Store


def test_opml_lists_every_category_feed(settings: Settings, store: Store) -> None:
    store.upsert_many(article(n) for n in range(1, 7))
    with serve(settings, store) as live:
        reply = live.get("/feeds.opml")
        assert reply.status == 200 and reply.headers["content-type"].startswith("text/x-opml")
        root = etree.fromstring(reply.body)
        assert root.get("version") == "2.0" and root.findtext("head/title")
        outlines = root.findall("body/outline")
        base = live.settings.site.base_url
        assert [o.get("xmlUrl") for o in outlines] == [
            f"{base}/feeds/{name}.rss" for name in ("all", "arts", "news", "sports")
        ]
        assert all(o.get("type") == "rss" and o.get("text") for o in outlines)
        for outline in outlines:  # every listed feed is served
            assert live.get(outline.get("xmlUrl").removeprefix(base)).status == 200
        page = html.fromstring(live.get("/").body)
        assert page.xpath('//link[@rel="outline"]/@href') == [f"{base}/feeds.opml"]
