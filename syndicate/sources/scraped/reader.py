"""Scraped plain text of a whole news page -> the article on it.

Publishers hand us what a browser shows: menus, category lines, other headlines, share and
subscribe calls, footers and the article, one block per line. With no markup to go on, the
article is found from the shape of the text, by models trained offline on real pages
(``bench/train_lines.py``) and shipped as a small data file:

1. every line is scored as body or not from its own shape and its neighbourhood's
   (:mod:`.features`), twice: the second pass also reads the first pass's answers around
   the line; the body is then the likeliest run of body lines (:func:`.body.decode`);
2. the headline is the best-ranked candidate line near the body's start (:mod:`.headline`),
   within the hard limits of :mod:`.guards`; the line under it is the dek when it reads
   like a sentence;
3. bylines (:mod:`.bylines`), dates and category lines are read from the lines around the
   headline.

Nothing here depends on one site's wording; the word lists (furniture, notices, byline
words, month names) cover several languages and only add to what the layout already says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from syndicate.errors import ParseError
from syndicate.model import RawEntry
from syndicate.sources import charset
from syndicate.sources.blocks import collapse
from syndicate.sources.scraped import choice, standfirst
from syndicate.sources.scraped.analysis import Analysis, analyse, default_models
from syndicate.sources.scraped.body import introduced_items, to_blocks, whole_lists
from syndicate.sources.scraped.bylines import authors
from syndicate.sources.scraped.lines import Line, key_of, split_lines
from syndicate.sources.scraped.meta import (
    DATELINE_WEIGHT,
    byline_names,
    find_date,
    guess_language,
    is_dateline,
    is_day_of_month,
    is_publication_line,
    reads_english,
    slash_order,
)
from syndicate.sources.scraped.trees import Models
from syndicate.sources.scraped.vocab import (
    CRUMB_SEPARATOR,
    HOME_WORDS,
    hint_kinds,
    is_form,
    is_page_script,
)

CATEGORY_MAX_WORDS = 4
CATEGORY_MAX_WEIGHT = 60
OPENING_LINES = 40  # the body's first lines, where the page's language is read
_DOMAIN = re.compile(r"^\S+\.[a-z]{2,}$", re.IGNORECASE)
_CLOCK_OR_COUNT = re.compile(r"\d:\d\d|^\W*\d+\W*$|\bago\b|published|updated", re.IGNORECASE)
DECODING = charset.AS_BROWSERS_DO  # page text is what a browser showed
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")  # control characters but for whitespace


@dataclass(frozen=True, slots=True)
class _Header:
    """What sits above the body: headline (breadcrumbs cut off) and dek."""

    headline: Line
    title: str
    dek: Line | None


def parse(data: bytes, origin: str) -> list[RawEntry]:
    """Read one scraped page from bytes, decoded the way a browser would decode them."""
    return read_text(charset.decode(data, origin, policy=DECODING).text, origin)


def read_text(text: str, origin: str) -> list[RawEntry]:
    """The dispatch-table form of :func:`parse_text`: the page's one article."""
    return [parse_text(text, origin)]


def parse_text(text: str, origin: str) -> RawEntry:
    """The article on a scraped page: title, dek, categories, byline, date and body blocks.

    Raises :class:`ParseError` naming ``origin`` when the text is empty, is not text, has no
    paragraph-like prose or no line that can be its headline.
    """
    return read_with(text, origin, default_models())


