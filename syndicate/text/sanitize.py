"""Allowlist HTML cleaning, and the text hygiene every feed and page string goes through.

The policy is data (:data:`ALLOWED_TAGS`, :data:`ALLOWED_ATTRIBUTES`, :data:`ALLOWED_URL_SCHEMES`)
enforced by nh3 (ammonia on the html5ever parser), which also adds ``rel`` to links and makes
``href``/``src`` absolute against the article's base. Around it we do only what nh3 does not:

- ``cite``, ``srcset`` and lazy-loading URLs: ammonia checks schemes of ``href`` and ``src``
  only, so these are checked and resolved by :func:`_url_filter` (each ``srcset`` candidate on
  its own; a refused one is dropped, the others kept).
- lazy-loaded images: when an ``img`` has a ``data-src`` (or ``data-lazy-src``,
  ``data-original``) and its ``src`` is missing, refused (``data:``) or a placeholder
  (``blank.gif``, ``spacer.png``...), the lazy source becomes ``src`` (and ``data-srcset`` the
  ``srcset``); the ``data-*`` attributes never reach the output (:func:`_settle_image`).
- ``h1`` becomes ``h2``: the article title is the page's ``h1``.
- tracking pixels (images 1 pixel or less wide or high) and images whose ``src`` was refused are
  dropped. This works on nh3's output, whose serialization is canonical (every attribute written
  ``name="value"``, with ``"``, ``<`` and ``>`` escaped in values and text), so a tag pattern over
  it is exact. We do not re-parse with lxml: libxml2's HTML parser silently truncates documents
  nested deeper than 256 elements (2048 with ``huge_tree``), losing the rest of the article.

Decisions:

- ``data:`` URLs are refused, images included: ``data:image/svg+xml`` is a document that can carry
  script when opened on its own, inlined images bloat every feed that repeats the body, and many
  feed readers strip them anyway. Sources that need an image keep a fetchable ``http(s)`` URL.
- Without a base URL, relative URLs are kept as written (a Markdown source's ``/img/a.png`` is
  meaningful on our own pages, and dropping it would lose content we cannot judge); normalize
  passes the article's link as the base whenever it has one. Protocol-relative URLs (``//host``)
  always get a scheme: the base's, or ``https`` without a base.
- ``img srcset`` is kept, every candidate URL checked and made absolute like ``src``, so a
  reader on a dense screen gets the sharp image. No ``picture``/``source``: a ``picture``
  unwrapped by the cleaner leaves its fallback ``img``, which is what feeds show.

No I/O here; every function is pure and safe to call from any thread.
"""

from __future__ import annotations

import html as _html
import re
import unicodedata
from collections.abc import Callable, Mapping
from urllib.parse import urljoin, urlsplit

import nh3

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "dd",
        "del",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "kbd",
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "small",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "time",
        "tr",
        "u",
        "ul",
    }
)  # h1 is allowed in, then demoted to h2 on the way out

# Tags removed together with everything inside them (the rest are unwrapped, keeping their text).
REMOVED_WITH_CONTENT: frozenset[str] = frozenset(
    {
        "applet",
        "audio",
        "button",
        "embed",
        "form",
        "frame",
        "frameset",
        "head",
        "iframe",
        "math",
        "noembed",
        "noframes",
        "noscript",
        "object",
        "script",
        "select",
        "style",
        "svg",
        "template",
        "textarea",
        "title",
        "video",
        "xmp",
    }
)

