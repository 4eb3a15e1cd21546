"""WALS: exact against a dense numpy reference, CG against Cholesky, known-answer recovery."""
from pathlib import Path

import numba
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from embedviz.analysis.evaluation import PopularityBaseline, evaluate, split
from embedviz.data.interactions import from_arrays
from embedviz.errors import DataError
from embedviz.models.wals import WALS

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ml-latest-small"


def block_matrix(n_blocks=3, users_per_block=12, items_per_block=10, seen=0.6, seed=0) -> sp.csr_matrix:
    """Block-diagonal implicit data: each user saw ``seen`` of their own block's items."""
    rng = np.random.default_rng(seed)
    n_users, n_items = n_blocks * users_per_block, n_blocks * items_per_block
    dense = np.zeros((n_users, n_items), dtype=np.float32)
    for user in range(n_users):
        block = user // users_per_block
        items = np.arange(block * items_per_block, (block + 1) * items_per_block)
        dense[user, rng.choice(items, int(seen * items_per_block), replace=False)] = rng.integers(1, 4)
    return sp.csr_matrix(dense)


def small_matrix(seed=1) -> sp.csr_matrix:
    matrix = sp.random(40, 30, density=0.2, random_state=seed, format="csr", dtype=np.float32)
    matrix.data[:] = np.random.default_rng(seed).integers(1, 6, matrix.nnz)
    return matrix


PARAMS = dict(factors=4, regularization=0.1, unobserved_weight=0.2, alpha=0.5, random_state=3)


def dense_weights(matrix: sp.csr_matrix, alpha: float, w0: float):
    """Per-entry weight (c on observed, w0 elsewhere) and target (1 on observed, 0 elsewhere)."""
    values = matrix.toarray().astype(np.float64)
    observed = matrix.toarray() != 0
    return np.where(observed, 1.0 + alpha * values, w0), observed.astype(np.float64)


def dense_solve_rows(fixed: np.ndarray, weights: np.ndarray, targets: np.ndarray, lam: float) -> np.ndarray:
    """Each row: argmin sum_j w_j (t_j - x.y_j)^2 + lam |x|^2, by np.linalg.solve."""
    k = fixed.shape[1]
    rows = []
    for w, t in zip(weights, targets):
        system = fixed.T @ (w[:, None] * fixed) + lam * np.eye(k)
        rows.append(np.linalg.solve(system, fixed.T @ (w * t)))
    return np.array(rows)


def dense_objective(U, V, weights, targets, observed, w0, lam):
    errors = weights * (targets - U @ V.T) ** 2
    return errors[observed].sum(), errors[~observed].sum(), lam * ((U**2).sum() + (V**2).sum())


def test_cholesky_sweep_matches_dense_reference():
    matrix = small_matrix()
    one = WALS(iterations=1, solver="cholesky", **PARAMS).fit(matrix)
    two = WALS(iterations=2, solver="cholesky", **PARAMS).fit(matrix)
    weights, targets = dense_weights(matrix, PARAMS["alpha"], PARAMS["unobserved_weight"])
    users = dense_solve_rows(one.item_factors_.astype(np.float64), weights, targets, PARAMS["regularization"])
    items = dense_solve_rows(users, weights.T, targets.T, PARAMS["regularization"])
    np.testing.assert_allclose(two.user_factors_, users, atol=1e-4)
    np.testing.assert_allclose(two.item_factors_, items, atol=1e-4)


def test_reported_loss_terms_match_dense_objective():
    matrix = small_matrix()
    for solver in ("cholesky", "cg"):
        model = WALS(iterations=3, solver=solver, **PARAMS).fit(matrix)
        weights, targets = dense_weights(matrix, PARAMS["alpha"], PARAMS["unobserved_weight"])
        observed, unobserved, reg = dense_objective(
            model.user_factors_.astype(np.float64), model.item_factors_.astype(np.float64), weights, targets,
            matrix.toarray() != 0, PARAMS["unobserved_weight"], PARAMS["regularization"],
        )
        last = model.loss_history_[-1]
        assert last["observed"] == pytest.approx(observed, rel=1e-4)
        assert last["unobserved"] == pytest.approx(unobserved, rel=1e-4)
        assert last["regularization"] == pytest.approx(reg, rel=1e-4)
        assert last["total"] == pytest.approx(observed + unobserved + reg, rel=1e-4)


def test_cholesky_loss_decreases_monotonically():
    model = WALS(iterations=12, solver="cholesky", **PARAMS).fit(small_matrix())
    totals = [entry["total"] for entry in model.loss_history_]
    assert all(later <= earlier * (1 + 1e-6) for earlier, later in zip(totals, totals[1:]))


def test_cg_with_enough_steps_converges_to_cholesky_solution():
    matrix = small_matrix()
    exact = WALS(iterations=10, solver="cholesky", **PARAMS).fit(matrix)
    approx = WALS(iterations=10, solver="cg", cg_steps=PARAMS["factors"] * 3, **PARAMS).fit(matrix)
    np.testing.assert_allclose(approx.user_factors_, exact.user_factors_, atol=1e-3)
    np.testing.assert_allclose(approx.item_factors_, exact.item_factors_, atol=1e-3)


def test_default_cg_reaches_nearly_the_cholesky_loss():
    matrix = small_matrix()
    exact = WALS(iterations=15, solver="cholesky", **PARAMS).fit(matrix).loss_history_[-1]["total"]
    approx = WALS(iterations=15, solver="cg", **PARAMS).fit(matrix).loss_history_[-1]["total"]
    assert approx <= exact * 1.02


