"""Date parsing: whatever a source wrote, to an aware UTC datetime or ``None``.

The chain, cheapest first: ISO 8601 / RFC 3339, RFC 822 (email dates, as RSS uses), then
dateutil's fuzzy-free parser with a table of the time-zone abbreviations news sites print.
A date without a time zone is taken as UTC (feeds must not carry naive dates); a date that
cannot be read is ``None``, never a guess.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from email.utils import parsedate_to_datetime

from dateutil import parser as _dateutil

# Abbreviations printed on news pages; dateutil knows only UTC/GMT/Z without this table.
TZ_ABBREVIATIONS: dict[str, int] = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "UT": 0,
    "WET": 0,
    "BST": 3600,
    "IST": 19800,
    "CET": 3600,
    "CEST": 7200,
    "MET": 3600,
    "MEST": 7200,
    "EET": 7200,
    "EEST": 10800,
    "MSK": 10800,
    "EST": -18000,
    "EDT": -14400,
    "CST": -21600,
    "CDT": -18000,
    "MST": -25200,
    "MDT": -21600,
    "PST": -28800,
    "PDT": -25200,
    "AKST": -32400,
    "AKDT": -28800,
    "HST": -36000,
    "AEST": 36000,
    "AEDT": 39600,
    "ACST": 34200,
    "AWST": 28800,
    "NZST": 43200,
    "NZDT": 46800,
    "JST": 32400,
    "KST": 32400,
    "HKT": 28800,
    "SGT": 28800,
    "WIB": 25200,
    "BRT": -10800,
    "ART": -10800,
}
_TZINFOS = {name: timezone(timedelta(seconds=off)) for name, off in TZ_ABBREVIATIONS.items()}

_ISO = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*"
    r"(Z|[+-]\d{2}:?\d{2})?)?\s*$",
    re.IGNORECASE,
)
# Years outside this window are typos or placeholders (0001-01-01), not publication dates.
MIN_YEAR, MAX_YEAR = 1990, 2100


def parse_date(value: str | datetime | date | None) -> datetime | None:
    """Read a date written in any common form; ``None`` when it cannot be read."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return _plausible(to_utc(value))
    if isinstance(value, date):
        return _plausible(datetime.combine(value, time(), tzinfo=UTC))
    text = value.strip()
    if not text or len(text) > 80:
        return None
    for reader in (_parse_iso, _parse_rfc822, _parse_free):
        parsed = reader(text)
        if parsed is not None:
            return _plausible(parsed)
    return None


def to_utc(value: datetime) -> datetime:
    """The same instant in UTC; a naive value is taken to be UTC already."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def utc_now() -> datetime:
    """The current time, aware, in UTC, to the second (feeds carry no fractions)."""
    return datetime.now(UTC).replace(microsecond=0)


def _plausible(value: datetime) -> datetime | None:
    return value if MIN_YEAR <= value.year <= MAX_YEAR else None


def _parse_iso(text: str) -> datetime | None:
    match = _ISO.match(text)
    if not match:
        return None
    try:
        parsed = datetime.fromisoformat(text.strip().replace(" ", "T", 1).upper())
    except ValueError:
        return None
    return to_utc(parsed)


def _parse_rfc822(text: str) -> datetime | None:
    if not re.search(r"\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}", text):
        return None
    try:
        return to_utc(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        return None


def _parse_free(text: str) -> datetime | None:
    # "Nov 19, 2019, 10:31 pm CST", "3 March 2024", "Tuesday 3 March 2024 08:00 GMT"
    cleaned = re.sub(r"(?<=\d)(st|nd|rd|th)\b", "", text, flags=re.IGNORECASE)
    cleaned = re.sub(r"\bat\b|\|", " ", cleaned, flags=re.IGNORECASE)
    if not re.search(r"\d", cleaned):
        return None
    try:
        parsed = _dateutil.parse(cleaned, tzinfos=_TZINFOS, default=_DEFAULT)
    except (ValueError, OverflowError, TypeError):
        return None
    if parsed.year == _DEFAULT.year and str(_DEFAULT.year) not in cleaned:
        return None  # no year written: too ambiguous for a publication date
    try:
        return to_utc(parsed)
    except (ValueError, OverflowError):  # an offset of a day or more ("+3000"), year 1 west
        return None


_DEFAULT = datetime(1, 1, 1)