# Where lazy-loading scripts keep an image's real source while ``src`` holds a placeholder.
LAZY_SOURCES: frozenset[str] = frozenset({"data-src", "data-lazy-src", "data-original"})
LAZY_SRCSET = "data-srcset"
# Attributes holding one URL (or, for srcset, a list of them) that nh3 does not check itself.
CHECKED_URL_ATTRIBUTES: frozenset[str] = frozenset({"cite", "srcset", LAZY_SRCSET} | LAZY_SOURCES)
# A src that only stands in for a lazy-loaded image: a blank, spacer or loading picture.
PLACEHOLDER_SRC = re.compile(
    r"(?:^|/)(?:blank|spacer|pixel|placeholder|transparent|lazy|loading|loader|grey|gray|1x1)"
    r"[\w.-]*\.(?:gif|png|svg|jpe?g|webp)(?:$|\?)",
    re.I,
)

ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "*": frozenset({"dir", "lang"}),  # right-to-left and mixed-language articles need both
    "a": frozenset({"href", "hreflang", "title"}),  # rel is set by nh3 (LINK_REL)
    "abbr": frozenset({"title"}),
    "blockquote": frozenset({"cite"}),
    "del": frozenset({"cite", "datetime"}),
    # The data-* sources are read by _settle_image and never written out.
    "img": frozenset(
        {"alt", "height", "sizes", "src", "srcset", "title", "width", LAZY_SRCSET} | LAZY_SOURCES
    ),
    "ins": frozenset({"cite", "datetime"}),
    "li": frozenset({"value"}),
    "ol": frozenset({"reversed", "start", "type"}),
    "q": frozenset({"cite"}),
    "td": frozenset({"colspan", "rowspan"}),
    "th": frozenset({"abbr", "colspan", "rowspan", "scope"}),
    "time": frozenset({"datetime"}),
}

ALLOWED_URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})

LINK_REL = "noopener noreferrer"

# XML 1.0 §2.2 Char excludes C0 controls but tab/LF/CR, lone surrogates and U+FFFE/U+FFFF; the
# same section discourages DEL, C1 controls and noncharacters, which we drop too. Written as the
# complement of what is kept: a class of a few ranges is ten times faster than listing the 34
# astral noncharacters.
_FORBIDDEN = re.compile(
    "[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufdcf\ufdf0-\ufffd"
    + "".join(f"{chr(plane << 16)}-{chr((plane << 16) + 0xFFFD)}" for plane in range(1, 17))
    + "]"
)
# XML 1.0 §2.11: parsers turn CRLF and lone CR into LF; doing it first keeps round trips exact.
_NEWLINES = re.compile(r"\r\n?")
# WHATWG URL: leading/trailing C0 controls and spaces are stripped, tabs/newlines removed.
_URL_JUNK = re.compile(r"[\t\n\r]")
_URL_EDGES = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_PROTOCOL_RELATIVE = re.compile(r"^[/\\]{2}")  # browsers read "\\host" like "//host"
# On nh3's serialization `<` in text and attribute values is escaped, so these match tags only.
_H1_TAG = re.compile(r"<(/?)h1(?=[\s>])")
_PIXEL_HINT = re.compile(r'<img\s[^>]*(?:width|height)="\s*[01](?:\.0*)?\s*(?:px)?\s*"')
_IMG_WITHOUT_SRC = re.compile(r'<img(?: (?!src=)[^\s=>]+="[^"]*")*>')  # src refused by nh3
# nh3 writes every attribute as ` name="value"` with `"`, `<` and `>` escaped inside the value.
_IMG_TAG = re.compile(r'<img((?: [^\s"=<>/]+="[^"]*")*)>')
_ATTRIBUTE = re.compile(r' ([^\s"=<>/]+)="([^"]*)"')
_DIMENSION = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*(?:px)?\s*$")
_LAZY_OR_SRCSET = re.compile(r"<img\s[^>]*(?:data-|srcset=)")
# The attributes of an image as written out, in this order, after _settle_image.
_IMG_OUTPUT = ("src", "srcset", "sizes", "alt", "title", "width", "height")


def clean_text(text: str) -> str:
    """Make any string safe to put in XML and HTML text: valid characters, LF newlines, NFC.

    Removes what XML 1.0 forbids or discourages (see ``_FORBIDDEN``), turns CRLF and lone CR into
    LF, and composes to NFC so equal words compare and hash equal.
    """
    if not text:
        return ""
    text = _FORBIDDEN.sub("", text)
    if "\r" in text:
        text = _NEWLINES.sub("\n", text)
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def escape_text_to_html(text: str) -> str:
    """Plain text as an HTML fragment: cleaned, with ``& < > " '`` escaped."""
    return _html.escape(clean_text(text), quote=True)


