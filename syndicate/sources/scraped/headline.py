"""Which line above the article is its headline (the standfirst under it: :mod:`.standfirst`).

Every line near the top of the body is a candidate. A learned ranker scores each on what
marks a headline on any site: it stands a few lines above the first paragraph, shares the
opening paragraphs' words, has a byline or date under it, is set like a title, is printed
again as the page title; and on what marks the lines that are not: section labels repeat
as menu entries, teasers of other stories repeat further down, bylines and dates read as
such. The hard limits of :mod:`.guards` then hold whatever the scores say, and
:mod:`.choice` picks the winner.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from syndicate.sources.scraped.guards import PageNames, cut_crumbs, rejects
from syndicate.sources.scraped.lines import Line, char_counts, key_of, key_set
from syndicate.sources.scraped.meta import byline_names, has_date, is_dateline
from syndicate.sources.scraped.standfirst import LEDE_PARAGRAPHS
from syndicate.sources.scraped.vocab import code_share

WINDOW_ABOVE = 35  # lines above the first paragraph that can hold the headline
WINDOW_BELOW = 6  # and below it, when the body was found to start a little early
MIN_WEIGHT = 8.0
MAX_WEIGHT = 300.0
CODE_SHARE = 0.5

# The line under a pull quote that says who said it ("— Jane Roe, on Sunday").
_ATTRIBUTION = re.compile(r"(?:[—–―]|--)\s*[^\W\d_]")
# A page title keeps the headline and the site apart with one of these.
_TITLE_PARTS = re.compile(r"\s[|\-–—·:]{1,2}\s|:\s")
HEADLINE_FEATURES: tuple[str, ...] = (
    "log_weight",
    "log_words",
    "terminal",
    "ends_period",
    "ends_question",
    "inner_colon",
    "upper_share",
    "digit_share",
    "punct_share",
    "quoted",
    "gap_before",
    "gap_after",
    "byline",
    "crumbs_cut",
    "position",
    "log_index",
    "above_start",
    "log_above",
    "below_start",
    "log_between",
    "log_rivals_between",
    "body_own",
    "body_after",
    "body_before",
    "lede_share",
    "lede_matched",
    "body_share",
    "lede_rank",
    "log_repeats",
    "repeat_next",
    "repeat_prev",
    "repeat_below",
    "repeat_above",
    "in_longer",
    "byline_after",
    "date_after",
    "byline_before",
    "short_before",
    "sentence_after",
    "menu_entry",
    "log_candidates",
    "lede_share_above",
    "lede_share_below",
    "lede_of_best",
    "from_best",
    "body_share_above",
    "log_to_body",
    "local_lede_share",
    "local_lede_matched",
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A line that could be the headline, and its text with any breadcrumb cut off.

    ``quoting``: the line is a pull quote or the attribution under it. The ranker still
    learns from such lines; :func:`.choice.choose` never takes one. ``signed``: a byline
    stands right under the line, as it does under an article's headline and not under the
    teasers of other stories around it.
    """

    line: Line
    text: str
    quoting: bool = False
    signed: bool = False


def first_paragraph(lines: Sequence[Line], mask: Sequence[bool]) -> int:
    """Index of the body's first paragraph (its first prose line), else of the first prose."""
    for line, inside in zip(lines, mask, strict=True):
        if inside and line.prose:
            return line.index
    return next((line.index for line in lines if line.prose), 0)


def candidates(lines: Sequence[Line], start: int, names: PageNames) -> list[Candidate]:
    """Lines around the body's start that pass the guards, breadcrumbs cut off."""
    return read_candidates(lines, start, names)[0]


