"""What an HTML page says about its article for crawlers: headline, dates, authors, links.

In order of trust: JSON-LD ``NewsArticle``/``Article``/``BlogPosting``, then Open Graph and
``article:*`` meta tags, then plain HTML (``<title>``, ``<h1>``, ``<time datetime>``,
``<html lang>``). :func:`read_metadata` reads it all at once for :mod:`syndicate.sources.page`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from syndicate.model import IMAGE, Media
from syndicate.sources.blocks import Element, collapse, text_of
from syndicate.sources.scraped.guards import (
    CRUMB_MAX_WORDS,
    PageNames,
    cut_crumbs,
    rejects,
    settle,
)
from syndicate.sources.scraped.lines import key_of
from syndicate.text.dates import parse_date

_ARTICLE_TYPES = ("Article", "BlogPosting", "Report")
_TITLE_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|::|·)\s+")
_WIDE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_MASTHEAD = re.compile(r"logo|brand|masthead|site[-_]?(?:title|name)")
H1_CANDIDATES = 5  # <h1> elements looked at for the visible headline


@dataclass(frozen=True, slots=True)
class PageMeta:
    """The article metadata of one page; ``base`` is what relative URLs resolve against."""

    title: str
    description: str
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    authors: tuple[str, ...]
    published: datetime | None
    updated: datetime | None
    language: str
    link: str
    media: tuple[Media, ...]
    base: str


def read_metadata(doc: Element, origin: str) -> PageMeta:
    """Everything the page declares about its article; empty strings where it is silent."""
    ld = _json_ld_article(doc)
    base = _base_url(doc, origin)
    return PageMeta(
        title=_title(doc, ld, base),
        description=_first(
            _ld_text(ld, "description"),
            _meta(doc, "og:description"),
            _meta(doc, "description"),
            _meta(doc, "twitter:description"),
        ),
        categories=_dedupe(_ld_list(ld, "articleSection") or _meta_all(doc, "article:section")),
        tags=_dedupe(_meta_all(doc, "article:tag") + _ld_list(ld, "keywords")),
        authors=_authors(doc, ld),
        published=_first_date(
            ld.get("datePublished"),
            _meta(doc, "article:published_time"),
            _meta(doc, "datePublished"),
            time_element(doc),
        ),
        updated=_first_date(
            ld.get("dateModified"),
            _meta(doc, "article:modified_time"),
            _meta(doc, "og:updated_time"),
        ),
        language=_language(doc, ld),
        link=_link(doc, ld, base),
        media=_media(doc, ld, base),
        base=base,
    )


# --- readers -----------------------------------------------------------------------------


def _json_ld_article(doc: Element) -> dict[str, Any]:
    """The first JSON-LD object typed as an article; ``{}`` when there is none."""
    for script in doc.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            # strict=False: CMSs often leave raw newlines inside JSON-LD strings.
            data = json.loads(script.text or "", strict=False)
        except (ValueError, RecursionError):
            continue  # broken (or absurdly nested) JSON-LD is common; the meta tags still count
        for node in _ld_nodes(data):
            if _is_article(node):
                return node
    return {}


def _ld_nodes(data: object) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _ld_nodes(item)
    elif isinstance(data, dict):
        yield data
        yield from _ld_nodes(data.get("@graph"))  # Yoast and others wrap nodes in @graph


def _is_article(node: dict[str, Any]) -> bool:
    types = node.get("@type")
    names = types if isinstance(types, list) else [types]
    return any(isinstance(n, str) and n.endswith(_ARTICLE_TYPES) for n in names)


def _ld_text(ld: dict[str, Any], key: str) -> str:
    """A text value, or the ``name`` of an object (a Person, an Organization)."""
    value = ld.get(key)
    if isinstance(value, dict):
        value = value.get("name")
    return collapse(value) if isinstance(value, str) else ""


def _ld_url(value: object) -> str:
    """A URL value, or the ``url``/``@id`` of an object (an ImageObject, a WebPage)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("@id")
    return collapse(value) if isinstance(value, str) else ""


