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
3. bylines, dates and category lines are read from the lines around the headline.

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
from syndicate.sources.scraped import headline as heads
from syndicate.sources.scraped import standfirst
from syndicate.sources.scraped.analysis import Analysis, analyse, default_models
from syndicate.sources.scraped.body import to_blocks
from syndicate.sources.scraped.lines import Line, key_of, split_lines
from syndicate.sources.scraped.meta import (
    BYLINE_SEPARATORS,
    byline_names,
    find_date,
    guess_language,
    has_date,
    is_calendar_word,
    is_dateline,
    is_day_of_month,
    is_publication_line,
    reads_english,
    slash_order,
    strip_dates,
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
# A name standing alone: two or three capitalized words, nothing else.
_PERSON = re.compile(r"^[^\W\d_a-z][\w.'’-]*(?: [^\W\d_a-z][\w.'’-]*){1,2}$")
# Marks a theme sets before a byline ("// By Jane Roe", "— By Jane Roe"); not "©", whose
# "by" names a picture's owner.
_LEADING_MARKS = re.compile(r"^[/|•·—–~>»*-]+\s*")
# Lowercase words inside names: "Ursula von der Leyen", "Jose de la Cruz", "Vincent van Gogh".
_PARTICLES = frozenset(
    "von van der den de del della des di da das do dos du la le les lo ter ten zu zur y e i "
    "bin ibn al el st".split()
)
SHORT_LINE = 120  # a byline with its date and labels is shorter than this
_BY_WORDS = "(?:by|von|por|par|door|oleh|av|af)"  # a byline's "by", in its languages
# "by" after the start of a line, behind a separator or a date: "Home | Par Jane Roe",
# "Posted on 2015-04-05 by jroe", "Ciclismo | Por: Juan Diego".
_BY_LATER = re.compile(rf"(?<=[\s{BYLINE_SEPARATORS}]){_BY_WORDS}\s*:?\s+(?=\S)", re.IGNORECASE)
# A name, a separator and a short stamp with a number in it: "Jane Roe • 8h",
# "Jane Roe | 5 min read".
_STAMPED_NAME = re.compile(r"^(?P<name>.+?)\s+[•|·—–]\s+(?=.{0,30}$)(?=\D*\d)")
# A name, a slash and the rest of a blog's meta line: "Jane Roe / 25.10.2023 / 06:15".
_SLASHED_NAME = re.compile(r"^(?P<name>[^/]+?)\s+/\s+(?P<rest>.+)$")
# A date, a separator and a name ending the line: "30. Oktober 2019 | Jane Roe", "21. Jan
# 2022 // Jane Roe", "1. Februar 2022 , Jane Roe".
_DATE_THEN_NAME = re.compile(
    r"^(?P<date>.+?)(?:\s*[,|/•·]+\s*|\s+[-–—]\s+)(?P<name>[^,|/•·]+?)\s*$"
)
_WORDY = re.compile(r"\b(?!(?:uhr|am|pm|utc|h)\b)[^\W\d_]{2,}", re.IGNORECASE)  # not a clock's
_TRIM = " ,;|/•·—–-"  # what is left around a byline's parts when its date is taken out
# A label over a name: a byline's "by" ending the line ("By", "Von:", "Written on Mar 27
# by"), and the headings of an author box ("About the author", "Über den Autor", "Autor").
_BY_LABEL = re.compile(rf"^(?P<before>.*?)\s*\b{_BY_WORDS}\s*:?$", re.IGNORECASE)
_WRITING = (  # words that say who wrote it, before a "by"
    r"(?:written|posted|published|article|story|words|text|geschrieben|verfasst|"
    r"veröffentlicht|artikel|beitrag|escrito|publicado|artículo|écrit|publié|scritto|"
    r"pubblicato|articolo)"
)
_WRITTEN = re.compile(rf"^{_WRITING}\b", re.IGNORECASE)
# A byline opening with its "by" after a word of writing or before a colon ("Artikel von
# Jane Roe", "Von: Jane Roe | 31.10.23"), which the byline grammar reads as "By Jane Roe".
_OPENING_BY = re.compile(rf"^(?:{_WRITING}\s+{_BY_WORDS}\s*:?|{_BY_WORDS}\s*:)\s*", re.IGNORECASE)
_AUTHOR_LABEL = re.compile(
    r"^(?:(?:about|contact) the author|über den autor|sobre el autor|à propos de l'auteur|"
    r"author|autor|autorin|auteur|autore|autora|автор)\s*:?$",
    re.IGNORECASE,
)


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
    body = _body_after(page, header)
    if not body:
        raise ParseError(origin, "no paragraph-like text under the headline")
    around = _header_zone(lines, header, body)
    dated = _dated_line(_date_candidates(lines, header, body, around), text)
    # A date line among the body's first lines is the page's date, not a paragraph.
    blocks = to_blocks([line for line in body if dated is None or line is not dated[0]] or body)
    return RawEntry(
        title=collapse(header.title),
        dek=collapse(header.dek.text) if header.dek is not None else "",
        blocks=blocks,
        categories=_categories(lines, header.headline),
        authors=_authors(around, lines, header, body),
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
    chosen = heads.choose(page.candidates, models.headline, page.headline_rows, page.names, english)
    if chosen is None:
        return None
    lines = page.lines
    lede = standfirst.lede_keys(lines, max(page.start, chosen.line.index + 1))
    end = max(page.start, chosen.line.index + 1) + 8
    dek = standfirst.dek_after(lines, chosen.line, end, lede)
    return _Header(chosen.line, chosen.text, dek)


def _body_after(page: Analysis, header: _Header) -> list[Line]:
    """The body lines under the headline and dek: the decoded run, the title repeated left out."""
    first = header.headline.index + 1
    if header.dek is not None:
        first = header.dek.index + 1
    title_key = key_of(header.title)
    kept = [
        line
        for line, inside in zip(page.lines[first:], page.mask[first:], strict=True)
        if inside
        and line.key != title_key
        and not (line.furniture or line.credit or is_page_script(line.text))
    ]
    # A body starts with its first paragraph, list or table row (what comes before it is
    # bylines, dates, captions and share buttons) and ends with its last.
    begin = next((k for k in range(len(kept)) if _opens(kept, k)), len(kept))
    end = len(kept)
    while end > begin and not (_substantial(kept[end - 1]) or _closing(kept[end - 1])):
        end -= 1
    return kept[begin:end]


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
DATELINE_WEIGHT = 80  # a date line with its labels is shorter than this
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


def _authors(
    zone: Sequence[Line], lines: Sequence[Line], header: _Header, body: Sequence[Line]
) -> tuple[str, ...]:
    """The byline's names; else a name standing alone between the headline and the body that
    the page shows to be a person's: a date beside it, a line further down telling who they
    are, or a short stamp after it ("Jane Roe • 8h"). Over the headline and under the body a
    capitalized line with a date beside it is more often a section's heading over a list of
    dated teasers ("Related Articles", "Meistgelesene Artikel"), so a name alone is not taken
    there. Last, a name under its label anywhere on the page (:func:`_labelled_name`)."""
    for line in zone:
        names = _byline(line)
        if names:
            return names
    first = body[0].index if body else len(lines)
    for line in zone:
        if not header.headline.index < line.index < first or line.furniture:
            continue
        if _PERSON.match(line.text) and (_dated_beside(lines, line) or _told_about(lines, line)):
            return (line.text,)
        stamped = _STAMPED_NAME.match(line.text)
        if stamped and _PERSON.match(stamped["name"]):
            return (stamped["name"],)
    return _labelled_name(lines, header.headline.index)


LABEL_REACH_UP = 8  # a labelled name over the headline is looked for this far up


def _labelled_name(lines: Sequence[Line], h: int) -> tuple[str, ...]:
    """A name on the line under its label, the last place a byline is looked for: "By" or
    "Written on Mar 27 by" over "Jane Roe" (a theme setting the word and the link apart),
    or an author box's "About the author" or "Autor" over a person's name. Looked for
    under the headline first, to the page's end (the author box follows the story), then
    over it. Before its "by" a label holds nothing, a date or a word of writing ("Posted",
    "Geschrieben"): after any other word ("Powered by", "Sort by") it is no byline."""
    for line in (*lines[h + 1 :], *reversed(lines[max(0, h - LABEL_REACH_UP) : h])):
        if line.index + 1 >= len(lines) or line.weight > LABEL_WEIGHT:
            continue
        name = lines[line.index + 1]
        if name.weight > NAME_WEIGHT or name.furniture or has_date(name.text):
            continue
        if _is_by_label(line.text):
            names = _names("By " + name.text)
            if names:
                return names
        elif _AUTHOR_LABEL.match(line.text) and _PERSON.match(name.text):
            return (name.text,)
    return ()


LABEL_WEIGHT = 40  # a label over a name is shorter than this
NAME_WEIGHT = 60  # and the name under it


def _is_by_label(text: str) -> bool:
    """Does the line end in a byline's "by" with only a date or a word of writing before?"""
    label = _BY_LABEL.match(text)
    if label is None:
        return False
    before = label["before"]
    return not before or bool(_WRITTEN.match(before)) or has_date(before)


def _byline(line: Line) -> tuple[str, ...]:
    """The names of a byline line: read from its "by" when other parts of the line come first
    ("Home | By Jane Roe | 3 May 2024", "Posted on 3 May 2024 by jroe"), else from its start,
    after a theme's marks if need be, and with its date taken out ("By Jane Roe 6. November
    2023"); never a day's name or a date's label. Last, the shapes of a name with a date
    and no "by": "30. Oktober 2019 | Jane Roe", "Jane Roe / 25.10.2023 / 3 Comments"."""
    later = _later_by(line)
    tried = [later] if later is not None else []
    unmarked = _LEADING_MARKS.sub("", line.text)
    opening = _OPENING_BY.sub("By ", unmarked)
    tried += [line.text, unmarked, opening]
    if has_date(opening):
        tried.append(strip_dates(opening).strip(_TRIM))
    for candidate in dict.fromkeys(tried):
        names = _names(candidate)
        if names:
            return names
    return _dated_name(line.text) or _slashed_name(line.text)


def _dated_name(text: str) -> tuple[str, ...]:
    """A person's name after a date and a separator, the line's end: "1. Februar 2022 , Jane
    Roe"; not a section's name in capitals ("04. November 2021 | PAID CONTENT")."""
    dated = _DATE_THEN_NAME.match(text)
    if dated is None or not _only_date(dated["date"]):
        return ()
    name = dated["name"]
    if _PERSON.match(name) and not name.isupper() and not is_calendar_word(name.split()[0]):
        return (name,)
    return ()


def _slashed_name(text: str) -> tuple[str, ...]:
    """A name before a slash and a date: "Jane Roe / 25.10.2023", "Von Jane Roe / 6. Mai"."""
    slashed = _SLASHED_NAME.match(text)
    if slashed is None or not has_date(slashed["rest"]):
        return ()
    name = slashed["name"]
    return _names(name) or ((name,) if _PERSON.match(name) else ())


def _only_date(text: str) -> bool:
    """A date and nothing else but its clock: "04.02.2022 | 13:10 Uhr"."""
    return has_date(text) and not _WORDY.search(strip_dates(text))


def _names(text: str) -> tuple[str, ...]:
    """The names a byline reads, with no day's name or date's label among them."""
    return tuple(_name_only(n) for n in byline_names(text) if not is_calendar_word(n))


def _name_only(name: str) -> str:
    """The name without what a byline ran on into ("Ned Deily at", "Jane Roe beim Festival"):
    cut at the first lowercase word after the first that is no particle of a name. A name
    written all in lowercase ("bell hooks") is kept whole."""
    words = name.split(" ")
    if not words[0][:1].isupper():
        return name
    for k in range(1, len(words)):
        if words[k][:1].islower() and words[k] not in _PARTICLES:
            return " ".join(words[:k])
    return name


def _later_by(line: Line) -> str | None:
    """The byline that starts at a "by" behind a separator or a date in a short line
    ("Accueil | Par Jane Roe", "Veröffentlicht am 6. Juli 2015 von jroe"), as "By ...";
    in a sentence, or a picture's credit ("Photo by ..."), a "by" is no byline."""
    if line.weight > SHORT_LINE or line.credit:
        return None
    for by in _BY_LATER.finditer(line.text):
        before = line.text[: by.start()].rstrip()
        if before.endswith(tuple(BYLINE_SEPARATORS)) or has_date(before):
            return "By " + line.text[by.end() :]
    return None


def _dated_beside(lines: Sequence[Line], line: Line) -> bool:
    near = lines[max(0, line.index - 1) : line.index + 2]
    return any(x is not line and x.weight <= DATELINE_WEIGHT and has_date(x.text) for x in near)


def _told_about(lines: Sequence[Line], line: Line) -> bool:
    """A line of the page starts with the name and a verb of an author's note: "Jane Roe is
    ...", "Jane Roe schreibt ...". A story's sentence can start with a place or a firm and
    go on in lowercase ("South Korea also hosts ..."); a note says who someone is."""
    name = line.text
    for other in lines[line.index + 1 :]:
        rest = other.text[len(name) :].split(maxsplit=1)
        if other.text.startswith(name + " ") and rest and rest[0] in _NOTE_VERBS:
            return True
    return False


# How an author's note goes on after the name, in the languages of the other word lists.
_NOTE_VERBS = frozenset(
    "is was has writes covers reports joined lives ist war hat schreibt arbeitet lebt est a "
    "écrit travaille es escribe trabaja é escreve è scrive lavora".split()
)


def _dated_line(zone: Iterable[Line], text: str) -> tuple[Line, datetime] | None:
    """The zone's first line with a date, and the date, a slashed one read in the order the
    page's ``text`` writes them (looked up only then: either order finds the same line).

    A sentence that is neither a dateline nor a byline gives no date: under a headline it
    is the dek or the story's first line, and its date is the day of something else ("The
    next show is set for 22 May 2022.")."""
    for line in zone:
        if _is_sentence(line) and not (is_dateline(line.text) or byline_names(line.text)):
            continue
        found = find_date(line.text) if line.weight <= 160 else None
        if found is not None:
            if "/" in line.text and slash_order(text):
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