def read_candidates(
    lines: Sequence[Line], start: int, names: PageNames
) -> tuple[list[Candidate], _Flags]:
    """:func:`candidates`, and the byline and date readings of the lines around them, which
    :func:`matrix` reads too (each line is read once)."""
    found: list[Candidate] = []
    counted = 0
    i = start - 1
    while i >= 0 and counted < WINDOW_ABOVE:
        line = lines[i]
        if not (line.furniture or line.credit):
            counted += 1
            found.append(_candidate(line, names))
        i -= 1
    found.reverse()
    found.extend(_candidate(line, names) for line in lines[start : start + WINDOW_BELOW])
    shaped = [c for c in found if c.text and _shaped(c, names)]
    flags = _flags_around(lines, shaped, start)
    marked = [
        Candidate(c.line, c.text, _quoting(lines, c.line), flags.byline(c.line.index + 1))
        for c in shaped
    ]
    return marked, flags


def _flags_around(lines: Sequence[Line], found: Sequence[Candidate], start: int) -> _Flags:
    """The byline and date readings from three lines over the first candidate to six under
    the last (or the body's start)."""
    lo = min((c.line.index for c in found), default=start) - 3
    hi = max((c.line.index for c in found), default=start) + 6
    return _Flags(lines, max(0, lo), min(len(lines), max(hi, start + 1)))


def _quoting(lines: Sequence[Line], line: Line) -> bool:
    """A pull quote or the attribution under it: a line wholly in quotation marks with a
    dash and a name right under it is somebody's words set large, not a title."""
    i = line.index
    if i + 1 < len(lines) and line.quoted and _attribution(lines[i + 1]):
        return True
    return i > 0 and _attribution(line) and lines[i - 1].quoted


def _attribution(line: Line) -> bool:
    return line.weight <= MAX_WEIGHT and bool(_ATTRIBUTION.match(line.text))


def _candidate(line: Line, names: PageNames) -> Candidate:
    return Candidate(line, cut_crumbs(line.text, names.menu))


def _shaped(candidate: Candidate, names: PageNames) -> bool:
    line, text = candidate.line, candidate.text
    weight = len(text) if text != line.text else line.weight
    if not MIN_WEIGHT <= weight <= MAX_WEIGHT or code_share(text) >= CODE_SHARE:
        return False  # too short or long for a title, or script and style source
    # A date with a few words beside it ("By Jane Roe, March 3, 2024") is not the bare
    # stamp the guards forbid everywhere, but on scraped text it is a dateline, not a title.
    return not (rejects(text, names) or is_dateline(text))


