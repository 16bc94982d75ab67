"""Which candidate becomes the headline: the ranker's order, the guards, and the few rules
that know what the ranker's scores cannot tell apart (a label over its headline, a dek
under it, a byline under it, a pull quote, the site's name)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from syndicate.sources.scraped.guards import PageNames, settle
from syndicate.sources.scraped.headline import Candidate
from syndicate.sources.scraped.trees import Ensemble

LABEL_MARGIN = 1.0  # log-odds a headline under a label may trail it by and still win
LABEL_GAP = 4  # lines that may stand between a label and the headline under it
SIGNED_REACH = 8  # how far from the ranker's choice a signed headline may stand
DEK_ZONE = 2  # lines under the choice where a signed line is its dek, not a rival


def choose(
    found: Sequence[Candidate],
    model: Ensemble,
    rows: Sequence[Sequence[float]],
    names: PageNames,
    english: bool = False,
) -> Candidate | None:
    """The best-scored candidate the guards allow (:func:`.guards.settle`, which may cut a
    trail's lead off it); never a pull quote, nor just the site's name while a longer one is
    there; the one signed by a byline before an unsigned one near it (:func:`_signed`).

    ``english``: the page is English prose, where a headline stands right above its dek
    (:func:`_above_dek`).
    """
    scored_all = model.raw_rows(rows)
    kept = [
        (replace(c, text=t), s)
        for c, s in zip(found, scored_all, strict=True)
        if not c.quoting and (t := settle(c.text, names))
    ]
    if not kept:
        return None
    found = [c for c, _ in kept]
    scores = [s for _, s in kept]
    scored = sorted(zip(scores, range(len(found)), strict=True), reverse=True)
    best = scored[0][1]
    if names.is_site_name(found[best].text):
        words = len(found[best].text.split())
        for _, j in scored[1:]:
            other = found[j]
            if len(other.text.split()) > words and not names.is_site_name(other.text):
                return found[_signed(found, scores, j)]
    best = _past_label(found, scores, best)
    best = _above_dek(found, scores, best) if english else best
    return found[_signed(found, scores, best)]


def _past_label(found: Sequence[Candidate], scores: Sequence[float], best: int) -> int:
    """When the winner is a label with a headline right under it, the headline wins.

    Kickers, rubrics and section names ("EARNINGS REPORT", "Fact Check") sit right above
    the headline and share its words; a masthead stands a few menu entries above it. A
    headline is longer and not set in capitals. The lines between are none of them
    candidates (``found`` holds every line that could be a title), so they are too short,
    furniture or guarded out: menu entries, credits, dates.
    """
    if best + 1 >= len(found):
        return best
    label, below = found[best], found[best + 1]
    if below.line.index - label.line.index > LABEL_GAP + 1:
        return best
    words = len(label.text.split())
    is_label = label.text.isupper() or (words <= 3 and not label.line.terminal)
    shaped = len(below.text.split()) >= max(4, words + 2) and not below.text.isupper()
    if is_label and shaped and scores[best + 1] >= scores[best] - LABEL_MARGIN:
        return best + 1
    return best


def _above_dek(found: Sequence[Candidate], scores: Sequence[float], best: int) -> int:
    """When the winner has a headline-shaped line right above it, on an English page, that
    line is the headline and the winner its dek.

    English pages set the dek under the headline; German and other pages often set a kicker
    sentence above it (the "Dachzeile"), and the ranker, which learns both, can take an
    English dek for the headline. The line above wins when it has four words or more, is not
    set in capitals, and scores within :data:`LABEL_MARGIN` of the winner.
    """
    if best == 0:
        return best
    dek, above = found[best], found[best - 1]
    if dek.line.index - above.line.index != 1:
        return best
    shaped = len(above.text.split()) >= 4 and not above.text.isupper()
    if shaped and scores[best - 1] >= scores[best] - LABEL_MARGIN:
        return best - 1
    return best


def _signed(found: Sequence[Candidate], scores: Sequence[float], best: int) -> int:
    """When the winner has no byline under it and one headline-shaped line near it has,
    that line is the headline.

    Pages list other stories' headlines around the article's (related and most-read
    items), and the ranker scores them alike; the byline sits under the article's own. The
    signed line wins when it is the only one within :data:`SIGNED_REACH` lines, scores
    within :data:`LABEL_MARGIN` of the winner, has four words or more and does not end like
    a sentence; a signed line right under the winner is its dek (the byline follows the
    dek) and changes nothing.
    """
    chosen = found[best]
    if chosen.signed:
        return best
    rivals = [
        j
        for j, c in enumerate(found)
        if c.signed
        and not 0 <= c.line.index - chosen.line.index <= DEK_ZONE
        and abs(c.line.index - chosen.line.index) <= SIGNED_REACH
        and not c.line.terminal
        and len(c.text.split()) >= 4
        and scores[j] >= scores[best] - LABEL_MARGIN
    ]
    return rivals[0] if len(rivals) == 1 else best
