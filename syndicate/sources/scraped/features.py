"""The numbers the line models read: what each line looks like, and what surrounds it.

A line alone says little ("Hardware" is a heading in an article and a link in a menu); the
lines around it say the rest. So every line gets its own shape (length, punctuation, case,
vocabulary) and the shape of its neighbourhood: the prose mass a few lines around, where it
sits against the densest run of prose and the page's heaviest segment, how much of the
page's prose lies above it, how many of its words the run of prose uses.

Features are built a column at a time (one list per feature, the page's lines in order)
and zipped into rows, which keeps a page of a few hundred lines within a few milliseconds.
The names are part of the shipped model file: the model refuses to load when they differ.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from syndicate.sources.scraped.body import densest_run, line_score
from syndicate.sources.scraped.lines import Line, char_counts
from syndicate.sources.scraped.meta import is_dateline
from syndicate.sources.scraped.vocab import (
    code_share,
    is_caption,
    is_comment_furniture,
    is_comments_heading,
    is_footer,
    is_form,
    is_glued_teaser,
    is_notice,
    page_hint_kinds,
)

# "2 days ago", and the clock time a ticker or live blog puts before each item ("13:54 ...").
_RELATIVE_TIME = re.compile(
    r"\b\d+\s*(?:s|sec|m|min|mins|minutes?|h|hrs?|hours?|d|days?|w|weeks?|months?|years?)"
    r"\s+ago\b|^\d{1,2}[:h]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s|$)",
    re.IGNORECASE,
)
STATS_CHARS = 64  # shares of capitals, digits and marks are read off the line's start
HINT_CHARS = 400  # notices, captions and legal lines are shorter than this
HINT_MIN = 12  # and longer than this (a menu entry "Cookies" is not a notice of its own)
SHORT_WEIGHT = 160  # bylines, datelines and buttons are shorter than this
BREAK_RUN = 3  # this many non-prose lines in a row end a segment of the page
WIDE_REACH = 25  # lines each way over which comment threads show their timestamps
Column = list[float]
Row = Sequence[float]

_SHAPE = (
    "log_weight",
    "log_words",
    "terminal",
    "sentences",
    "bullet",
    "tabular",
    "gap_before",
    "gap_after",
    "block_prose",
    "log_repeats",
    "upper_share",
    "digit_share",
    "punct_share",
    "word_length",
    "code_share",
    "colon_end",
    "dateline",
    "stamp",
    "notice",
    "base_score",
    "comment_word",
    "footer_word",
    "caption",
    "form",
    "teaser",
)
_NEIGHBOUR = ("log_weight", "terminal", "base_score", "code_share", "upper_share")
_OFFSETS = (-2, -1, 1, 2)
_CONTEXT = (
    "position",
    "prose_near",
    "prose_around",
    "prose_share_near",
    "in_run",
    "run_position",
    "outside_run",
    "prose_above",
    "prose_gap_above",
    "prose_gap_below",
    "code_near",
    "comments_near",
    "stamps_near",
    "segment_mass",
    "segment_share",
    "segment_is_max",
    "segment_before_max",
    "segment_after_max",
    "shared_run",
    "shared_lede",
    "stamps_wide",
    "after_comments",
)
BODY_FEATURES: tuple[str, ...] = (
    *_SHAPE,
    *(f"{name}@{offset:+d}" for offset in _OFFSETS for name in _NEIGHBOUR),
    *_CONTEXT,
)
_REACH = (-3, -2, -1, 0, 1, 2, 3)
CONTEXT_FEATURES: tuple[str, ...] = (
    *BODY_FEATURES,
    *(f"first@{offset:+d}" for offset in _REACH),
    "first_near",
    "first_around",
    "first_above",
    "first_below",
    "first_max_above",
    "first_max_below",
)


def rows_of(columns: Sequence[Column]) -> list[Row]:
    """The feature rows (one per line) of a set of columns."""
    return list(zip(*columns, strict=True))


def body_columns(lines: Sequence[Line]) -> list[Column]:
    """One column per feature of :data:`BODY_FEATURES`, in order."""
    scores = [line_score(line) for line in lines]
    shape = _shape_columns(lines, scores)
    at = {name: shape[k] for k, name in enumerate(_SHAPE)}
    n = len(lines)
    neighbours = [_shift(at[name], offset) for offset in _OFFSETS for name in _NEIGHBOUR]
    return [*shape, *neighbours, *_context_columns(lines, at, n, scores)]


def _shape_columns(lines: Sequence[Line], scores: Sequence[float]) -> list[Column]:
    texts = [line.text for line in lines]
    short = [line.weight <= SHORT_WEIGHT for line in lines]
    none: frozenset[str] = frozenset()
    # Only lines of a notice's length are scanned for hints: most of a page's text is in
    # paragraphs longer than that, and no hint spans two lines.
    hinted = [HINT_MIN <= len(t) <= HINT_CHARS for t in texts]
    found = iter(page_hint_kinds([t for t, h in zip(texts, hinted, strict=True) if h]))
    kinds = [next(found) if h else none for h in hinted]
    stats = [_char_stats(t[:STATS_CHARS]) for t in texts]
    upper, digits, punct, word_length = (list(c) for c in zip(*stats, strict=True))
    dateline = [float(s and is_dateline(t)) for t, s in zip(texts, short, strict=True)]
    return [
        [math.log1p(line.weight) for line in lines],
        [math.log1p(line.words) for line in lines],
        [float(line.terminal) for line in lines],
        [min(line.sentences, 8) / 8.0 for line in lines],
        [float(line.bullet) for line in lines],
        [float(line.tabular) for line in lines],
        [float(line.gap_before) for line in lines],
        [float(line.gap_after) for line in lines],
        [line.block_prose for line in lines],
        [math.log(line.repeats) for line in lines],
        upper,
        digits,
        punct,
        word_length,
        [code_share(t) for t in texts],
        [float(t.endswith((":", "："))) for t in texts],
        dateline,
        [
            float(d > 0 or (s and bool(_RELATIVE_TIME.search(t))))
            for t, s, d in zip(texts, short, dateline, strict=True)
        ],
        [float(is_notice(t, k)) for t, k in zip(texts, kinds, strict=True)],
        [max(-1.0, min(7.0, score / 100.0)) for score in scores],
        [float(s and is_comment_furniture(t)) for t, s in zip(texts, short, strict=True)],
        [float(is_footer(t, k)) for t, k in zip(texts, kinds, strict=True)],
        [float(is_caption(t, k)) for t, k in zip(texts, kinds, strict=True)],
        [float(is_form(t, k)) for t, k in zip(texts, kinds, strict=True)],
        [float(is_glued_teaser(t)) for t in texts],
    ]


def _char_stats(sample: str) -> tuple[float, float, float, float]:
    """Shares of capitals (among letters), digits and marks, and letters per word."""
    letters, upper, digits, _ = char_counts(sample)
    visible = (len(sample) - sample.count(" ")) or 1
    return (
        upper / letters if letters else 0.0,
        digits / visible,
        max(0, visible - letters - digits) / visible,
        min(letters / (sample.count(" ") + 1), 20.0) / 10.0,
    )


def _shift(column: Column, offset: int) -> Column:
    """The column as seen from ``offset`` lines away (zeros past either end)."""
    if offset > 0:
        return column[offset:] + [0.0] * min(offset, len(column))
    return [0.0] * min(-offset, len(column)) + column[: max(0, len(column) + offset)]


def _context_columns(
    lines: Sequence[Line], at: dict[str, Column], n: int, scores: Sequence[float]
) -> list[Column]:
    prose = [line.prose for line in lines]
    own = [min(line.weight, 700.0) if p else 0.0 for line, p in zip(lines, prose, strict=True)]
    weight = _prefix(own)
    total = weight[-1] or 1.0
    count = _prefix([float(p) for p in prose])
    code = _prefix(at["code_share"])
    comment = _prefix(at["comment_word"])
    stamp = _prefix(at["stamp"])
    start, end = densest_run(lines, scores)
    run_length = max(1, end - start)
    above, below = _prose_gaps(prose)
    lo5 = [max(0, i - 5) for i in range(n)]
    hi5 = [min(n, i + 6) for i in range(n)]
    return [
        [i / n for i in range(n)],
        [math.log1p(w - o) for w, o in zip(_windows(weight, 3, n), own, strict=True)],
        [math.log1p(w - o) for w, o in zip(_windows(weight, 10, n), own, strict=True)],
        [(count[h] - count[lo]) / (h - lo) for lo, h in zip(lo5, hi5, strict=True)],
        [float(start <= i < end) for i in range(n)],
        [(i - start) / run_length for i in range(n)],
        [math.log1p(start - i if i < start else max(0, i - end + 1)) for i in range(n)],
        [weight[i] / total for i in range(n)],
        [math.log1p(gap) for gap in above],
        [math.log1p(gap) for gap in below],
        [(code[h] - code[lo]) / (h - lo) for lo, h in zip(lo5, hi5, strict=True)],
        _windows(comment, 10, n),
        _windows(stamp, 8, n),
        *_segment_columns(lines, prose),
        *_shared_columns(lines, start, end),
        [
            s / (1.0 + c)
            for s, c in zip(
                _windows(stamp, WIDE_REACH, n), _windows(count, WIDE_REACH, n), strict=True
            )
        ],
        _after_comments(lines, start),
    ]


def _after_comments(lines: Sequence[Line], start: int) -> Column:
    """1 for the lines under a comment section's heading (within twice :data:`WIDE_REACH`
    lines); a "Comments" link in the menu above the article's prose opens nothing."""
    out: Column = []
    last = -(10**9)
    for i, line in enumerate(lines):
        out.append(float(i - last <= WIDE_REACH * 2))
        if i > start and is_comments_heading(line.text):
            last = i
    return out


