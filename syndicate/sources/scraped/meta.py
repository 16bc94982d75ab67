"""Bylines, dates, category lines and the script of scraped page text.

Dates are cut out of the words around them ("Published", "Updated", a byline, a reading time)
and rewritten into a form :func:`syndicate.text.dates.parse_date` reads: month names of a few
languages become numbers, Asian "2016年12月1日" and dotted "18.11.2019" dates become ISO, and the
US "ET"/"PT" zones, which news sites print without saying which half of the year they mean,
become EST/EDT or PST/PDT by the US daylight-saving rule.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, timedelta
from functools import lru_cache

from syndicate.text.dates import TZ_ABBREVIATIONS, parse_date

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "jan january januar janvier enero gennaio janeiro januari jän jänner января январь янв "
        "stycznia styczeń ledna leden ocak",
        "feb february februar février fevrier febrero febbraio fevereiro februari февраля "
        "февраль фев lutego luty února únor şubat",
        "mar march märz marz mär mars marzo março maret maart mrt марта март marca marzec "
        "března březen mart",
        "apr april avril abril aprile апреля апрель апр kwietnia kwiecień dubna duben nisan",
        "may mai mayo maggio maio mei maj мая май maja května květen mayıs",
        "jun june juni juin junio giugno junho июня июнь czerwca czerwiec června červen haziran",
        "jul july juli juillet julio luglio julho июля июль lipca lipiec července červenec temmuz",
        "aug august août aout agosto agustus augustus augusti августа август авг sierpnia "
        "sierpień srpna srpen ağustos",
        "sep sept september septembre septiembre setiembre settembre setembro сентября "
        "сентябрь сен września wrzesień září eylül",
        "oct october oktober okt octobre octubre ottobre outubro октября октябрь окт "
        "października październik října říjen ekim",
        "nov november novembre noviembre novembro ноября ноябрь ноя listopada listopad "
        "listopadu kasım",
        "dec december dezember dez décembre decembre diciembre dicembre dezembro desember "
        "декабря декабрь дек grudnia grudzień prosince prosinec aralık",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number

_MONTH_WORD = r"(?P<month>[^\W\d_]{3,12})\.?"  # "października" has 12 letters
_TIME = (
    r"(?:[,\s]+(?:at\s+|um\s+|às\s+|a las\s+|alle\s+|à\s+|в\s+|pukul\s+|-\s*)?"
    r"(?P<time>\d{1,2}[:.h]\d{2}(?::\d{2})?)\s*(?P<ampm>[ap]\.?m\.?)?"
    r"(?:\s*(?P<tz>(?-i:[A-Z]{2,5})|[+-]\d{2}:?\d{2}|GMT\s*[+-]\s*\d{1,2}))?)?"
)
_DATE_PATTERNS = (
    # 2019-11-20 08:00, 2019-11-20T08:00:00+01:00
    re.compile(
        r"(?P<iso>\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?"
        r"(?:Z|[+-]\d{2}:?\d{2})?)?)"
    ),
    # 2016年12月1日 / 2016.12.01 / 2016/12/01 / 2019. 11. 20.
    re.compile(
        r"(?P<year>\d{4})\s*[年./]\s*(?P<mnum>\d{1,2})\s*[月./]\s*(?P<day>\d{1,2})(?:\s*日|\.)?"
        + _TIME
    ),
    # 9:40 AM ET, Wed October 9, 2024 (the time first, as some US sites print it)
    re.compile(
        r"(?P<time>\d{1,2}[:.]\d{2})\s*(?P<ampm>[ap]\.?m\.?)?\s*(?P<tz>(?-i:[A-Z]{2,5}))?,?\s+"
        r"(?:[^\W\d_]{3,9}\.?,?\s+)?"
        + _MONTH_WORD
        + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})",
        re.IGNORECASE,
    ),
    # Nov 19, 2019, 10:31 pm CST / November 20, 2019 / Nov. 19, 2019 8:03 am ET
    re.compile(
        _MONTH_WORD + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})" + _TIME,
        re.IGNORECASE,
    ),
    # 3 March 2024 / 22 de outubro de 2010 às 20:13 / 18 ноября 2019 / 22 abril, 2022
    re.compile(
        r"(?P<day>\d{1,2})(?:st|nd|rd|th|\.)?\s+(?:de\s+)?"
        + _MONTH_WORD
        + r",?\s+(?:de\s+)?(?P<year>\d{4})"
        + _TIME,
        re.IGNORECASE,
    ),
    # 18.11.2019 (day first, as Europe writes it) / 11/19/2019 (month first unless > 12)
    re.compile(
        r"(?P<d1>\d{1,2})(?P<sep>[./])(?P<d2>\d{1,2})(?P=sep)(?P<year>\d{4})" + _TIME,
        re.IGNORECASE,
    ),
)

_DIGIT_RUN = re.compile(r"\d")
DATELINE_WEIGHT = 80  # a date line with its labels is shorter than this
_BYLINE = re.compile(
    r"^(?:written\s+|posted\s+|reported\s+|words\s+|story\s+)?"
    r"(?:by|por|von|par|di|door|av|af|oleh|от|автор(?:ы)?:?|作者[:：]?|글)\s+(?P<rest>.+)$",
    re.IGNORECASE,
)
# Korean and Japanese bylines put the title after the name: "김민지 기자", "山田太郎記者".
_REPORTER = re.compile(
    r"^(?P<name>[^\W\d_]{2,5}(?: [^\W\d_]{1,5})?)\s*(?:기자|記者|特派員|특파원)(?:\s|$|[=/|·])"
)
# Captures the separator: whether a comma came before a part tells what the part can be.
_NAME_SPLIT = re.compile(r"(\s*(?:,\s*(?:and\s+)?|\s+(?:and|und|y|e|et|dan|и)\s+|\s*&\s*)\s*)")
# Where a name ends in a byline: a separator, a date or clock, or a word that leads one in.
# "le", "el", "il" and "em" lead a date in lowercase ("Par Loïc Le Clerc le 12 mars") and
# are part of a name capitalized ("Le Clerc", "El Khoury"): they are matched by case.
_NAME_END = re.compile(
    r"\s*(?:[|•·—–]|\s-\s|,?\s+(?:published|updated|posted|on|am|pada|"
    r"(?-i:le|el|il|em|LE|EL|IL|EM)|"
    r"publiziert|veröffentlicht|aktualisiert|publicado|publié|pubblicato|опубликовано)\b"
    r"|\d{1,2}:\d{2}|\d{4}|@|\bfor\b|\bin\b|\bfollow\b|\s(?:MONTH)\.?\s+\d).*$".replace(
        "MONTH", "|".join(sorted(_MONTHS, key=len, reverse=True))
    ),
    re.IGNORECASE,
)
_ASIDE = re.compile(r"\s*\([^)]*\)")  # "(reporting)", "(photography)" after a name
_NAME = re.compile(r"^[^\W\d_][\w.'’-]*(?:\s+[^\W\d_][\w.'’-]*){0,4}$")
# "date / 3 Comments / in News / by jdadmin": blog meta lines put the byline last.
BYLINE_SEPARATORS = "|/•·—–"  # what a byline line sets between its parts
_INLINE_BYLINE = re.compile(
    rf"(?:^|[{BYLINE_SEPARATORS}]\s*)(?:by|por|von|par|di|door|oleh|от)\s+"
    rf"(?P<rest>[^{BYLINE_SEPARATORS}]+)$",
    re.IGNORECASE,
)
# What follows a name after a comma when it is the desk or outlet, not a second person:
# "By Jill Disis, CNN Business", "By Eric Song, IGN Staff", "Jane Roe, staff writer".
_ACRONYM = re.compile(r"\b[A-Z]{2,5}s?\b")
_DESK_WORDS = re.compile(
    r"\b(?:staff|news|business|politics|sports?|reporter|correspondent|editor|writer|"
    r"contributor|columnist|desk|bureau|team|agency|press|media|magazine|times|post|daily|"
    r"redaktion|redacción|redação|redazione|rédaction|редакция)\b",
    re.IGNORECASE,
)
# Words that say a date is the text's publication ("Posted on", "Veröffentlicht am") or a
# later revision's ("Updated"). Together they mark a dateline, a feature the line models
# were trained on: changing that list means training them again.
_PUBLISHED = r"published|posted|veröffentlicht|publicado|pubblicato|publié|опубликовано|diterbitkan"
_REVISED = (
    r"updated|last (?:updated|modified)|aktualisiert|actualizado|aggiornato|mis à jour|"
    r"обновлено|diperbarui"
)
_DATE_WORDS = re.compile(rf"\b(?:{_PUBLISHED}|{_REVISED})\b", re.IGNORECASE)
# Publication words in more forms and languages ("Erschienen am", "Verfasst von ... |",
# "publicada", "publiée"), for finding the date line anywhere on a page.
_PUBLISHED_WORDS = re.compile(
    rf"\b(?:{_PUBLISHED}|erschienen|verfasst|publicada|pubblicata|publiée|gepubliceerd|"
    r"opublikowano|publikováno)\b",
    re.IGNORECASE,
)


@lru_cache(maxsize=8192)
def find_date(text: str, slash_day_first: bool = False) -> datetime | None:
    """The first readable date in a line, as aware UTC; ``None`` when there is none.

    ``slash_day_first``: how the page writes its slashed dates (:func:`slash_order`); by
    default the month comes first (11/19/2019) unless it cannot. Dotted dates put the day
    first (18.11.2019) unless it cannot (11.14.2019). Cached: the same lines are asked about
    by the features, the headline and the header.
    """
    if not _DIGIT_RUN.search(text):
        return None  # every pattern needs a day or a year
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            parsed = _read(match.groupdict(), slash_day_first)
            if parsed is not None:
                return parsed
    return None


_SLASHED = re.compile(r"(?<![\w/])(\d{1,2})/(\d{1,2})/(?:19|20)\d\d(?![\w/])")


def slash_order(text: str, unproven: bool = False) -> bool:
    """Does the page write its slashed dates day first (19/11/2019)?

    Only a date that one order alone can read says so (a day past 12 in the first place, or
    in the second), and then for every slashed date of the page; when they disagree the
    month comes first. Language alone does not settle it (pages in German and Spanish print
    both orders), so it only breaks the tie when no date says either: ``unproven`` is the
    order then, day first for a page not in English.
    """
    day_first = month_first = False
    for match in _SLASHED.finditer(text):
        first, second = int(match.group(1)), int(match.group(2))
        day_first |= second <= 12 < first
        month_first |= first <= 12 < second
    if not (day_first or month_first):
        return unproven
    return day_first and not month_first


def has_date(text: str) -> bool:
    """Does the line carry something that reads as a date?"""
    return find_date(text) is not None


def is_dateline(text: str) -> bool:
    """A line that is a date and little else (a timestamp, "Updated ...", a reading time)."""
    if len(text) > 90 or not has_date(text):
        return False
    letters = re.sub(r"[\d\W_]", "", strip_dates(text))
    return len(letters) <= 30 or bool(_DATE_WORDS.search(text))


def is_publication_line(text: str) -> bool:
    """A short line that gives a date as the text's publication ("Published: 3 May 2024",
    "Posted by Jane Roe on May 3, 2024"), not a revision's or an event's."""
    return len(text) <= 160 and bool(_PUBLISHED_WORDS.search(text)) and has_date(text)


def is_day_of_month(text: str) -> bool:
    """A month and a day with no year ("November 18", "18. Nov"): a date heading, not a name."""
    words = [w.casefold().rstrip(".") for w in text.split()]
    if len(words) != 2:
        return False
    first, second = words
    return (first in _MONTHS and second.isdigit()) or (first.isdigit() and second in _MONTHS)


# Day names, which a dateline may open with ("Mittwoch, 26.01.2022 - 14:30").
_WEEKDAYS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday montag dienstag mittwoch "
    "donnerstag freitag samstag sonnabend sonntag lundi mardi mercredi jeudi vendredi samedi "
    "dimanche lunes martes miércoles jueves viernes sábado domingo lunedì martedì mercoledì "
    "giovedì venerdì sabato domenica segunda terça quarta quinta sexta maandag dinsdag woensdag "
    "donderdag vrijdag zaterdag zondag poniedziałek wtorek środa czwartek piątek sobota "
    "niedziela".split()
)


def is_calendar_word(text: str) -> bool:
    """A day's or a month's name, or a word saying a date is a publication or revision
    ("Published", "Veröffentlicht"): what a dateline holds, never a person's name."""
    word = text.casefold().rstrip(".,:")
    return word in _WEEKDAYS or word in _MONTHS or bool(_DATE_WORDS.fullmatch(word))


