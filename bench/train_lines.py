"""Train the scraped-text line models and write the file the package ships.

Usage: ``python bench/train_lines.py [CORPUS_DIR] [--out PATH] [--check]``

Needs the ``train`` extra (``pip install -e '.[train]'``: LightGBM, NumPy, scikit-learn); the
package itself reads the result without LightGBM. The run is deterministic: one thread, fixed
seeds, folds by site in a fixed order, so the same corpora give the same file byte for byte.
``--check`` trains and compares with the shipped file instead of writing it.

Three ensembles are trained (see :mod:`syndicate.sources.scraped.analysis`):

1. ``body``: is a line body, from its shape and its neighbours';
2. ``body_context``: the same with the first pass's probabilities around the line; it is
   trained on out-of-fold first-pass answers, as it will see at run time;
3. ``headline``: ranks a page's candidates, trained on candidates gathered with
   out-of-fold body answers. Its objective (per-candidate ``binary`` odds or per-page
   ``lambdarank``) and tree size are chosen among :data:`HEADLINE_SETTINGS` by the same
   inner site folds, on the training pages alone, so the bench's held-out figures stay
   held out.

Lines weigh by their token count (the measure counts shingles) and every page weighs the
same; the hand-checked ``pages`` weigh more than the machine-made labels.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
for path in (REPO, Path(__file__).resolve().parent):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from corpora import CORPORA, TOKEN, Sample, body_labels, is_headline, load  # noqa: E402

from syndicate.sources import charset  # noqa: E402
from syndicate.sources.scraped.analysis import FEATURES, gather, without_teasers  # noqa: E402
from syndicate.sources.scraped.body import decode  # noqa: E402
from syndicate.sources.scraped.features import (  # noqa: E402
    Column,
    Row,
    body_columns,
    context_columns,
    rows_of,
)
from syndicate.sources.scraped.lines import Line, split_lines  # noqa: E402
from syndicate.sources.scraped.trees import (  # noqa: E402
    MODEL_FILE,
    Ensemble,
    Models,
    Node,
)

SHIPPED = REPO / "syndicate" / "sources" / "scraped" / MODEL_FILE
INNER_FOLDS = 4
CORPUS_WEIGHT = {"pages": 3.0, "readability": 1.0, "silver": 1.0}
SWITCH_COSTS = (1.0, 2.0, 3.0, 5.0)
BODY_PARAMS: dict[str, Any] = {
    "n_estimators": 50,
    "num_leaves": 15,
    "max_depth": 5,
    "learning_rate": 0.15,
    "min_child_samples": 50,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
}
HEADLINE_PARAMS: dict[str, Any] = {
    "n_estimators": 250,
    "num_leaves": 15,
    "learning_rate": 0.04,
    "min_child_samples": 20,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.5,
}
# The headline ranker's candidate settings; train() picks one by inner cross-validation.
_STEADY = {**HEADLINE_PARAMS, "num_leaves": 7, "min_child_samples": 50}
HEADLINE_SETTINGS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("binary", HEADLINE_PARAMS),
    ("binary", _STEADY),
    ("lambdarank", HEADLINE_PARAMS),
    ("lambdarank", _STEADY),
)
DIGITS = 7  # significant digits kept in the file: far below any split's spacing


@dataclass
class Prepared:
    """One page's lines, body features and labels, computed once for all the fits."""

    sample: Sample
    lines: list[Line]
    columns: list[Column]
    rows: list[Row]
    labels: list[int]
    weights: list[float]  # per line: token share of the page, times the corpus weight


def page_text(sample: Sample) -> str:
    """The page text, decoded as the reader decodes it."""
    return charset.decode(sample.text, sample.name, policy=charset.AS_BROWSERS_DO).text


def prepare(sample: Sample) -> Prepared:
    """Lines, features and labels of one page."""
    lines = split_lines(page_text(sample))
    columns = body_columns(lines)
    texts = [line.text for line in lines]
    tokens = [len(TOKEN.findall(t)) + 1.0 for t in texts]
    total = sum(tokens) or 1.0
    scale = CORPUS_WEIGHT.get(sample.corpus, 1.0) * math.sqrt(len(tokens)) / total
    return Prepared(
        sample=sample,
        lines=lines,
        columns=columns,
        rows=rows_of(columns),
        labels=body_labels(texts, sample.body, sample.headline),
        weights=[t * scale for t in tokens],
    )