def _prefix(values: Sequence[float]) -> Column:
    """Running sums with a leading 0, so any window's total is two look-ups."""
    sums = [0.0]
    for value in values:
        sums.append(sums[-1] + value)
    return sums


def _windows(prefix: Column, reach: int, n: int) -> Column:
    """For every line, the total of a prefix-summed column over ``reach`` lines each way.

    Line ``i`` takes ``prefix[min(n, i + reach + 1)] - prefix[max(0, i - reach)]``; both
    sides are sliced out whole rather than indexed line by line.
    """
    return [hi - lo for hi, lo in zip(*_window_ends(prefix, reach, n), strict=True)]


def _window_ends(prefix: Column, reach: int, n: int) -> tuple[Column, Column]:
    """``prefix`` at every line's window end and at its start, as two columns."""
    his = prefix[reach + 1 : n + 1]
    his += [prefix[n]] * (n - len(his))
    los = [prefix[0]] * min(reach, n) + prefix[: max(0, n - reach)]
    return his, los


def _prose_gaps(prose: Sequence[bool]) -> tuple[list[int], list[int]]:
    """For every line, how many lines back (and ahead) the nearest prose line is."""
    n = len(prose)
    above, below = [n] * n, [n] * n
    last = -1
    for i in range(n):
        above[i] = i - last if last >= 0 else n
        if prose[i]:
            last = i
    last = -1
    for i in range(n - 1, -1, -1):
        below[i] = last - i if last >= 0 else n
        if prose[i]:
            last = i
    return above, below