def matrix(
    lines: Sequence[Line],
    found: Sequence[Candidate],
    start: int,
    mask: Sequence[bool],
    probabilities: Sequence[float],
    names: PageNames,
    flags: _Flags | None = None,
) -> list[list[float]]:
    """One feature row per candidate, in :data:`HEADLINE_FEATURES` order (``flags``: the
    readings :func:`read_candidates` gave with them, else read here)."""
    n = len(lines)
    lede_keys, body_keys = _lede_and_body(lines, mask, start)
    keys = [c.line.stems if c.text == c.line.text else frozenset(key_set(c.text)) for c in found]
    lede_matched = [lede_keys.shared(k, c.line.index) for k, c in zip(keys, found, strict=True)]
    overlap = [_overlap(m, k) for m, k in zip(lede_matched, keys, strict=True)]
    by_line = {c.line.index: overlap[j] for j, c in enumerate(found)}
    best_overlap = max(overlap, default=0.0) or 1.0
    best_line = found[overlap.index(max(overlap))].line.index if found else start
    ranked = sorted(range(len(found)), key=lambda j: -overlap[j])
    rank = {j: r for r, j in enumerate(ranked)}
    key_lines: dict[str, list[int]] = {}
    for line in lines:
        key_lines.setdefault(line.key, []).append(line.index)
    longer = _Longer(
        line.key for line in lines if 20 <= line.weight <= 400 and _TITLE_PARTS.search(line.text)
    )
    lo = min((c.line.index for c in found), default=start) - 3
    hi = max((c.line.index for c in found), default=start) + 6
    flags = flags if flags is not None else _flags_around(lines, found, start)
    header_before = [0] * (n + 1)  # prefix counts of header lines, for "lines between"
    for k in range(n):
        header_before[k + 1] = header_before[k] + (flags.header(k) if lo <= k < hi else 0)
    indexes = sorted(c.line.index for c in found)
    byline_at, dated_at = flags.columns(n) if found else ([], [])
    mass = [0.0]  # running weight of the decoded body, for "how much body lies above"
    for line in lines:
        mass.append(mass[-1] + (min(line.weight, 700.0) if mask[line.index] else 0.0))
    body_lines = [line.index for line in lines if mask[line.index] and line.prose]
    rows: list[list[float]] = []
    for j, candidate in enumerate(found):
        line, text = candidate.line, candidate.text
        i = line.index
        key = line.key if text == line.text else key_of(text)
        same = key_lines.get(line.key, [i])
        matched = lede_matched[j]
        a, b = min(i, start) + 1, max(i, start)
        between = max(0, b - a) - (header_before[b] - header_before[a] if b > a else 0)
        rivals = max(0, bisect_left(indexes, start) - bisect_right(indexes, min(i, start)))
        letters, upper, digits, alnum = char_counts(text)
        visible = len(text.replace(" ", "")) or 1
        rows.append(
            [
                math.log1p(len(text)),
                math.log1p(len(text.split())),
                float(line.terminal),
                float(text.endswith(".")),
                float(text.endswith(("?", "!"))),
                float(": " in text or "：" in text),
                upper / letters if letters else 0.0,
                digits / visible,
                max(0, visible - alnum) / visible,
                float(line.quoted),
                float(line.gap_before),
                float(line.gap_after),
                float(flags.byline(i)),
                float(text != line.text),
                i / n,
                math.log1p(i),
                float(max(-10, min(60, start - i))),
                math.log1p(max(0, start - i)),
                float(i >= start),
                math.log1p(between),
                math.log1p(rivals),
                probabilities[i],
                _mean(probabilities[i + 1 : i + 6]),
                _mean(probabilities[max(0, i - 5) : i]),
                overlap[j],
                min(matched, 8) / 8.0,
                body_keys.shared(keys[j], i) / len(keys[j]) if keys[j] else 0.0,
                rank[j] / max(1, len(found) - 1),
                math.log(len(same)),
                float(i + 1 < n and lines[i + 1].key == line.key),
                float(i > 0 and lines[i - 1].key == line.key),
                float(any(x > start + 3 for x in same)),
                float(any(x < i - 1 for x in same)),
                longer.share(key),
                float(any(byline_at[i + 1 : i + 4])),
                float(any(dated_at[i + 1 : i + 5])),
                float(any(byline_at[max(0, i - 3) : i])),
                float(i > 0 and lines[i - 1].weight < 30 and not lines[i - 1].terminal),
                float(i + 1 < n and lines[i + 1].terminal and 40 <= lines[i + 1].weight <= 400),
                float(key in names.menu and len(same) >= 2),
                math.log1p(len(found)),
                by_line.get(i - 1, 0.0),
                by_line.get(i + 1, 0.0),
                overlap[j] / best_overlap,
                float(max(-10, min(10, i - best_line))),
                mass[i] / (mass[-1] or 1.0),
                *_local_lede(lines, body_lines, i, keys[j]),
            ]
        )
    return rows


class _Flags:
    """Byline and date readings of the lines around the candidates, each read once."""

    __slots__ = ("_bylines", "_dated", "_datelines", "_lines", "_lo")

    def __init__(self, lines: Sequence[Line], lo: int, hi: int) -> None:
        self._lines, self._lo = lines, lo
        window = lines[lo:hi]
        self._bylines = [bool(byline_names(x.text)) if x.weight <= 200 else False for x in window]
        self._datelines = [is_dateline(x.text) if x.weight <= 120 else False for x in window]
        self._dated = [
            d or (x.weight <= 120 and has_date(x.text))
            for x, d in zip(window, self._datelines, strict=True)
        ]

    def _at(self, values: list[bool], i: int) -> bool:
        k = i - self._lo
        return values[k] if 0 <= k < len(values) else False

    def byline(self, i: int) -> bool:
        return self._at(self._bylines, i)

    def columns(self, n: int) -> tuple[list[bool], list[bool]]:
        """:meth:`byline` and :meth:`dated` of every line of an ``n``-line page."""
        before = [False] * self._lo
        after = [False] * (n - self._lo - len(self._bylines))
        return before + self._bylines + after, before + self._dated + after

    def dateline(self, i: int) -> bool:
        return self._at(self._datelines, i)

    def dated(self, i: int) -> bool:
        return self._at(self._dated, i)

    def header(self, i: int) -> int:
        line = self._lines[i]
        return int(line.furniture or line.credit or self.byline(i) or self.dateline(i))