def is_month_name(word: str) -> bool:
    """Is the word a month's name or its abbreviation, in one of the languages above?"""
    return word.casefold().rstrip(".") in _MONTHS


def strip_dates(text: str) -> str:
    """The text with every date in it blanked out."""
    for pattern in _DATE_PATTERNS:
        text = pattern.sub(" ", text)
    return text


def _read(groups: dict[str, str | None], slash_day_first: bool) -> datetime | None:
    if groups.get("iso"):
        return parse_date(groups["iso"])
    base = _day(groups, slash_day_first)
    if base is None:
        return None
    clock = _clock(groups)
    tz = _zone(groups.get("tz"), base)
    return parse_date(f"{base.isoformat()} {clock}{tz}".strip())


def _day(groups: dict[str, str | None], slash_day_first: bool) -> date | None:
    """The calendar day the groups name: a slashed date in the page's order, a dotted one day
    first; either in the other order when only that one is a real day (19/11/2019 on a
    month-first page, 11.14.2019)."""
    year = int(groups["year"] or 0)
    if groups.get("mnum"):
        return _valid(year, int(groups["mnum"] or 0), int(groups["day"] or 0))
    if groups.get("month"):
        month = _MONTHS.get((groups["month"] or "").casefold().rstrip("."))
        return _valid(year, month, int(groups["day"] or 0)) if month else None
    first, second = int(groups["d1"] or 0), int(groups["d2"] or 0)
    day_first = slash_day_first if groups.get("sep") == "/" else True
    day, month = (first, second) if day_first else (second, first)
    return _valid(year, month, day) or _valid(year, day, month)


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _clock(groups: dict[str, str | None]) -> str:
    if not groups.get("time"):
        return ""
    hour, minute = (int(p) for p in re.split(r"[:.hH]", groups["time"] or "")[:2])
    ampm = (groups.get("ampm") or "").replace(".", "").lower()
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return ""
    return f"{hour:02d}:{minute:02d}"