def _segment_columns(lines: Sequence[Line], prose: Sequence[bool]) -> list[Column]:
    """For every line, the prose mass of its segment and where that segment sits.

    A page is a few segments (header, article, comments, footer) parted by runs of short
    lines; the article is usually the heaviest, and what comes after it is rarely article.
    """
    ids: list[int] = []
    masses: list[float] = [0.0]
    low = 0
    for line, p in zip(lines, prose, strict=True):
        low = 0 if p else low + 1
        if low == BREAK_RUN:
            masses.append(0.0)
        ids.append(len(masses) - 1)
        if p:
            masses[-1] += min(line.weight, 700.0)
    heaviest = max(range(len(masses)), key=lambda k: masses[k])
    top = masses[heaviest] or 1.0
    return [
        [math.log1p(masses[k]) for k in ids],
        [masses[k] / top for k in ids],
        [float(k == heaviest) for k in ids],
        [float(k < heaviest) for k in ids],
        [float(k > heaviest) for k in ids],
    ]


def _shared_columns(lines: Sequence[Line], start: int, end: int) -> list[Column]:
    """Share of each line's word stems that the run of prose (and its opening) also use.

    A line inside the run counts only stems some other line of it uses too.
    """
    run: Counter[str] = Counter()
    for line in lines[start:end]:
        run.update(line.stems)
    lede_lines = [line for line in lines[start:end] if line.prose][:3]
    lede: Counter[str] = Counter()
    for line in lede_lines:
        lede.update(line.stems)
    in_lede = {line.index for line in lede_lines}
    run_any, run_twice = set(run), {k for k, c in run.items() if c >= 2}
    lede_any, lede_twice = set(lede), {k for k, c in lede.items() if c >= 2}
    shared_run: Column = []
    shared_lede: Column = []
    for line in lines:
        stems = line.stems
        if not stems:
            shared_run.append(0.0)
            shared_lede.append(0.0)
            continue
        inside = start <= line.index < end
        shared_run.append(len(stems & (run_twice if inside else run_any)) / len(stems))
        twice = line.index in in_lede
        shared_lede.append(len(stems & (lede_twice if twice else lede_any)) / len(stems))
    return [shared_run, shared_lede]


def context_columns(columns: Sequence[Column], first: Column) -> list[Column]:
    """The columns again, with the first pass's probabilities for the lines around each.

    One line's answer depends on its neighbours' (a heading between two paragraphs is body,
    the same heading between two links is not); a second pass reads them as features.
    """
    n = len(first)
    prefix = _prefix(first)
    max_above = [0.0] * n
    max_below = [0.0] * n
    for i in range(1, n):
        max_above[i] = max(max_above[i - 1], first[i - 1])
    for i in range(n - 2, -1, -1):
        max_below[i] = max(max_below[i + 1], first[i + 1])
    extra = [
        *(_shift(first, offset) for offset in _REACH),
        *(_mean_around(prefix, first, reach) for reach in (5, 15)),
        [prefix[i] / max(1, i) for i in range(n)],
        [(prefix[n] - prefix[i + 1]) / max(1, n - i - 1) for i in range(n)],
        max_above,
        max_below,
    ]
    return [*columns, *extra]


def _mean_around(prefix: Column, values: Column, reach: int) -> Column:
    """For every line, the mean of ``values`` over the other lines within ``reach``."""
    n = len(values)
    his, los = _window_ends(prefix, reach, n)
    sizes = [max(1, min(n, i + reach + 1) - max(0, i - reach) - 1) for i in range(n)]
    return [
        (hi - lo - own) / size for hi, lo, own, size in zip(his, los, values, sizes, strict=True)
    ]
