"""Dates as scraped pages print them, read to aware UTC; lines that only look like dates
(version numbers, scores, impossible days) read as none.

Numeric dates: slashes put the month first unless it cannot be (11/19/2019, 19/11/2019) or
the page's own dates prove it writes the day first, dots the day unless it cannot be
(18.11.2019, 11.14.2019); the clock after them reads in any case ("7:11 AM PST", "20H06").
Every form, whatever pieces it is made of, reads as a date or as none: never an error.
"""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syndicate.sources.scraped.meta import (
    find_date,
    is_calendar_word,
    is_publication_line,
    slash_order,
)

DATA = Path(__file__).parent / "data"
CASES = json.loads((DATA / "datelines.json").read_text("utf-8"))
ORDER = json.loads((DATA / "slash_order.json").read_text("utf-8"))
PUBLICATION = json.loads((DATA / "publication_lines.json").read_text("utf-8"))
CALENDAR = json.loads((DATA / "calendar_words.json").read_text("utf-8"))


@pytest.mark.parametrize(("line", "expected"), CASES, ids=[c[0] for c in CASES])
def test_dateline_reads_as_the_date_it_prints(line: str, expected: str | None) -> None:
    found = find_date(line)
    assert (found.isoformat() if found is not None else None) == expected


@pytest.mark.parametrize(("line", "expected"), PUBLICATION, ids=[c[0][:40] for c in PUBLICATION])
def test_a_publication_line_names_its_date_as_the_publication(line: str, expected: bool) -> None:
    """A publication word and a date, in a line short enough to be a date line; a revision's
    date, a form's small print or a sentence of the story is not one."""
    assert is_publication_line(line) is expected


@pytest.mark.parametrize(("word", "expected"), CALENDAR, ids=[c[0] for c in CALENDAR])
def test_a_calendar_word_is_no_name(word: str, expected: bool) -> None:
    """What a byline reader must not take for a person: a day, a month, a date's label."""
    assert is_calendar_word(word) is expected


@pytest.mark.parametrize(("page", "day_first"), ORDER["pages"], ids=[c[0] for c in ORDER["pages"]])
def test_the_pages_own_dates_settle_the_slashed_order(page: str, day_first: bool) -> None:
    assert slash_order(page) is day_first


@pytest.mark.parametrize(
    ("page", "day_first"), ORDER["unproven"], ids=[c[0] for c in ORDER["unproven"]]
)
def test_a_page_whose_dates_prove_nothing_takes_the_order_it_is_given(
    page: str, day_first: bool
) -> None:
    assert slash_order(page, unproven=True) is day_first


@pytest.mark.parametrize(
    ("line", "expected"), ORDER["day_first"], ids=[c[0] for c in ORDER["day_first"]]
)
def test_a_day_first_page_reads_slashes_day_first(line: str, expected: str | None) -> None:
    found = find_date(line, slash_day_first=True)
    assert (found.isoformat() if found is not None else None) == expected


_NUMBER = st.integers(0, 40).map(str) | st.sampled_from(["2019", "19", "08", "1999", "2101"])
_SEP = st.sampled_from(["/", ".", " ", ", ", "-", ""])
_TIME = st.sampled_from(["", " 4:00", " 20H06", " 9.30 pm", " 12:00 AM", " 99:99", " at 7h05"])
_ZONE = st.sampled_from(["", " EST", " ET", " GMT+2", " +05:30", " Uhr", " PM"])


@given(
    st.tuples(
        st.sampled_from(["", "Nov ", "By Jane Roe on ", "Updated "]),
        _NUMBER,
        _SEP,
        _NUMBER | st.sampled_from(["", "Nov", "março"]),
        _SEP,
        _NUMBER,
        _TIME,
        _ZONE,
    )
)
def test_any_date_shaped_line_reads_as_a_date_or_none(parts: tuple[str, ...]) -> None:
    found = find_date("".join(parts))
    assert found is None or (found.tzinfo is UTC and 1990 <= found.year <= 2100)
