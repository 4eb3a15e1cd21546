"""WALS parameters -> Spark MLlib ALS parameters (``implicitPrefs=True``).

The two objectives, over users u and items i (docs/scale.md has the full derivation)::

    WALS   sum_obs (1 + a r)(1 - s)^2 + w0 sum_unobs s^2 + lam (sum_u |x_u|^2 + sum_i |y_i|^2)
    Spark  sum_obs (1 + a' r)(p - s)^2 +    sum_unobs s^2 + reg (sum_u n_u |x_u|^2 + sum_i n_i |y_i|^2)

with ``s = x_u . y_i``, ``p = 1`` for a positive value (0 otherwise) and ``n_u`` / ``n_i`` the
number of positive values in the row (ALS-WR). Dividing the WALS objective by ``w0`` gives the
unobserved entries Spark's weight 1; what remains cannot match exactly, so two totals are matched:

- ``alpha``: the mean confidence of the observed entries, ``(1 + a r̄) / w0 = 1 + a' r̄``
  (r̄ the mean positive value). With it the observed entries weigh as much in total as in
  WALS relative to the unobserved ones; the slope differs unless every value is the same
  (binary data translates exactly).
- ``regParam``: the total penalty, ``reg * (sum n_u + sum n_i) = (lam / w0)(n_users + n_items)``.
  Spark then regularises a heavy user more and a light one less than WALS does.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class DataCounts:
    """What the translation needs to know about the data.

    Attributes
    ----------
    users, items : int
        Distinct users and items.
    positive : int
        (user, item) pairs with a value > 0: the ``n`` Spark scales its penalty by.
    mean_positive : float
        Mean of those values (1.0 for counts of one).
    """

    users: int
    items: int
    positive: int
    mean_positive: float

    def as_dict(self) -> dict:
        return asdict(self)


def spark_params(wals: dict, counts: DataCounts) -> dict:
    """Spark ALS parameters for the objective closest to WALS with ``wals`` parameters.

    Parameters
    ----------
    wals : dict
        ``factors``, ``regularization``, ``unobserved_weight``, ``alpha``, ``iterations``
        (as `embedviz.WALS` takes them); ``random_state`` becomes ``seed`` when given.
    counts : DataCounts

    Returns
    -------
    dict
        Keyword arguments for ``pyspark.ml.recommendation.ALS``: ``rank``, ``maxIter``,
        ``regParam``, ``alpha``, ``implicitPrefs`` (and ``seed``).

    Raises
    ------
    ValueError
        ``unobserved_weight`` 0 (Spark always weighs unobserved pairs 1), a weight so large
        that Spark's confidence slope would be negative, or data without positive values.
    """
    if counts.positive < 1 or not counts.mean_positive > 0:
        raise ValueError("the data has no positive values; implicit ALS needs at least one")
    if wals.get("confidence", "linear") == "log":
        raise ValueError("Spark's implicit ALS weighs an entry 1 + alpha * value (linear); confidence='log' has "
                         "no Spark counterpart: use confidence 'linear' (or 'auto', which is linear on Spark)")
    w0, lam = float(wals["unobserved_weight"]), float(wals["regularization"])
    alpha = _alpha(wals.get("alpha", "auto"), counts.mean_positive)
    if w0 <= 0:
        raise ValueError(f"unobserved_weight must be > 0 for Spark, got {w0:g}: Spark's implicit ALS weighs "
                         "every unobserved (user, item) pair 1, so it cannot ignore them")
    mean = counts.mean_positive
    spark_alpha = ((1.0 + alpha * mean) / w0 - 1.0) / mean
    if spark_alpha < 0:
        raise ValueError(
            f"unobserved_weight={w0:g} is larger than the mean observed confidence 1 + alpha * {mean:.3g} = "
            f"{1 + alpha * mean:.3g}; Spark's confidence 1 + alpha' * value cannot go below 1. "
            f"Use unobserved_weight <= {1 + alpha * mean:.3g} or a larger alpha"
        )
    params = {
        "rank": int(wals["factors"]),
        "maxIter": int(wals["iterations"]),
        "regParam": lam * (counts.users + counts.items) / (2.0 * w0 * counts.positive),
        "alpha": spark_alpha,
        "implicitPrefs": True,
    }
    if wals.get("random_state") is not None:
        params["seed"] = int(wals["random_state"])
    return params


def _alpha(alpha, mean_positive: float) -> float:
    """WALS's alpha; "auto" resolved as WALS does for linear confidence (`embedviz.models.confidence`):
    the mean observed entry weighs 1 + RELATIVE_ALPHA."""
    if alpha == "auto":
        from embedviz.models.confidence import RELATIVE_ALPHA

        return RELATIVE_ALPHA / mean_positive
    return float(alpha)
