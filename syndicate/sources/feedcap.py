"""The cap on entries read from one upstream feed (``ingest.max_feed_entries``).

A feed of 100,000 entries fits in the fetch's byte limit, and feedparser would build every one
of them in memory. The XML is cut after the last entry kept, before feedparser sees it, and
the entries cut are counted; a JSON Feed's items list is cut after ``json.loads`` (whose
memory the byte limit bounds).
"""

from __future__ import annotations

import re

# The start tag of an RSS item or an Atom entry, any namespace prefix.
_ENTRY_START = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?(?:item|entry))[\s>/]")


def over_cap_note(count: int, cap: int) -> str:
    """What a run's message says of the entries of a feed past its cap."""
    return f"{count} entries past the first {cap} skipped (ingest.max_feed_entries)"


def cut_entries(data: bytes, cap: int) -> tuple[bytes, int]:
    """The document with entries past the first ``cap`` cut off, and how many were cut.

    The document is closed again after the last kept entry, so what feedparser reads is
    well-formed when the original was.
    """
    starts = _ENTRY_START.finditer(data)
    for found in starts:
        cap -= 1
        if cap < 0:
            cut = found.start()
            extra = 1 + sum(1 for _ in starts)
            head = data[:4096]
            closing = (
                b"</rdf:RDF>"
                if b"<rdf:RDF" in head
                else b"</feed>"
                if found[1].endswith(b"entry")
                else b"</channel></rss>"
            )
            return data[:cut] + closing, extra
    return data, 0
