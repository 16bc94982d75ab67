"""Small boosted tree ensembles, evaluated in plain Python from the shipped JSON file.

The line models are trained offline (``bench/train_lines.py``) and written out as nested
lists: a split is ``[feature, threshold, left, right]`` (``x[feature] <= threshold`` goes
left), a leaf is its value. Scoring a line runs each tree's tests once, so a few dozen
shallow trees over a few hundred lines stay within a millisecond or two, with no library
at run time.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

MODEL_FILE = "lines.json"
MODEL_VERSION = 1

Node = tuple[int, float, "Node", "Node"] | float


class ModelError(ValueError):
    """The model file is missing, malformed or made for other features."""


@dataclass(frozen=True, slots=True)
class Ensemble:
    """One boosted ensemble: the features it reads, by name, and its trees.

    The trees are turned into one Python function of nested ``if`` tests when the ensemble
    is made: walking nested tuples costs twice as much per line, and the function unpacks
    the row into locals once, so each test is a local load rather than an index (about
    1.5 times faster again). The source is generated from validated numbers only (an int
    index and a float per split, a float per leaf).
    """

    features: tuple[str, ...]
    trees: tuple[Node, ...]
    raw: Callable[[Sequence[float]], float] = field(init=False, repr=False, compare=False)
    raw_columns: Callable[[Sequence[Sequence[float]]], list[float]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        width = len(self.features)
        object.__setattr__(self, "raw", _compile(self.trees, width, columns=False))
        object.__setattr__(self, "raw_columns", _compile(self.trees, width, columns=True))

    def probability(self, row: Sequence[float]) -> float:
        """The ensemble's probability for one feature row."""
        return _sigmoid(self.raw(row))

    def probabilities(self, columns: Sequence[Sequence[float]]) -> list[float]:
        """The probability of every row of a page given as feature columns: one call for
        the page, and no row built but the one the loop unpacks."""
        return [_sigmoid(raw) for raw in self.raw_columns(columns)]


def _sigmoid(raw: float) -> float:
    if raw < -30.0:
        return 0.0
    return 1.0 / (1.0 + math.exp(-raw))


def _compile(trees: Sequence[Node], width: int, *, columns: bool) -> Callable[[Any], Any]:
    """``row -> sum of the leaves the row reaches`` (or ``columns -> one sum per row``), as
    compiled Python.

    The leaves are added in tree order, as the trees were trained, so the sum is the same
    to the last bit whichever way a tree is evaluated.
    """
    names = "".join(f"x{k}, " for k in range(width)) or "_, "
    if columns:
        source = [
            "def score(columns):",
            "    out = []",
            f"    for ({names}) in zip(*columns, strict=True):",
            "        s = 0.0",
        ]
        body, end = 2, ["        out.append(s)", "    return out"]
    else:
        source = ["def score(row):", f"    {names}= row" if width else "    pass", "    s = 0.0"]
        body, end = 1, ["    return s"]
    for tree in trees:
        _emit(tree, body, source)
    source.extend(end)
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(source), "<line model>", "exec"), namespace)  # noqa: S102
    score: Callable[[Any], Any] = namespace["score"]
    return score


def _emit(node: Node, depth: int, source: list[str]) -> None:
    pad = "    " * depth
    if isinstance(node, tuple):
        feature, threshold, left, right = node
        source.append(f"{pad}if x{int(feature)} <= {_literal(threshold)}:")
        _emit(left, depth + 1, source)
        source.append(f"{pad}else:")
        _emit(right, depth + 1, source)
    else:
        source.append(f"{pad}s += {_literal(node)}")


def _literal(value: float) -> str:
    """The float as source text: ``repr`` for finite values, ``1e999`` (which Python reads
    as infinity) for the unbounded thresholds a tree may split at."""
    value = float(value)
    if math.isnan(value):
        raise ModelError("a tree holds NaN")
    if math.isinf(value):
        return "1e999" if value > 0 else "-1e999"
    return repr(value)


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
