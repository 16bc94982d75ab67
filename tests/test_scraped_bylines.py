"""Byline lines of scraped pages read as the names they print: a name's own particles
("Le Clerc", "von der", "de la") stay in it, the date and labels after it do not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from syndicate.sources.scraped.meta import byline_names

CASES = json.loads((Path(__file__).parent / "data" / "byline_lines.json").read_text("utf-8"))


@pytest.mark.parametrize(("line", "names"), CASES, ids=[c[0] for c in CASES])
def test_a_byline_line_reads_as_its_names(line: str, names: list[str]) -> None:
    assert list(byline_names(line)) == names
