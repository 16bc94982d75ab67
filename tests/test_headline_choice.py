"""How the headline is chosen from the ranker's scores: the rules around the model.

The scores here are given, not computed, so each rule is seen on its own: the line right
above an English winner that is shaped like a headline is the headline (the winner is its
dek), and on other pages the ranker's choice stands, since they often set a kicker sentence
above the headline. ``reads_english`` tells the two apart from the body's prose. A label or
masthead that wins by a little, with a headline a few lines under it, gives way to it. A
pull quote with its attribution under it stays a candidate, flagged, and is never chosen.
A headline with a byline under it beats an unsigned winner near it (another story's
headline) when it is the only one and scores close.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from syndicate.sources.scraped.choice import (
    DEK_ZONE,
    LABEL_GAP,
    LABEL_MARGIN,
    SIGNED_REACH,
    choose,
)
from syndicate.sources.scraped.guards import PageNames
from syndicate.sources.scraped.headline import Candidate, candidates
from syndicate.sources.scraped.lines import split_lines
from syndicate.sources.scraped.meta import reads_english

HEADLINE = "Harbour council approves the storm wall after a long night"
DEK = "The vote ends a two-year dispute over who pays for the repairs"


class Given:
    """A ranker whose score for a candidate is the first number of its row."""

    def raw_rows(self, rows: Sequence[Sequence[float]]) -> list[float]:
        return [row[0] for row in rows]


def chosen(texts: list[str], scores: list[float], english: bool, gap: int = 0) -> str:
    lines = split_lines("\n".join(t for text in texts for t in ([text] + ["x"] * gap)))
    by_text = {line.text: line for line in lines}
    found = [Candidate(by_text[t], t) for t in texts]
    names = PageNames(())
    pick = choose(found, Given(), [[s] for s in scores], names, english)  # type: ignore[arg-type]
    assert pick is not None
    return pick.text


@pytest.mark.parametrize("behind", [0.0, 0.5, LABEL_MARGIN])
def test_on_an_english_page_the_line_above_the_dek_is_the_headline(behind: float) -> None:
    assert chosen([HEADLINE, DEK], [2.0 - behind, 2.0], english=True) == HEADLINE


@pytest.mark.parametrize(
    ("texts", "scores", "gap"),
    [
        ([HEADLINE, DEK], [2.0 - LABEL_MARGIN - 0.5, 2.0], 0),  # far behind: the ranker stands
        ([HEADLINE, DEK], [1.5, 2.0], 1),  # not right above
        (["STORM WALL VOTE TONIGHT", DEK], [1.5, 2.0], 0),  # set in capitals: a label
        (["Storm wall", DEK], [1.5, 2.0], 0),  # too short for a headline
    ],
)
def test_on_an_english_page_the_ranker_stands_otherwise(
    texts: list[str], scores: list[float], gap: int
) -> None:
    assert chosen(texts, scores, english=True, gap=gap) == DEK


MASTHEAD = "Harbour Gazette"


@pytest.mark.parametrize("gap", range(LABEL_GAP + 1))
@pytest.mark.parametrize("english", [True, False])
def test_a_label_a_few_lines_above_the_headline_gives_way(gap: int, english: bool) -> None:
    assert chosen([MASTHEAD, HEADLINE], [2.0, 2.0 - LABEL_MARGIN], english, gap) == HEADLINE


@pytest.mark.parametrize(
    ("texts", "scores", "gap"),
    [
        ([MASTHEAD, HEADLINE], [2.0, 2.0 - LABEL_MARGIN - 0.5], 0),  # far behind
        ([MASTHEAD, HEADLINE], [2.0, 1.9], LABEL_GAP + 1),  # too far below
        ([MASTHEAD, "Storm wall vote"], [2.0, 1.9], 0),  # too short for a headline
        ([MASTHEAD, HEADLINE.upper()], [2.0, 1.9], 0),  # set in capitals: a label too
    ],
)
def test_a_label_stands_otherwise(texts: list[str], scores: list[float], gap: int) -> None:
    assert chosen(texts, scores, english=False, gap=gap) == MASTHEAD


def test_on_other_pages_a_sentence_above_the_headline_is_a_kicker() -> None:
    kicker = "Der Rat hat in der Nacht lange über die Kosten gestritten"
    headline = "Hafenrat beschließt die neue Sturmmauer"
    assert chosen([kicker, headline], [1.5, 2.0], english=False) == headline


@pytest.mark.parametrize(
    ("text", "english"),
    [
        (f"{DEK}. The council said the work on the harbour and the wall starts in May.", True),
        ("Der Rat hat in der Nacht lange über die Kosten der neuen Mauer gestritten.", False),
        ("Le conseil a voté la nouvelle digue du port après une longue nuit de débats.", False),
        ("", False),
    ],
)
def test_reads_english(text: str, english: bool) -> None:
    assert reads_english(text) is english


QUOTE = '"The wall will hold for a hundred years."'


@pytest.mark.parametrize(
    ("under", "quoting"),
    [
        ("— Mayor Dana Whitfield, at the council on Tuesday", True),  # em dash: attributed
        ("– Dana Whitfield", True),  # en dash
        ("-- Dana Whitfield", True),
        ("By Dana Whitfield", False),  # a byline: a quoted headline may stand over it
        ("- 2025", False),  # a hyphen and a number attribute nothing
    ],
)
def test_a_pull_quote_and_its_attribution_are_never_chosen(under: str, quoting: bool) -> None:
    lines = split_lines("\n".join(["Harbour News", QUOTE, under, HEADLINE, f"{DEK}."]))
    found = candidates(lines, 4, PageNames(lines))
    flags = {c.text: c.quoting for c in found}
    assert flags[QUOTE] is quoting
    if under in flags:  # a short attribution may be too short to be a candidate at all
        assert flags[under] is quoting
    assert flags[HEADLINE] is False
    scores = [[3.0 if c.text == QUOTE else 1.0] for c in found]
    pick = choose(found, Given(), scores, PageNames(lines))  # type: ignore[arg-type]
    assert pick is not None
    assert (pick.text == QUOTE) is not quoting


RELATED = "Ferry timetable changes for the winter season announced today"
OTHER = "Fishing fleet returns early as the storm season starts"


def signed_pick(rows: list[tuple[str, bool, float]], gap: int = 0) -> str:
    """The choice among ``(text, signed, score)`` candidates, ``gap`` filler lines apart."""
    texts = [text for text, _, _ in rows]
    lines = split_lines("\n".join(t for text in texts for t in ([text] + ["x"] * gap)))
    by_text = {line.text: line for line in lines}
    found = [Candidate(by_text[t], t, signed=signed) for t, signed, _ in rows]
    scores = [[score] for _, _, score in rows]
    pick = choose(found, Given(), scores, PageNames(()))  # type: ignore[arg-type]
    assert pick is not None
    return pick.text


@pytest.mark.parametrize("gap", [0, 1, SIGNED_REACH - 1])
@pytest.mark.parametrize("behind", [0.0, LABEL_MARGIN])
def test_the_signed_headline_beats_another_story_under_it(gap: int, behind: float) -> None:
    assert signed_pick([(HEADLINE, True, 2.0 - behind), (RELATED, False, 2.0)], gap) == HEADLINE


@pytest.mark.parametrize("gap", [DEK_ZONE, SIGNED_REACH - 1])
@pytest.mark.parametrize("behind", [0.0, LABEL_MARGIN])
def test_the_signed_headline_beats_another_story_over_it(gap: int, behind: float) -> None:
    assert signed_pick([(RELATED, False, 2.0), (HEADLINE, True, 2.0 - behind)], gap) == HEADLINE


@pytest.mark.parametrize(
    ("rows", "gap"),
    [
        ([(RELATED, False, 2.0), (HEADLINE, True, 2.0 - LABEL_MARGIN - 0.5)], 2),  # far behind
        ([(RELATED, False, 2.0), (HEADLINE, True, 1.9)], SIGNED_REACH),  # too far away
        ([(RELATED, False, 2.0), (HEADLINE, True, 1.9), (OTHER, True, 1.9)], 2),  # two signed
        ([(RELATED, False, 2.0), (f"{HEADLINE}.", True, 1.9)], 2),  # a sentence
        ([(RELATED, False, 2.0), ("Storm wall vote", True, 1.9)], 2),  # too short
        ([(RELATED, True, 2.0), (HEADLINE, True, 1.9)], 2),  # the winner is signed too
    ],
)
def test_the_winner_stands_otherwise(rows: list[tuple[str, bool, float]], gap: int) -> None:
    assert signed_pick(rows, gap) == RELATED


def test_a_signed_line_right_under_the_winner_is_its_dek() -> None:
    for gap in range(DEK_ZONE):
        assert signed_pick([(HEADLINE, False, 2.0), (DEK, True, 1.9)], gap) == HEADLINE


@pytest.mark.parametrize(
    ("under", "signed"),
    [
        ("By Dana Whitfield and Sam Reyes", True),
        ("Dana Whitfield, Harbour Reporter", False),  # no mark of a byline
        ("Updated 9:41 AM", False),  # a date is not a byline
    ],
)
def test_a_candidate_with_a_byline_under_it_is_signed(under: str, signed: bool) -> None:
    lines = split_lines("\n".join(["Harbour News", RELATED, HEADLINE, under, f"{DEK}."]))
    flags = {c.text: c.signed for c in candidates(lines, 4, PageNames(lines))}
    assert flags[HEADLINE] is signed
    assert flags[RELATED] is False
