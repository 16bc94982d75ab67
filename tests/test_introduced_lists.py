"""The items a body line ending in a colon introduces are the body's, bullets or not
(:func:`syndicate.sources.scraped.body.introduced_items`)."""

from __future__ import annotations

import pytest

from syndicate.model import BlockKind
from syndicate.sources.scraped.body import MAX_INTRODUCED_ITEMS, introduced_items, to_blocks
from syndicate.sources.scraped.lines import split_lines

INTRO = "The kit that comes with the course includes:"
ITEMS = ["A set of three mixing bowls in steel", "Two proving baskets lined with linen"]
CASES = [
    # page lines, which of them the decoder took as body, the texts taken as items
    ([INTRO, *ITEMS, "Facebook"], [True, False, False, False], ITEMS),
    ([INTRO, *ITEMS], [True, True, False], ITEMS),  # the decoder took the first item already
    ([INTRO, *ITEMS], [False, False, False], []),  # the colon line is not in the body
    (["Share this:", *ITEMS], [True, False, False], []),  # a label, not a sentence
    (
        [INTRO, "1. Finland", "2. Norway", "3. Australia"],
        [True, False, False, False],
        ["1. Finland", "2. Norway", "3. Australia"],
    ),  # bulleted items of a word
    ([INTRO, ITEMS[0], "Recent posts", ITEMS[1]], [True, False, False, False], ITEMS[:1]),
    (
        [INTRO, ITEMS[0], "This line is a sentence of the story going on after the list."],
        [True, False, True],
        ITEMS[:1],
    ),
    ([INTRO, ITEMS[0], "Photo: Nell Aster"], [True, False, False], ITEMS[:1]),  # a credit
]


@pytest.mark.parametrize(("texts", "mask", "taken"), CASES)
def test_the_items_under_a_colon_line(texts: list[str], mask: list[bool], taken: list[str]) -> None:
    lines = split_lines("\n".join(texts))
    assert [lines[i].text for i in sorted(introduced_items(lines, mask))] == taken


def test_a_list_is_taken_no_longer_than_the_longest_introduced_list() -> None:
    texts = [INTRO, *(f"Item number {k} of the kit" for k in range(MAX_INTRODUCED_ITEMS + 5))]
    lines = split_lines("\n".join(texts))
    items = introduced_items(lines, [True] + [False] * (len(texts) - 1))
    assert items == frozenset(range(1, MAX_INTRODUCED_ITEMS + 1))


def test_introduced_items_make_one_list_block() -> None:
    lines = split_lines("\n".join([INTRO, *ITEMS]))
    blocks = to_blocks(lines, introduced_items(lines, [True, False, False]))
    assert [b.kind for b in blocks] == [BlockKind.PARAGRAPH, BlockKind.LIST]
    assert blocks[1].items == tuple(ITEMS)
    assert not blocks[1].ordered
