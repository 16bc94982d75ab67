"""The shipped line-model file: it loads, and it is what the training script writes.

The file is made by ``bench/train_lines.py`` (training is not run here); these checks hold
it to the features this code computes and to the script's own file format, so a change of
features without retraining fails here rather than at the first page.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

from syndicate.sources.scraped.analysis import FEATURES, default_models
from syndicate.sources.scraped.trees import (
    MODEL_VERSION,
    Ensemble,
    ModelError,
    models_from_json,
    shipped_json,
)

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_shipped_model_loads_with_the_features_this_code_computes() -> None:
    models = default_models()
    for name, features in FEATURES.items():
        ensemble = getattr(models, name)
        assert ensemble.features == tuple(features)
        assert 10 <= len(ensemble.trees) <= 400
    assert models.switch_cost > 0


def test_shipped_model_is_in_the_training_script_format() -> None:
    sys.path.insert(0, str(BENCH))
    try:
        import train_lines
    finally:
        sys.path.remove(str(BENCH))
    text = train_lines.SHIPPED.read_text(encoding="utf-8")
    assert train_lines.dumps(models_from_json(json.loads(text), FEATURES)) == text
    assert json.loads(text)["version"] == MODEL_VERSION


def test_model_for_other_features_is_refused() -> None:
    data = json.loads(json.dumps(shipped_json()))
    data["body"]["features"] = data["body"]["features"][:-1]
    with pytest.raises(ModelError, match="other features"):
        models_from_json(data, FEATURES)
    data = json.loads(json.dumps(shipped_json()))
    data["version"] = MODEL_VERSION + 1
    with pytest.raises(ModelError, match="version"):
        models_from_json(data, FEATURES)


def test_ensemble_scores_the_way_its_trees_say() -> None:
    # x[0] <= 0.5 goes left: one tree of two leaves, and a constant tree.
    ensemble = Ensemble(("a", "b"), ((0, 0.5, -1.0, 2.0), 0.25))
    assert ensemble.raw([0.0, 9.0]) == pytest.approx(-0.75)
    assert ensemble.raw([1.0, 9.0]) == pytest.approx(2.25)
    assert 0.0 < ensemble.probability([0.0, 0.0]) < 0.5 < ensemble.probability([1.0, 0.0])


def test_split_on_a_missing_feature_is_refused() -> None:
    data = json.loads(json.dumps(shipped_json()))
    data["headline"]["trees"] = [[999, 0.5, 0.0, 1.0]]
    with pytest.raises(ModelError, match="feature 999"):
        models_from_json(data, FEATURES)


def test_tree_with_nan_threshold_is_refused() -> None:
    with pytest.raises(ModelError, match="NaN"):
        Ensemble(("a",), ((0, math.nan, 0.0, 1.0),))


def test_columns_for_other_features_are_refused() -> None:
    ensemble = Ensemble(("a", "b"), ((0, 0.5, -1.0, 2.0),))
    with pytest.raises(ValueError, match="1 columns for 2 features"):
        ensemble.raw_columns([[0.0, 1.0]])
    assert ensemble.raw_columns([[], []]) == []
    assert ensemble.raw_rows([]) == []
