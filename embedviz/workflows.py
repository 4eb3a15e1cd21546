"""The steps a user runs end to end, shared by the command line and the dashboard.

Split a data set the way every model of it is judged, train a registered model with
progress reported to a callback, score it next to the popularity baseline, and keep the
demo's default model on disk so a fresh server starts with it.
"""
from __future__ import annotations

import json
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from embedviz.analysis.evaluation import PopularityBaseline, evaluate, split
from embedviz.data.interactions import Interactions
from embedviz.models.base import Callback, FactorizationModel
from embedviz.models.registry import MODELS, model_spec

EVAL_K = 10
TEST_FRACTION = 0.2
DEMO_MODEL = "WALS"


@dataclass(eq=False)
class Evaluated:
    """A fitted model with the split it was scored on, its scores and fit time."""

    model: FactorizationModel
    params: dict
    seconds: float
    metrics: dict
    baseline_metrics: dict
    train: Interactions
    test: Interactions
    warnings: list = field(default_factory=list)   # what the fit warned about (e.g. a collapsed model)


def evaluation_split(interactions: Interactions) -> tuple[Interactions, Interactions]:
    """The split every model of a data set is trained and scored on (deterministic).

    Each user's latest 20 % when the data has timestamps, else a random 20 % per user.
    """
    by = "time" if interactions.timestamps is not None else "user"
    return split(interactions, test_fraction=TEST_FRACTION, by=by, seed=0)


def train_and_evaluate(interactions: Interactions, model: str, params: dict | None = None, *,
                       callback: Callback | None = None) -> Evaluated:
    """Split, fit a registered model (reporting to ``callback``), score it and the baseline.

    Parameters
    ----------
    interactions : Interactions
    model : str
        A registry name (class name, page label or command-line name), see `MODELS`.
    params : dict, optional
        Parameters on top of the registry's defaults.
    callback : callable(iteration, losses) -> bool or None, optional
        Progress; returning False stops training early.
    """
    spec = model_spec(model)
    params = {**spec.defaults(), **(params or {})}
    estimator = spec.cls(**params)
    train, test = evaluation_split(interactions)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        estimator.fit(train, callback=callback)
    seconds = time.perf_counter() - start
    baseline = PopularityBaseline().fit(train)
    return Evaluated(
        model=estimator, params={"model": spec.name, **params}, seconds=seconds,
        metrics=evaluate(estimator, train, test, k=EVAL_K),
        baseline_metrics=evaluate(baseline, train, test, k=EVAL_K), train=train, test=test,
        warnings=[str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)],
    )


def tune_and_evaluate(interactions: Interactions, model: str, budget_s: float, *, random_state: int = 0,
                      callback=None, max_trials: int | None = None):
    """Tune on the evaluation split's training part, then score the tuned model on its test part.

    The test part is never seen by the search (it validates on a split of the training part).

    Returns
    -------
    (TuneResult, Evaluated)
        The search and the tuned model refitted on the training part, scored like
        `train_and_evaluate` (``seconds`` is the refit's time).
    """
    from embedviz.tuning import tune

    spec = model_spec(model)
    train, test = evaluation_split(interactions)
    result = tune(train, spec.name, budget_s=budget_s, random_state=random_state, callback=callback,
                  max_trials=max_trials)
    baseline = PopularityBaseline().fit(train)
    params = {"model": spec.name, **{p.name: result.best_params[p.name] for p in spec.params}}
    evaluated = Evaluated(
        model=result.best_model, params=params, seconds=result.refit_seconds,
        metrics=evaluate(result.best_model, train, test, k=EVAL_K),
        baseline_metrics=evaluate(baseline, train, test, k=EVAL_K), train=train, test=test)
    return result, evaluated


# ----------------------------------------------------------------------------- on-disk cache