def clean_html(html: str, base_url: str = "") -> str:
    """Sanitize an HTML fragment to the allowlist and make its URLs absolute against ``base_url``.

    ``base_url`` is used only when it is an absolute ``http(s)`` URL; otherwise relative URLs are
    kept as written (see the module docstring). The result is a fragment in nh3's serialization.
    """
    text = clean_text(html)  # lone surrogates would make nh3 raise when encoding to UTF-8
    if not text.strip():
        return ""
    base = _usable_base(base_url)
    try:
        cleaned = _nh3_clean(text, base)
    except ValueError:  # a base the WHATWG URL parser refuses (bad port, bad host): go without
        cleaned = _nh3_clean(text, "")
    cleaned = _H1_TAG.sub(r"<\1h2", cleaned)
    if _LAZY_OR_SRCSET.search(cleaned):
        cleaned = _IMG_TAG.sub(_settle_image, cleaned)
    if _PIXEL_HINT.search(cleaned) or _IMG_WITHOUT_SRC.search(cleaned):
        cleaned = _drop_useless_images(cleaned)
    return cleaned if cleaned.strip() else ""  # only whitespace left: nothing, as for blank input


def _nh3_clean(text: str, base: str) -> str:
    return nh3.clean(
        text,
        tags=ALLOWED_TAGS,
        clean_content_tags=REMOVED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_url_filter(base) if _has_checked_urls(text) else None,
        strip_comments=True,
        link_rel=LINK_REL,
        url_schemes=ALLOWED_URL_SCHEMES,
        url_relative=("rewrite_with_base", base) if base else _with_scheme,
    )


def _usable_base(base_url: str) -> str:
    """``base_url`` if it is an absolute http(s) URL with a host, else ``""``."""
    base = clean_text(base_url).strip()
    if not base:
        return ""
    try:
        parts = urlsplit(base)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return ""
    return base if parts.scheme.lower() in ("http", "https") and parts.hostname else ""


def _with_scheme(url: str) -> str:
    """Relative URL hook without a base: give protocol-relative URLs ``https``, keep the rest."""
    stripped = url.strip()
    if _PROTOCOL_RELATIVE.match(stripped):
        return "https://" + stripped[2:]
    return url


def _has_checked_urls(text: str) -> bool:
    lowered = text.lower()
    return "cite" in lowered or "srcset" in lowered or "data-" in lowered


def _url_filter(base: str) -> Callable[[str, str, str], str | None]:
    """nh3 attribute hook for the URL attributes ammonia does not check itself (``cite``,
    ``srcset``, the lazy-loading sources).

    nh3 calls the hook after its own scheme check and trusts what it returns, so the hook must
    only ever return URLs with an allowed scheme (or relative ones when there is no base).
    """

    def _filter(tag: str, attribute: str, value: str) -> str | None:
        if attribute not in CHECKED_URL_ATTRIBUTES:
            return value
        if attribute in ("srcset", LAZY_SRCSET):
            return _safe_srcset(value, base) or None
        return _safe_url(value, base)

    return _filter


def _safe_srcset(value: str, base: str) -> str:
    """A ``srcset`` with every candidate URL checked and resolved; refused candidates dropped.

    Candidates are split as the HTML standard does: a URL is a run of non-space characters
    (a trailing comma ends the candidate), followed by an optional descriptor (``2x``,
    ``640w``) up to the next comma.
    """
    kept: list[str] = []
    for url, descriptor in srcset_candidates(value):
        safe = _safe_url(url, base)
        if safe and not safe.lower().startswith("mailto:"):
            kept.append(f"{safe} {descriptor}".strip())
    return ", ".join(kept)