def _ld_list(ld: dict[str, Any], key: str) -> list[str]:
    value = ld.get(key)
    if isinstance(value, str):
        # schema.org keywords may be one comma-separated string
        return [collapse(part) for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [collapse(v) for v in value if isinstance(v, str) and v.strip()]
    return []


def _meta(doc: Element, key: str) -> str:
    values = _meta_all(doc, key)
    return values[0] if values else ""


def _meta_all(doc: Element, key: str) -> list[str]:
    """Contents of ``<meta>`` tags whose property, name or itemprop is ``key``."""
    key = key.lower()
    found = []
    for meta in doc.iter("meta"):
        names = (meta.get(attr, "").strip().lower() for attr in ("property", "name", "itemprop"))
        if key in names and (content := collapse(meta.get("content"))):
            found.append(content)
    return found


def _title(doc: Element, ld: dict[str, Any], base: str) -> str:
    """The headline: the visible ``<h1>`` when it is the article's, else the metadata title.

    Metadata titles are often written for search engines ("Topic: longer headline") or carry
    the site name; the ``<h1>`` is what readers see. An ``<h1>`` counts as the article's when
    it shares words with a metadata title (site logos and "Comments" headings do not).
    """
    sites = _site_names(doc, ld, base)
    title_tag = next(doc.iter("title"), None)
    tag_text = text_of(title_tag) if title_tag is not None else ""
    declared = [
        _strip_site_name(t, sites)
        for t in (
            _ld_text(ld, "headline"),
            _meta(doc, "og:title"),
            _meta(doc, "twitter:title"),
        )
        if t
    ]
    from_tag = _strip_site_name(tag_text, sites, longest=True) if tag_text else ""
    found = [
        text
        for h1 in list(doc.iter("h1"))[:H1_CANDIDATES]
        if not _is_masthead(h1)
        and _headline_like(text := text_of(h1), sites)
        and _shares_words(text, [*declared, from_tag])
    ]
    found.extend(t for t in (*declared, from_tag) if t)
    return _guarded(found, sites, _link_names(doc))


def _is_masthead(h1: Element) -> bool:
    """An ``<h1>`` the theme marks as the site's logo or name (``class="logo"``,
    ``site-title``): it shares words with a ``<title>`` that names the site, yet is no
    headline."""
    marks = f"{h1.get('class', '')} {h1.get('id', '')}".lower()
    return bool(_MASTHEAD.search(marks))


def _link_names(doc: Element) -> set[str]:
    """Keys of the page's short link texts: its menu, which a breadcrumb title repeats."""
    names = {key_of(text_of(a)) for a in doc.iter("a")}
    return {name for name in names if name and len(name.split()) <= CRUMB_MAX_WORDS}


def _guarded(found: list[str], sites: set[str], menu: set[str]) -> str:
    """The first candidate the scraped path's headline guards allow, trail cut off.

    A title written as a trail ("Site » Blog » Headline"), a bare date or a notice is a
    worse headline than the next candidate; when every candidate is one (a page that is
    itself a privacy notice), the first stands: it is what the page calls itself. The
    site's names count as menu entries, since a trail starts at the site.
    """
    names = PageNames(())
    names.sites = {key_of(site) for site in sites}
    names.menu = menu | names.sites
    for text in found:
        cut = cut_crumbs(text, names.menu) or text
        cut = "" if rejects(cut, names) else settle(cut, names)
        if cut and not (names.is_site_name(cut) and len(found) > 1):
            return cut
    return found[0] if found else ""


def _headline_like(text: str, sites: set[str]) -> bool:
    return bool(text) and _key(text) not in sites and len(_words(text)) >= 2


def _shares_words(text: str, titles: list[str]) -> bool:
    """Does ``text`` share at least a third of its words with one of ``titles`` (or none)?"""
    titles = [t for t in titles if t]
    if not titles:
        return True
    words = set(_words(text))
    return any(3 * len(words & set(_words(t))) >= len(words) for t in titles)


def _site_names(doc: Element, ld: dict[str, Any], base: str) -> set[str]:
    """Keys of what the page calls its site: og:site_name, the publisher, the host name."""
    publisher = ld.get("publisher")
    names = [
        _meta(doc, "og:site_name"),
        _meta(doc, "application-name"),
        _ld_text({"p": publisher}, "p") if isinstance(publisher, dict) else "",
    ]
    host = urlsplit(base).hostname or "" if base else ""
    if host:
        names.append(host.removeprefix("www."))
        names.append(host)
    return {_key(n) for n in names if n}


def _strip_site_name(title: str, sites: set[str], longest: bool = False) -> str:
    """ "Headline | Site" → "Headline": drop a leading or trailing part naming the site.

    With ``longest`` (a ``<title>``, which nearly always carries the site), the longest part
    is taken when no part names a known site.
    """
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    while len(parts) > 1 and _key(parts[-1]) in sites:
        parts.pop()
    while len(parts) > 1 and _key(parts[0]) in sites:
        parts.pop(0)
    if len(parts) == len(_TITLE_SEPARATORS.split(title)):
        return max(parts, key=len) if longest else title
    # Rejoin what is left with the separators it had.
    start = title.find(parts[0])
    end = title.rfind(parts[-1]) + len(parts[-1])
    return title[start:end] if 0 <= start < end else " ".join(parts)


def _authors(doc: Element, ld: dict[str, Any]) -> tuple[str, ...]:
    value = ld.get("author")
    people = value if isinstance(value, list) else [value]
    names = [_ld_text({"person": p}, "person") for p in people]
    names = [n for n in names if n and not _is_url(n)]
    if not names:
        # article:author is often a profile URL rather than a name
        metas = _meta_all(doc, "author") + _meta_all(doc, "article:author")
        names = [n for n in metas if not _is_url(n)]
    return _dedupe(names)


def time_element(root: Element) -> datetime | None:
    """The first readable ``<time datetime>``, inside an ``<article>`` first."""
    for path in (".//article//time[@datetime]", ".//time[@datetime]"):
        for time in root.iterfind(path):
            if parsed := parse_date(time.get("datetime")):
                return parsed
    return None


def _first_date(*values: object) -> datetime | None:
    for value in values:
        if isinstance(value, datetime):
            return value
        if isinstance(value, str) and (parsed := parse_date(value)):
            return parsed
    return None


def _language(doc: Element, ld: dict[str, Any]) -> str:
    locale = _meta(doc, "og:locale").replace("_", "-")  # Open Graph writes en_US
    return _first(
        _ld_text(ld, "inLanguage"),
        collapse(doc.get("lang")),
        _meta(doc, "content-language"),
        locale,
    )


def _base_url(doc: Element, origin: str) -> str:
    """The URL relative references resolve against, when the page or origin tells it."""
    base = next(doc.iter("base"), None)
    candidates = [
        base.get("href", "") if base is not None else "",
        _canonical(doc),
        _meta(doc, "og:url"),
        origin,
    ]
    return next((c.strip() for c in candidates if _is_url(c.strip())), "")


def _canonical(doc: Element) -> str:
    for link in doc.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split():
            return collapse(link.get("href"))
    return ""


def _link(doc: Element, ld: dict[str, Any], base: str) -> str:
    for candidate in (
        _canonical(doc),
        _meta(doc, "og:url"),
        _ld_url(ld.get("url")),
        _ld_url(ld.get("mainEntityOfPage")),
    ):
        try:
            url = urljoin(base, candidate) if base and candidate else candidate
        except ValueError:  # a candidate urllib refuses ("http://[")
            continue
        if _is_url(url):
            return url
    return ""


def _media(doc: Element, ld: dict[str, Any], base: str) -> tuple[Media, ...]:
    url = _first(_ld_url(ld.get("image")), _meta(doc, "og:image"), _meta(doc, "twitter:image"))
    try:
        url = urljoin(base, url) if base and url else url
    except ValueError:  # an image URL urllib refuses: no lead image from the metadata
        url = ""
    return (Media(url=url, role=IMAGE),) if url else ()  # the page's lead image


# --- small helpers ------------------------------------------------------------------------


def _first(*values: str) -> str:
    return next((v for v in values if v), "")


def _is_url(value: str) -> bool:
    if not re.match(r"^https?://[^/\s]+", value, re.I):
        return False
    try:
        urlsplit(value)  # "http://[]" looks like a URL; urllib refuses it
    except ValueError:
        return False
    return True


def _words(text: str) -> list[str]:
    """Casefolded word tokens; ideographs count one each (CJK titles have no spaces)."""
    tokens = re.findall(r"\w+", text.casefold())
    return [ch for t in tokens for ch in (list(t) if _WIDE.search(t) else [t])]


def _key(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def _dedupe(names: list[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(name.casefold(), name)
    return tuple(seen.values())