def cached_evaluation(path: Path, interactions: Interactions, model: str,
                      params: dict | None = None) -> Evaluated:
    """`train_and_evaluate`, kept at ``path`` so the next process loads it in milliseconds.

    Training is deterministic when ``params`` fix ``random_state``. The stored file is
    verified before use (readable, finite factors, the same model, parameters, ids and
    training split); anything else is recomputed and written again atomically (a temporary
    file renamed into place, so parallel processes or a killed one never leave a half file).
    When the folder cannot be written the result is simply not kept (`cache_status` says so).
    """
    spec = model_spec(model)
    params = {**spec.defaults(), **(params or {})}
    train, test = evaluation_split(interactions)
    stored = _verified_cache(path, spec.name, params, train, test)
    if stored is not None:
        _CACHE_STATUS["state"] = "loaded"
        return stored
    result = train_and_evaluate(interactions, spec.name, params)
    _CACHE_STATUS["state"] = "written" if _save_evaluated(path, result) else "read-only"
    if _CACHE_STATUS["state"] == "read-only":
        print(f"embedviz: cannot write the cache folder {path.parent}; {path.name} is kept in memory only "
              "(set EMBEDVIZ_CACHE_DIR to a writable folder)", flush=True)
    return result


# What the last `cached_evaluation` did with its file: "loaded", "written", "read-only"
# (the folder could not be written: the result lives in this process only) or "rejected".
_CACHE_STATUS: dict[str, str] = {}


def cache_status() -> str | None:
    """How the last cached result was obtained ("loaded", "written", "read-only"), or None."""
    return _CACHE_STATUS.get("state")


def _verified_cache(path: Path, model: str, params: dict, train: Interactions,
                    test: Interactions) -> Evaluated | None:
    """The stored evaluation when the file is intact and matches the request, else None."""
    from embedviz.errors import DataError
    from embedviz.models.persistence import json_field, load_model
    from embedviz.paths import remove_stale_temporaries

    remove_stale_temporaries(path)
    if not path.exists():
        return None
    try:
        stored = load_model(path, max_bytes=None)
        scores = json_field({"scores": stored.extras_.get("scores", np.array("null"))}, "scores", path.name)
        problem = _mismatch(stored, scores, model, params, train)
    except (OSError, DataError) as error:
        problem = str(error)
    if problem:
        print(f"embedviz: cache {path.name} not used ({problem[:200]}); recomputing", flush=True)
        return None
    return Evaluated(stored, scores["params"], float(scores["seconds"]), scores["metrics"],
                     scores["baseline"], train, test)


def _mismatch(stored: FactorizationModel, scores: dict, model: str, params: dict,
              train: Interactions) -> str | None:
    """Why a stored evaluation does not answer this request (None when it does)."""
    if type(stored).__name__ != model or scores.get("params") != {"model": model, **params}:
        return "made with another model or other parameters"
    if not all(isinstance(scores.get(k), dict) and all(isinstance(v, (int, float)) for v in scores[k].values())
               for k in ("metrics", "baseline")) or not isinstance(scores.get("seconds"), (int, float)):
        return "its scores are incomplete"
    same_ids = (np.array_equal(stored.user_ids_, train.user_ids) and np.array_equal(stored.item_ids_, train.item_ids))
    if not same_ids or stored.train_matrix_.shape != train.matrix.shape:
        return "trained on other users or items"
    if (stored.train_matrix_ != train.matrix).nnz:
        return "trained on another split of the data"
    return None


def _save_evaluated(path: Path, result: Evaluated) -> bool:
    """Keep ``result`` at ``path``; False when the folder cannot be written (read-only deployment)."""
    from embedviz.paths import atomic_write

    scores = json.dumps({"metrics": result.metrics, "baseline": result.baseline_metrics,
                         "seconds": result.seconds, "params": result.params})
    return atomic_write(path, lambda handle: result.model.save(handle, scores=np.array(scores)))


def demo_model_params() -> dict:
    """The demo's default model: the registry's defaults for `DEMO_MODEL`."""
    return MODELS[DEMO_MODEL].defaults()


def demo_evaluation(data: Interactions | None = None) -> Evaluated:
    """The demo data set's default model, trained once and kept in the cache folder.

    ``data`` is the demo's interactions when the caller has loaded them already.
    """
    from embedviz.data.datasets import DEMO_ITEMS, DEMO_RATINGS, load_demo
    from embedviz.data.sources import digest_bytes
    from embedviz.paths import cache_dir

    data = load_demo()[0] if data is None else data
    params = demo_model_params()
    data_key = digest_bytes(DEMO_RATINGS.read_bytes(), DEMO_ITEMS.read_bytes())
    params_key = digest_bytes(repr(sorted(params.items())).encode())
    path = cache_dir() / f"demo-model-{data_key}-{params_key}.npz"
    return cached_evaluation(path, data, DEMO_MODEL, params)
