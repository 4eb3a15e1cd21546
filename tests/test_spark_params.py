"""WALS -> Spark ALS parameters: exact on binary data, matched totals otherwise, clear refusals."""
import numpy as np
import pytest

from embedviz.spark.params import DataCounts, spark_params

WALS = dict(factors=8, regularization=10.0, unobserved_weight=0.5, alpha=0.1, iterations=7, random_state=3)


def wals_objective(U, V, values, w0, lam, alpha):
    observed = values > 0
    scores = U @ V.T
    return ((1 + alpha * values) * (1 - scores) ** 2)[observed].sum() + w0 * (scores[~observed] ** 2).sum() \
        + lam * ((U ** 2).sum() + (V ** 2).sum())


def spark_objective(U, V, values, reg, alpha):
    observed = values > 0
    scores = U @ V.T
    confidence = np.where(observed, 1 + alpha * np.abs(values), 1.0)
    n_u, n_i = observed.sum(axis=1), observed.sum(axis=0)
    return (confidence * (observed - scores) ** 2).sum() \
        + reg * ((n_u * (U ** 2).sum(axis=1)).sum() + (n_i * (V ** 2).sum(axis=1)).sum())


def test_binary_data_translates_exactly_when_rows_have_equal_norms():
    rng = np.random.default_rng(0)
    values = (rng.random((30, 20)) < 0.3).astype(float)
    values[0, 0] = values[1, 1] = 1.0   # no empty row or column
    U = rng.standard_normal((30, 4))
    V = rng.standard_normal((20, 4))
    # Equal row norms within each side: then only the total penalty matters.
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    n_u = (values > 0).sum(axis=1)
    n_i = (values > 0).sum(axis=0)
    counts = DataCounts(30, 20, int((values > 0).sum()), 1.0)
    params = spark_params(WALS, counts)
    assert params["alpha"] == pytest.approx((1 + 0.1) / 0.5 - 1)
    # With unit rows, sum n_u |x_u|^2 + sum n_i |y_i|^2 = 2 * positives = the WALS total over all rows.
    assert n_u.sum() + n_i.sum() == 2 * counts.positive
    wals = wals_objective(U, V, values, 0.5, 10.0, 0.1)
    spark = spark_objective(U, V, values, params["regParam"], params["alpha"])
    assert spark == pytest.approx(wals / 0.5, rel=1e-12)


def test_ratings_keep_the_mean_confidence_and_the_other_settings():
    counts = DataCounts(users=610, items=9724, positive=100_836, mean_positive=3.5)
    params = spark_params(WALS, counts)
    assert 1 + params["alpha"] * 3.5 == pytest.approx((1 + 0.1 * 3.5) / 0.5)
    assert params["regParam"] == pytest.approx(10.0 * (610 + 9724) / (2 * 0.5 * 100_836))
    assert params["rank"] == 8 and params["maxIter"] == 7 and params["seed"] == 3
    assert params["implicitPrefs"] is True
    assert "seed" not in spark_params({**WALS, "random_state": None}, counts)


@pytest.mark.parametrize("change, message", [
    ({"unobserved_weight": 0.0}, "cannot ignore them"),
    ({"unobserved_weight": 5.0}, "cannot go below 1"),
])
def test_objectives_spark_cannot_express_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        spark_params({**WALS, **change}, DataCounts(10, 10, 50, 1.0))


def test_data_without_positive_values_is_refused():
    with pytest.raises(ValueError, match="no positive values"):
        spark_params(WALS, DataCounts(10, 10, 0, 0.0))