def site_folds(pages: Sequence[Prepared], k: int) -> list[list[int]]:
    """``k`` groups of page indexes, no site in two groups, sizes balanced, order fixed."""
    sites: dict[str, list[int]] = {}
    for i, page in enumerate(pages):
        sites.setdefault(page.sample.site, []).append(i)
    folds: list[list[int]] = [[] for _ in range(k)]
    for _, members in sorted(sites.items(), key=lambda item: (-len(item[1]), item[0])):
        min(folds, key=len).extend(members)
    return [sorted(fold) for fold in folds]


# --- fitting -------------------------------------------------------------------------------


def fit(
    rows: Sequence[Row],
    labels: list[int],
    weights: list[float],
    params: dict[str, Any],
    features: Sequence[str],
    seed: int = 0,
) -> Ensemble:
    """One LightGBM ensemble, exported to the package's tree form."""
    import lightgbm
    import numpy

    model = lightgbm.LGBMClassifier(
        **params, random_state=seed, deterministic=True, force_row_wise=True, n_jobs=1, verbose=-1
    )
    model.fit(numpy.asarray(rows), numpy.asarray(labels), sample_weight=numpy.asarray(weights))
    dump = model.booster_.dump_model()
    trees = tuple(_node(tree["tree_structure"]) for tree in dump["tree_info"])
    return Ensemble(tuple(features), trees)


def _node(node: dict[str, Any]) -> Node:
    if "leaf_value" in node:
        return _round(node["leaf_value"])
    return (
        int(node["split_feature"]),
        _round(node["threshold"]),
        _node(node["left_child"]),
        _node(node["right_child"]),
    )


def _round(value: float) -> float:
    return float(f"{value:.{DIGITS}g}")


def _stack(
    pages: Sequence[Prepared], of: Sequence[int], rows: Any = None
) -> tuple[list[Row], list[int], list[float]]:
    x: list[Row] = []
    y: list[int] = []
    w: list[float] = []
    for i in of:
        page = pages[i]
        x.extend(page.rows if rows is None else rows[i])
        y.extend(page.labels)
        w.extend(page.weights)
    return x, y, w


def train(pages: Sequence[Prepared], seed: int = 0) -> Models:
    """All three ensembles and the decoder's switch cost, from these pages only.

    ``seed`` draws the rows and features each tree samples; the shipped file is seed 0, and
    the bench trains other seeds to show how much a figure owes to the draw.
    """
    folds = site_folds(pages, INNER_FOLDS)
    first: dict[int, list[float]] = {}
    for fold in folds:
        held = set(fold)
        rest = [i for i in range(len(pages)) if i not in held]
        model = fit(*_stack(pages, rest), BODY_PARAMS, FEATURES["body"], seed)
        for i in fold:
            first[i] = model.probabilities(pages[i].columns)
    body = fit(*_stack(pages, range(len(pages))), BODY_PARAMS, FEATURES["body"], seed)
    context_cols = {i: context_columns(pages[i].columns, first[i]) for i in range(len(pages))}
    context = {i: rows_of(cols) for i, cols in context_cols.items()}
    body_context = fit(
        *_stack(pages, range(len(pages)), context), BODY_PARAMS, FEATURES["body_context"], seed
    )
    second: dict[int, list[float]] = {}
    for fold in folds:
        held = set(fold)
        rest = [i for i in range(len(pages)) if i not in held]
        model = fit(*_stack(pages, rest, context), BODY_PARAMS, FEATURES["body_context"], seed)
        for i in fold:
            second[i] = model.probabilities(context_cols[i])
    switch = _best_switch_cost(pages, second)
    headline = _fit_headline(pages, first, second, switch, folds, seed)
    return Models(body=body, body_context=body_context, headline=headline, switch_cost=switch)


def _best_switch_cost(pages: Sequence[Prepared], second: dict[int, list[float]]) -> float:
    """The decoder's switch cost that labels the training pages' lines best, by weight."""

    def agreement(cost: float) -> float:
        total = 0.0
        for i, page in enumerate(pages):
            mask = decode(page.lines, second[i], cost)
            pairs = zip(mask, page.labels, page.weights, strict=True)
            total += sum(w for m, y, w in pairs if m == bool(y))
        return total

    return max(SWITCH_COSTS, key=agreement)


@dataclass(frozen=True)
class HeadlinePage:
    """One page's headline candidates, as the ranker trains on them."""

    rows: list[list[float]]
    labels: list[int]
    weight: float  # the page's corpus weight


