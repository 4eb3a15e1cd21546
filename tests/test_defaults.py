"""One source of defaults (the classes), and WALS's "auto" confidence chosen from the data."""
from __future__ import annotations

import inspect
import io
import json

import numpy as np
import pytest
import scipy.sparse as sp

import embedviz as ev
from embedviz.models.confidence import RELATIVE_ALPHA, choose_confidence
from embedviz.models.registry import APP_SEED, MODELS


@pytest.mark.parametrize("name", list(MODELS))
def test_registry_defaults_are_the_class_defaults(name):
    spec = MODELS[name]
    signature = inspect.signature(spec.cls.__init__).parameters
    for param, value in spec.defaults().items():
        expected = APP_SEED if param == "random_state" else signature[param].default
        assert value == expected, (name, param)
    assert spec.build().get_params() == {**spec.cls().get_params(), "random_state": APP_SEED}


def counts(seed=0, n_users=200, n_items=300):
    """Play-count-like values: log-normal, 1 … ~10^5."""
    rng = np.random.default_rng(seed)
    matrix = sp.random(n_users, n_items, density=0.05, random_state=seed, format="csr", dtype=np.float32)
    matrix.data[:] = np.ceil(rng.lognormal(4, 2, matrix.nnz))
    return matrix


def test_auto_confidence_is_log_for_skewed_counts_and_linear_for_ratings():
    plays = counts().data
    choice = choose_confidence(plays)
    assert choice.confidence == "log"
    assert np.mean(1 + choice.alpha * np.log1p(plays)) == pytest.approx(1 + RELATIVE_ALPHA)
    assert "heavy-tailed" in choice.reason and "so log" in choice.reason
    ratings = np.array([1, 2, 3, 3, 4, 4, 4, 5, 5], dtype=float)
    choice = choose_confidence(ratings)
    assert choice.confidence == "linear" and choice.alpha == pytest.approx(RELATIVE_ALPHA / ratings.mean())
    assert choose_confidence(ratings, "log", 0.5) == ("log", 0.5, choose_confidence(ratings, "log", 0.5).reason)
    assert choose_confidence(np.ones(5)).confidence == "linear"


def test_fitted_wals_records_what_it_chose_and_keeps_it_when_saved():
    model = ev.WALS(factors=4, iterations=2, regularization=1.0, random_state=0).fit(counts())
    assert model.confidence == "auto" and model.confidence_ == "log" and model.alpha_ > 0
    assert model.confidence_reason_.startswith("Confidence: heavy-tailed")
    buffer = io.BytesIO()
    model.save(buffer)
    loaded = ev.load_model(buffer.getvalue())
    assert (loaded.confidence_, loaded.alpha_) == (model.confidence_, model.alpha_)
    np.testing.assert_allclose(loaded.fold_in([1, 2]), model.fold_in([1, 2]), rtol=1e-5)


def test_a_model_file_from_before_auto_confidence_still_loads():
    model = ev.WALS(factors=4, iterations=2, regularization=1.0, alpha=0.1, confidence="linear",
                    random_state=0).fit(counts())
    buffer = io.BytesIO()
    model.save(buffer)
    archive = dict(np.load(io.BytesIO(buffer.getvalue()), allow_pickle=False))
    fitted = json.loads(str(archive["fitted"]))
    for name in ("confidence_", "alpha_", "confidence_reason_"):
        fitted.pop(name)
    archive["fitted"] = np.array(json.dumps(fitted))
    old = io.BytesIO()
    np.savez(old, **archive)
    loaded = ev.load_model(old.getvalue())
    assert (loaded.confidence_, loaded.alpha_) == ("linear", 0.1)


@pytest.mark.parametrize("params, message", [
    (dict(alpha="big"), "alpha must be a number >= 0 or 'auto', got 'big'"),
    (dict(alpha=-1.0), "alpha must be a number >= 0 or 'auto', got -1.0"),
    (dict(confidence="sqrt"), "confidence must be one of"),
])
def test_bad_confidence_parameters(params, message):
    with pytest.raises(ValueError, match=message):
        ev.WALS(**params).fit(counts())


def test_defaults_on_a_toy_matrix_warn_that_every_score_is_zero():
    matrix = sp.csr_matrix(np.eye(6, dtype=np.float32) + np.eye(6, k=1, dtype=np.float32))
    with pytest.warns(RuntimeWarning, match="regularization=90 shrank every factor to about 0"):
        ev.WALS(factors=2, iterations=2, random_state=0).fit(matrix)


def test_negative_values_with_auto_confidence_point_to_gradient_descent():
    matrix = sp.csr_matrix(np.array([[1.0, -2.0], [3.0, 0.5]], dtype=np.float32))
    with pytest.raises(ev.DataError, match="value -2 is negative.*GradientDescentMF"):
        ev.WALS(factors=2, iterations=1).fit(matrix)


@pytest.mark.slow
def test_defaults_beat_popularity_on_ratings_and_on_play_counts(tmp_path):
    """The same ``WALS()`` on both kinds of data, well above the popularity baseline."""
    from embedviz.analysis.evaluation import PopularityBaseline, evaluate
    from embedviz.data.synthetic import write_lastfm, write_movielens_100k
    from embedviz.workflows import evaluation_split

    ratings = ev.load_interactions(write_movielens_100k(tmp_path / "ml", n_users=400, n_items=800,
                                                        n_ratings=30_000).paths["ratings"])
    plays = ev.load_interactions(write_lastfm(tmp_path / "fm", n_users=600, pool=8_000).paths["plays"])
    for data, kind in ((ratings, "linear"), (plays, "log")):
        train, test = evaluation_split(data)
        model = ev.WALS(random_state=0).fit(train)
        assert model.confidence_ == kind
        ours = evaluate(model, train, test)["ndcg@10"]
        popular = evaluate(PopularityBaseline().fit(train), train, test)["ndcg@10"]
        assert ours > 1.3 * popular, (kind, ours, popular)