def srcset_candidates(value: str) -> list[tuple[str, str]]:
    """``(url, descriptor)`` of each candidate of a ``srcset`` attribute.

    As the HTML standard parses it: a URL is a run of non-space characters (trailing commas
    end the candidate and are not part of it), then an optional descriptor (``2x``, ``640w``)
    up to the next comma.
    """
    candidates: list[tuple[str, str]] = []
    position, length = 0, len(value)
    while True:
        while position < length and (value[position].isspace() or value[position] == ","):
            position += 1
        if position >= length:
            return candidates
        start = position
        while position < length and not value[position].isspace():
            position += 1
        url, descriptor = value[start:position], ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            comma = value.find(",", position)
            comma = length if comma < 0 else comma
            descriptor, position = " ".join(value[position:comma].split()), comma + 1
        if url:
            candidates.append((url, descriptor))


def image_source(attributes: Mapping[str, str]) -> tuple[str, str]:
    """``(src, srcset)`` of an image, taking the lazy-loading source when ``src`` is a
    placeholder (missing, a ``data:`` URL, or a blank/spacer/loading picture).

    For the parsers that read images out of HTML and for the sanitizer, so both pick the same
    picture.
    """
    src = (attributes.get("src") or "").strip()
    srcset = (attributes.get("srcset") or "").strip()
    lazy = next((v.strip() for k in sorted(LAZY_SOURCES) if (v := attributes.get(k))), "")
    lazy_set = (attributes.get(LAZY_SRCSET) or "").strip()
    if (lazy or lazy_set) and _is_placeholder(src):
        src = lazy or src
        srcset = lazy_set or srcset
        if not src and srcset:
            src = srcset_candidates(srcset)[0][0] if srcset_candidates(srcset) else ""
    return src, srcset


def _is_placeholder(src: str) -> bool:
    return not src or src.lower().startswith("data:") or bool(PLACEHOLDER_SRC.search(src))


def _settle_image(match: re.Match[str]) -> str:
    """One ``img`` of nh3's output with its lazy source taken and its ``data-*`` dropped."""
    attributes = {name: _html.unescape(value) for name, value in _ATTRIBUTE.findall(match[1])}
    src, srcset = image_source(attributes)
    attributes |= {"src": src, "srcset": srcset}
    written = "".join(
        f' {name}="{_html.escape(attributes[name], quote=True)}"'
        for name in _IMG_OUTPUT
        if attributes.get(name, "").strip() or (name == "alt" and "alt" in attributes)
    )
    return f"<img{written}>"


def _safe_url(value: str, base: str) -> str | None:
    """``value`` resolved against ``base`` (when given), or ``None`` when its scheme is refused."""
    url = _URL_EDGES.sub("", _URL_JUNK.sub("", value))
    match = _SCHEME.match(url)
    if match:
        return url if match.group(1).lower() in ALLOWED_URL_SCHEMES else None
    if _PROTOCOL_RELATIVE.match(url):
        return f"{urlsplit(base).scheme if base else 'https'}://{url[2:]}"
    if not base:
        return url
    resolved = urljoin(base, url)
    match = _SCHEME.match(resolved)
    return resolved if match and match.group(1).lower() in ALLOWED_URL_SCHEMES else None


def _drop_useless_images(fragment: str) -> str:
    """Remove tracking pixels (1 pixel or less wide or high) and images left without a ``src``."""
    return _IMG_TAG.sub(_keep_useful_image, fragment)


def _keep_useful_image(match: re.Match[str]) -> str:
    attributes = {name: _html.unescape(value) for name, value in _ATTRIBUTE.findall(match[1])}
    if not attributes.get("src", "").strip() or is_tracking_pixel(attributes):
        return ""
    return match[0]


def is_tracking_pixel(attributes: Mapping[str, str]) -> bool:
    """True for an image 1 pixel or less wide or high: a counter, not a picture."""
    for name in ("width", "height"):
        size = _DIMENSION.match(attributes.get(name) or "")
        if size and float(size[1]) <= 1:
            return True
    return False
