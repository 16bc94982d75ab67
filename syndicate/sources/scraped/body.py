"""Where the article body sits in scraped page text, and its blocks.

The body is found the way the classic text-density extractors find it: every line gets a score
(running prose counts for its length, short unpunctuated lines and page furniture count
against), and the body is the run of lines with the largest total. Menus, link lists and
footers are runs of short lines, so they sink; a heading or a stray short line between two
paragraphs costs less than the paragraphs earn, so it stays inside.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from syndicate.model import Block, BlockKind, item_numbers
from syndicate.sources.scraped.lines import Line, item_number, strip_bullet
from syndicate.sources.scraped.meta import is_dateline

SHORT_PENALTY = 22.0  # what a short unpunctuated line costs inside a run of prose
FURNITURE_PENALTY = 40.0
MAX_LINE_CREDIT = 700.0  # one huge line (a cookie notice, a comment dump) must not win alone
HEADING_MAX_WEIGHT = 110.0
HEADING_MAX_WORDS = 16
MIN_LIST_ITEMS = 3  # bulleted lines in a row that make a list
MAX_INTRODUCED_ITEMS = 30  # the longest list a line ending in a colon is taken to introduce
BREAK_LINES = 4  # this many low lines in a row part two sections of the page
LISTING_DISCOUNT = 0.1  # what prose is worth in a section stamped like comments or teasers
_RELATIVE_TIME = re.compile(
    r"\b\d+\s*(?:s|sec|m|min|mins|minutes?|h|hrs?|hours?|d|days?|w|weeks?|months?|years?)"
    r"\s+ago\b",
    re.IGNORECASE,
)


def line_score(line: Line) -> float:
    """How much a line speaks for being part of the article body."""
    if line.furniture or line.credit:
        return -FURNITURE_PENALTY
    if line.prose:
        score = min(line.weight, MAX_LINE_CREDIT)
        # Paragraphs stand apart or in blocks of prose; teasers sit in blocks of short links.
        return score * max(0.15, min(1.0, (line.block_prose - 0.3) * 3.3))
    if line.terminal and line.weight >= 25:
        return line.weight * 0.25
    if (line.bullet and line.weight >= 25) or line.tabular:
        return 0.0  # list items and table rows belong to the text they sit in
    alone = line.gap_before and line.gap_after  # a label or heading standing on its own
    return -SHORT_PENALTY * (0.6 if alone else 1.0) - (8.0 if line.repeats > 1 else 0.0)


def page_scores(lines: Sequence[Line], scores: Sequence[float] | None = None) -> list[float]:
    """Every line's score, in the context of the section of the page it sits in.

    Comment threads and teaser lists are prose too, but every item carries its own timestamp
    ("2 days ago at 07:52 am"); an article carries one, above it. And a long run of short
    lines costs more than its lines one by one, since it separates what it stands between.
    ``scores`` are the lines' :func:`line_score`, when the caller has them already.
    """
    scores = [line_score(line) for line in lines] if scores is None else list(scores)
    for section in _sections(lines, scores):
        stamps = sum(1 for line in section if _is_stamp(line))
        prose = sum(1 for line in section if line.prose)
        if stamps >= 4 and 3 * stamps >= prose:
            for line in section:
                scores[line.index] *= LISTING_DISCOUNT if scores[line.index] > 0 else 1.0
    run = 0
    for i, score in enumerate(scores):
        # Menus are blocks of lines; labels set apart by blank lines escalate nothing.
        alone = lines[i].gap_before and lines[i].gap_after
        run = run + 1 if score < 0 and not alone else 0
        scores[i] = score * min(3.0, 1.0 + 0.15 * max(0, run - 1)) if score < 0 else score
    return scores


def _sections(lines: Sequence[Line], scores: Sequence[float]) -> list[list[Line]]:
    """The page cut at every run of BREAK_LINES or more negatively scored lines."""
    sections: list[list[Line]] = [[]]
    low = 0
    for line, score in zip(lines, scores, strict=True):
        low = low + 1 if score < 0 else 0
        if low == BREAK_LINES:
            sections.append([])
        sections[-1].append(line)
    return sections


def _is_stamp(line: Line) -> bool:
    return line.weight <= 80 and (bool(_RELATIVE_TIME.search(line.text)) or is_dateline(line.text))


def densest_run(lines: Sequence[Line], scores: Sequence[float] | None = None) -> tuple[int, int]:
    """``(start, end)`` of the run of lines with the largest total score (end exclusive)."""
    return _best_span(page_scores(lines, scores), float("-inf"))


def _best_span(values: Sequence[float], floor: float) -> tuple[int, int]:
    """``(start, end)`` of the run with the largest sum above ``floor`` (``(0, 0)`` if none)."""
    best, span = floor, (0, 0)
    total, start = 0.0, 0
    for i, value in enumerate(values):
        if total <= 0:
            total, start = 0.0, i
        total += value
        if total > best:
            best, span = total, (start, i + 1)
    return span


def decode(lines: Sequence[Line], probabilities: Sequence[float], switch_cost: float) -> list[bool]:
    """Which lines are body: the likeliest in/out labelling, each change of state paid for.

    A line's vote is its log-odds, louder for longer lines; a lone confident caption or
    a stray comment does not pay for the two changes of state it would take to include it,
    while a short heading between paragraphs is carried by its neighbours.
    """
    out_score, in_score = 0.0, -switch_cost
    back: list[tuple[bool, bool]] = []  # per line: (came from "in" if out, if in)
    for vote in _votes(lines, probabilities):
        leave, enter = in_score - switch_cost, out_score - switch_cost
        back.append((leave > out_score, in_score >= enter))
        out_score, in_score = max(out_score, leave), max(in_score, enter) + vote
    inside = in_score > out_score
    mask: list[bool] = []
    for from_in_if_out, from_in_if_in in reversed(back):
        mask.append(inside)
        inside = from_in_if_in if inside else from_in_if_out
    mask.reverse()
    return mask


def _votes(lines: Sequence[Line], probabilities: Sequence[float]) -> list[float]:
    """Each line's vote for being body: its log-odds, louder for longer lines."""
    votes: list[float] = []
    for line, p in zip(lines, probabilities, strict=True):
        p = min(max(p, 1e-4), 1.0 - 1e-4)
        votes.append(math.log(p / (1.0 - p)) * math.log1p(len(line.text)))
    return votes


