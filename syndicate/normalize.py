"""RawEntry -> Article: ids, dates, slug, summary, word count, clean HTML, content hash.

Every parser's output passes through here, so every article in the store obeys the same rules:
strings are XML-legal and NFC, the body HTML is sanitized once (the renderers trust it), dates
are aware UTC, and the id and content hash are derived the same way whatever the input kind.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from html import escape
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from syndicate.errors import ParseError
from syndicate.model import Article, Block, BlockKind, Media, RawEntry
from syndicate.text.sanitize import clean_html, clean_text
from syndicate.text.slugs import slugify

# Fixed namespace for article ids: uuid5(namespace, source + key) is the same on every
# machine and every run, so re-ingesting keeps ids (and feed guids) stable.
ARTICLE_NAMESPACE = uuid.UUID("5b1f6c1e-8f0a-4d7e-9a55-3c2d0e7f4a10")
SUMMARY_MAX_CHARS = 300
SLUG_MAX_CHARS = 80
# Query parameters that only track a click; they make two URLs of one article differ.
TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref_src|cmpid|ocid)$", re.I)
_SPACES = re.compile(r"\s+")
# Latin-style ends need a space after them; CJK full stops are followed directly by text.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’»)\]]*(?=\s|$)|(?<=[。！？])[」』”）]*")
# A period after these ends an abbreviation, not a sentence: "U.S. President", "Dr. Lee".
_ABBREVIATION = re.compile(
    r"(?:\b(?:[A-Za-z]\.)+|\b(?:Mr|Mrs|Ms|Dr|Prof|St|Sr|Jr|Gen|Gov|Sen|Rep|Col|Lt|Sgt|Capt|"
    r"Inc|Ltd|Co|Corp|No|vs|etc|approx|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.)$"
)
# CJK ideographs, kana and Hangul syllables count one word each: those scripts put no spaces.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_WORD = re.compile(r"[^\W\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")


@dataclass(frozen=True, slots=True)
class Defaults:
    """What the source or the site supplies where the input is silent."""

    categories: tuple[str, ...] = ()
    language: str = ""


NO_DEFAULTS = Defaults()


def normalize(
    raw: RawEntry,
    *,
    source: str,
    now: datetime,
    defaults: Defaults = NO_DEFAULTS,
    origin: str = "",
    key: str = "",
) -> Article:
    """Turn one parsed entry into a canonical :class:`Article`.

    ``now`` is the time the entry is seen; it becomes ``published`` (with ``date_estimated``)
    when the input carries no date. ``key`` is the input's own id for the article, when it
    names one (the articles API's ``id``). Raises :class:`ParseError`, naming ``origin`` (the
    file or URL; the source name when not given), when there is neither a title nor any body.
    """
    origin = origin or source
    link = canonical_url(raw.link)
    blocks = clean_blocks(raw.blocks)
    title = _title(raw, blocks)
    if not title:
        raise ParseError(origin, "no title and no text to take one from")
    body_source = blocks_to_html(blocks) if blocks else clean_text(raw.body_html)
    body_html = clean_html(body_source, base_url=link)
    if not blocks and not body_html.strip() and not raw.summary.strip():
        raise ParseError(origin, f"{title!r}: the article has no body")
    published, updated, estimated = _dates(raw, now)
    article = Article(
        id=article_id(source, link, title, key),  # the one id rule (see entry_id)
        source=source,
        slug=slugify(raw.slug or title, max_length=SLUG_MAX_CHARS) or "article",
        title=title,
        dek=one_line(raw.dek),
        blocks=blocks,
        body_html=body_html,
        summary=summarize(raw.summary, blocks),
        categories=unique(raw.categories or defaults.categories),
        tags=unique(raw.tags),
        authors=unique(raw.authors),
        published=published,
        updated=updated,
        date_estimated=estimated,
        language=one_line(raw.language) or defaults.language,
        link=link,
        media=tuple(m for m in (_clean_media(m, link) for m in raw.media) if m is not None),
        word_count=word_count(blocks),
        content_hash="",
    )
    return replace(article, content_hash=content_hash(article))


def entry_id(raw: RawEntry, source: str) -> str:
    """The id :func:`normalize` gives this entry, without normalizing it.

    For callers that must know whether an entry is stored before doing more work for it (a
    feed's full-text fetch): the one id rule, applied to the same cleaned values.
    """
    return article_id(source, canonical_url(raw.link), _title(raw, clean_blocks(raw.blocks)))


def article_id(source: str, link: str, title: str, key: str = "") -> str:
    """A stable id: the source plus the input's own id when it names one (the articles API),
    else the canonical URL, else the normalized title.

    Never the body: an edited article must keep its id so the update lands in place.
    """
    if key:
        name = f"id:{key}"
    else:
        name = f"url:{link}" if link else f"title:{normalized_title(title)}"
    return str(uuid.uuid5(ARTICLE_NAMESPACE, f"{source}\n{name}"))


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


def one_line(text: str) -> str:
    """XML-legal, NFC, whitespace collapsed to single spaces."""
    return _SPACES.sub(" ", clean_text(text)).strip()


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """Cleaned, non-empty values, first spelling kept, duplicates (any case) dropped."""
    seen: set[str] = set()
    result: list[str] = []
    for value in values:
        cleaned = one_line(value)
        if cleaned and cleaned.casefold() not in seen:
            seen.add(cleaned.casefold())
            result.append(cleaned)
    return tuple(result)


def clean_blocks(blocks: Sequence[Block]) -> tuple[Block, ...]:
    """Blocks with XML-legal text and no empty ones (an image needs only its source)."""
    result: list[Block] = []
    for block in blocks:
        items = tuple(i for i in (one_line(item) for item in block.items) if i)
        cleaned = replace(
            block,
            text=one_line(block.text),
            html=clean_text(block.html).strip(),
            items=items,
            items_html=tuple(clean_text(h) for h in block.items_html)
            if len(block.items_html) == len(block.items) == len(items)
            else (),
            src=clean_text(block.src).strip(),
            alt=one_line(block.alt),
            level=min(max(block.level, 2), 6) if block.kind is BlockKind.HEADING else block.level,
        )
        if _has_content(cleaned):
            result.append(cleaned)
    return tuple(result)


def _has_content(block: Block) -> bool:
    if block.kind is BlockKind.IMAGE:
        return bool(block.src)
    if block.kind is BlockKind.LIST:
        return bool(block.items)
    return bool(block.text or block.html)


def blocks_to_html(blocks: Sequence[Block]) -> str:
    """The body as HTML, one element per block; sanitized afterwards by the caller."""
    return "\n".join(_block_html(block) for block in blocks)


def _block_html(block: Block) -> str:
    inner = block.html or escape(block.text, quote=False)
    if block.kind is BlockKind.HEADING:
        return f"<h{block.level}>{inner}</h{block.level}>"
    if block.kind is BlockKind.QUOTE:
        return f"<blockquote><p>{inner}</p></blockquote>"
    if block.kind is BlockKind.LIST:
        tag = "ol" if block.ordered else "ul"
        items = block.items_html or tuple(escape(i, quote=False) for i in block.items)
        return f"<{tag}>" + "".join(f"<li>{i}</li>" for i in items) + f"</{tag}>"
    if block.kind is BlockKind.IMAGE:
        img = f'<img src="{escape(block.src)}" alt="{escape(block.alt)}">'
        caption = f"<figcaption>{inner}</figcaption>" if block.text else ""
        return f"<figure>{img}{caption}</figure>"
    if inner.lstrip().startswith("<pre"):
        return inner
    return f"<p>{inner}</p>"


def summarize(given: str, blocks: Sequence[Block], limit: int = SUMMARY_MAX_CHARS) -> str:
    """Plain text: the given summary, else the first paragraph, cut at a sentence end.

    A first sentence longer than ``limit`` is cut at a word boundary with an ellipsis.
    """
    text = one_line(given)
    if not text:
        first = next((b for b in blocks if b.kind is BlockKind.PARAGRAPH and b.text), None)
        text = first.text if first else next((b.plain_text() for b in blocks if b.text), "")
    return cut_at_sentence(one_line(text), limit)


def cut_at_sentence(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending where a sentence ends when one fits."""
    if len(text) <= limit:
        return text
    ends = [
        m.end()
        for m in _SENTENCE_END.finditer(text, 0, limit + 1)
        if m.end() <= limit and not _ABBREVIATION.search(text, 0, m.start())
    ]
    if ends:
        return text[: ends[-1]].strip()
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-–—") + "…"


def word_count(blocks: Sequence[Block]) -> int:
    """Words in the body; each CJK character counts as one word."""
    total = 0
    for block in blocks:
        text = block.plain_text()
        total += len(_WORD.findall(text)) + len(_CJK.findall(text))
    return total


def content_hash(article: Article) -> str:
    """SHA-256 over everything a reader sees, and nothing derived from the time of ingest.

    Estimated dates are left out: an undated article seen again later is not a change.
    """
    content = {
        "title": article.title,
        "dek": article.dek,
        "body": article.body_html,
        "summary": article.summary,
        "categories": article.categories,
        "tags": article.tags,
        "authors": article.authors,
        "language": article.language,
        "link": article.link,
        "media": [[m.url, m.type, m.length, m.title] for m in article.media],
        "published": None if article.date_estimated else article.published.isoformat(),
    }
    encoded = json.dumps(content, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


def _title(raw: RawEntry, blocks: Sequence[Block]) -> str:
    """The entry's title on one line, else one taken from its first text."""
    return one_line(raw.title) or _title_from(blocks)


def _title_from(blocks: Sequence[Block]) -> str:
    first = next((b.text for b in blocks if b.text), "")
    return cut_at_sentence(first, 100) if first else ""


def _dates(raw: RawEntry, now: datetime) -> tuple[datetime, datetime, bool]:
    # Feeds carry whole seconds; dropping fractions keeps re-renders byte-identical.
    published = raw.published or raw.updated
    estimated = published is None
    published = (published or now).replace(microsecond=0)
    updated = max((raw.updated or published).replace(microsecond=0), published)
    return published, updated, estimated


def _clean_media(media: Media, base: str) -> Media | None:
    url = canonical_url(media.url) if media.url.startswith(("http://", "https://")) else ""
    if not url and base and media.url:
        url = canonical_url(urljoin(base, media.url))
    if not url:
        return None
    return Media(
        url=url, type=one_line(media.type), length=max(media.length, 0), title=one_line(media.title)
    )
