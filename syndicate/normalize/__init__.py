"""RawEntry -> Article: ids, dates, slug, summary, word count, clean HTML, content hash.

Every parser's output passes through here, so every article in the store obeys the same rules:
strings are XML-legal and NFC, the body HTML is sanitized once (the renderers trust it), dates
are aware UTC, bylines are names, and the id and content hash are derived the same way whatever
the input kind.

The id rule is in :mod:`.identity` (:func:`article_key`, :func:`legacy_ids`), an article's
enclosures and lead image in :mod:`.media`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from html import escape
from itertools import pairwise

from syndicate.errors import ParseError
from syndicate.model import Article, Block, BlockKind, RawEntry, item_numbers
from syndicate.normalize.identity import (
    ARTICLE_NAMESPACE,
    TRACKING_PARAMS,
    article_id,
    article_key,
    canonical_url,
    legacy_ids,
    normalized_title,
)
from syndicate.normalize.media import article_media
from syndicate.text.bylines import byline
from syndicate.text.sanitize import clean_html, clean_text
from syndicate.text.slugs import slugify

__all__ = [
    "ARTICLE_NAMESPACE",
    "DEFAULT_LIMITS",
    "NO_DEFAULTS",
    "TRACKING_PARAMS",
    "Defaults",
    "Limits",
    "article_id",
    "article_key",
    "article_media",
    "canonical_url",
    "entry_id",
    "entry_legacy_ids",
    "legacy_ids",
    "normalize",
    "normalized_title",
]

SUMMARY_MAX_CHARS = 300
TITLE_MAX_CHARS = 300
ENTRY_MAX_BYTES = 2 * 1024 * 1024  # text of one entry (a long read is ~100 KB of HTML)
SLUG_MAX_CHARS = 80
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


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps on one entry, from ``[ingest]``: bytes of its text, characters of title and summary.

    An entry over ``max_bytes`` is refused; a longer title is cut (with a note); a summary is
    always an excerpt of at most ``max_summary_chars``, cut where a sentence ends.
    """

    max_bytes: int = ENTRY_MAX_BYTES
    max_title_chars: int = TITLE_MAX_CHARS
    max_summary_chars: int = SUMMARY_MAX_CHARS


DEFAULT_LIMITS = Limits()


def normalize(
    raw: RawEntry,
    *,
    source: str,
    now: datetime,
    defaults: Defaults = NO_DEFAULTS,
    origin: str = "",
    limits: Limits = DEFAULT_LIMITS,
    notes: list[str] | None = None,
    key: str = "",
) -> Article:
    """Turn one parsed entry into a canonical :class:`Article`.

    ``now`` is the time the entry is seen; it becomes ``published`` (with ``date_estimated``)
    when the input carries no date, and dates an edit the source does not date itself.
    ``key`` is an id the caller gives the article on the input's behalf (the articles API's
    ``id``): it stands for the input's own id. Raises :class:`ParseError`, naming ``origin``
    (the file or URL; the source name when not given), when there is no title, when there is
    nothing besides a title (no text, link, enclosure or id of its own), or when the entry is
    over ``limits.max_bytes``. What was cut to fit the limits is said in ``notes``, when given.
    """
    origin = origin or source
    if key:
        raw = replace(raw, guid=key)
    _check_size(raw, origin, limits)
    link = canonical_url(raw.link)
    blocks = clean_blocks(raw.blocks)
    title = _title(raw, blocks)
    if not title:
        raise ParseError(origin, "no title and no text to take one from")
    title = _capped_title(title, origin, limits, notes)
    body_source = blocks_to_html(blocks) if blocks else clean_text(raw.body_html)
    body_html = clean_html(body_source, base_url=link)
    media = article_media(raw.media, link, body_html)
    # A link-blog entry or a podcast episode may be a title and a link or a file: kept, with
    # an empty body. A title alone with nothing to point at is no article.
    if not (blocks or body_html.strip() or raw.summary.strip() or link or media or raw.guid):
        raise ParseError(origin, f"{title!r}: a title alone, with no text, link or enclosure")
    published, updated, estimated = _dates(raw, now)
    key_id = article_id(source, article_key(raw, title))  # the one id rule (see entry_id)
    article = Article(
        id=key_id,
        source=source,
        slug=slugify(raw.slug or title, max_length=SLUG_MAX_CHARS) or "article",
        title=title,
        dek=cut_at_sentence(one_line(raw.dek), limits.max_summary_chars),
        blocks=blocks,
        body_html=body_html,
        summary=summarize(raw.summary, blocks, limits.max_summary_chars),
        categories=unique(raw.categories or defaults.categories),
        tags=unique(raw.tags),
        authors=unique(byline(name) for name in raw.authors),
        published=published,
        updated=updated,
        date_estimated=estimated,
        language=one_line(raw.language) or defaults.language,
        link=link,
        media=media,
        word_count=word_count(blocks),
        content_hash="",
        legacy_ids=tuple(
            i for i in legacy_ids(source, _former_link(raw, link), title) if i != key_id
        ),
        seen=now.replace(microsecond=0),
    )
    return replace(article, content_hash=content_hash(article))


