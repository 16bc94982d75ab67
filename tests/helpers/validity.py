"""Checks every feed document the tests emit must pass, whatever went into it.

RSS and Atom are read by feedparser, which must find nothing wrong (``bozo`` 0); Atom is also
validated against the RFC 4287 RELAX NG schema (``tests/data/atom.rng``); JSON Feed must carry
the members version 1.1 requires.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import feedparser
from lxml import etree

ATOM_SCHEMA = etree.RelaxNG(etree.parse(str(Path(__file__).parent.parent / "data" / "atom.rng")))


def assert_valid_feed(body: bytes, fmt: str) -> Any:
    """The parsed document, once it has passed the checks of its format."""
    if fmt == "json":
        document = json.loads(body)
        assert document["version"] == "https://jsonfeed.org/version/1.1"
        assert isinstance(document["title"], str) and document["title"]
        for item in document["items"]:
            assert isinstance(item["id"], str) and item["id"]
            assert "content_html" in item or "content_text" in item
            for attachment in item.get("attachments", []):
                assert attachment["url"] and "/" in attachment["mime_type"]
        return document
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    if fmt == "atom":
        root = etree.fromstring(body)
        assert ATOM_SCHEMA.validate(root), ATOM_SCHEMA.error_log
    return parsed
