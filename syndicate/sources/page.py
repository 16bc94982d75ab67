"""HTML pages and fragments to one :class:`RawEntry`.

A full page (``<html>``, ``<head>``, ``<body>``, or site chrome around the article) gets its
metadata from what publishers put there for crawlers, in order of trust: JSON-LD
``NewsArticle``/``Article``/``BlogPosting``, then Open Graph and ``article:*`` meta tags, then
plain HTML (``<title>``, ``<h1>``, ``<time datetime>``, ``<html lang>``). Its main content comes
from trafilatura, which strips navigation, comments and footers; when trafilatura finds too
little, the ``<article>`` element or the densest text container is walked instead.

The metadata readers are in :mod:`syndicate.sources.pagemeta`.

A fragment (no page around it) is walked directly; its first ``<h1>`` (else ``<h2>``) is the
title. Relative links and image sources are made absolute when the page tells its own URL.
"""

from __future__ import annotations

import re
from dataclasses import replace

import trafilatura

from syndicate.errors import ParseError
from syndicate.model import Block, BlockKind, RawEntry
from syndicate.sources import charset
from syndicate.sources.blocks import (
    Element,
    collapse,
    element_blocks,
    parse_document,
    parse_fragment,
    text_of,
)
from syndicate.sources.pagemeta import read_metadata, time_element

# Below this many characters of body text, trafilatura's answer is checked against the
# <article> element or densest container, and the longer one wins.
MIN_EXTRACTED_CHARS = 250
FALLBACK_SHARE = 0.8
_SNIFF_BYTES = 4096
_PAGE_MARKERS = re.compile(r"<(?:!doctype|html|head|body|title|nav|footer|aside)\b", re.I)
DECODING = charset.AS_BROWSERS_DO
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


def parse(data: bytes, origin: str) -> list[RawEntry]:
    """Read one article from an HTML page or fragment given as bytes."""
    return read_text(charset.decode(data, origin, policy=DECODING).text, origin)


def read_text(html: str, origin: str) -> list[RawEntry]:
    """Read one article from an HTML page or fragment; :class:`ParseError` if it has none."""
    if not html.strip():
        raise ParseError(origin, "empty document: no title and no body")
    # XHTML pages open with an XML declaration naming their encoding, which a decoded text
    # no longer has and the parser refuses on text.
    html = _XML_DECLARATION.sub("", html, count=1)
    if _PAGE_MARKERS.search(html[: _SNIFF_BYTES * 4]):
        return [_page_entry(html, origin)]
    return [_fragment_entry(html, origin)]


def decode_html(data: bytes) -> str:
    """Text of an HTML document, decoded by the one chain as a browser would."""
    return charset.decode(data, "", policy=DECODING).text


def _fragment_entry(html: str, origin: str) -> RawEntry:
    root = parse_fragment(html)
    heading = next(root.iter("h1"), None)
    heading = heading if heading is not None else next(root.iter("h2"), None)
    title = text_of(heading) if heading is not None else ""
    if heading is not None:
        heading.drop_tree()  # keeps the text that followed it
    blocks = element_blocks(root)
    if not title:
        what = "no title and no body" if not blocks else "no title"
        raise ParseError(origin, f"{what}: an HTML fragment needs an <h1> or <h2> heading")
    return RawEntry(title=title, blocks=blocks, published=time_element(root))


def _page_entry(html: str, origin: str) -> RawEntry:
    doc = parse_document(html)
    meta = read_metadata(doc, origin)
    if not meta.title:
        raise ParseError(origin, "no title: the page has no headline, og:title, <h1> or <title>")
    blocks = _without_title(_content_blocks(html, doc, meta.base), meta.title)
    if not blocks and not meta.description:
        raise ParseError(origin, "no article body found on the page")
    return RawEntry(
        title=meta.title,
        dek=meta.description,
        summary=meta.description,
        blocks=blocks,
        categories=meta.categories,
        tags=meta.tags,
        authors=meta.authors,
        published=meta.published,
        updated=meta.updated,
        language=meta.language,
        link=meta.link,
        media=meta.media,
    )


