"""Scraped pages of the shapes the headline and body readers used to get wrong.

Each page under ``tests/data/sources/scraped_shapes/`` is written for one failure class:
a URL, cookie banner, error notice, section label, masthead, pull quote, author or
timestamp line around the headline, or other stories' headlines over it; a breadcrumb trail
glued, spaced or set with chevrons in front of it; a body that is mostly a list (taken whole,
a countdown's numbers and items' letters kept), a list without bullets under a line ending in
a colon, a table, or inline script and style text in it. The expectations say
only what the page is about (see ``tests/source_cases.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.source_cases import cases, check_case

from syndicate.sources import scraped

CASES = cases("scraped_shapes", "*.txt")


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_scraped_shape(path: Path) -> None:
    check_case(scraped.parse, path)


def test_scraped_shapes_are_present() -> None:
    assert len(CASES) >= 9
