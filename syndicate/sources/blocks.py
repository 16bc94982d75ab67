"""HTML to body blocks: the one walker the Markdown, page and JSON parsers share.

An HTML fragment (or a page's content element) becomes a flat tuple of :class:`Block`, in
document order. Containers (``div``, ``section``, ``article`` …) are walked into; text lying
loose between blocks becomes a paragraph of its own; chrome (``nav``, ``aside``, ``footer``,
forms, scripts, comments) is dropped with everything inside it. ``Block.html`` keeps the
inline markup of each block as found: the sanitizer cleans it later, so nothing is judged
safe or unsafe here.

Parsing goes through one hardened lxml parser (see ``HTML_PARSER``).
"""

from __future__ import annotations

import copy
import html as _html
import re
from collections.abc import Iterable, Iterator
from typing import Any

import lxml.etree
import lxml.html

from syndicate.model import Block, BlockKind, item_numbers
from syndicate.text.sanitize import image_source, is_tracking_pixel

# lxml ships no type information; its elements are typed as Any at this seam.
Element = Any

# libxml2's HTML parser reads no DTD, so entity declarations in the input are never expanded;
# the network and gzip decompression are off explicitly. huge_tree=False keeps libxml2's
# nesting cap (256 levels; deeper content is dropped), which also bounds the walker's recursion.
HTML_PARSER = lxml.html.HTMLParser(
    no_network=True, decompress=False, remove_comments=True, remove_pis=True, huge_tree=False
)

# Dropped with their whole subtree: page chrome, scripts, and interactive widgets.
DROP_TAGS = frozenset(
    (
        "script style noscript template nav aside footer form button input select textarea "
        "iframe object embed svg canvas head title meta link base dialog menu"
    ).split()
)
# Phrasing content: kept inside the paragraph being gathered, markup and all.
INLINE_TAGS = frozenset(
    (
        "a abbr b bdi bdo big br cite code data del dfn em font i ins kbd mark q s samp small "
        "span strike strong sub sup time tt u var wbr label"
    ).split()
)
# C0 controls (bar tab and newlines), lone surrogates (JSON can escape them) and
# non-characters: lxml refuses strings holding any of them.
_XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# An XML declaration (XHTML pages start with one), closed or not: already decoded, it says
# nothing more.
_XML_DECLARATION = re.compile(r"\A\s*<\?xml\b[^>]*>?")
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Kept whole as the block's HTML: their layout is their meaning.
VERBATIM_TAGS = frozenset({"pre", "table"})
SKIP_TAGS = frozenset({"hr", "video", "audio", "source", "track", "map", "area"})
# Block-level children that are unwrapped into line breaks inside a block's inline HTML.
UNWRAP_TAGS = frozenset({"p", "div", "section", "article", "header", "main"} | HEADINGS)


def parse_fragment(html: str) -> Element:
    """Parse an HTML fragment (or a whole page's body) into one ``div`` element."""
    # fragment_fromstring asserts on fragments holding <html> or <frameset> (raw HTML in
    # Markdown can); parsing as a document and taking its body is what it does, minus that.
    body = parse_document(html).find("body")
    root = body if body is not None else lxml.html.Element("div")
    root.tag = "div"
    return root


def parse_document(html: str) -> Element:
    """Parse a whole HTML page into its ``html`` root element with the hardened parser.

    Never raises: an empty document is an empty ``html`` element.
    """
    text = strip_unsafe_chars(html)
    if _XML_DECLARATION.match(text):  # lxml refuses a str that declares an encoding
        text = _XML_DECLARATION.sub("", text, count=1)
    try:
        return lxml.html.document_fromstring(text, parser=HTML_PARSER)
    except lxml.etree.ParserError:  # "Document is empty": nothing but whitespace or comments
        return lxml.html.Element("html")


def html_to_blocks(html: str) -> tuple[Block, ...]:
    """The body blocks of an HTML fragment, in document order."""
    return element_blocks(parse_fragment(html))


def element_blocks(root: Element) -> tuple[Block, ...]:
    """The body blocks found inside ``root`` (which itself is walked as a container)."""
    return tuple(_walk_container(root))


