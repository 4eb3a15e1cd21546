"""Argument checks shared by the whole package: one function per kind of check.

Each raises ``ValueError`` (or `embedviz.errors.InvalidIndexError`) with a message that
names the parameter, says what was expected and what arrived.
"""
from __future__ import annotations

import numpy as np

from embedviz.errors import InvalidIndexError


def check_int(name: str, value, minimum: int) -> int:
    """Return ``value`` as int, or raise ValueError naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_float(name: str, value, minimum: float, *, inclusive: bool = True, maximum: float | None = None) -> float:
    """Return ``value`` as float within the bounds, or raise ValueError naming the parameter."""
    bound = f">= {minimum}" if inclusive else f"> {minimum}"
    if maximum is not None:
        bound += f" and < {maximum}"
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number {bound}, got {value!r}")
    value = float(value)
    too_low = value < minimum if inclusive else value <= minimum
    if not np.isfinite(value) or too_low or (maximum is not None and value >= maximum):
        raise ValueError(f"{name} must be a number {bound}, got {value!r}")
    return value


def check_choice(name: str, value, choices) -> str:
    """Raise ValueError unless ``value`` is one of ``choices`` (a lookup table or tuple)."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return value


def check_bool(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_random_state(value) -> int | None:
    """``random_state`` is None (fresh randomness) or a non-negative int (reproducible)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"random_state must be None or a non-negative integer, got {value!r}")
    return int(value)


def check_indices(name: str, values, size: int, what: str = "row") -> np.ndarray:
    """``values`` as int64 indices into ``size`` rows (any shape kept).

    Raises ValueError for a non-integer dtype and `InvalidIndexError` (an IndexError and a
    ValueError) for an index outside ``[0, size)``.
    """
    indices = np.asarray(values)
    if indices.dtype.kind not in "iu":
        raise ValueError(f"{name} must be integer {what} indices, got dtype {indices.dtype}")
    if indices.size and (indices.min() < 0 or indices.max() >= size):
        bad = indices[(indices < 0) | (indices >= size)].ravel()[0]
        raise InvalidIndexError(f"{name} must be {what} indices in [0, {size}), got {int(bad)}")
    return indices.astype(np.int64)
