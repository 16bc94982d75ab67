"""``site.author`` is who the feeds are by: Atom's and JSON Feed's feed author, and the
``dc:creator`` of RSS items whose article names nobody (the channel title stands in without it)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from helpers.articles import article
from helpers.live import serve
from helpers.validity import assert_valid_feed
from lxml import etree

from syndicate.config import Settings
from syndicate.store import Store

ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}creator"


@pytest.fixture
def authored(settings: Settings) -> Settings:
    return replace(settings, site=replace(settings.site, author="The Gazette Desk"))


def test_site_author_is_the_feed_author(authored: Settings, store: Store) -> None:
    store.upsert_many([article(1), article(2, authors=())])
    with serve(authored, store) as live:
        atom = live.get("/feeds/all.atom").body
        assert_valid_feed(atom, "atom")
        root = etree.fromstring(atom)
        assert root.findtext(f"{ATOM}author/{ATOM}name") == "The Gazette Desk"
        document = json.loads(live.get("/feeds/all.json").body)
        assert document["authors"] == [{"name": "The Gazette Desk"}]
        rss = etree.fromstring(live.get("/feeds/all.rss").body)
        creators = {i.findtext("title"): [c.text for c in i.iter(DC)] for i in rss.iter("item")}
        assert creators == {"Article 1": ["Bo Diddley"], "Article 2": ["The Gazette Desk"]}


def test_without_site_author_the_title_stands_in(settings: Settings, store: Store) -> None:
    store.upsert(article(2, authors=()))
    with serve(settings, store) as live:
        root = etree.fromstring(live.get("/feeds/all.atom").body)
        assert root.findtext(f"{ATOM}author/{ATOM}name") == settings.site.title
        rss = etree.fromstring(live.get("/feeds/all.rss").body)
        assert not list(rss.iter(DC))