def strip_unsafe_chars(text: str) -> str:
    """``text`` without the control characters and lone surrogates no XML or HTML may hold."""
    return _XML_UNSAFE.sub("", text)


def blocks_text(blocks: Iterable[Block]) -> str:
    """The plain text of a body: one block per paragraph, separated by blank lines."""
    return "\n\n".join(text for block in blocks if (text := block.plain_text().strip()))


def collapse(text: str | None) -> str:
    """``text`` with every run of whitespace (including no-break spaces) made one space."""
    return " ".join((text or "").split())


def text_of(element: Element) -> str:
    """The visible plain text of ``element``, dropped subtrees excluded, collapsed."""
    return collapse("".join(_visible_text(element)))


def _walk_container(container: Element) -> Iterator[Block]:
    """Yield blocks for the children of a container, gathering loose inline runs."""
    loose: list[Element | str] = []
    if container.text:
        loose.append(container.text)
    for child in container:
        if not isinstance(child.tag, str):
            loose.append(child.tail or "")  # a comment or processing instruction: tail only
            continue
        if _is_inline(child):
            loose.append(child)  # the tail travels with the element when serialized
            continue
        yield from _loose_paragraph(loose)
        loose = []
        if _tag(child) not in DROP_TAGS:
            yield from _element_blocks(child)
        if child.tail:
            loose.append(child.tail)
    yield from _loose_paragraph(loose)


def _element_blocks(element: Element) -> Iterator[Block]:
    tag = _tag(element)
    if tag == "p":
        yield from _paragraph_blocks(element)
    elif tag in HEADINGS:
        yield from _optional(_heading(element, int(tag[1])))
    elif tag == "blockquote":
        yield from _optional(_quote(element))
    elif tag in ("ul", "ol"):
        yield from _optional(_list(element, ordered=tag == "ol"))
    elif tag in ("img", "figure", "picture"):
        yield from _optional(_image(element))
    elif tag in VERBATIM_TAGS:
        yield from _optional(_verbatim(element))
    elif tag not in SKIP_TAGS:
        yield from _walk_container(element)  # div, section, article, main, header, li, dl…


def _paragraph_blocks(element: Element) -> Iterator[Block]:
    text = text_of(element)
    if text:
        yield Block(BlockKind.PARAGRAPH, text=text, html=inline_html(element))
        return
    # Markdown renders a lone image as <p><img></p>: that paragraph is an image block.
    for image in element.iter("img"):
        yield from _optional(_image(image))


def _heading(element: Element, level: int) -> Block | None:
    text = text_of(element)
    if not text:
        return None
    # The article title is the h1; headings inside the body start at level 2.
    return Block(BlockKind.HEADING, text=text, html=inline_html(element), level=max(2, level))


def _quote(element: Element) -> Block | None:
    text = text_of(element)
    return Block(BlockKind.QUOTE, text=text, html=inline_html(element)) if text else None


def _list(element: Element, *, ordered: bool) -> Block | None:
    every = [li for li in element if _tag(li) == "li"]
    numbers = _ordinals(element, every) if ordered else [0] * len(every)
    kept = [(li, n) for li, n in zip(every, numbers, strict=True) if text_of(li)]
    if not kept:
        return None
    texts = tuple(text_of(li) for li, _ in kept)
    return Block(
        BlockKind.LIST,
        text="\n".join(texts),
        items=texts,
        items_html=tuple(inline_html(li) for li, _ in kept),
        ordered=ordered,
        numbers=item_numbers([n for _, n in kept]) if ordered else (),
    )


def _ordinals(ol: Element, items: list[Element]) -> list[int]:
    """Each item's number as a browser prints it (HTML's ordinal value rule): from the
    list's ``start`` (default 1, or the item count when ``reversed``), one step per item,
    an item's ``value`` setting its own number and the count from it on."""
    backwards = ol.get("reversed") is not None
    current = _integer(ol.get("start"))
    if current is None:
        current = len(items) if backwards else 1
    numbers: list[int] = []
    for li in items:
        value = _integer(li.get("value"))
        current = value if value is not None else current
        numbers.append(current)
        current += -1 if backwards else 1
    return numbers


def _integer(text: str | None) -> int | None:
    """An attribute's integer (HTML's rules: leading whitespace and sign, then digits)."""
    match = re.match(r"\s*([+-]?\d{1,9})", text or "")
    return int(match.group(1)) if match else None


