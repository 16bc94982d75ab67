"""The scraped-text reader's fast paths give what the plain forms give, to the last bit.

The reader reads a page in a few milliseconds by taking shortcuts: trees laid out as arrays
that all of a page's lines go down together, ASCII counts done by deleting bytes, hints
scanned only in lines short enough to be notices, stems taken from a line's key. The
shipped model was trained on the features the plain forms compute, so a shortcut that moved
one value by one ulp could move a line across a threshold. Each check here states a plain
form in a few lines and holds the shortcut to it, on generated input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate.sources.scraped import features, headline
from syndicate.sources.scraped.lines import STEM_CHARS, char_counts, key_set, split_lines
from syndicate.sources.scraped.trees import Ensemble, Node
from syndicate.sources.scraped.vocab import CODE, code_share, hint_kinds, page_hint_kinds

WIDTH = 4
# Thresholds and values from one small set, so rows often sit exactly on a threshold.
_VALUES = st.sampled_from([-1.0, 0.0, 0.25, 0.5, 1.0, 2.5, math.inf])


_LEAVES = st.floats(-3.0, 3.0, allow_nan=False)
_TREES: st.SearchStrategy[Node] = st.recursive(
    _LEAVES,
    lambda inner: st.tuples(st.integers(0, WIDTH - 1), _VALUES, inner, inner),
    max_leaves=12,
)


def _walk(node: Node, row: Sequence[float]) -> float:
    while isinstance(node, tuple):
        feature, threshold, left, right = node
        node = left if row[feature] <= threshold else right
    return node


def _plain_sum(trees: Sequence[Node], row: Sequence[float]) -> float:
    total = 0.0
    for tree in trees:
        total += _walk(tree, row)
    return total


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_TREES, min_size=1, max_size=6),
    st.lists(st.lists(_VALUES, min_size=WIDTH, max_size=WIDTH), max_size=8),
)
def test_array_trees_sum_what_walking_them_sums(trees: list[Node], rows: list[list[float]]) -> None:
    ensemble = Ensemble(tuple(f"f{k}" for k in range(WIDTH)), tuple(trees))
    expected = [_plain_sum(trees, row) for row in rows]
    assert [ensemble.raw(row) for row in rows] == expected
    assert ensemble.raw_rows(rows) == expected
    columns = [[row[k] for row in rows] for k in range(WIDTH)]
    assert ensemble.raw_columns(columns) == expected
    assert ensemble.probabilities(columns) == [ensemble.probability(row) for row in rows]


def _plain_char_stats(sample: str) -> tuple[float, float, float, float]:
    letters = sum(map(str.isalpha, sample))
    visible = (len(sample) - sample.count(" ")) or 1
    digits = sum(map(str.isdigit, sample))
    return (
        sum(map(str.isupper, sample)) / letters if letters else 0.0,
        digits / visible,
        max(0, visible - letters - digits) / visible,
        min(letters / (sample.count(" ") + 1), 20.0) / 10.0,
    )


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=80) | st.text(max_size=80))
def test_character_shares_are_the_per_character_counts(sample: str) -> None:
    assert features._char_stats(sample) == _plain_char_stats(sample)


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=80) | st.text(max_size=80))
def test_character_counts_are_what_the_str_methods_count(text: str) -> None:
    assert char_counts(text) == (
        sum(map(str.isalpha, text)),
        sum(map(str.isupper, text)),
        sum(map(str.isdigit, text)),
        sum(map(str.isalnum, text)),
    )


_KEYS = st.text(alphabet=st.sampled_from("ab |-"), max_size=30)


@given(
    _KEYS,
    st.lists(st.tuples(st.sampled_from(["", "a | ", "site - "]), st.sampled_from(["", " | b"]))),
    st.lists(_KEYS, max_size=4),
)
def test_title_lines_filed_by_their_ends_give_every_share(
    key: str, around: list[tuple[str, str]], others: list[str]
) -> None:
    # Lines made by putting words before or after the key, and lines of their own.
    longer = [before + key + after for before, after in around] + others
    plain = 0.0
    if len(key) >= 8:
        for other in longer:
            if len(other) > len(key) + 3 and (other.startswith(key) or other.endswith(key)):
                plain = max(plain, len(key) / len(other))
    assert headline._Longer(longer).share(key) == plain


@given(st.text(alphabet=st.sampled_from("ab {}=;<>|&()x.\n"), max_size=60) | st.text())
def test_code_share_is_zero_exactly_when_no_code_mark_is_there(text: str) -> None:
    marked = not frozenset("{}=;<>|&").isdisjoint(text)
    plain = min(1.0, len(CODE.findall(text)) / max(1.0, len(text) / 40.0)) if marked else 0.0
    assert code_share(text) == plain


_PAGE_LINES = st.lists(
    st.text(alphabet=st.sampled_from("Cookie PRIVACY photo © (c) rights http:// ab\t"), max_size=40)
    | st.text(max_size=40),
    max_size=12,
)


@given(_PAGE_LINES)
def test_page_hints_are_each_lines_own(texts: list[str]) -> None:
    # What lets the features scan only some lines: no line's hints depend on another's.
    lines = [t.replace("\n", " ") for t in texts]
    assert page_hint_kinds(lines) == [hint_kinds(t.lower()) for t in lines]


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=260) | st.text(max_size=260))
def test_line_stems_are_the_stems_of_its_opening(text: str) -> None:
    for line in split_lines(text):
        assert line.stems == frozenset(key_set(line.text[:STEM_CHARS]))


@given(st.lists(st.floats(0.0, 700.0), max_size=40), st.integers(0, 30))
def test_windows_are_the_window_sums(values: list[float], reach: int) -> None:
    n = len(values)
    prefix = features._prefix(values)
    assert features._windows(prefix, reach, n) == [
        prefix[min(n, i + reach + 1)] - prefix[max(0, i - reach)] for i in range(n)
    ]
    means = []
    for i, own in enumerate(values):
        lo, hi = max(0, i - reach), min(n, i + reach + 1)
        means.append((prefix[hi] - prefix[lo] - own) / max(1, hi - lo - 1))
    assert features._mean_around(prefix, values, reach) == means


_HEADER_LINES = st.lists(
    st.sampled_from(["By Jane Roe", "March 3, 2024", "Storm hits coast", "Share", "x" * 130]),
    min_size=1,
    max_size=12,
)


@given(_HEADER_LINES, st.integers(0, 14), st.integers(0, 14))
def test_flag_columns_are_the_flags_line_by_line(texts: list[str], lo: int, hi: int) -> None:
    lines = split_lines("\n".join(texts))
    n = len(lines)
    lo, hi = min(lo, n), min(max(lo, hi), n)
    flags = headline._Flags(lines, lo, hi)
    assert flags.columns(n) == (
        [flags.byline(k) for k in range(n)],
        [flags.dated(k) for k in range(n)],
    )
