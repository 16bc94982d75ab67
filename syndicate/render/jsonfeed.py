"""JSON Feed 1.1 documents (https://www.jsonfeed.org/version/1.1/) from a channel and articles.

Same inputs and the same cleaning as the RSS and Atom writers (:func:`feeds.feed_item`), so
the three formats of a feed agree on ids, titles, links and bodies. Output is deterministic:
keys in a fixed order, no whitespace, UTF-8, so equal inputs give equal bytes and ETags.

JSON Feed has no archive links; its ``next_url`` ("the next n items") points to the newest
RFC 5005 archive page in JSON, so a reader that follows ``next_url`` walks the same chain.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from syndicate.model import Article, Channel
from syndicate.render.items import (
    FeedItem,
    FeedMedia,
    RenderedFeed,
    channel_author,
    channel_title,
    clean_line,
    feed_item,
    feed_last_modified,
    hub_urls,
    language_tag,
    newest_first,
    strong_etag,
)
from syndicate.text.sanitize import clean_text

JSON_FEED_CONTENT_TYPE = "application/feed+json"
JSON_FEED_TYPE = "application/feed+json"
VERSION = "https://jsonfeed.org/version/1.1"


def render_json_feed(
    channel: Channel,
    articles: Sequence[Article],
    *,
    permalink: Callable[[Article], str],
    next_url: str = "",
) -> RenderedFeed:
    """Write ``articles`` as a JSON Feed 1.1 document of ``channel``, newest first.

    ``next_url`` is the URL of the older items (the newest archive page), when there are any.
    """
    items = [_item(feed_item(a, permalink), a.language) for a in newest_first(articles)]
    document = _feed(channel, next_url) | {"items": items}
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return RenderedFeed(
        body, JSON_FEED_CONTENT_TYPE, strong_etag(body), feed_last_modified(channel, articles)
    )


def _feed(channel: Channel, next_url: str) -> dict[str, Any]:
    """The top-level object without ``items``; optional members only when they have a value."""
    title = channel_title(channel)
    document: dict[str, Any] = {"version": VERSION, "title": title}
    optional = {
        "home_page_url": clean_line(channel.site_url),
        "feed_url": clean_line(channel.feed_url),
        "description": " ".join(clean_text(channel.description).split()),
        "next_url": clean_line(next_url),
        "language": language_tag(channel),
        # JSON Feed 1.1: "icon" is the large image (512 x 512), "favicon" the small one.
        "icon": clean_line(channel.logo) or clean_line(channel.icon),
        "favicon": clean_line(channel.icon),
    }
    document |= {key: value for key, value in optional.items() if value}
    document["authors"] = [{"name": channel_author(channel)}]
    hubs = hub_urls(channel)
    if hubs:  # JSON Feed 1.1 "hubs": WebSub endpoints
        document["hubs"] = [{"type": "WebSub", "url": hub} for hub in hubs]
    return document


def _item(item: FeedItem, language: str) -> dict[str, Any]:
    # JSON Feed 1.1: id is a string and required; content_html or content_text must be present.
    entry: dict[str, Any] = {"id": item.uid}
    if item.link:
        entry["url"] = item.link
    if item.source_url and item.source_url != item.link:
        entry["external_url"] = item.source_url  # where it came from (link blogs: the link)
    entry["title"] = item.title
    entry["content_html"] = item.body  # required (this or content_text); "" when there is none
    if item.summary:
        entry["summary"] = item.summary
    if item.image:
        entry["image"] = item.image
    entry["date_published"] = _rfc3339(item.published)
    entry["date_modified"] = _rfc3339(item.updated)
    if item.authors:
        entry["authors"] = [{"name": name} for name in item.authors]
    if item.categories:
        entry["tags"] = list(item.categories)
    if item.enclosures:
        entry["attachments"] = [_attachment(media) for media in item.enclosures]
    language = clean_line(language)
    if language:
        entry["language"] = language
    return entry


def _attachment(media: FeedMedia) -> dict[str, Any]:
    # JSON Feed 1.1 attachments: url and mime_type are required.
    attachment: dict[str, Any] = {"url": media.url, "mime_type": media.type}
    if media.title:
        attachment["title"] = media.title
    if media.length:
        attachment["size_in_bytes"] = media.length
    return attachment


def _rfc3339(value: datetime) -> str:
    # JSON Feed dates are RFC 3339; "Z" is the shortest spelling of UTC.
    return value.isoformat().replace("+00:00", "Z")