def _image(element: Element) -> Block | None:
    image = element if _tag(element) == "img" else next(element.iter("img"), None)
    if image is None:
        return None
    # A lazy-loaded image keeps its picture in data-src while src holds a placeholder.
    attributes = {str(k): str(v) for k, v in image.attrib.items()}
    src, srcset = image_source(attributes)
    if not src or is_tracking_pixel(attributes):
        return None
    caption = None if element is image else next(element.iter("figcaption"), None)
    return Block(
        BlockKind.IMAGE,
        text=text_of(caption) if caption is not None else "",
        html=inline_html(caption) if caption is not None else "",
        src=src,
        alt=collapse(image.get("alt")),
        srcset=srcset,
    )


def _verbatim(element: Element) -> Block | None:
    """``pre`` and ``table``: the element itself is the HTML, as their layout matters."""
    clean = _pruned_copy(element)
    clean.tail = None
    if _tag(element) == "pre":
        # Code keeps its line breaks in the plain text too; only the ends are trimmed.
        text = "".join(_visible_text(element)).strip("\n")
    else:
        text = text_of(element)
    if not text.strip():
        return None
    return Block(BlockKind.PARAGRAPH, text=text, html=_serialize(clean).strip())


def _loose_paragraph(parts: list[Element | str]) -> Iterator[Block]:
    """A paragraph from inline text and elements found loose between blocks."""
    if not parts:
        return
    holder = lxml.html.Element("p")
    for part in parts:
        if isinstance(part, str):
            _append_text(holder, part)
        else:
            holder.append(copy.deepcopy(part))
    yield from _paragraph_blocks(holder)


def inline_html(element: Element) -> str:
    """The inner HTML of ``element``: inline markup kept, nested blocks unwrapped to ``<br>``.

    Dropped tags and comments go with their content; their tails stay.
    """
    clean = _pruned_copy(element)
    _unwrap_blocks(clean)
    inner = (_html.escape(clean.text, quote=False) if clean.text else "") + "".join(
        _serialize(child) for child in clean
    )
    return _trim_breaks(inner.strip())


def _pruned_copy(element: Element) -> Element:
    clean = copy.deepcopy(element)
    for node in list(clean.iterdescendants()):
        if not isinstance(node.tag, str) or _tag(node) in DROP_TAGS:
            _remove_keep_tail(node)
    return clean


def _unwrap_blocks(root: Element) -> None:
    """Replace nested paragraphs and divs by their content followed by a line break."""
    for node in list(root.iterdescendants()):
        if isinstance(node.tag, str) and _tag(node) in UNWRAP_TAGS:
            if node.getnext() is not None or (node.tail or "").strip():
                node.append(lxml.html.Element("br"))
            node.drop_tag()


def _trim_breaks(html: str) -> str:
    while html.endswith("<br>"):
        html = html[: -len("<br>")].rstrip()
    return html


def _remove_keep_tail(node: Element) -> None:
    parent = node.getparent()
    if parent is None:
        return
    if node.tail:
        previous = node.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)


def _append_text(holder: Element, text: str) -> None:
    if len(holder):
        last = holder[-1]
        last.tail = (last.tail or "") + text
    else:
        holder.text = (holder.text or "") + text


def _visible_text(element: Element) -> Iterator[str]:
    if element.text:
        yield element.text
    for child in element:
        if isinstance(child.tag, str) and _tag(child) not in DROP_TAGS:
            # Block boundaries and <br> separate words: "<td>a</td><td>b</td>" is "a b".
            boundary = "" if _tag(child) in INLINE_TAGS - {"br"} else "\n"
            yield boundary
            yield from _visible_text(child)
            yield boundary
        if child.tail:
            yield child.tail


def _serialize(element: Element) -> str:
    html: str = lxml.html.tostring(element, encoding="unicode", method="html")
    return html


def _is_inline(node: Element) -> bool:
    return _tag(node) in INLINE_TAGS


def _tag(element: Element) -> str:
    tag = element.tag
    return tag.lower() if isinstance(tag, str) else ""


def _optional(block: Block | None) -> Iterator[Block]:
    if block is not None:
        yield block
