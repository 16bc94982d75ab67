"""Small boosted tree ensembles, evaluated from the shipped JSON file.

The line models are trained offline (``bench/train_lines.py``) and written out as nested
lists: a split is ``[feature, threshold, left, right]`` (``x[feature] <= threshold`` goes
left), a leaf is its value. At run time the trees are laid out as flat NumPy arrays and a
page's lines go down every tree together, one level at a time (:class:`_Flat`); LightGBM
itself is not needed to read the file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

MODEL_FILE = "lines.json"
MODEL_VERSION = 1

Node = tuple[int, float, "Node", "Node"] | float
_Ints = npt.NDArray[np.intp]
_Floats = npt.NDArray[np.float64]


class ModelError(ValueError):
    """The model file is missing, malformed or made for other features."""


@dataclass(frozen=True, slots=True)
class Ensemble:
    """One boosted ensemble: the features it reads, by name, and its trees."""

    features: tuple[str, ...]
    trees: tuple[Node, ...]
    _flat: _Flat = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_flat", _Flat.of(self.trees, len(self.features)))

    def raw(self, row: Sequence[float]) -> float:
        """The sum of the leaves one feature row reaches."""
        return self.raw_rows([row])[0]

    def raw_rows(self, rows: Sequence[Sequence[float]]) -> list[float]:
        """:meth:`raw` of every row (a page's headline candidates), in one pass."""
        columns = np.asarray(rows, dtype=np.float64).T if rows else np.zeros((0, 0))
        return self._flat.sums(_with_zero_row(columns, len(self.features), len(rows)))

    def raw_columns(self, columns: Sequence[Sequence[float]]) -> list[float]:
        """:meth:`raw` of every row of a page given as feature columns (one per feature)."""
        if len(columns) != len(self.features):
            raise ValueError(f"{len(columns)} columns for {len(self.features)} features")
        return self._flat.sums(
            _with_zero_row(columns, len(columns), len(columns[0]) if columns else 0)
        )

    def probability(self, row: Sequence[float]) -> float:
        """The ensemble's probability for one feature row."""
        return _sigmoid(self.raw(row))

    def probabilities(self, columns: Sequence[Sequence[float]]) -> list[float]:
        """The probability of every row of a page given as feature columns."""
        return [_sigmoid(raw) for raw in self.raw_columns(columns)]


def _with_zero_row(columns: Any, width: int, lines: int) -> _Floats:
    """The feature columns as one (width + 1) x lines array, the last row zeros: what a
    leaf of :class:`_Flat` reads."""
    values = np.zeros((width + 1, lines))
    if width and lines:
        values[:width] = columns
    return values


def _sigmoid(raw: float) -> float:
    if raw < -30.0:
        return 0.0
    return 1.0 / (1.0 + math.exp(-raw))


@dataclass(frozen=True, slots=True)
class _Flat:
    """The trees as arrays, so that all of a page's lines go down all the trees at once.

    Walking the nested tuples in Python costs a bytecode dispatch per test; here one level
    of every tree is a handful of array operations over (trees x lines). On a page of a
    few hundred lines the shipped body passes (50 trees of depth 5) cost what trees compiled
    to nested ``if`` tests cost, the headline ranker's deeper trees two thirds of it, and
    150 trees of depth 6 half of it; no source is generated and run. A split's
    two children sit side by side, so the next node is ``child + (not x <= threshold)``;
    a leaf is its own child, reading a row of zeros against an infinite threshold, so a line
    that reached a leaf early stays there while deeper trees go on. The leaves are added
    in tree order, as the trees were trained, so every sum is the one a plain walk gives,
    to the last bit.
    """

    feature: _Ints  # per node: the feature it tests (leaves: the zero row past the last)
    threshold: _Floats
    child: _Ints  # per node: its left child (the right one is next); a leaf: itself
    value: _Floats  # per node: the leaf value (0 for splits)
    roots: _Ints
    depth: int  # the longest root-to-leaf path: how many levels every line goes down

    @staticmethod
    def of(trees: Sequence[Node], width: int) -> _Flat:
        feature: list[int] = []
        threshold: list[float] = []
        child: list[int] = []
        value: list[float] = []

        def slot() -> int:
            feature.append(width)
            threshold.append(math.inf)
            child.append(len(child))
            value.append(0.0)
            return len(child) - 1

        def fill(k: int, node: Node, depth: int) -> int:
            if not isinstance(node, tuple):
                value[k] = float(node)
                return depth
            test, limit, left, right = node
            if math.isnan(limit):
                raise ModelError("a tree holds NaN")
            feature[k], threshold[k] = int(test), float(limit)
            child[k] = slot()
            slot()
            return max(fill(child[k], left, depth + 1), fill(child[k] + 1, right, depth + 1))

        roots: list[int] = []
        depth = 0
        for tree in trees:
            roots.append(slot())
            depth = max(depth, fill(roots[-1], tree, 0))
        return _Flat(
            np.asarray(feature, dtype=np.intp),
            np.asarray(threshold, dtype=np.float64),
            np.asarray(child, dtype=np.intp),
            np.asarray(value, dtype=np.float64),
            np.asarray(roots, dtype=np.intp),
            depth,
        )

    def sums(self, values: _Floats) -> list[float]:
        """Per column of ``values`` (features by lines, with a last row of zeros), the sum
        of the leaves it reaches."""
        lines = values.shape[1]
        if not lines or not len(self.roots):
            return [0.0] * lines
        flat = values.ravel()
        offsets = np.arange(lines)
        node = np.repeat(self.roots[:, None], lines, axis=1)
        for _ in range(self.depth):
            x = flat.take(self.feature.take(node) * lines + offsets)
            node = self.child.take(node) + ~(x <= self.threshold.take(node))
        # cumsum adds down the trees one by one, in order: the plain walk's sum.
        total: list[float] = np.cumsum(self.value.take(node), axis=0)[-1].tolist()
        return total


@dataclass(frozen=True, slots=True)
class Models:
    """Everything the scraped-text reader learned: two body passes, the headline ranker."""

    body: Ensemble  # each line on its own shape and its neighbours'
    body_context: Ensemble  # again, with the first pass's answers around the line
    headline: Ensemble  # each candidate line, as the headline
    switch_cost: float  # what entering or leaving the body costs the decoder

    def to_json(self) -> dict[str, Any]:
        """The file form: what :func:`models_from_json` reads back."""
        return {
            "version": MODEL_VERSION,
            "switch_cost": self.switch_cost,
            **{
                name: {"features": list(e.features), "trees": [_dump(t) for t in e.trees]}
                for name, e in (
                    ("body", self.body),
                    ("body_context", self.body_context),
                    ("headline", self.headline),
                )
            },
        }


def models_from_json(data: dict[str, Any], expected: Mapping[str, Sequence[str]]) -> Models:
    """Models from their file form; ``expected`` maps each ensemble to its feature names."""
    if data.get("version") != MODEL_VERSION:
        raise ModelError(f"model file version {data.get('version')!r}, want {MODEL_VERSION}")
    parts: dict[str, Ensemble] = {}
    for name, features in expected.items():
        part = data.get(name)
        if not isinstance(part, dict):
            raise ModelError(f"model file has no {name!r} ensemble")
        if tuple(part.get("features", ())) != tuple(features):
            raise ModelError(f"the {name!r} ensemble was trained on other features")
        trees = tuple(_load(tree, len(features)) for tree in part.get("trees", ()))
        parts[name] = Ensemble(tuple(features), trees)
    return Models(
        body=parts["body"],
        body_context=parts["body_context"],
        headline=parts["headline"],
        switch_cost=float(data.get("switch_cost", 0.0)),
    )


@cache
def shipped_json() -> dict[str, Any]:
    """The model file shipped inside the package, parsed once."""
    try:
        text = resources.files(__package__).joinpath(MODEL_FILE).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError) as exc:
        raise ModelError(f"no model file {MODEL_FILE}: {exc}") from exc
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ModelError("the model file is not a JSON object")
    return data


def _load(node: object, width: int) -> Node:
    if isinstance(node, int | float):
        return float(node)
    if isinstance(node, list) and len(node) == 4:
        feature, threshold = int(node[0]), float(node[1])
        if not 0 <= feature < width:
            raise ModelError(f"a split reads feature {feature} of {width}")
        return (feature, threshold, _load(node[2], width), _load(node[3], width))
    raise ModelError(f"not a tree node: {node!r:.60}")


def _dump(node: Node) -> object:
    if isinstance(node, tuple):
        return [node[0], node[1], _dump(node[2]), _dump(node[3])]
    return node
