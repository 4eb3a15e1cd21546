"""embedviz.tune: a time-budgeted search that never does worse than the defaults, reproducibly."""
from __future__ import annotations

import time

import numpy as np
import pytest

import embedviz as ev
from embedviz.data.synthetic import write_movielens_100k


@pytest.fixture(scope="module")
def ratings(tmp_path_factory):
    files = write_movielens_100k(tmp_path_factory.mktemp("ml"), n_users=150, n_items=300, n_ratings=6_000)
    return ev.load_interactions(files.paths["ratings"])


def test_tune_finds_settings_at_least_as_good_as_the_defaults(ratings):
    result = ev.tune(ratings, "WALS", budget_s=600, random_state=0, max_trials=14)
    assert isinstance(result, ev.TuneResult) and result.stopped == "max_trials"
    trials = result.trials
    assert len(trials) == 14 and trials["stage"].iloc[0] == "defaults"
    assert {"trial", "stage", "iterations", "factors", "regularization", "unobserved_weight", "alpha",
            "confidence", "validation ndcg@10", "fit seconds"} <= set(trials.columns)
    assert set(trials["stage"]) == {"defaults", "screen", "full"}
    assert (trials.loc[trials["stage"] == "screen", "iterations"] < 15).all()
    full = trials[trials["stage"] != "screen"]
    assert result.best_score == full["validation ndcg@10"].max() >= result.default_score
    assert result.best_params["random_state"] == 0
    model = result.best_model
    assert isinstance(model, ev.WALS) and model.user_factors_.shape[0] == ratings.n_users
    assert model.train_matrix_.nnz == ratings.nnz                      # refitted on all of the data
    assert {k: model.get_params()[k] for k in result.best_params} == result.best_params


def test_the_same_seed_gives_the_same_trials(ratings):
    first = ev.tune(ratings, budget_s=600, random_state=3, max_trials=6).trials
    second = ev.tune(ratings, budget_s=600, random_state=3, max_trials=6).trials
    columns = [c for c in first.columns if c != "fit seconds"]
    assert first[columns].equals(second[columns])
    other = ev.tune(ratings, budget_s=600, random_state=4, max_trials=6).trials
    assert not np.allclose(first["regularization"].iloc[1:], other["regularization"].iloc[1:])


def test_the_budget_stops_the_search(ratings):
    start = time.perf_counter()
    result = ev.tune(ratings, budget_s=4, random_state=0)
    spent = time.perf_counter() - start
    assert result.stopped == "budget" and len(result.trials) >= 1
    longest = result.trials["fit seconds"].max()
    assert spent < 4 + 3 * longest + 1.0, (spent, longest)


def test_a_callback_sees_progress_and_can_cancel(ratings):
    seen = []

    def callback(progress):
        seen.append((progress.trial, progress.planned, progress.best_score, progress.row["stage"]))
        return progress.trial < 3

    result = ev.tune(ratings, budget_s=600, random_state=0, callback=callback)
    assert result.stopped == "cancelled" and len(result.trials) == 3
    assert [s[0] for s in seen] == [1, 2, 3] and all(s[1] >= s[0] for s in seen)
    assert seen[0][3] == "defaults" and seen[0][2] == result.default_score


def test_gradient_descent_is_tuned_for_rmse(ratings):
    result = ev.tune(ratings, "GradientDescentMF", budget_s=600, random_state=0, max_trials=8)
    assert result.metric == "rmse" and not result.higher_is_better
    assert "validation rmse" in result.trials and "learning_rate" in result.trials
    assert result.best_score <= result.default_score
    assert isinstance(result.best_model, ev.GradientDescentMF)


@pytest.mark.parametrize("kwargs, message", [
    (dict(budget_s=0), "budget_s must be a number > 0"),
    (dict(model="ALS"), "model must be one of"),
    (dict(max_trials=0), "max_trials must be an integer >= 1"),
    (dict(random_state=-1), "random_state must be None or a non-negative integer"),
])
def test_bad_arguments(ratings, kwargs, message):
    with pytest.raises(ValueError, match=message):
        ev.tune(ratings, **kwargs)