def entry_id(raw: RawEntry, source: str) -> str:
    """The id :func:`normalize` gives this entry, without normalizing it.

    For callers that must know whether an entry is stored before doing more work for it (a
    feed's full-text fetch): the one id rule, applied to the same cleaned values.
    """
    return article_id(source, article_key(raw, _title(raw, clean_blocks(raw.blocks))))


def entry_legacy_ids(raw: RawEntry, source: str) -> tuple[str, ...]:
    """The ids earlier versions gave this entry (see :func:`legacy_ids`), without normalizing."""
    title = _title(raw, clean_blocks(raw.blocks))
    return legacy_ids(source, _former_link(raw, canonical_url(raw.link)), title)


def _former_link(raw: RawEntry, link: str) -> str:
    """The canonical link earlier versions read from the entry (``link`` unless it says)."""
    return link if raw.former_link is None else canonical_url(raw.former_link)


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
        # An item left empty goes, and its number with it: the others keep theirs.
        kept = [(n, i) for n, i in ((n, one_line(item)) for n, item in block.numbered()) if i]
        items = tuple(i for _, i in kept)
        cleaned = replace(
            block,
            text=one_line(block.text),
            html=clean_text(block.html).strip(),
            items=items,
            numbers=item_numbers([n for n, _ in kept]) if block.ordered else (),
            items_html=tuple(clean_text(h) for h in block.items_html)
            if len(block.items_html) == len(block.items) == len(items)
            else (),
            src=clean_text(block.src).strip(),
            srcset=clean_text(block.srcset).strip(),
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


def _ordered_list(numbers: Sequence[int]) -> tuple[str, list[str]]:
    """The ``<ol>`` tag and each ``<li>``'s attributes that print these item numbers.

    A run counting up from its first number is ``start``; one counting down is ``reversed``
    (a countdown, "10. ... 1."); any other numbering gives each item its ``value``.
    """
    plain = [""] * len(numbers)
    steps = {b - a for a, b in pairwise(numbers)}
    if not numbers or steps <= {1}:
        return ("<ol>" if not numbers or numbers[0] == 1 else f'<ol start="{numbers[0]}">'), plain
    if steps == {-1}:
        return f'<ol reversed="" start="{numbers[0]}">', plain
    return "<ol>", [f' value="{n}"' for n in numbers]


def _block_html(block: Block) -> str:
    inner = block.html or escape(block.text, quote=False)
    if block.kind is BlockKind.HEADING:
        return f"<h{block.level}>{inner}</h{block.level}>"
    if block.kind is BlockKind.QUOTE:
        return f"<blockquote><p>{inner}</p></blockquote>"
    if block.kind is BlockKind.LIST:
        items = block.items_html or tuple(escape(i, quote=False) for i in block.items)
        if not block.ordered:
            return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"
        opening, values = _ordered_list([n for n, _ in block.numbered()])
        pairs = zip(values, items, strict=True)
        return opening + "".join(f"<li{v}>{i}</li>" for v, i in pairs) + "</ol>"
    if block.kind is BlockKind.IMAGE:
        srcset = f' srcset="{escape(block.srcset)}"' if block.srcset else ""
        img = f'<img src="{escape(block.src)}"{srcset} alt="{escape(block.alt)}">'
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
    """Words in the body; each CJK character counts as one word (an ordered list's numbers
    are not words of it: ``text``, not :meth:`Block.plain_text`)."""
    total = 0
    for block in blocks:
        text = block.text
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
        "media": [[m.url, m.type, m.length, m.title, m.role] for m in article.media],
        "published": None if article.date_estimated else article.published.isoformat(),
    }
    encoded = json.dumps(content, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


def _check_size(raw: RawEntry, origin: str, limits: Limits) -> None:
    """Refuse an entry whose text is over the byte limit, before any work is spent on it."""
    size = len(raw.body_html.encode("utf-8", "replace")) + len(
        raw.summary.encode("utf-8", "replace")
    )
    for block in raw.blocks:
        size += len(block.text.encode("utf-8", "replace")) + len(
            block.html.encode("utf-8", "replace")
        )
        size += sum(len(item.encode("utf-8", "replace")) for item in block.items_html)
        if size > limits.max_bytes:
            break
    if size > limits.max_bytes:
        what = f"{one_line(raw.title)[:80]!r}: " if raw.title.strip() else ""
        raise ParseError(
            origin,
            f"{what}the entry's text is over {limits.max_bytes} bytes, the limit "
            f"([ingest] max_bytes); it was not stored",
        )


def _capped_title(title: str, origin: str, limits: Limits, notes: list[str] | None) -> str:
    if len(title) <= limits.max_title_chars:
        return title
    cut = cut_at_sentence(title, limits.max_title_chars)
    if notes is not None:
        notes.append(
            f"{origin}: title of {len(title)} characters cut to {len(cut)} "
            f"([ingest] max_title_chars = {limits.max_title_chars})"
        )
    return cut


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
