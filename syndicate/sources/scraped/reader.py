"""Scraped plain text of a whole news page -> the article on it.

Publishers hand us what a browser shows: menus, category lines, other headlines, share and
subscribe calls, footers and the article, one block per line. With no markup to go on, the
article is found from the shape of the text alone:

1. the body is the run of lines richest in prose (:mod:`._textbody`), with link runs,
   page furniture and captions taken out and short lines between paragraphs read as headings;
2. the headline is the line above the body that best sums up its opening paragraphs, with
   headline shape (no full stop, title case, repeated as page title and heading) as tie
   breakers; the line under it is the dek when it reads like a sentence;
3. bylines, dates and category lines are read from the lines around the headline.

Nothing here depends on one site's wording; the few word lists (furniture, byline words, month
names) cover several languages and only add to what the layout already says.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from syndicate.errors import ParseError
from syndicate.model import RawEntry
from syndicate.sources import charset
from syndicate.sources.scraped.body import body_lines, densest_run, line_score, to_blocks
from syndicate.sources.scraped.lines import Line, key_of, split_lines, title_cased, words_of
from syndicate.sources.scraped.meta import (
    byline_names,
    find_date,
    guess_language,
    has_date,
    is_dateline,
    is_day_of_month,
)

HEADLINE_WINDOW = 30  # lines above the body searched for the headline
HEADLINE_MIN_WEIGHT = 8.0
HEADLINE_MAX_WEIGHT = 260.0
LEDE_PARAGRAPHS = 3  # opening paragraphs a headline is compared with
BYLINE_REACH = 12  # lines above a candidate searched for a byline it would sit under
UNDER_BYLINE_PENALTY = 2.0
CATEGORY_MAX_WORDS = 4
CATEGORY_MAX_WEIGHT = 60
_DOMAIN = re.compile(r"^\S+\.[a-z]{2,}$", re.IGNORECASE)
_CRUMB_SPLIT = re.compile(r"\s*(?:>|»|›|/|\|)\s*")
_CLOCK_OR_COUNT = re.compile(r"\d:\d\d|^\W*\d+\W*$|\bago\b|published|updated", re.IGNORECASE)
DECODING = charset.AS_BROWSERS_DO  # page text is what a browser showed
_HOME = {"home", "start", "startseite", "inicio", "início", "accueil", "главная", "홈", "ホーム"}


@dataclass(frozen=True, slots=True)
class _Header:
    """What sits above the body: headline, dek and the lines around them."""

    headline: Line
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
    if not text.strip():
        raise ParseError(origin, "empty page text")
    if _looks_binary(text):
        raise ParseError(origin, "binary data or control characters, not page text")
    lines = split_lines(text)
    start, end = densest_run(lines)
    if end <= start or not any(line.prose for line in lines[start:end]):
        raise ParseError(origin, "no paragraph-like text: nothing reads as an article body")
    header = _find_header(lines, start, end)
    if header is None:
        raise ParseError(origin, "no headline above the article body")
    body = _body_after(lines, header, start, end)
    if not body:
        raise ParseError(origin, "no paragraph-like text under the headline")
    blocks = to_blocks(body)
    around = _header_zone(lines, header, body)
    return RawEntry(
        title=header.headline.text,
        dek=header.dek.text if header.dek is not None else "",
        blocks=blocks,
        categories=_categories(lines, header.headline),
        authors=_authors(around),
        published=_published(around),
        language=guess_language(" ".join(b.plain_text() for b in blocks)),
    )


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    replaced = sample.count("\ufffd")
    return (controls + replaced) > max(8, len(sample) // 20)


# --- headline and dek ----------------------------------------------------------------------


def _find_header(lines: Sequence[Line], start: int, end: int) -> _Header | None:
    """The headline above (or opening) the body run, and its dek."""
    lede = _lede_keys(lines, start, end)
    best: tuple[float, int] | None = None
    for i in _headline_window(lines, start, end):
        score = _headline_score(lines, i, start, lede)
        if score is not None and (best is None or score > best[0]):
            best = (score, i)
    if best is None:
        return None
    headline = lines[_prefer_line_above(lines, best[1], best[0], start, lede)]
    return _Header(headline, _dek_after(lines, headline.index, end, lede))


def _headline_window(lines: Sequence[Line], start: int, end: int) -> list[int]:
    """Indexes of the lines above the first paragraph, furniture not counted toward the limit.

    Share-button blocks can put dozens of lines between a headline and its first paragraph.
    """
    first_prose = next(i for i in range(start, end) if lines[i].prose)
    window: list[int] = []
    i = first_prose - 1
    while i >= 0 and len(window) < HEADLINE_WINDOW:
        if not (lines[i].furniture or lines[i].credit):
            window.append(i)
        i -= 1
    return window


def _prefer_line_above(
    lines: Sequence[Line], i: int, score: float, start: int, lede: set[str]
) -> int:
    """When the winner sits right under another close contender, the winner is the dek.

    A standfirst repeats the lede even more than the headline does, so it can outscore it;
    but a dek never stands above its headline.
    """
    if i == 0 or lines[i].gap_before:
        return i
    above = _headline_score(lines, i - 1, start, lede)
    upper = lines[i - 1]
    # A kicker or section label also sits above the headline: it is short and shouts.
    label = upper.words < 4 or upper.text.isupper()
    if above is not None and not label and above >= score - 1.6 and not upper.terminal:
        return i - 1
    return i


def _lede_keys(lines: Sequence[Line], start: int, end: int) -> set[str]:
    paragraphs = [line for line in lines[start:end] if line.prose][:LEDE_PARAGRAPHS]
    keys: set[str] = set()
    for line in paragraphs:
        keys.update(_keys(line.text))
    return keys


def _keys(text: str) -> set[str]:
    """Comparable word stems: five-letter prefixes (crude but language-blind), CJK bigrams."""
    words = words_of(text.casefold())
    keys = {w[:5] for w in words if len(w) >= 3 and not w.isdigit()}
    wide = [w for w in words if len(w) == 1 and not w.isascii()]
    keys.update(a + b for a, b in zip(wide, wide[1:], strict=False))
    return keys


def _headline_score(lines: Sequence[Line], i: int, start: int, lede: set[str]) -> float | None:
    line = lines[i]
    if not _headline_shaped(line):
        return None
    keys = _keys(line.text)
    if not keys:
        return None
    matched = len(keys & lede)
    # Both how much of the line the lede repeats and how many words: short menu labels
    # ("The Times") can be wholly in the lede by chance, a headline shares several words.
    score = 2.0 * matched / len(keys) + 0.25 * min(matched, 8)
    score -= 1.0 if line.words < 3 else 0.5 if line.words < 4 else 0.0
    titled = title_cased(line.text)
    score -= (0.2 if titled else 0.8) if line.text.endswith(".") else 0.0
    score -= 1.0 if line.prose else 0.0
    score += 0.3 if titled else 0.0
    score += 0.5 if _repeated_next(lines, i) else 0.0
    if _byline_follows(lines, i):
        score += 0.8
    elif _byline_above(lines, i):
        score -= UNDER_BYLINE_PENALTY
    score -= 0.02 * abs(start - i)
    return score


def _byline_follows(lines: Sequence[Line], i: int) -> bool:
    """Bylines and dates sit right under the headline (after the dek, at most)."""
    for line in lines[i + 1 : i + 4]:
        if byline_names(line.text) or (line.weight <= 100 and has_date(line.text)):
            return True
    return False


def _byline_above(lines: Sequence[Line], i: int) -> bool:
    """A headline with its byline sits a little above: this line is under that header.

    Headlines come before their byline; the lines between a byline and the first long
    paragraph are the article's opening (short lines, a list, captions), not its headline.
    A byline under a mere label ("Back to overview") heads nothing, so it does not count.
    """
    for j in range(i - 1, max(-1, i - BYLINE_REACH - 1), -1):
        if _is_header_line(lines[j]):
            above = j - 1
            while above >= 0 and _is_header_line(lines[above]):
                above -= 1
            if above >= 0 and lines[above].words >= 4 and _headline_shaped(lines[above]):
                return True
    return False


def _is_header_line(line: Line) -> bool:
    return bool(byline_names(line.text)) or is_dateline(line.text)


def _headline_shaped(line: Line) -> bool:
    if line.furniture or line.credit or line.bullet or is_dateline(line.text):
        return False
    if byline_names(line.text):
        return False
    if not HEADLINE_MIN_WEIGHT <= line.weight <= HEADLINE_MAX_WEIGHT:
        return False
    return line.words >= 2


def _repeated_next(lines: Sequence[Line], i: int) -> bool:
    """Pages often print the headline twice in a row (page title, then heading)."""
    return i + 1 < len(lines) and key_of(lines[i + 1].text) == key_of(lines[i].text)


def _dek_after(lines: Sequence[Line], index: int, end: int, lede: set[str]) -> Line | None:
    """The standfirst: a sentence-like line right under the headline, before byline and body.

    It reads like a sentence rather than another headline, and it sums up the same story as
    the opening paragraphs (another headline under the first one does not).
    """
    i = index + 1
    while i < len(lines) and key_of(lines[i].text) == key_of(lines[index].text):
        i += 1
    if i >= end or i >= len(lines):
        return None
    line = lines[i]
    if line.furniture or line.credit or is_dateline(line.text) or byline_names(line.text):
        return None
    if not 30 <= line.weight <= 400 or line.words < 4:
        return None
    if not line.terminal and title_cased(line.text):
        return None  # the next headline in a list, not a standfirst
    keys = _keys(line.text)
    if not keys or len(keys & lede) < 0.3 * len(keys):
        return None
    following = lines[i + 1] if i + 1 < len(lines) else None
    if following is None:
        return None
    # A dek is followed by header material (byline, date, share buttons); a sentence followed
    # by a paragraph set apart from it is the body's first paragraph instead.
    return line if _header_material(following) or not following.gap_before else None


def _header_material(line: Line) -> bool:
    """Bylines, dates, credits and furniture: lines that sit between a dek and the body."""
    return (
        bool(byline_names(line.text))
        or is_dateline(line.text)
        or line.credit
        or line.furniture
        or line_score(line) < 0
    )


def _body_after(lines: Sequence[Line], header: _Header, start: int, end: int) -> list[Line]:
    """The body lines, starting below the headline and dek when they sit inside the run."""
    first = max(start, header.headline.index + 1)
    if header.dek is not None:
        first = max(first, header.dek.index + 1)
    # Bylines, dates and share buttons between the header and the first paragraph stay out.
    while first < end and not lines[first].prose:
        first += 1
    kept = body_lines(lines, first, end)
    title_key = key_of(header.headline.text)
    return [line for line in kept if key_of(line.text) != title_key]


# --- byline, date, categories --------------------------------------------------------------


def _header_zone(lines: Sequence[Line], header: _Header, body: Sequence[Line]) -> list[Line]:
    """Lines where bylines and dates sit: around the headline, down to the first paragraph."""
    top = max(0, header.headline.index - 3)
    bottom = max(body[0].index, header.headline.index + 1)
    zone = list(lines[top:bottom])
    # A few sites put the byline or date under the last paragraph.
    zone.extend(lines[body[-1].index + 1 : body[-1].index + 4])
    return [line for line in zone if line is not header.headline]


def _authors(zone: Sequence[Line]) -> tuple[str, ...]:
    for line in zone:
        names = byline_names(line.text)
        if names:
            return names
    return ()


def _published(zone: Sequence[Line]) -> datetime | None:
    for line in zone:
        if line.weight <= 160 and has_date(line.text):
            found = find_date(line.text)
            if found is not None:
                return found
    return None


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
        for crumb in _CRUMB_SPLIT.split(line.text):
            if crumb and crumb.casefold() not in _HOME and crumb not in names:
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
    return bool(_CRUMB_SPLIT.search(line.text)) or line.text.isupper()


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