def whole_lists(lines: Sequence[Line], mask: Sequence[bool]) -> list[bool]:
    """The mask with every list it reaches into taken whole.

    A run of bulleted lines is one list: the models score its items one by one, and short
    items without sentence punctuation score low, so the decoder can take a list's
    middle and leave its ends (or the reverse). A list the body reaches into is the body's.
    """
    out = list(mask)
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and lines[j].bullet:
            j += 1
        if j - i >= MIN_LIST_ITEMS and any(mask[i:j]):
            out[i:j] = [True] * (j - i)
        i = max(j, i + 1)
    return out


def introduced_items(lines: Sequence[Line], mask: Sequence[bool]) -> frozenset[int]:
    """Indices of the list items a body line ending in a colon introduces, whether the mask
    took them or not.

    A page's text keeps a list's items but not always their bullets: under "The kit
    includes:" the items are short lines without sentence punctuation, the shape of menus,
    so the models often score them out. A line that announces a list and sits in the body
    says what the lines under it are; they are the body's, and one list, up to the first
    line that is not an item (page furniture, a credit, a line of a word or two, or a
    paragraph: the body going on).
    """
    items: set[int] = set()
    for i, line in enumerate(lines):
        if not (mask[i] and _introduces(line)):
            continue
        j = i + 1
        while j < len(lines) and j - i <= MAX_INTRODUCED_ITEMS and _item_like(lines[j]):
            items.add(j)
            j += 1
    return frozenset(items)


def _item_like(line: Line) -> bool:
    if line.furniture or line.credit or line.prose:
        return False
    return line.bullet or line.tabular or line.words >= 3


def best_run(lines: Sequence[Line], probabilities: Sequence[float]) -> list[bool]:
    """The run of lines with the most votes (no line when no run has more for than against).

    For a page whose :func:`decode` finds no body, as no run pays for entering and leaving
    it: a short post, three paragraphs between a menu and its comments, is still the page's
    article. The models were trained on what :func:`decode` gives, so this is the reader's
    last resort, not the decoder's.
    """
    start, end = _best_span(_votes(lines, probabilities), 0.0)
    return [start <= i < end for i in range(len(lines))]


