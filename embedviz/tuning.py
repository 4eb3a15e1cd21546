"""One-call hyper-parameter tuning: ``embedviz.tune(data, model="WALS", budget_s=60)``.

The search, and why this one
----------------------------
A random search made efficient by successive halving, written here rather than taken from
Optuna (which would be a new pinned dependency for one function):

1. **The defaults first.** Trial 0 is the model's defaults at full length, so the result is
   never worse than not tuning (on the validation split).
2. **Screen, then promote.** Each round draws a batch of candidates and fits each for a few
   sweeps only (WALS learns most of what it will learn in its first 3-4 sweeps; SGD in its
   first epochs), then refits the best third at full length. Ranking by short fits costs a
   quarter of the time per candidate, so four times as many settings are looked at.
3. **Where to look.** Half of each round comes from a scrambled Sobol sequence over log-scaled
   ranges (even coverage, no clumps), half from perturbations of the best full-length setting so
   far - the defaults at first, which were measured to be good on ratings and on play counts -
   that shrink round by round (local refinement).
4. **The right coordinates.** For WALS the loss is unchanged when the confidences, the
   unobserved weight w0 and lambda are all scaled by the same factor, so the search moves in
   the ratios that matter: w0 against an observed entry's floor confidence 1, the average extra
   confidence per w0, and lambda per w0. Searching lambda and w0 independently wastes trials on
   settings that are rescalings of each other.

Everything is reproducible with ``random_state``: the candidates depend only on the seed and
the scores, and every fit uses the same seed. The budget decides how many trials run (a slower
machine runs fewer); ``max_trials`` fixes that number too.

Validation: ``data`` is split once (each user's latest 20 % when it has timestamps, else a random
20 % per user); trials are scored on that part only, and ``best_model`` is refitted on all of
``data``. Keep a test set outside ``data`` to measure the tuned model honestly (the Train page
tunes on its training split and scores the result on its held-out test split).
"""
from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from embedviz.analysis.evaluation import evaluate, split
from embedviz.data.interactions import Interactions
from embedviz.models.base import FactorizationModel
from embedviz.models.registry import model_spec
from embedviz.models.search_spaces import SPACES, SearchSpace
from embedviz.validation import check_float, check_int, check_random_state

VALIDATION_FRACTION = 0.2
MAX_VALIDATION_USERS = 5_000     # scoring cost stays bounded on big data
ROUND_SIZE = 9                   # candidates screened per round; the best third is refitted in full
PROMOTE = 3


@dataclass
class TuneProgress:
    """What a tuning callback is told after each trial."""

    trial: int                   # trials done so far (1-based count)
    planned: int                 # estimated number of trials within the budget
    row: dict                    # the trial just run (a row of `TuneResult.trials`)
    best_score: float
    best_params: dict
    elapsed: float


@dataclass(eq=False)
class TuneResult:
    """The outcome of `tune`.

    Attributes
    ----------
    model : str
        Registry name of the model tuned.
    metric : str
        Validation metric ("ndcg@10", higher is better, or "rmse", lower is better).
    best_params : dict
        Constructor parameters of the best full-length trial; ``model_class(**best_params)``.
    best_score : float
        Its validation score.
    default_score : float
        The validation score of the model's defaults (trial 0).
    best_model : FactorizationModel
        Fitted on all of ``data`` with ``best_params``.
    trials : pandas.DataFrame
        One row per trial: ``trial``, ``stage`` ("defaults", "screen" or "full"), the steps it
        ran, the searched parameters, ``validation <metric>``, ``fit seconds``.
    seconds : float
        Wall time of the whole call (final refit included).
    stopped : str
        "budget", "max_trials" or "cancelled".
    refit_seconds : float
        Time of the final fit of ``best_model``.
    notes : list of str
        How many trials ran, the validation split, the confidence choice (WALS).
    """

    model: str
    metric: str
    best_params: dict
    best_score: float
    default_score: float
    best_model: FactorizationModel
    trials: pd.DataFrame
    seconds: float
    stopped: str
    refit_seconds: float = 0.0
    notes: list = field(default_factory=list)

    @property
    def higher_is_better(self) -> bool:
        return self.metric != "rmse"


def tune(data: Interactions, model: str = "WALS", budget_s: float = 60, random_state: int | None = 0, *,
         max_trials: int | None = None, callback: Callable[[TuneProgress], bool | None] | None = None) -> TuneResult:
    """Search a model's hyper-parameters within a time budget; see the module docstring.

    Parameters
    ----------
    data : Interactions
        The data to tune on; a validation split is taken from it.
    model : str
        "WALS" (scored by validation NDCG@10) or "GradientDescentMF" (validation RMSE); any
        registry name.
    budget_s : float > 0
        Seconds for the whole call, the final refit on all of ``data`` included (it may run
        over by about one fit).
    random_state : int or None
        Seed of the split, the candidates and every fit.
    max_trials : int, optional
        Stop after this many trials even with budget left.
    callback : callable(TuneProgress) -> bool or None, optional
        Called after every trial; returning False stops the search (the best so far is kept).

    Returns
    -------
    TuneResult
    """
    spec = model_spec(model)
    budget_s = check_float("budget_s", budget_s, 0.0, inclusive=False)
    seed = check_random_state(random_state)
    max_trials = None if max_trials is None else check_int("max_trials", max_trials, 1)
    if not isinstance(data, Interactions):
        raise ValueError(f"data must be an embedviz Interactions, got {type(data).__name__}")
    search = _Search(spec, SPACES[spec.name](data, seed), data, budget_s, seed, max_trials, callback)
    return search.run()


