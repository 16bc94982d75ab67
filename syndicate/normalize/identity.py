"""The one id rule: what identifies an entry within its source, and the id made from it.

An id the input gives (front matter or JSON ``id``/``guid``, a feed's guid or Atom id) wins;
then the canonical link; then, for a file, its path under its source root; then the first
enclosure; then the normalized title. Earlier versions made ids from the link or else the
title: :func:`legacy_ids` gives those, and the store keeps an article it holds under one of
them at that id, so no published id changes.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from syndicate.model import RawEntry
from syndicate.text.sanitize import clean_text

# Fixed namespace for article ids: uuid5(namespace, source + key) is the same on every
# machine and every run, so re-ingesting keeps ids (and feed guids) stable.
ARTICLE_NAMESPACE = uuid.UUID("5b1f6c1e-8f0a-4d7e-9a55-3c2d0e7f4a10")
# Query parameters that only track a click; they make two URLs of one article differ.
TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref_src|cmpid|ocid)$", re.I)


def article_key(raw: RawEntry, title: str) -> str:
    """What identifies an entry within its source, most trusted first.

    The input's own id (``guid``); else its canonical link; else its file's path under the
    source root (two files with the same title are two articles); else its first enclosure (a
    podcast episode without a guid or link); else its normalized title. Never the body: an
    edited article must keep its id so the update lands in place.
    """
    guid = _line(raw.guid)
    if guid:
        return f"id:{guid}"
    link = canonical_url(raw.link)
    if link:
        return f"url:{link}"
    path = _line(raw.path)
    if path:
        return f"path:{path}"
    enclosure = next(
        (url for m in raw.media if not m.is_image and (url := canonical_url(m.url))), ""
    )
    if enclosure:
        return f"enclosure:{enclosure}"
    return f"title:{normalized_title(title)}"


def article_id(source: str, key: str) -> str:
    """A stable id: a UUID of the source and the entry's key (see :func:`article_key`).

    The same on every machine and every run, so feed guids never change.
    """
    return str(uuid.uuid5(ARTICLE_NAMESPACE, f"{source}\n{key}"))


def legacy_ids(source: str, link: str, title: str) -> tuple[str, ...]:
    """The id the rule of earlier versions gave an entry: its canonical link's, else its title's.

    ``link`` is the link those versions read (``RawEntry.former_link`` when it differs from
    today's). The store keeps an article stored under it at that id, the first time an entry
    claims it; an id it never held costs one primary-key lookup.
    """
    key = f"url:{link}" if link else f"title:{normalized_title(title)}"
    return (article_id(source, key),)


def normalized_title(title: str) -> str:
    """Case, width, punctuation and spacing folded, so trivial retypes keep the id."""
    folded = unicodedata.normalize("NFKC", title).casefold()
    return " ".join(re.findall(r"\w+", folded))


def canonical_url(url: str) -> str:
    """An absolute http(s) URL with host lowercased, fragment and tracking parameters dropped.

    Anything else (relative, other schemes, garbage) is not a canonical link: "".
    """
    url = clean_text(url).strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not TRACKING_PARAMS.match(k)
        ]
    )
    netloc = parts.netloc.lower()
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", query, ""))


def _line(text: str) -> str:
    return " ".join(clean_text(text).split())