def test_block_structure_is_recovered():
    matrix = block_matrix()
    model = WALS(factors=3, iterations=10, regularization=1.0, random_state=0).fit(matrix)
    for user in (0, 15, 30):
        block = user // 12
        unseen = set(range(block * 10, (block + 1) * 10)) - set(matrix[user].indices)
        items, scores = model.recommend(user, k=len(unseen))
        assert set(items.tolist()) == unseen
        assert np.all(np.diff(scores) <= 0)


def test_fold_in_of_a_training_user_matches_its_learned_vector():
    matrix = block_matrix()
    model = WALS(factors=3, iterations=200, solver="cholesky", regularization=1.0, random_state=0).fit(matrix)
    for user in (0, 20):
        row = matrix[user]
        vector = model.fold_in(row.indices, row.data)
        np.testing.assert_allclose(vector, model.user_factors_[user], atol=1e-3)


def test_fold_in_default_values_mean_liked_items():
    matrix = block_matrix()
    model = WALS(factors=3, iterations=10, regularization=1.0, random_state=0).fit(matrix)
    vector = model.fold_in([0, 1, 2])
    items, _ = model.recommend_vector(vector, k=5, exclude=[0, 1, 2])
    assert set(items.tolist()) <= set(range(10))


def test_explain_contributions_sum_to_the_folded_in_score():
    matrix = block_matrix()
    model = WALS(factors=3, iterations=10, regularization=1.0, random_state=0).fit(matrix)
    row = matrix[4]
    items, contributions = model.explain(4, item_index=7, n=row.nnz)
    assert sorted(items.tolist()) == sorted(row.indices.tolist())
    assert np.all(np.diff(contributions) <= 0)
    score = model.fold_in(row.indices, row.data) @ model.item_factors_[7]
    assert contributions.sum() == pytest.approx(score, rel=1e-4)
    top, _ = model.explain(4, item_index=7, n=2)
    np.testing.assert_array_equal(top, items[:2])


def test_same_seed_gives_identical_factors():
    data = block_matrix(n_blocks=4, users_per_block=50, items_per_block=40)
    first = WALS(factors=8, iterations=4, random_state=7).fit(data)
    second = WALS(factors=8, iterations=4, random_state=7).fit(data)
    np.testing.assert_array_equal(first.user_factors_, second.user_factors_)
    np.testing.assert_array_equal(first.item_factors_, second.item_factors_)
    other = WALS(factors=8, iterations=4, random_state=8).fit(data)
    assert not np.array_equal(first.user_factors_, other.user_factors_)


def test_result_does_not_depend_on_the_number_of_threads():
    data = block_matrix(n_blocks=4, users_per_block=50, items_per_block=40)
    previous = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        single = WALS(factors=8, iterations=3, random_state=1).fit(data)
    finally:
        numba.set_num_threads(previous)
    parallel = WALS(factors=8, iterations=3, random_state=1).fit(data)
    np.testing.assert_array_equal(single.user_factors_, parallel.user_factors_)
    np.testing.assert_array_equal(single.item_factors_, parallel.item_factors_)


def test_callback_gets_loss_terms_and_can_stop_training():
    seen = []

    def callback(iteration, losses):
        seen.append((iteration, sorted(losses)))
        return iteration < 2

    model = WALS(factors=3, iterations=10, regularization=1.0, random_state=0).fit(block_matrix(),
                                                                           callback=callback)
    assert [it for it, _ in seen] == [0, 1, 2]
    assert seen[0][1] == ["observed", "regularization", "total", "unobserved"]
    assert model.stopped_early_ and len(model.loss_history_) == 3
    assert model.recommend(0, k=3)[0].shape == (3,)


def test_log_confidence_and_rating_target_train():
    matrix = block_matrix()
    for params in (dict(confidence="log"), dict(target="rating")):
        model = WALS(factors=3, iterations=5, regularization=1.0, random_state=0, **params).fit(matrix)
        assert np.all(np.isfinite(model.user_factors_)) and np.abs(model.user_factors_).max() > 0.1


def test_values_giving_non_positive_confidence_are_rejected():
    matrix = small_matrix()
    matrix.data[0] = -50.0
    with pytest.raises(DataError, match="confidence"):
        WALS(factors=2, iterations=1).fit(matrix)


def test_overflowing_confidence_raises_value_error_naming_alpha():
    with pytest.raises(ValueError, match="alpha"):
        WALS(factors=2, iterations=2, alpha=1e38).fit(small_matrix())


@pytest.mark.parametrize(
    "name, value",
    [
        ("factors", 0),
        ("factors", 2.5),
        ("regularization", 0.0),
        ("regularization", -1.0),
        ("unobserved_weight", -0.1),
        ("iterations", 0),
        ("solver", "lu"),
        ("alpha", -1.0),
        ("confidence", "sqrt"),
        ("target", "binary"),
        ("cg_steps", 0),
        ("random_state", "seed"),
    ],
)
def test_bad_parameter_raises_value_error_naming_it(name, value):
    with pytest.raises(ValueError, match=name):
        WALS(**{name: value}).fit(small_matrix())


def test_beats_popularity_on_movielens():
    if not (DATA / "ratings.csv").exists():
        pytest.skip("../shared/data/ml-latest-small not found (only present in CI / the dev machine)")
    frame = pd.read_csv(DATA / "ratings.csv")
    data = from_arrays(frame.userId, frame.movieId, frame.rating, frame.timestamp)
    train, test = split(data, test_fraction=0.2, by="user", seed=0)
    model = WALS(factors=32, iterations=10, random_state=0).fit(train)
    ours = evaluate(model, train, test, k=10)["ndcg@10"]
    baseline = evaluate(PopularityBaseline().fit(train), train, test, k=10)["ndcg@10"]
    assert ours > baseline * 1.2
