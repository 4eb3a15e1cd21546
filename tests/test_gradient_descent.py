"""GradientDescentMF: recovers planted biases and ratings, stops early, fails loudly when diverging."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from embedviz.analysis.evaluation import evaluate, split
from embedviz.data.interactions import from_arrays
from embedviz.errors import TrainingDivergedError
from embedviz.models.gradient_descent import GradientDescentMF

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ml-latest-small"


def planted_ratings(n_users=300, n_items=200, density=0.3, seed=0):
    """Ratings = 3.5 + user bias + item bias + rank-3 term + noise; returns (data, user_bias, item_bias)."""
    rng = np.random.default_rng(seed)
    user_bias, item_bias = rng.normal(0, 0.6, n_users), rng.normal(0, 0.6, n_items)
    P, Q = rng.normal(0, 0.5, (n_users, 3)), rng.normal(0, 0.5, (n_items, 3))
    users, items = np.nonzero(rng.random((n_users, n_items)) < density)
    values = 3.5 + user_bias[users] + item_bias[items] + np.sum(P[users] * Q[items], axis=1)
    values += rng.normal(0, 0.2, len(users))
    return from_arrays(users, items, values, kind="explicit"), user_bias, item_bias


@pytest.fixture(scope="module")
def planted():
    return planted_ratings()


@pytest.fixture(scope="module")
def planted_split(planted):
    return split(planted[0], test_fraction=0.2, seed=0)


def test_beats_global_mean_and_recovers_biases(planted, planted_split):
    data, user_bias, item_bias = planted
    train, test = planted_split
    model = GradientDescentMF(factors=8, learning_rate=0.02, epochs=60, random_state=0).fit(train)
    rmse = evaluate(model, train, test)["rmse"]
    global_mean = np.sqrt(np.mean((test.matrix.data - train.matrix.data.mean()) ** 2))
    assert rmse < 0.6 * global_mean
    assert np.corrcoef(model.user_bias_, user_bias)[0, 1] > 0.9
    assert np.corrcoef(model.item_bias_, item_bias)[0, 1] > 0.9


def test_losses_are_reported_per_epoch(planted_split):
    train, _ = planted_split
    seen = []
    model = GradientDescentMF(factors=4, epochs=4, random_state=0).fit(
        train, callback=lambda epoch, losses: seen.append((epoch, losses))
    )
    assert [epoch for epoch, _ in seen] == [0, 1, 2, 3]
    assert {"train_rmse", "validation_rmse", "observed", "regularization", "total"} <= set(seen[0][1])
    train_rmse = [losses["train_rmse"] for _, losses in seen]
    assert train_rmse[-1] < train_rmse[0]
    assert model.loss_history_ == [losses for _, losses in seen]


def test_callback_returning_false_stops_after_that_epoch(planted_split):
    train, _ = planted_split
    model = GradientDescentMF(factors=4, epochs=10, random_state=0).fit(train, callback=lambda epoch, _: epoch < 1)
    assert model.stopped_early_ and model.n_epochs_ == 2
    assert model.predict(np.array([0]), np.array([0])).shape == (1,)


def test_early_stopping_keeps_the_best_epoch(planted_split):
    train, _ = planted_split
    # No regularisation and many factors: validation error turns up after a few epochs.
    model = GradientDescentMF(factors=64, learning_rate=0.05, regularization=0.0, epochs=100, patience=2,
                              random_state=0).fit(train)
    validation = [entry["validation_rmse"] for entry in model.loss_history_]
    assert model.n_epochs_ < 100 and not model.stopped_early_
    assert model.best_epoch_ == int(np.argmin(validation))
    assert model.n_epochs_ == model.best_epoch_ + 3


def test_divergence_names_the_learning_rate(planted_split):
    train, _ = planted_split
    with pytest.raises(TrainingDivergedError, match=r"learning_rate too high.*try learning_rate <= 2.5"):
        GradientDescentMF(factors=8, learning_rate=5.0, random_state=0).fit(train)


def test_same_seed_gives_identical_factors(planted_split):
    train, _ = planted_split
    first = GradientDescentMF(factors=4, epochs=3, random_state=5).fit(train)
    second = GradientDescentMF(factors=4, epochs=3, random_state=5).fit(train)
    np.testing.assert_array_equal(first.user_factors_, second.user_factors_)
    np.testing.assert_array_equal(first.item_bias_, second.item_bias_)


def test_predict_matches_formula_and_clips(planted_split):
    train, _ = planted_split
    model = GradientDescentMF(factors=4, epochs=3, random_state=0).fit(train)
    users, items = np.array([0, 1, 2]), np.array([5, 6, 7])
    expected = (model.global_bias_ + model.user_bias_[users] + model.item_bias_[items]
                + np.sum(model.user_factors_[users] * model.item_factors_[items], axis=1))
    expected = np.clip(expected, train.matrix.data.min(), train.matrix.data.max())
    np.testing.assert_allclose(model.predict(users, items), expected, rtol=1e-5)
    with pytest.raises(ValueError, match="same shape"):
        model.predict(users, items[:2])


def test_scores_include_biases(planted_split):
    train, _ = planted_split
    model = GradientDescentMF(factors=4, epochs=3, random_state=0).fit(train)
    vector = model.user_factors_[2]
    np.testing.assert_allclose(model.score_users(2)[0], model.score_items(vector) + model.user_bias_[2], rtol=1e-5)


def test_fold_in_is_ridge_regression_on_residuals(planted_split):
    train, _ = planted_split
    model = GradientDescentMF(factors=4, epochs=5, random_state=0).fit(train)
    items, values = np.array([1, 4, 9, 12]), np.array([5.0, 4.0, 1.0, 2.0])
    Q = model.item_factors_[items].astype(np.float64)
    residual = values - model.global_bias_ - model.item_bias_[items]
    expected = np.linalg.solve(Q.T @ Q + model.regularization * 4 * np.eye(4), Q.T @ residual)
    np.testing.assert_allclose(model.fold_in(items, values), expected, rtol=1e-4, atol=1e-6)


def test_explain_gives_cosine_similarity_to_history(planted_split):
    train, _ = planted_split
    model = GradientDescentMF(factors=4, epochs=3, random_state=0).fit(train)
    items, similarity = model.explain([3, 8], item_index=3, n=2)
    assert items[0] == 3 and similarity[0] == pytest.approx(1.0)
    assert -1.0 <= similarity[1] <= 1.0


@pytest.mark.parametrize(
    "params, name",
    [
        (dict(factors=0), "factors"),
        (dict(learning_rate=0.0), "learning_rate"),
        (dict(regularization=-0.1), "regularization"),
        (dict(epochs=0), "epochs"),
        (dict(validation_fraction=1.0), "validation_fraction"),
        (dict(validation_fraction=-0.1), "validation_fraction"),
        (dict(early_stopping="yes"), "early_stopping"),
        (dict(patience=0), "patience"),
        (dict(random_state=-1), "random_state"),
        (dict(validation_fraction=0.0), "validation_fraction"),
    ],
)
def test_bad_parameter_raises_value_error_naming_it(params, name, planted_split):
    with pytest.raises(ValueError, match=name):
        GradientDescentMF(**params).fit(planted_split[0])


def test_movielens_rmse_is_reasonable():
    if not (DATA / "ratings.csv").exists():
        pytest.skip("../shared/data/ml-latest-small not found (only present in CI / the dev machine)")
    frame = pd.read_csv(DATA / "ratings.csv")
    data = from_arrays(frame.userId, frame.movieId, frame.rating, frame.timestamp)
    train, test = split(data, test_fraction=0.2, by="user", seed=0)
    metrics = evaluate(GradientDescentMF(random_state=0).fit(train), train, test)
    global_mean = np.sqrt(np.mean((test.matrix.data - train.matrix.data.mean()) ** 2))
    assert metrics["rmse"] < 0.9 < global_mean
