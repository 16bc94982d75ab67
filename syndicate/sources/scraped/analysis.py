"""One pass of the line models over a page: body scores, the decoded body, headline candidates.

The reader and the training script share this, so what is measured and trained is what runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from syndicate.sources.scraped import headline as heads
from syndicate.sources.scraped.body import best_run, decode
from syndicate.sources.scraped.features import (
    BODY_FEATURES,
    CONTEXT_FEATURES,
    body_columns,
    context_columns,
)
from syndicate.sources.scraped.guards import PageNames
from syndicate.sources.scraped.lines import Line
from syndicate.sources.scraped.trees import Models, models_from_json, shipped_json

FEATURES = {
    "body": BODY_FEATURES,
    "body_context": CONTEXT_FEATURES,
    "headline": heads.HEADLINE_FEATURES,
}


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the models make of one page's lines."""

    lines: Sequence[Line]
    first: list[float]  # first-pass body probability per line
    probabilities: list[float]  # second-pass body probability per line
    mask: list[bool]  # decoded: is the line body
    start: int  # index of the body's first paragraph
    names: PageNames
    candidates: list[heads.Candidate]
    headline_rows: list[list[float]]


@cache
def default_models() -> Models:
    """The models shipped in the package, checked against the features this code computes."""
    return models_from_json(shipped_json(), FEATURES)


def analyse(lines: Sequence[Line], models: Models) -> Analysis:
    """Score, decode and gather headline candidates for one page."""
    columns = body_columns(lines)
    first = models.body.probabilities(columns)
    second = models.body_context.probabilities(context_columns(columns, first))
    mask = decode(lines, second, models.switch_cost)
    if not any(mask):
        mask = best_run(lines, second)
    teasers = columns[BODY_FEATURES.index("teaser")]
    return gather(lines, first, second, without_teasers(mask, teasers))


def without_teasers(mask: list[bool], teasers: Sequence[float]) -> list[bool]:
    """The mask with runs of glued teasers taken out: a list of other stories, each title
    run into its summary, is never the article, however much prose it holds."""
    n = len(mask)
    listed = [
        t > 0 and any(teasers[j] > 0 for j in range(max(0, i - 2), min(n, i + 3)) if j != i)
        for i, t in enumerate(teasers)
    ]
    return [m and not t for m, t in zip(mask, listed, strict=True)]


def gather(
    lines: Sequence[Line],
    first: list[float],
    probabilities: list[float],
    mask: list[bool],
) -> Analysis:
    """The headline candidates and their features, given the body found."""
    start = heads.first_paragraph(lines, mask)
    names = PageNames(lines)
    found, flags = heads.read_candidates(lines, start, names)
    rows = heads.matrix(lines, found, start, mask, probabilities, names, flags)
    return Analysis(lines, first, probabilities, mask, start, names, found, rows)