def _zone(tz: str | None, day: date) -> str:
    """An offset for the zone printed after the time ("" when unknown: taken as UTC)."""
    if not tz:
        return ""
    tz = tz.replace(" ", "").upper()
    if tz in ("ET", "CT", "MT", "PT"):
        # US sites print the zone without its half of the year.
        standard = {"ET": -5, "CT": -6, "MT": -7, "PT": -8}[tz]
        hours = standard + (1 if _us_summer(day) else 0)
        return f"{hours:+03d}:00"
    if tz.startswith("GMT") and len(tz) > 3:
        return f"{int(tz[3:]):+03d}:00"
    if tz[0] in "+-":
        return tz if ":" in tz else f"{tz[:3]}:{tz[3:]}"
    return f" {tz}" if tz in TZ_ABBREVIATIONS else ""  # "Uhr", "WIB": words, not zones


def _us_summer(day: date) -> bool:
    """US daylight saving: second Sunday of March to the first Sunday of November."""
    start = _nth_sunday(day.year, 3, 2)
    end = _nth_sunday(day.year, 11, 1)
    return start <= day < end


def _nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))


@lru_cache(maxsize=8192)
def byline_names(text: str) -> tuple[str, ...]:
    """Author names from a byline ("By Jane Doe and John Roe | Updated ...")."""
    text = text.strip()
    reporter = _REPORTER.match(text)
    if reporter:
        return (reporter.group("name"),)
    rest = _byline_rest(text)
    if rest is None:
        return ()
    rest = _NAME_END.sub("", _ASIDE.sub("", rest)).strip(" ,;:")
    # The separators are kept: only a part after a comma can be a desk or an outlet.
    pieces = _NAME_SPLIT.split(rest)
    parts, separators = pieces[::2], ["", *pieces[1::2]]
    shouting = all(not ch.islower() for part in parts for ch in part)
    names: list[str] = []
    for index, (part, separator) in enumerate(zip(parts, separators, strict=True)):
        name = part.strip(" ,.;:")
        if not name or not _NAME.match(name) or has_date(name):
            continue
        last = index == len(parts) - 1
        if names and "," in separator and _is_desk(name, shouting, last):
            continue
        names.append(name)
    return tuple(names)