class _Stems:
    """Word stems of a set of lines, counted by line, so one line can leave its own out."""

    __slots__ = ("_any", "_members", "_twice")

    def __init__(self, counts: Counter[str], members: frozenset[int]) -> None:
        self._any = frozenset(counts)
        self._twice = frozenset(k for k, c in counts.items() if c >= 2)
        self._members = members

    def shared(self, keys: frozenset[str], index: int) -> int:
        """How many of ``keys`` other lines of the set use."""
        return len(keys & (self._twice if index in self._members else self._any))


def _lede_and_body(
    lines: Sequence[Line], mask: Sequence[bool], start: int
) -> tuple[_Stems, _Stems]:
    lede: Counter[str] = Counter()
    body: Counter[str] = Counter()
    lede_lines: list[int] = []
    body_lines: list[int] = []
    for line in lines[start:]:
        if not mask[line.index] and not line.prose:
            continue
        body.update(line.stems)
        body_lines.append(line.index)
        if line.prose and len(lede_lines) < LEDE_PARAGRAPHS:
            lede.update(line.stems)
            lede_lines.append(line.index)
    return _Stems(lede, frozenset(lede_lines)), _Stems(body, frozenset(body_lines))


def _local_lede(
    lines: Sequence[Line], body_lines: Sequence[int], i: int, keys: frozenset[str]
) -> tuple[float, float, float]:
    """How far below the candidate the body's next paragraph is, and how many of the
    candidate's words the next few paragraphs repeat (a headline sums up what follows)."""
    at = bisect_right(body_lines, i)
    following = body_lines[at : at + LEDE_PARAGRAPHS]
    if not following:
        return math.log1p(len(lines)), 0.0, 0.0
    local: set[str] = set()
    for k in following:
        local |= lines[k].stems
    matched = len(keys & local)
    share = matched / len(keys) if keys else 0.0
    return math.log1p(following[0] - i), share, min(matched, 8) / 8.0


def _overlap(matched: int, keys: frozenset[str]) -> float:
    """Both how much of the line the lede repeats and how many words: short menu labels
    can be wholly in the lede by chance, a headline shares several words."""
    if not keys:
        return 0.0
    return 2.0 * matched / len(keys) + 0.25 * min(matched, 8)


class _Longer:
    """The page's longer title-like lines, found by how they start and end.

    The page title ("Headline | Site", "Site - Headline") often survives as a line; a
    candidate it starts or ends with is worth :meth:`share` of it. Every key looked up is
    :data:`_KEY_END` characters or longer, so a line it starts or ends holds the same first
    or last characters: the lines are filed by those, and a look-up reads only its own.
    """

    __slots__ = ("_ends", "_starts")

    def __init__(self, keys: Iterable[str]) -> None:
        self._starts: dict[str, list[str]] = {}
        self._ends: dict[str, list[str]] = {}
        for key in keys:
            self._starts.setdefault(key[:_KEY_END], []).append(key)
            self._ends.setdefault(key[-_KEY_END:], []).append(key)

    def share(self, key: str) -> float:
        """How much of a longer line of the page this key is, when it starts or ends one."""
        if len(key) < _KEY_END:
            return 0.0
        best = 0.0
        for other in self._starts.get(key[:_KEY_END], ()):
            if len(other) > len(key) + 3 and other.startswith(key):
                best = max(best, len(key) / len(other))
        for other in self._ends.get(key[-_KEY_END:], ()):
            if len(other) > len(key) + 3 and other.endswith(key):
                best = max(best, len(key) / len(other))
        return best


_KEY_END = 8  # keys shorter than this are no part of a page title


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0
