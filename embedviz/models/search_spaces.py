"""What `embedviz.tune` searches for each model: ranges, coordinates, scoring.

A space hands out candidate parameter dicts (constructor keyword arguments), builds a model
from one for a given number of steps, and scores a fitted model on validation data.
"""
from __future__ import annotations

import inspect

import numpy as np
from scipy.stats import qmc

from embedviz.data.interactions import Interactions
from embedviz.models.confidence import RELATIVE_ALPHA, TRANSFORMS, choose_confidence
from embedviz.models.registry import MODELS


class SearchSpace:
    """Base: log-scaled box of continuous coordinates plus one discrete "factors" choice."""

    model = ""
    metric = "ndcg@10"
    higher_is_better = True
    screen_steps = 4
    ranges: dict[str, tuple[float, float]] = {}    # coordinate -> (low, high), searched in log10
    factor_options: tuple[int, ...] = (32, 64, 128)

    def __init__(self, data: Interactions, seed: int | None = 0):
        self.notes: list[str] = []
        self._points = qmc.Sobol(d=len(self.ranges) + 1, scramble=True, seed=seed).random(256)
        self._used = 0

    @property
    def spec(self):
        return MODELS[self.model]

    @property
    def full_steps(self) -> int:
        return int(self.spec.class_defaults()[self.spec.steps_param])

    def defaults(self) -> dict:
        """The model's defaults (trial 0): no parameters given, but where they sit in the search
        coordinates, so the first local candidates are drawn around them."""
        values = self.default_values()
        coords = {k: float(np.clip(np.log10(values[k]), *np.log10(self.ranges[k]))) for k in self.ranges}
        factors = int(self.spec.class_defaults()["factors"])
        return {"_coords": coords, "_factors": factors if factors in self.factor_options else self.factor_options[1]}

    def default_values(self) -> dict:
        """The class defaults in this space's coordinates (not log-scaled)."""
        defaults = self.spec.class_defaults()
        return {k: float(defaults[k]) for k in self.ranges}

    def model_params(self, params: dict) -> dict:
        """Complete constructor parameters for a candidate (class defaults filled in)."""
        signature = inspect.signature(self.spec.cls.__init__)
        defaults = {n: p.default for n, p in signature.parameters.items() if n != "self"}
        return {**defaults, **{k: v for k, v in params.items() if not k.startswith("_")}}

    def build(self, params: dict, steps: int, seed: int | None):
        return self.spec.cls(**{**self.model_params(params), self.spec.steps_param: steps, "random_state": seed})

    # ---- candidates
    def candidates(self, rng: np.random.Generator, n: int, round_: int, best: dict) -> list[dict]:
        """``n`` candidates: half quasi-random over the whole box, half near ``best`` (the parameters of
        the best full-length trial so far, the defaults at first), closer round by round."""
        local = n // 2 if best.get("_coords") else 0
        out = [self._from_unit(self._next_point()) for _ in range(n - local)]
        scale = 0.35 / (1 + 0.5 * round_)      # log10 units: from about x2.2 down, round by round
        for _ in range(local):
            coords = {k: float(np.clip(v + rng.normal(0, scale), *np.log10(self.ranges[k])))
                      for k, v in best["_coords"].items()}
            factors = best["_factors"]
            if rng.random() < 0.3:
                position = self.factor_options.index(factors) + rng.choice([-1, 1])
                factors = self.factor_options[int(np.clip(position, 0, len(self.factor_options) - 1))]
            out.append(self._candidate(coords, factors))
        return out

    def _next_point(self) -> np.ndarray:
        point = self._points[self._used % len(self._points)]
        self._used += 1
        return point

    def _from_unit(self, point: np.ndarray) -> dict:
        coords = {}
        for u, (name, (low, high)) in zip(point, self.ranges.items()):
            coords[name] = float(np.log10(low) + u * (np.log10(high) - np.log10(low)))
        factors = self.factor_options[min(int(point[-1] * len(self.factor_options)), len(self.factor_options) - 1)]
        return self._candidate(coords, factors)

    def _candidate(self, coords: dict, factors: int) -> dict:
        params = self.to_params({k: 10.0 ** v for k, v in coords.items()})
        return {**params, "factors": int(factors), "_coords": coords, "_factors": int(factors)}

    def to_params(self, values: dict) -> dict:   # pragma: no cover - interface
        raise NotImplementedError

    def describe(self, estimator) -> dict:
        """The searched parameters of a fitted trial, for the trials table ("auto" shown resolved)."""
        params = estimator.get_params()
        return {name: getattr(estimator, f"{name}_", params[name]) for name in self.shown}

    shown: tuple[str, ...] = ()

    def refit_factor(self, data: Interactions, train: Interactions) -> float:
        """Time of the final refit on all data relative to a full trial."""
        return data.nnz / max(1, train.nnz)

    def score(self, model, train: Interactions, valid: Interactions) -> float:   # pragma: no cover
        raise NotImplementedError