# --- main content -------------------------------------------------------------------------


def _content_blocks(html: str, doc: Element, base: str) -> tuple[Block, ...]:
    """The article body: trafilatura's extraction, or the fallback container when richer."""
    extracted = trafilatura.extract(
        html,
        url=base or None,
        output_format="html",
        include_formatting=True,
        include_links=True,
        # Inline images pull their captions, credits and author boxes in with them; the lead
        # image is kept as the article's media (og:image, JSON-LD image) instead.
        include_images=False,
        include_tables=True,
        include_comments=False,  # reader comments are not the article
        # Balanced mode: favor_precision drops whole articles whose paragraphs sit in
        # unusual containers, which costs far more than the odd extra line.
        with_metadata=False,  # read below, in the order of trust this module documents
    )
    blocks = _blocks_of(parse_fragment(extracted), base) if extracted else ()
    container = _fallback_container(doc)
    if _char_count(blocks) >= MIN_EXTRACTED_CHARS:
        if container is None or next(container.iter("img"), None) is None:
            return blocks  # no image to put back: the container need not be walked
        return with_images(blocks, _blocks_of(container, base))
    fallback = _blocks_of(container, base) if container is not None else ()
    # A thin extraction often glues chrome ("Home") onto the text; the container keeps its
    # paragraphs apart, so it wins unless it is clearly poorer.
    if _char_count(fallback) >= FALLBACK_SHARE * _char_count(blocks):
        return fallback
    return with_images(blocks, fallback)


def with_images(blocks: tuple[Block, ...], around: tuple[Block, ...]) -> tuple[Block, ...]:
    """The extracted body with the images of the page's article put back where they stood.

    trafilatura is asked for text only (images pull captions, credits and author boxes in
    with them), so each image of the article container (``around``, its blocks in page order)
    goes after the extracted paragraph it follows on the page. An image that follows no
    paragraph of the body (a head shot before the text, a picture in a sidebar) stays out;
    the page's own lead image is kept as its media. Captions are not carried: the image alone.
    """
    after: dict[str, list[Block]] = {}
    previous = ""
    for block in around:
        if block.kind is BlockKind.IMAGE:
            if previous:
                after.setdefault(previous, []).append(replace(block, text="", html=""))
        elif block.plain_text().strip():
            previous = _key(block.plain_text())
    if not after:
        return blocks
    result: list[Block] = []
    for block in blocks:
        result.append(block)
        result += after.pop(_key(block.plain_text()), [])
    return tuple(result)


def _key(text: str) -> str:
    return collapse(text).casefold()


def _blocks_of(element: Element, base: str) -> tuple[Block, ...]:
    if base:
        element.make_links_absolute(base, resolve_base_href=False, handle_failures="ignore")
    return element_blocks(element)


def _fallback_container(doc: Element) -> Element | None:
    """The ``<article>`` with the most text, else the element holding the most paragraph text."""
    articles = doc.findall(".//article")
    if articles:
        return max(articles, key=lambda a: len(text_of(a)))
    scores: dict[Element, int] = {}
    for paragraph in doc.iter("p"):
        parent = paragraph.getparent()
        if parent is not None:
            scores[parent] = scores.get(parent, 0) + len(text_of(paragraph))
    return max(scores, key=lambda e: scores[e]) if scores else doc.find("body")


def _same(a: str, b: str) -> bool:
    return collapse(a).casefold() == collapse(b).casefold()


def _without_title(blocks: tuple[Block, ...], title: str) -> tuple[Block, ...]:
    """Drop the page's own headline, which extraction keeps as the first heading."""
    for index, block in enumerate(blocks[:3]):
        if block.kind is BlockKind.HEADING and _same(block.text, title):
            return blocks[:index] + blocks[index + 1 :]
    return blocks


def _char_count(blocks: tuple[Block, ...]) -> int:
    return sum(len(block.plain_text()) for block in blocks)