def _fit_headline(
    pages: Sequence[Prepared],
    first: dict[int, list[float]],
    second: dict[int, list[float]],
    switch: float,
    folds: Sequence[Sequence[int]],
    seed: int,
) -> Ensemble:
    """The headline ranker, its settings chosen by cross-validation on these pages only.

    Each setting of :data:`HEADLINE_SETTINGS` is fitted on the inner folds' other pages and
    scored by how many held pages get their headline ranked first; the best is then fitted
    on every page. Pages outside ``pages`` (the bench's held-out fold) play no part.
    """
    sets: dict[int, HeadlinePage] = {}
    for i, page in enumerate(pages):
        rows, labels = headline_rows(page, first[i], second[i], switch)
        if any(labels):  # else the true headline is not among the candidates: nothing to learn
            sets[i] = HeadlinePage(rows, labels, CORPUS_WEIGHT.get(page.sample.corpus, 1.0))

    def inner_score(setting: tuple[str, dict[str, Any]]) -> float:
        right = 0.0
        for fold in folds:
            held = set(fold)
            model = fit_headline([h for i, h in sets.items() if i not in held], *setting, seed)
            for i in fold:
                if i in sets:
                    h = sets[i]
                    scores = model.raw_rows(h.rows)
                    right += h.weight * h.labels[scores.index(max(scores))]
        return right

    scores = [inner_score(setting) for setting in HEADLINE_SETTINGS]
    best = HEADLINE_SETTINGS[scores.index(max(scores))]  # ties: the first, the plainest
    shown = ", ".join(
        f"{o} {p['num_leaves']} leaves {s:.1f}"
        for (o, p), s in zip(HEADLINE_SETTINGS, scores, strict=True)
    )
    print(f"   headline settings (inner right, weighted): {shown}", file=sys.stderr)
    return fit_headline(list(sets.values()), *best, seed)


def fit_headline(
    sets: Sequence[HeadlinePage], objective: str, params: dict[str, Any], seed: int = 0
) -> Ensemble:
    """One headline ensemble: per-candidate ``binary`` odds or a per-page ``lambdarank``."""
    import lightgbm
    import numpy

    x = numpy.asarray([r for h in sets for r in h.rows])
    y = numpy.asarray([v for h in sets for v in h.labels])
    common: dict[str, Any] = dict(
        random_state=seed, deterministic=True, force_row_wise=True, n_jobs=1, verbose=-1
    )
    if objective == "lambdarank":
        ranker = lightgbm.LGBMRanker(**params, objective="lambdarank", **common)
        w = numpy.asarray([h.weight for h in sets for _ in h.labels])
        ranker.fit(x, y, sample_weight=w, group=numpy.asarray([len(h.labels) for h in sets]))
        booster = ranker.booster_
    else:  # every page weighs the same, however many candidates it has
        w = numpy.asarray([h.weight / len(h.labels) for h in sets for _ in h.labels])
        classifier = lightgbm.LGBMClassifier(**params, **common)
        classifier.fit(x, y, sample_weight=w)
        booster = classifier.booster_
    trees = tuple(_node(tree["tree_structure"]) for tree in booster.dump_model()["tree_info"])
    return Ensemble(tuple(FEATURES["headline"]), trees)


def headline_rows(
    page: Prepared, first: list[float], second: list[float], switch: float
) -> tuple[list[list[float]], list[int]]:
    """The candidates' features and labels on one page, given its body answers."""
    mask = decode(page.lines, second, switch)
    teasers = page.columns[FEATURES["body"].index("teaser")]
    found = gather(page.lines, first, second, without_teasers(mask, teasers))
    labels = [int(is_headline(c.text, page.sample.headline)) for c in found.candidates]
    return found.headline_rows, labels


# --- the file ------------------------------------------------------------------------------


def dumps(models: Models) -> str:
    """The model file's text: compact, keys sorted, one trailing newline."""
    return json.dumps(models.to_json(), separators=(",", ":"), sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("corpus", nargs="?", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--out", type=Path, default=SHIPPED)
    parser.add_argument("--check", action="store_true", help="compare with the shipped file")
    args = parser.parse_args(argv)
    pages = [prepare(s) for s in load(args.corpus, CORPORA)]
    print(f"{len(pages)} pages, {sum(len(p.lines) for p in pages)} lines", file=sys.stderr)
    text = dumps(train(pages))
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print("the shipped model is what this script makes" if same else "the model differs")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(text)} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