def body_lines(lines: Sequence[Line], start: int, end: int) -> list[Line]:
    """The lines of the run that belong to the article, furniture and link runs left out."""
    kept = [line for line in lines[start:end] if not (line.furniture or line.credit)]
    kept = _drop_link_runs(kept)
    kept = [line for line in kept if line.prose or line.repeats == 1 or line.bullet]
    return _trim_tail(kept)


def _drop_link_runs(lines: list[Line]) -> list[Line]:
    """Leave out runs of three or more short unpunctuated lines (menus, related links).

    A run introduced by a line ending in a colon, or made of bulleted lines, is a list that
    belongs to the text and is kept.
    """
    kept: list[Line] = []
    run: list[Line] = []
    for line in [*lines, None]:
        if line is not None and _is_link_like(line):
            run.append(line)
            continue
        if len(run) < 3 or (bool(kept) and _introduces(kept[-1])):
            kept.extend(run)
        run = []
        if line is not None:
            kept.append(line)
    return kept


def _is_link_like(line: Line) -> bool:
    if line.terminal or line.prose or line.tabular or line.bullet or _introduces(line):
        return False
    return line.weight < 90


def _introduces(line: Line) -> bool:
    return line.text.endswith((":", "：")) and line.words >= 4


def _trim_tail(lines: list[Line]) -> list[Line]:
    """End the body with its last paragraph (or list): what follows is sign-offs and labels."""
    end = len(lines)
    while end > 0 and not (lines[end - 1].prose or lines[end - 1].bullet or lines[end - 1].tabular):
        end -= 1
    return lines[:end]


def to_blocks(lines: Sequence[Line], items: frozenset[int] = frozenset()) -> tuple[Block, ...]:
    """Paragraphs, headings, quotes and lists from the body lines, in order.

    Bulleted lines make a list, and so do the lines in ``items`` (the indices
    :func:`introduced_items` found under a line ending in a colon).
    """
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        introduced = line.index in items
        if line.bullet or introduced:
            j = i
            while j < len(lines) and (lines[j].index in items if introduced else lines[j].bullet):
                j += 1
            if j - i >= 2:
                blocks.append(_list_block(lines[i:j]))
                i = j
                continue
        following = lines[i + 1] if i + 1 < len(lines) else None
        blocks.append(_single_block(line, following))
        i += 1
    return tuple(blocks)


def _list_block(lines: Sequence[Line]) -> Block:
    """A list of the lines; numbered lines are an ordered list that keeps its numbers (a
    countdown, a list going on from the last page). Otherwise only bullet signs are taken
    off: a number or letter ("b) ...") stays in its item's text, so no mark the page printed
    to tell its items apart is lost."""
    numbers = [item_number(line.text) for line in lines]
    ordered = all(n is not None for n in numbers)
    items = tuple(
        strip_bullet(line.text)
        if ordered or (n is None and not line.text[0].isalnum())
        else line.text
        for line, n in zip(lines, numbers, strict=True)
    )
    return Block(
        BlockKind.LIST,
        text="\n".join(items),
        items=items,
        ordered=ordered,
        numbers=item_numbers([n or 0 for n in numbers]) if ordered else (),
    )


def _single_block(line: Line, following: Line | None) -> Block:
    if _is_heading(line, following):
        return Block(BlockKind.HEADING, text=line.text.rstrip(":："), level=2)
    if line.quoted and line.weight >= 40:
        return Block(BlockKind.QUOTE, text=line.text)
    return Block(BlockKind.PARAGRAPH, text=line.text)


def _is_heading(line: Line, following: Line | None) -> bool:
    """A short line without sentence punctuation that introduces a paragraph."""
    if line.terminal or line.bullet or line.quoted or _introduces(line) or following is None:
        return False
    if line.weight > HEADING_MAX_WEIGHT or line.words > HEADING_MAX_WORDS:
        return False
    return following.prose or following.bullet or _introduces(following)