class WALSSpace(SearchSpace):
    """WALS: the unobserved weight, the confidence scale and lambda, in scale-free ratios.

    The loss is unchanged by scaling confidences, w0 and lambda together, so the coordinates are
    ``floor`` = 1 / w0 (an observed entry's least confidence per unit of unobserved weight),
    ``boost`` = the average observed entry's extra confidence / w0, and ``ridge`` = lambda / w0.
    The confidence transform stays the one "auto" picks from the values.
    """

    model = "WALS"
    ranges = {"floor": (0.03, 10.0), "boost": (0.1, 10.0), "ridge": (1.0, 100.0)}
    shown = ("factors", "regularization", "unobserved_weight", "alpha", "confidence")

    def __init__(self, data: Interactions, seed: int | None = 0):
        super().__init__(data, seed)
        choice = choose_confidence(data.matrix.data)
        self.confidence = choice.confidence
        transform = TRANSFORMS[choice.confidence]
        self.mean_value = float(transform(data.matrix.data.astype(np.float64)).mean()) or 1.0
        self.notes.append(choice.reason)

    def default_values(self) -> dict:
        defaults = self.spec.class_defaults()
        w0 = float(defaults["unobserved_weight"])
        extra = RELATIVE_ALPHA if defaults["alpha"] == "auto" else float(defaults["alpha"]) * self.mean_value
        return {"floor": 1.0 / w0, "boost": extra / w0, "ridge": float(defaults["regularization"]) / w0}

    def to_params(self, values: dict) -> dict:
        w0 = 1.0 / values["floor"]
        return {"unobserved_weight": w0, "alpha": values["boost"] * w0 / self.mean_value,
                "regularization": values["ridge"] * w0, "confidence": self.confidence}

    def score(self, model, train: Interactions, valid: Interactions) -> float:
        from embedviz.analysis.evaluation import evaluate

        return float(evaluate(model, train, valid, k=10)["ndcg@10"])


class GradientDescentSpace(SearchSpace):
    """Gradient-descent MF: learning rate and regularisation (log-scaled), factors; scored by RMSE."""

    model = "GradientDescentMF"
    metric = "rmse"
    higher_is_better = False
    screen_steps = 5
    ranges = {"learning_rate": (0.002, 0.05), "regularization": (0.003, 0.3)}
    factor_options = (16, 32, 64, 128)
    shown = ("factors", "learning_rate", "regularization")

    def to_params(self, values: dict) -> dict:
        return dict(values)

    def score(self, model, train: Interactions, valid: Interactions) -> float:
        coo = valid.matrix.tocoo()
        errors = model.predict(coo.row, coo.col).astype(np.float64) - coo.data
        return float(np.sqrt(np.mean(errors ** 2)))


SPACES = {space.model: space for space in (WALSSpace, GradientDescentSpace)}
