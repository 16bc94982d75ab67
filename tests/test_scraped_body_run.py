"""A page whose decoded body is empty still gives its article: the run of lines with the
most votes (:func:`syndicate.sources.scraped.body.best_run`), not an error."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from syndicate.errors import ParseError
from syndicate.sources.scraped.analysis import default_models
from syndicate.sources.scraped.body import best_run, decode
from syndicate.sources.scraped.lines import split_lines
from syndicate.sources.scraped.reader import read_with

PAGE = Path(__file__).parent / "data" / "sources" / "text" / "bulleted_list.txt"
RUNS = [
    # probabilities, the best run
    ([0.1, 0.7, 0.8, 0.2, 0.1], [False, True, True, False, False]),
    ([0.9, 0.1, 0.1, 0.1, 0.6, 0.7, 0.8], [False, False, False, False, True, True, True]),
    ([0.2, 0.3, 0.1], [False, False, False]),  # no run with more votes for than against
]


@pytest.mark.parametrize(("probabilities", "run"), RUNS)
def test_the_best_run_is_the_run_with_the_most_votes(
    probabilities: list[float], run: list[bool]
) -> None:
    lines = split_lines("\n".join(f"Line number {k} of the page." for k in range(len(run))))
    assert not any(decode(lines, probabilities, switch_cost=1e6))
    assert best_run(lines, probabilities) == run


def test_a_page_whose_decoder_finds_no_body_is_read_from_its_best_run() -> None:
    text = PAGE.read_text("utf-8")
    shipped = read_with(text, PAGE.name, default_models())
    # Entering the body costs more than any run can pay: the decoder finds none.
    entry = read_with(text, PAGE.name, replace(default_models(), switch_cost=1e9))
    assert entry.title == shipped.title
    assert entry.blocks
    assert entry.blocks[0].plain_text() == shipped.blocks[0].plain_text()


def test_a_page_with_no_line_more_likely_body_than_not_is_still_refused() -> None:
    text = "Home\nNews\n\nA short line.\n\nThis is a sentence, and not much more than that here."
    with pytest.raises(ParseError):
        read_with(text, "menu.txt", replace(default_models(), switch_cost=1e9))
