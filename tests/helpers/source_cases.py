"""Shared checks for the source-parser fixture corpora under ``tests/data/sources/``.

Each ``<case>.<ext>`` has a sibling ``<case>.expected.json``. Only the keys present are
checked, so a fixture states exactly what it proves:

- entry fields: ``title``, ``dek``, ``summary``, ``categories``, ``tags``, ``authors``,
  ``published``/``updated`` (ISO 8601 or null), ``link``, ``slug``, ``language``,
  ``media`` (list of URLs), ``enclosures`` (their URLs), ``image`` (the lead image's URL),
  ``guid`` (the input's own id);
- body: ``body_starts``, ``body_ends``, ``headings`` (heading texts in order), ``kinds``
  (the block-kind sequence), ``kind_counts`` ({kind: n}), ``contains`` / ``absent``
  (substrings of the body text and HTML), ``html_contains``;
- ``entries``: how many entries, and ``index`` which one the checks above look at;
- ``error``: a substring the ParseError message must contain.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from syndicate.errors import ParseError
from syndicate.model import BlockKind, RawEntry
from syndicate.sources.blocks import blocks_text

DATA = Path(__file__).parent.parent / "data" / "sources"
Parser = Callable[[bytes, str], list[RawEntry]]
FIELDS = ("title", "dek", "summary", "link", "slug", "language")
LISTS = ("categories", "tags", "authors")


def cases(kind: str, pattern: str) -> list[Path]:
    """The fixture inputs of one corpus directory, sorted for stable test ids."""
    return sorted(p for p in (DATA / kind).glob(pattern) if ".expected." not in p.name)


def check_case(parse: Parser, path: Path) -> None:
    """Parse ``path`` and compare with its ``.expected.json``."""
    expected = json.loads(path.with_name(path.stem + ".expected.json").read_text("utf-8"))
    if "error" in expected:
        with pytest.raises(ParseError) as info:
            parse(path.read_bytes(), path.name)
        assert expected["error"] in str(info.value)
        assert str(info.value).startswith(path.name)
        return
    entries = parse(path.read_bytes(), path.name)
    for entry in entries:
        check_invariants(entry)
    if "entries" in expected:
        assert len(entries) == expected["entries"]
    check_entry(entries[expected.get("index", 0)], expected)


def check_invariants(entry: RawEntry) -> None:
    """What every parsed entry must satisfy, whatever its input."""
    assert entry.title.strip()
    assert entry.title == " ".join(entry.title.split())
    for block in entry.blocks:
        assert block.plain_text().strip() or block.src, block
        if block.kind is BlockKind.HEADING:
            assert 2 <= block.level <= 6
    for value in (entry.published, entry.updated):
        assert value is None or value.utcoffset() is not None and value.tzinfo == UTC


def check_entry(entry: RawEntry, expected: dict[str, object]) -> None:
    for key in FIELDS:
        if key in expected:
            assert getattr(entry, key) == expected[key], key
    for key in LISTS:
        if key in expected:
            assert list(getattr(entry, key)) == expected[key], key
    for key in ("published", "updated"):
        if key in expected:
            assert _iso(getattr(entry, key)) == expected[key], key
    if "media" in expected:
        assert [m.url for m in entry.media] == expected["media"]
    if "enclosures" in expected:
        assert [m.url for m in entry.media if not m.is_image] == expected["enclosures"]
    if "image" in expected:
        assert next((m.url for m in entry.media if m.is_image), None) == expected["image"]
    if "guid" in expected:
        assert entry.guid == expected["guid"]
    check_body(entry, expected)


def check_body(entry: RawEntry, expected: dict[str, object]) -> None:
    text = blocks_text(entry.blocks)
    html = "\n".join(b.html or "\n".join(b.items_html) for b in entry.blocks)
    everything = text + "\n" + html + "\n" + "\n".join(b.src for b in entry.blocks)
    if "body_starts" in expected:
        assert text.startswith(str(expected["body_starts"])), text[:200]
    if "body_ends" in expected:
        assert text.endswith(str(expected["body_ends"])), text[-200:]
    if "headings" in expected:
        assert [b.text for b in entry.blocks if b.kind is BlockKind.HEADING] == expected["headings"]
    if "kinds" in expected:
        assert [str(b.kind) for b in entry.blocks] == expected["kinds"]
    if "kind_counts" in expected:
        counts = Counter(str(b.kind) for b in entry.blocks)
        assert dict(counts) == expected["kind_counts"]
    for needle in _strings(expected, "contains"):
        assert needle in everything, needle
    for needle in _strings(expected, "html_contains"):
        assert needle in html, needle
    for needle in _strings(expected, "absent"):
        assert needle not in everything, needle


def _strings(expected: dict[str, object], key: str) -> list[str]:
    value = expected.get(key, [])
    assert isinstance(value, list)
    return [str(v) for v in value]


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
