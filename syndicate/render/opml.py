"""OPML 2.0 subscription lists (http://opml.org/spec2.opml): one outline per feed.

Written with lxml, which escapes every attribute; output is deterministic for the same feeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from lxml import etree

from syndicate.render.items import RenderedFeed, clean_line, strong_etag, whole_seconds

OPML_CONTENT_TYPE = "text/x-opml; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Subscription:
    """One feed in the list: its title, its feed URL, the page it describes, its format."""

    title: str
    xml_url: str
    html_url: str = ""
    type: str = "rss"  # OPML 2.0 subscription lists say "rss" for every feed format
    description: str = ""


def render_opml(
    title: str,
    subscriptions: Sequence[Subscription],
    *,
    owner_url: str = "",
    updated: datetime | None = None,
) -> RenderedFeed:
    """An OPML 2.0 document listing ``subscriptions`` in the given order."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = clean_line(title)
    if updated is not None:  # OPML 2.0 dates are RFC 822
        etree.SubElement(head, "dateModified").text = format_datetime(
            whole_seconds(updated), usegmt=True
        )
    if owner_url:
        etree.SubElement(head, "ownerId").text = clean_line(owner_url)
    body = etree.SubElement(root, "body")
    for sub in subscriptions:
        attributes = {
            "type": sub.type,
            "text": clean_line(sub.title),
            "title": clean_line(sub.title),
            "xmlUrl": clean_line(sub.xml_url),
        }
        if sub.html_url:
            attributes["htmlUrl"] = clean_line(sub.html_url)
        if sub.description:
            attributes["description"] = clean_line(sub.description)
        etree.SubElement(body, "outline", attributes)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return RenderedFeed(
        data, OPML_CONTENT_TYPE, strong_etag(data), whole_seconds(updated) if updated else None
    )
