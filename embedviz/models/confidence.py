"""How WALS turns an interaction's value into the confidence weight of its entry.

``linear``: ``c = 1 + alpha * value`` (ratings, clicks); ``log``: ``c = 1 + alpha * log(1 + value)``
(play counts, whose raw values span five orders of magnitude). With ``"auto"`` WALS picks both
from the training values when it is fitted, so ``WALS()`` suits ratings and skewed counts alike:

- the transform is ``log`` when the values are heavy-tailed (the largest is at least
  `SKEW_LIMIT` times the median), else ``linear``;
- ``alpha`` makes the *average* observed entry weigh ``1 + RELATIVE_ALPHA`` whatever the unit
  of the values: ``alpha = RELATIVE_ALPHA / mean(f(value))`` with f the transform.

The defaults were measured, not guessed: see benchmarks/bench_defaults.py and its README table.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from embedviz.errors import DataError

AUTO = "auto"
CONFIDENCE = {
    "linear": lambda values, alpha: 1.0 + alpha * values,
    "log": lambda values, alpha: 1.0 + alpha * np.log1p(values),
}
TRANSFORMS: dict[str, Callable[[np.ndarray], np.ndarray]] = {"linear": lambda values: values,
                                                           "log": np.log1p}
RELATIVE_ALPHA = 9.0
SKEW_LIMIT = 20.0


class ConfidenceChoice(NamedTuple):
    """The confidence transform and scale a fit used, and why."""

    confidence: str
    alpha: float
    reason: str


def choose_confidence(values: np.ndarray, confidence: str = AUTO, alpha: float | str = AUTO, *,
                      relative_alpha: float = RELATIVE_ALPHA) -> ConfidenceChoice:
    """Resolve ``"auto"`` for the confidence transform and/or its scale from the values.

    Parameters
    ----------
    values : ndarray, shape (nnz,)
        The observed values (ratings, counts, weights), all >= 0.
    confidence : {"auto", "linear", "log"}
    alpha : float or "auto"
    relative_alpha : float
        With ``alpha="auto"``: the extra confidence of the average observed entry.

    Returns
    -------
    ConfidenceChoice
        ``reason`` is one sentence for reports ("log: counts from 1 to 352,698, ...").
    """
    values = np.asarray(values, dtype=np.float64)
    if values.size and values.min() < 0 and (AUTO in (confidence, alpha)):
        raise DataError(f"training data: value {values.min():g} is negative; WALS weighs entries by "
                        "confidence and needs values >= 0 (use GradientDescentMF for signed ratings)")
    low, median, high = (float(np.min(values)), float(np.median(values)), float(np.max(values))) \
        if values.size else (0.0, 0.0, 0.0)
    spread = f"values from {low:,.4g} to {high:,.4g}, median {median:,.4g}"
    if confidence == AUTO:
        skewed = high >= SKEW_LIMIT * max(median, 1e-12) and high > 0
        confidence = "log" if skewed else "linear"
        why = (f"heavy-tailed ({spread}: the largest is {high / max(median, 1e-12):,.0f}x the median), "
               "so log" if skewed else f"not heavy-tailed ({spread}), so linear")
    else:
        why = f"{confidence}, as given ({spread})"
    if alpha == AUTO:
        mean = float(TRANSFORMS[confidence](values).mean()) if values.size else 0.0
        alpha = relative_alpha / mean if mean > 0 else relative_alpha
        scale = (f"alpha = {relative_alpha:g} / mean {'log(1 + value)' if confidence == 'log' else 'value'} "
                 f"({mean:.3g}) = {alpha:.3g}, so the average observed entry weighs {1 + relative_alpha:g}")
    else:
        alpha = float(alpha)
        scale = f"alpha = {alpha:g}, as given"
    return ConfidenceChoice(confidence, float(alpha), f"Confidence: {why}; {scale}.")