def _byline_rest(text: str) -> str | None:
    """What follows "By" (or precedes the date of "Jane Doe - Nov 19, 2019"); None if no byline."""
    match = _BYLINE.match(text)
    if match:
        return match.group("rest")
    if not has_date(text):
        return None
    if re.search(r"\s[-–—|•]\s", text):
        return re.split(r"\s[-–—|•]\s", text, maxsplit=1)[0]
    inline = _INLINE_BYLINE.search(text) if len(text) <= 160 else None
    return inline.group("rest") if inline else None


def _is_desk(name: str, shouting: bool, last: bool) -> bool:
    """Does a part after a comma name a desk, an outlet or a job rather than a person?"""
    if _DESK_WORDS.search(name) or (not shouting and _ACRONYM.search(name)):
        return True
    # "By Jane Doe, Reuters": one word closing the byline is the outlet; people have two.
    if last and " " not in name:
        return True
    # Titles after the name are lowercase ("staff writer"); names in cased scripts are not.
    return name[0].islower()


_SCRIPTS = (
    ("ko", re.compile(r"[\uac00-\ud7af]")),
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
)


def guess_language(text: str) -> str:
    """A language code from the script of the body; "" for Latin script, which says too little.

    Kana is checked before ideographs because Japanese mixes both; Chinese uses ideographs only.
    """
    sample = text[:4000]
    if sample.isascii():
        return ""
    letters = sum(map(str.isalpha, sample)) or 1
    for code, pattern in _SCRIPTS:
        if len(pattern.findall(sample)) / letters >= (0.05 if code == "ja" else 0.3):
            return code
    return ""


# English's commonest function words: together about one word in seven of English prose, and
# next to none of another language's.
_ENGLISH_WORDS = ("the", "and", "of", "to")
ENGLISH_SHARE = 0.08  # half what English prose has, many times what other languages have


def reads_english(text: str) -> bool:
    """Is ``text`` English prose? Where the dek goes differs by press tradition (English
    sets it under the headline), and the script alone does not tell Latin-script languages
    apart."""
    words = Counter(text[:4000].casefold().split())
    total = sum(words.values())
    return total > 0 and sum(words[w] for w in _ENGLISH_WORDS) / total > ENGLISH_SHARE
