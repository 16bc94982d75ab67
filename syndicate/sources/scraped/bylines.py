"""Bylines of scraped page text: who wrote the article, read from the lines around it.

A byline is read where the page prints it: a line of the header zone ("By Jane Roe |
3 May 2024", "30. Oktober 2019 | Jane Roe"), a name standing alone under the headline that
the page shows to be a person's, or a name under its label ("Written by" over "Jane Roe",
an author box's "About the author"). :func:`.meta.byline_names` holds the byline grammar,
which the headline ranker also reads as a feature (whether a line is a byline); the readings
here only add to it, so changing them changes no trained model.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from syndicate.sources.scraped.guards import split_outlet
from syndicate.sources.scraped.lines import Line
from syndicate.sources.scraped.meta import (
    BYLINE_SEPARATORS,
    DATELINE_WEIGHT,
    byline_names,
    has_date,
    is_calendar_word,
    strip_dates,
)

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
_AUTHOR_WORDS = "(?:author|autor|autorin|auteur|autore|autora|автор)"
# An author's label in a line of parts: "Posted: 05.01.2024 | Author: jroe | Filed under".
_AUTHOR_PART = re.compile(
    rf"(?:^|[{BYLINE_SEPARATORS}]\s*){_AUTHOR_WORDS}\s*:\s+(?P<name>[^{BYLINE_SEPARATORS}]+)",
    re.IGNORECASE,
)
_AUTHOR_LABEL = re.compile(
    r"^(?:(?:about|contact) the author|über den autor|sobre el autor|à propos de l'auteur|"
    rf"{_AUTHOR_WORDS})\s*:?$",
    re.IGNORECASE,
)


def authors(
    zone: Sequence[Line],
    lines: Sequence[Line],
    headline: Line,
    body: Sequence[Line],
    sites: Collection[str] = (),
) -> tuple[str, ...]:
    """The byline's names (run on into one of the page's ``sites`` without a separator, they
    end where the outlet's name starts: :func:`.guards.split_outlet`); else a name standing
    alone between the headline and the body that the page shows to be a person's: a date
    beside it, a line further down telling who they are, or a short stamp after it ("Jane
    Roe • 8h"). Over the headline and under the body a capitalized line with a date beside
    it is more often a section's heading over a list of dated teasers ("Related Articles",
    "Meistgelesene Artikel"), so a name alone is not taken there. Last, a name under its
    label anywhere on the page (:func:`_labelled_name`)."""
    for line in zone:
        outlet = split_outlet(line.text, sites) if sites else None
        names = _names("By " + outlet[0]) if outlet is not None else _byline(line)
        if names:
            return names
    first = body[0].index if body else len(lines)
    for line in zone:
        if not headline.index < line.index < first or line.furniture:
            continue
        if _PERSON.match(line.text) and (_dated_beside(lines, line) or _told_about(lines, line)):
            return (line.text,)
        stamped = _STAMPED_NAME.match(line.text)
        if stamped and _PERSON.match(stamped["name"]):
            return (stamped["name"],)
    return _labelled_name(lines, headline.index)


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
    after a theme's marks if need be, with its date taken out ("By Jane Roe 6. November
    2023"), or from the part labelled as the author's ("Posted: 5 May 2024 | Author: Jane
    Roe"); never a day's name or a date's label. Last, the shapes of a name with a date
    and no "by": "30. Oktober 2019 | Jane Roe", "Jane Roe / 25.10.2023 / 3 Comments"."""
    later = _later_by(line)
    tried = [later] if later is not None else []
    unmarked = _LEADING_MARKS.sub("", line.text)
    opening = _OPENING_BY.sub("By ", unmarked)
    tried += [line.text, unmarked, opening]
    if has_date(opening):
        tried.append(strip_dates(opening).strip(_TRIM))
    labelled = _AUTHOR_PART.search(line.text) if line.weight <= SHORT_LINE else None
    if labelled:
        tried.append("By " + labelled["name"])
    for candidate in dict.fromkeys(tried):
        names = _names(candidate)
        if names:
            return names
    if line.weight > SHORT_LINE:  # a name and a date with no "by" make a short line
        return ()
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
