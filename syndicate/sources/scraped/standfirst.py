"""The standfirst under a headline, and the opening paragraphs' words it is judged by.

The reader asks for it once the ranker in :mod:`.headline` has chosen the headline: a dek is
a sentence-like line right under it, before the byline and the body.
"""

from __future__ import annotations

from collections.abc import Sequence

from syndicate.sources.scraped.lines import Line, key_set, title_cased
from syndicate.sources.scraped.meta import byline_names, is_dateline

LEDE_PARAGRAPHS = 3  # the opening paragraphs a headline and a dek sum up


def dek_after(lines: Sequence[Line], headline: Line, end: int, lede: set[str]) -> Line | None:
    """The standfirst: a sentence-like line right under the headline, before byline and body.

    It reads like a sentence rather than another headline, and it sums up the same story as
    the opening paragraphs (another headline under the first one does not).
    """
    i = headline.index + 1
    while i < len(lines) and lines[i].key == headline.key:
        i += 1
    if i >= min(end, len(lines)):
        return None
    line = lines[i]
    if line.furniture or line.credit or is_dateline(line.text) or byline_names(line.text):
        return None
    if not 30 <= line.weight <= 400 or line.words < 4:
        return None
    if not line.terminal and title_cased(line.text):
        return None  # the next headline in a list, not a standfirst
    keys = key_set(line.text)
    if not keys or len(keys & lede) < 0.3 * len(keys):
        return None
    following = lines[i + 1] if i + 1 < len(lines) else None
    if following is None:
        return None
    # A dek is followed by header material (byline, date, share buttons); a sentence followed
    # by a paragraph set apart from it is the body's first paragraph instead.
    return line if _header_line(following) or not following.gap_before else None


def lede_keys(lines: Sequence[Line], start: int) -> set[str]:
    """Word stems of the opening paragraphs from ``start`` on."""
    keys: set[str] = set()
    seen = 0
    for line in lines[start:]:
        if line.prose:
            keys |= line.stems
            seen += 1
            if seen == LEDE_PARAGRAPHS:
                break
    return keys


def _header_line(line: Line) -> bool:
    """Bylines, dates, furniture and credits: lines that sit between headline and body."""
    if line.furniture or line.credit:
        return True
    return line.weight <= 120 and (is_dateline(line.text) or bool(byline_names(line.text)))