def read_with(text: str, origin: str, models: Models) -> RawEntry:
    """:func:`parse_text` with the given models (the bench measures models it trained)."""
    if not text.strip():
        raise ParseError(origin, "empty page text")
    if _looks_binary(text):
        raise ParseError(origin, "binary data or control characters, not page text")
    lines = split_lines(text)
    if not any(line.prose for line in lines):
        raise ParseError(origin, "no paragraph-like text: nothing reads as an article body")
    page = analyse(lines, models)
    opening = " ".join(line.text for line in lines[page.start : page.start + OPENING_LINES])
    english = reads_english(opening)
    header = _find_header(page, models, english)
    if header is None:
        raise ParseError(origin, "no headline above the article body")
    body, items = _body_after(page, header)
    if not body:
        raise ParseError(origin, "no paragraph-like text under the headline")
    around = _header_zone(lines, header, body)
    dated = _dated_line(_date_candidates(lines, header, body, around), text, not english)
    # A date line among the body's first lines is the page's date, not a paragraph.
    kept = [line for line in body if dated is None or line is not dated[0]] or body
    blocks = to_blocks(kept, items)
    return RawEntry(
        title=collapse(header.title),
        dek=collapse(header.dek.text) if header.dek is not None else "",
        blocks=blocks,
        categories=_categories(lines, header.headline),
        authors=authors(around, lines, header.headline, body, page.names.sites),
        published=dated[1] if dated is not None else None,
        language=guess_language(" ".join(b.plain_text() for b in blocks)),
    )


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    controls = len(_CONTROL.findall(sample))
    replaced = sample.count("\ufffd")
    return (controls + replaced) > max(8, len(sample) // 20)


def _find_header(page: Analysis, models: Models, english: bool) -> _Header | None:
    """The headline the ranker prefers near the body's start, and its dek (``english``: the
    body's opening is English prose, where a dek sits under its headline)."""
    chosen = choice.choose(
        page.candidates, models.headline, page.headline_rows, page.names, english
    )
    if chosen is None:
        return None
    lines = page.lines
    lede = standfirst.lede_keys(lines, max(page.start, chosen.line.index + 1))
    end = max(page.start, chosen.line.index + 1) + 8
    dek = standfirst.dek_after(lines, chosen.line, end, lede)
    return _Header(chosen.line, chosen.text, dek)


def _body_after(page: Analysis, header: _Header) -> tuple[list[Line], frozenset[int]]:
    """The body lines under the headline and dek: the decoded run, the title repeated left out,
    and the indices of the list items a line of it introduces (:func:`.body.introduced_items`).
    """
    first = header.headline.index + 1
    if header.dek is not None:
        first = header.dek.index + 1
    title_key = key_of(header.title)
    mask = whole_lists(page.lines, page.mask)
    items = introduced_items(page.lines, mask)
    kept = [
        line
        for line, inside in zip(page.lines[first:], mask[first:], strict=True)
        if (inside or line.index in items)
        and line.key != title_key
        and not (line.furniture or line.credit or is_page_script(line.text))
    ]
    # A body starts with its first paragraph, list or table row (what comes before it is
    # bylines, dates, captions and share buttons) and ends with its last.
    begin = next((k for k in range(len(kept)) if _opens(kept, k)), len(kept))
    end = len(kept)
    while end > begin and not (
        _substantial(kept[end - 1]) or _closing(kept[end - 1]) or kept[end - 1].index in items
    ):
        end -= 1
    return kept[begin:end], items


def _substantial(line: Line) -> bool:
    return line.prose or line.bullet or line.tabular


def _opens(kept: Sequence[Line], k: int) -> bool:
    """Can the body start here: a paragraph, or a list or table (two items at least; one
    line shaped like an item is as often a date, "12. März 2024")?"""
    line = kept[k]
    if line.prose:
        return True
    following = kept[k + 1] if k + 1 < len(kept) else None
    return (
        (line.bullet or line.tabular)
        and following is not None
        and (following.bullet or following.tabular)
    )


def _closing(line: Line) -> bool:
    """A short last sentence ("We rate the claim false."), not a sign-off or a form's note."""
    return (
        line.terminal and line.words >= 4 and not is_form(line.text, hint_kinds(line.text.lower()))
    )


# --- byline, date, categories --------------------------------------------------------------


ZONE_REACH_UP = 3  # the header zone starts this many lines over the headline


def _header_zone(lines: Sequence[Line], header: _Header, body: Sequence[Line]) -> list[Line]:
    """Lines where bylines and dates sit: around the headline, down to the first paragraph."""
    top = max(0, header.headline.index - ZONE_REACH_UP)
    bottom = max(body[0].index, header.headline.index + 1)
    zone = list(lines[top:bottom])
    # A few sites put the byline or date under the last paragraph.
    zone.extend(lines[body[-1].index + 1 : body[-1].index + 4])
    return [line for line in zone if line is not header.headline]


DATE_BODY_LINES = 3  # a page may set its date line among the body's first lines
DATE_REACH_UP = 8  # or further over the headline than the zone, above a share bar or a kicker


def _date_fallback(lines: Sequence[Line], header: _Header, body: Sequence[Line]) -> list[Line]:
    """Where else the date line sits when the header zone has none: among the body's first
    lines, or a few lines over the headline; only a line that is a date and little else."""
    h = header.headline.index
    above = lines[max(0, h - DATE_REACH_UP) : max(0, h - ZONE_REACH_UP)]
    extra = [*body[:DATE_BODY_LINES], *reversed(above)]
    return [line for line in extra if line.weight <= DATELINE_WEIGHT and is_dateline(line.text)]


def _date_candidates(
    lines: Sequence[Line], header: _Header, body: Sequence[Line], zone: Sequence[Line]
) -> Iterator[Line]:
    """Where the date is looked for, in order: the header zone, its fallback, then the
    publication lines of the whole page; each place is read only when the one before
    had no date."""
    yield from zone
    yield from _date_fallback(lines, header, body)
    yield from _publication_lines(lines, header, body)


def _publication_lines(lines: Sequence[Line], header: _Header, body: Sequence[Line]) -> list[Line]:
    """The last place to look: lines anywhere on the page that say they give its publication
    date ("Published: 3 May 2024", "Veröffentlicht am 3. Mai 2024"), nearest the headline
    first. Blogs print them under the post's tags or comments, far from the headline. The
    body past its first lines is not looked in: a paragraph saying when something else was
    published is the story, not its date."""
    h = header.headline.index
    story = {line.index for line in body[DATE_BODY_LINES:]}
    found = [x for x in lines if x.index not in story and is_publication_line(x.text)]
    return sorted(found, key=lambda line: abs(line.index - h))


def _dated_line(zone: Iterable[Line], text: str, day_first: bool) -> tuple[Line, datetime] | None:
    """The zone's first line with a date, and the date, a slashed one read in the order the
    page's ``text`` writes them (looked up only then: either order finds the same line), or
    day first if ``day_first`` and no date of the page says which (:func:`.meta.slash_order`).

    A sentence that is neither a dateline nor a byline gives no date: under a headline it
    is the dek or the story's first line, and its date is the day of something else ("The
    next show is set for 22 May 2022.")."""
    for line in zone:
        if _is_sentence(line) and not (is_dateline(line.text) or byline_names(line.text)):
            continue
        found = find_date(line.text) if line.weight <= 160 else None
        if found is not None:
            if "/" in line.text and slash_order(text, unproven=day_first):
                found = find_date(line.text, slash_day_first=True) or found
            return line, found
    return None


def _is_sentence(line: Line) -> bool:
    return line.terminal and line.weight > DATELINE_WEIGHT


def _categories(lines: Sequence[Line], headline: Line) -> tuple[str, ...]:
    """Category or breadcrumb lines right above the headline, when they are not a menu.

    When the short lines above the headline go on for longer than a category line does,
    they are the end of a menu; only a marked line there (a breadcrumb trail, or a label in
    capitals as kickers are set) still reads as the article's category.
    """
    run: list[Line] = []
    i = headline.index - 1
    while i >= 0 and _category_shaped(lines[i]) and len(run) <= 2:
        run.append(lines[i])
        if lines[i].gap_before:
            break
        i -= 1
    if not run or len(run) > 2:
        return ()  # a longer run of short lines is a menu, not a category line
    if _menu_above(lines, headline):
        run = [line for line in run if _marked_category(line)]
    names: list[str] = []
    for line in reversed(run):
        if _DOMAIN.match(line.text):
            continue  # an image credit or site name ("Kremlin.ru"), not a category
        for crumb in CRUMB_SEPARATOR.split(line.text):
            if crumb and crumb.casefold() not in HOME_WORDS and crumb not in names:
                names.append(crumb)
    return tuple(names)


def _menu_above(lines: Sequence[Line], headline: Line) -> bool:
    """Do more than two short link-like lines (furniture included) lead up to the headline?"""
    count = 0
    i = headline.index - 1
    while i >= 0:
        line = lines[i]
        if line.terminal or line.weight > CATEGORY_MAX_WEIGHT:
            break
        if sum(ch.isalpha() for ch in line.text) > 1:  # not a lone "A", "+" or "|"
            count += 1
        if line.gap_before:
            break
        i -= 1
    return count > 2


def _marked_category(line: Line) -> bool:
    return bool(CRUMB_SEPARATOR.search(line.text)) or line.text.isupper()


def _category_shaped(line: Line) -> bool:
    return (
        not line.terminal
        and not _CLOCK_OR_COUNT.search(line.text)
        and any(ch.isalpha() for ch in line.text)
        and line.words <= CATEGORY_MAX_WORDS
        and line.weight <= CATEGORY_MAX_WEIGHT
        and not line.furniture
        and not is_dateline(line.text)
        and not is_day_of_month(line.text)
        and not byline_names(line.text)
    )