class _Search:
    """One tuning run: the split, the trial log and the rounds."""

    def __init__(self, spec, space: SearchSpace, data: Interactions, budget_s: float, seed: int | None,
                 max_trials: int | None, callback):
        self.spec, self.space, self.data = spec, space, data
        self.budget_s, self.seed, self.max_trials, self.callback = budget_s, seed, max_trials, callback
        self.start = time.perf_counter()
        self.rng = np.random.default_rng(seed)
        self.train, self.valid = _validation_split(data, seed)
        self.rows: list[dict] = []
        self.stopped = ""
        self.full_seconds: list[float] = []
        self.screen_seconds: list[float] = []

    # ---- the rounds
    def run(self) -> TuneResult:
        defaults = self.space.defaults()
        self._trial(defaults, "defaults", self.space.full_steps)
        round_ = 0
        while not self.stopped:
            candidates = self.space.candidates(self.rng, ROUND_SIZE, round_, self._best_row()["_params"])
            screened = []
            for params in candidates:
                if not self._room(self.screen_seconds):
                    break
                screened.append((self._trial(params, "screen", self.space.screen_steps), params))
            order = sorted(screened, key=lambda pair: self._sort_key(pair[0]["score"]))
            for _row, params in order[:PROMOTE]:
                if not self._room(self.full_seconds):
                    break
                self._trial(params, "full", self.space.full_steps)
            round_ += 1
        return self._result()

    def _room(self, seconds: list[float]) -> bool:
        """Whether one more trial of this kind (and the final refit) fits in the budget."""
        if self.stopped:
            return False
        if self.max_trials is not None and len(self.rows) >= self.max_trials:
            self.stopped = "max_trials"
            return False
        expected = np.mean(seconds) if seconds else np.mean(self.full_seconds) / 3
        refit = np.mean(self.full_seconds) * self.space.refit_factor(self.data, self.train)
        if self._elapsed() + expected + refit > self.budget_s:
            self.stopped = "budget"
            return False
        return True

    def _trial(self, params: dict, stage: str, steps: int) -> dict:
        estimator = self.space.build(params, steps, self.seed)
        started = time.perf_counter()
        with warnings.catch_warnings():      # a trial whose factors collapse simply scores badly
            warnings.simplefilter("ignore", RuntimeWarning)
            estimator.fit(self.train)
        fit_seconds = time.perf_counter() - started
        score = self.space.score(estimator, self.train, self.valid)
        total = time.perf_counter() - started
        (self.full_seconds if stage != "screen" else self.screen_seconds).append(total)
        row = {"trial": len(self.rows), "stage": stage, self.spec.steps_param: steps,
               **self.space.describe(estimator), "score": score, "fit seconds": fit_seconds,
               "_params": params}
        self.rows.append(row)
        self._report(row)
        return row

    def _report(self, row: dict) -> None:
        if self.callback is None:
            return
        best = self._best_row()
        params = {**self.space.model_params(best["_params"]), "random_state": self.seed}
        progress = TuneProgress(len(self.rows), self._planned(), _public(row), best["score"], params,
                                self._elapsed())
        if self.callback(progress) is False:
            self.stopped = "cancelled"

    def _planned(self) -> int:
        """Trials the budget allows, estimated from the times so far."""
        full = np.mean(self.full_seconds) if self.full_seconds else 1.0
        screen = np.mean(self.screen_seconds) if self.screen_seconds else full / 3
        per_round = ROUND_SIZE * screen + PROMOTE * full
        left = max(0.0, self.budget_s - self._elapsed() - full * self.space.refit_factor(self.data, self.train))
        estimate = len(self.rows) + int(left / per_round * (ROUND_SIZE + PROMOTE))
        return min(estimate, self.max_trials) if self.max_trials else max(estimate, len(self.rows))

    def _sort_key(self, score: float) -> float:
        return -score if self.space.higher_is_better else score

    def _best_row(self) -> dict:
        full = [row for row in self.rows if row["stage"] != "screen"]
        return min(full, key=lambda row: self._sort_key(row["score"]))

    def _elapsed(self) -> float:
        return time.perf_counter() - self.start

    def _result(self) -> TuneResult:
        best = self._best_row()
        params = {**self.space.model_params(best["_params"]), "random_state": self.seed}
        started = time.perf_counter()
        best_model = self.spec.cls(**params).fit(self.data)
        refit = time.perf_counter() - started
        trials = pd.DataFrame([_public(row) for row in self.rows])
        trials = trials.rename(columns={"score": f"validation {self.space.metric}"})
        notes = [f"{len(self.rows)} trials in {self._elapsed():.0f} s (stopped: {self.stopped}); "
                 f"validation on {self.valid.nnz:,} held-out interactions of "
                 f"{int((self.valid.user_activity() > 0).sum()):,} users.", *self.space.notes]
        return TuneResult(self.spec.name, self.space.metric, params, best["score"], self.rows[0]["score"],
                          best_model, trials, self._elapsed(), self.stopped, refit, notes)


def _public(row: dict) -> dict:
    return {k: v for k, v in row.items() if not k.startswith("_")}


def _validation_split(data: Interactions, seed: int | None) -> tuple[Interactions, Interactions]:
    by = "time" if data.timestamps is not None else "user"
    train, valid = split(data, test_fraction=VALIDATION_FRACTION, by=by, seed=seed or 0)
    users = np.flatnonzero(valid.user_activity() > 0)
    if len(users) > MAX_VALIDATION_USERS:
        keep = np.random.default_rng(seed).choice(users, MAX_VALIDATION_USERS, replace=False)
        rows = np.repeat(np.arange(valid.n_users), valid.user_activity())
        valid = valid.select(np.isin(rows, keep))
    return train, valid


def validation_ndcg(model, train: Interactions, valid: Interactions) -> float:
    return float(evaluate(model, train, valid, k=10)["ndcg@10"])
