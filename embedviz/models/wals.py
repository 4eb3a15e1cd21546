"""Weighted matrix factorization by alternating least squares (WALS).

Minimises over user factors U (n_users, k) and item factors V (n_items, k)::

    sum_observed c_ij (t_ij - u_i.v_j)^2 + w0 sum_unobserved (u_i.v_j)^2 + lam (|U|^2 + |V|^2)

with confidence ``c_ij`` from the value (``1 + alpha * value`` or
``1 + alpha * log(1 + value)``, chosen from the data by default: see
`embedviz.models.confidence`), target ``t_ij`` = 1 for implicit feedback (0 for a
stored value <= 0) or the value itself (``target="rating"``), and ``w0`` the
``unobserved_weight``. Each half-sweep fixes one side and re-solves every row of the
other; the unobserved entries enter only through the Gramian ``w0 VᵀV``, so they are
never visited and ``U Vᵀ`` is never formed.
"""
from __future__ import annotations

import contextlib
import warnings
from typing import NamedTuple

import numba
import numpy as np
import scipy.linalg
import scipy.sparse as sp

from embedviz.data.interactions import Interactions
from embedviz.errors import DataError, TrainingDivergedError
from embedviz.models import _wals_kernels as kernels
from embedviz.models.base import Callback, FactorizationModel
from embedviz.models.confidence import AUTO, CONFIDENCE, choose_confidence
from embedviz.validation import check_choice, check_float, check_indices, check_int, check_random_state

TARGETS = {
    "implicit": lambda values: (values > 0).astype(np.float32),
    "rating": lambda values: values.astype(np.float32),
}
SOLVERS = ("cg", "cholesky")
# Work chunks per thread: enough for even load with skewed row lengths, few enough
# that per-chunk scratch allocation is negligible.
_CHUNKS_PER_THREAD = 16
_INIT_SCALE = 0.01


class _Side(NamedTuple):
    """One orientation of the observed entries (rows = the factors being solved)."""

    indptr: np.ndarray  # int64 (n_rows + 1,)
    indices: np.ndarray  # int32 (nnz,)
    weight: np.ndarray  # float32 (nnz,): c - w0
    rhs: np.ndarray  # float32 (nnz,): c * t
    chunks: np.ndarray  # int64 row boundaries of the work chunks


class WALS(FactorizationModel):
    """Weighted alternating least squares for implicit (or explicit) feedback.

    Parameters
    ----------
    factors : int
        Embedding dimension k.
    regularization : float > 0
        lam, the L2 penalty on all factors.
    unobserved_weight : float >= 0
        w0, the weight of every unobserved (user, item) pair pulled towards 0.
    iterations : int
        Alternating sweeps (users then items).
    solver : {"cg", "cholesky"}
        "cg": warm-started conjugate gradient (fast); "cholesky": exact per-row solve.
    alpha : float >= 0 or "auto"
        Confidence slope: observed entries weigh ``1 + alpha * value`` (or log of it).
        "auto" (default) scales it to the values at fit time so that the average observed
        entry weighs the same on any data (``alpha_`` records the value used).
    confidence : {"auto", "linear", "log"}
        How values turn into confidence; "log" suits play counts. "auto" (default) picks
        "log" for heavy-tailed values and "linear" otherwise (``confidence_`` and
        ``confidence_reason_`` record the choice and why).
    target : {"implicit", "rating"}
        Fit 1 for every positive observed entry, or the value itself.
    cg_steps : int
        Conjugate-gradient steps per row and sweep (solver="cg").
    random_state : int or None
        Seed of the initial factors; the same seed gives identical factors.

    The defaults were chosen on MovieLens ratings and last.fm-like play counts
    (benchmarks/bench_defaults.py): together with the "auto" confidence they come within a
    few thousandths of NDCG@10 of the best of a grid of implicit's ALS settings on both.
    """

    _FITTED_SCALARS = (*FactorizationModel._FITTED_SCALARS, "confidence_", "alpha_", "confidence_reason_")
    _FITTED_CHECKS = {"confidence_": lambda v: v in CONFIDENCE,
                      "confidence_reason_": lambda v: isinstance(v, str) and len(v) < 2_000}
    _item_gram: np.ndarray | None    # VᵀV cache for fold-in

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 90.0,
        unobserved_weight: float = 3.0,
        iterations: int = 15,
        solver: str = "cg",
        alpha: float | str = AUTO,
        confidence: str = AUTO,
        target: str = "implicit",
        cg_steps: int = 3,
        random_state: int | None = None,
    ):
        self.factors = factors
        self.regularization = regularization
        self.unobserved_weight = unobserved_weight
        self.iterations = iterations
        self.solver = solver
        self.alpha = alpha
        self.confidence = confidence
        self.target = target
        self.cg_steps = cg_steps
        self.random_state = random_state

    def _validate_params(self) -> None:
        check_int("factors", self.factors, 1)
        check_float("regularization", self.regularization, 0.0, inclusive=False)
        check_float("unobserved_weight", self.unobserved_weight, 0.0)
        check_int("iterations", self.iterations, 1)
        check_choice("solver", self.solver, SOLVERS)
        if self.alpha != AUTO:
            try:
                check_float("alpha", self.alpha, 0.0)
            except ValueError:
                raise ValueError(f"alpha must be a number >= 0 or 'auto', got {self.alpha!r}") from None
        check_choice("confidence", self.confidence, (AUTO, *CONFIDENCE))
        check_choice("target", self.target, TARGETS)
        check_int("cg_steps", self.cg_steps, 1)
        check_random_state(self.random_state)

    # ---- training

    def _fit(self, data: Interactions, callback: Callback | None) -> None:
        self.confidence_, self.alpha_, self.confidence_reason_ = choose_confidence(
            data.matrix.data, self.confidence, self.alpha)
        by_user, observed_constant = self._user_side(data.matrix)
        by_item = _transpose_side(by_user, data.n_items)
        rng = np.random.default_rng(self.random_state)
        k = self.factors
        users = rng.standard_normal((data.n_users, k), dtype=np.float32) * np.float32(_INIT_SCALE)
        items = rng.standard_normal((data.n_items, k), dtype=np.float32) * np.float32(_INIT_SCALE)
        self._item_gram = None
        # The CG solver works in a rotated basis (see _half_sweep); ``rotation`` maps the
        # current coordinates back to the original ones: original = current @ rotation.T.
        rotation = np.eye(k)
        row_loss = np.zeros((data.n_items, 2), dtype=np.float64)
        # Chunk size 1: threads take the next work chunk as they finish one, so a core
        # shared with another process does not hold up the whole sweep.
        with _single_threaded_blas(), numba.parallel_chunksize(1):
            item_gram = _gramian(items)
            for iteration in range(self.iterations):
                users, items, basis = self._half_sweep(by_user, users, items, item_gram, None)
                rotation = rotation @ basis
                user_gram = _gramian(users)
                items, users, basis = self._half_sweep(by_item, items, users, user_gram, row_loss)
                rotation = rotation @ basis
                user_gram = basis.T @ user_gram @ basis
                item_gram = _gramian(items)
                losses = self._losses(row_loss, user_gram, item_gram, observed_constant)
                self._check_finite(iteration, losses)
                if not self._report(iteration, losses, callback):
                    break
            back = rotation.T.astype(np.float32)
            self.user_factors_, self.item_factors_ = users @ back, items @ back
        self._warn_if_collapsed(data.matrix)

    def _warn_if_collapsed(self, matrix: sp.csr_matrix) -> None:
        """Warn when regularisation shrank every factor to ~0 (all scores ~0: the model ranks nothing).

        It happens when lambda is large for the amount of data, e.g. the defaults on a toy matrix.
        """
        rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        sample = np.random.default_rng(0).choice(matrix.nnz, min(matrix.nnz, 10_000), replace=False)
        scores = np.einsum("ij,ij->i", self.user_factors_[rows[sample]], self.item_factors_[matrix.indices[sample]])
        if float(np.abs(scores).mean()) < 1e-3:
            warnings.warn(
                f"WALS: regularization={self.regularization:g} shrank every factor to about 0 on this data "
                f"({matrix.shape[0]:,} x {matrix.shape[1]:,}, {matrix.nnz:,} entries), so all scores are ~0; "
                "lower it (e.g. ten times) or let embedviz.tune choose it", RuntimeWarning, stacklevel=3)

    def _user_side(self, matrix: sp.csr_matrix) -> tuple[_Side, float]:
        """The entries by user, and the loss's constant part sum(c t^2)."""
        confidence, target = self._confidence_and_target(matrix.data, "training data")
        with np.errstate(over="ignore"):
            weight = (confidence - self.unobserved_weight).astype(np.float32)
            rhs = (confidence * target).astype(np.float32)
        if not (np.all(np.isfinite(weight)) and np.all(np.isfinite(rhs))):
            raise ValueError(
                f"alpha={self.alpha_:g} is too large: confidences up to {confidence.max():.3g} overflow float32; "
                "lower alpha (or use confidence='log')"
            )
        indptr = matrix.indptr.astype(np.int64)
        side = _Side(indptr, matrix.indices.astype(np.int32), weight, rhs, _balanced_chunks(indptr))
        return side, float(confidence @ np.square(target, dtype=np.float64))

    def _confidence_and_target(self, values: np.ndarray, source: str) -> tuple[np.ndarray, np.ndarray]:
        """Per-entry confidence c (float64) and target t (float32) for values (n,)."""
        values = np.asarray(values, dtype=np.float32)
        confidence = CONFIDENCE[self.confidence_](values.astype(np.float64), self.alpha_)
        bad = ~(confidence > 0)
        if bad.any():
            value = values[bad][0]
            raise DataError(
                f"{source}: value {value:g} gives confidence {confidence[bad][0]:g} with "
                f"confidence={self.confidence_!r}, alpha={self.alpha_:g}; confidence must be > 0, so WALS "
                "needs non-negative values (use GradientDescentMF for signed ratings)"
            )
        return confidence, TARGETS[self.target](values)

    def _half_sweep(self, side: _Side, solved: np.ndarray, fixed: np.ndarray, fixed_gram: np.ndarray,
                    row_loss: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Re-solve every row of ``solved`` against the ``fixed`` factors (whose Gramian is ``fixed_gram``).

        Returns ``(solved, fixed, basis)``: both factor matrices expressed in ``basis``
        (k, k), orthogonal, i.e. multiplied by it on the right.
        """
        w0, lam = self.unobserved_weight, self.regularization
        gram = w0 * fixed_gram + lam * np.eye(self.factors)
        track = row_loss is not None
        loss_out = row_loss if track else np.zeros((0, 2), dtype=np.float64)
        if row_loss is not None and row_loss.shape != (solved.shape[0], 2):  # the kernels do not bounds-check
            raise ValueError(f"row_loss must have shape ({solved.shape[0]}, 2), got {row_loss.shape}")
        if self.solver == "cholesky":
            kernels.cholesky_sweep(side.indptr, side.indices, side.weight, side.rhs, fixed, solved,
                                   gram, w0, side.chunks, track, loss_out)
            return solved, fixed, np.eye(self.factors)
        # In the eigenbasis of the shared Gramian its product with a vector is
        # elementwise, so a CG step costs O(k) per row for it instead of O(k^2). Rotating
        # both sides by the same orthogonal matrix changes neither U Vᵀ nor the norms.
        eigenvalues, basis = np.linalg.eigh(gram)
        basis32 = basis.astype(np.float32)
        solved, fixed = solved @ basis32, fixed @ basis32
        kernels.cg_sweep(side.indptr, side.indices, side.weight, side.rhs, fixed, solved,
                         eigenvalues.astype(np.float32), w0, self.cg_steps, side.chunks, track, loss_out)
        return solved, fixed, basis

    def _losses(self, row_loss, user_gram, item_gram, observed_constant) -> dict:
        """Objective split into its three terms, for the current factors."""
        observed = observed_constant + float(row_loss[:, 0].sum())
        all_squares = float(np.sum(user_gram * item_gram))  # sum over all (i, j) of (u_i.v_j)^2
        unobserved = self.unobserved_weight * max(0.0, all_squares - float(row_loss[:, 1].sum()))
        regularization = self.regularization * (float(np.trace(user_gram)) + float(np.trace(item_gram)))
        return {
            "observed": observed,
            "unobserved": unobserved,
            "regularization": regularization,
            "total": observed + unobserved + regularization,
        }

    def _check_finite(self, iteration: int, losses: dict) -> None:
        if all(np.isfinite(value) for value in losses.values()):
            return
        raise TrainingDivergedError(
            f"WALS training produced NaN/inf at iteration {iteration + 1}; increase regularization "
            f"(now {self.regularization:g}) or lower alpha (now {self.alpha_:g})"
        )

    # ---- queries

    def fold_in(self, item_indices, values=None) -> np.ndarray:
        """Vector for a new user from their items: one exact solve against the fixed item factors.

        Uses the same normal equations as a user row in training.

        Parameters
        ----------
        item_indices : array of int, shape (n,)
            Column numbers of the items the user interacted with.
        values : array of float, shape (n,), optional
            Their values; default 1 (target="implicit") or the largest training value
            (target="rating"), i.e. "liked".

        Returns
        -------
        float32 ndarray, shape (factors,)
        """
        self._check_fitted()
        items, values = self._history(item_indices, values)
        system, confidence, target = self._user_system(items, values)
        rhs = self.item_factors_[items].astype(np.float64).T @ (confidence * target)
        return scipy.linalg.solve(system, rhs, assume_a="pos").astype(np.float32)

    def explain(self, user_index_or_history, item_index: int, n: int = 3, values=None):
        """Split the score of ``item_index`` into one contribution per history item.

        With ``A`` the user's normal-equation matrix and ``x = A⁻¹ sum_j c_j t_j v_j`` the
        folded-in user vector, ``score = v_i.x = sum_j c_j t_j (v_iᵀ A⁻¹ v_j)``; the j-th
        term is history item j's contribution (as in implicit's ``explain``).

        Parameters
        ----------
        user_index_or_history : int or array of int
            A training user's row number, or item indices of a history.
        item_index : int
        n : int
            How many contributions to return.
        values : array of float, optional
            Values of a given history (see `fold_in`).

        Returns
        -------
        history_item_indices : int64 ndarray, shape (<= n,), largest contribution first
        contributions : float64 ndarray, same shape
        """
        self._check_fitted()
        n = check_int("n", n, 1)
        items, values = self._history(user_index_or_history, values)
        item = self._item_vector(item_index)
        system, confidence, target = self._user_system(items, values)
        weighted_item = scipy.linalg.cho_solve(scipy.linalg.cho_factor(system), item)
        contributions = confidence * target * (self.item_factors_[items].astype(np.float64) @ weighted_item)
        order = np.argsort(-contributions, kind="stable")[:n]
        return items[order], contributions[order]

    def _legacy_fitted(self) -> dict:
        """Fitted values a model file from before "auto" confidence lacks (its params were explicit)."""
        return {"confidence_": self.confidence, "alpha_": self.alpha,
                "confidence_reason_": f"Confidence: {self.confidence}, alpha = {self.alpha}, as given."}

    def _item_vector(self, item_index) -> np.ndarray:
        index = check_indices("item_index", item_index, self.item_factors_.shape[0], "item")
        return self.item_factors_[int(index)].astype(np.float64)

    def _user_system(self, items: np.ndarray, values: np.ndarray | None):
        """(A (k, k) float64, confidence (n,), target (n,)) of a user with this history."""
        if values is None:
            default = 1.0 if self.target == "implicit" else float(self.train_matrix_.data.max())
            values = np.full(items.shape[0], default, dtype=np.float32)
        confidence, target = self._confidence_and_target(values, "fold-in values")
        history = self.item_factors_[items].astype(np.float64)
        system = self.unobserved_weight * self._item_gramian() + self.regularization * np.eye(self.factors)
        system += history.T @ ((confidence - self.unobserved_weight)[:, None] * history)
        return system, confidence, target.astype(np.float64)

    def _item_gramian(self) -> np.ndarray:
        """VᵀV in float64, cached (fold-in for a 100k-item catalogue must take milliseconds)."""
        gram = getattr(self, "_item_gram", None)
        if gram is None:
            items = self.item_factors_.astype(np.float64)
            gram = self._item_gram = items.T @ items
        return gram


def _single_threaded_blas():
    """Limit BLAS to one thread while training.

    OpenBLAS threads keep spinning for a while after each call and steal the cores the
    next numba sweep runs on (measured: a sweep right after a 2-thread matrix product
    took 1.6x as long). The BLAS work here (Gramians, rotating the factors by a k x k
    matrix) is a small share of a sweep, so one thread costs little.
    """
    try:
        from threadpoolctl import threadpool_limits  # installed with scikit-learn
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def _gramian(factors: np.ndarray) -> np.ndarray:
    """FᵀF (k, k) float64 from float32 factors (n, k)."""
    return (factors.T @ factors).astype(np.float64)


def _transpose_side(by_user: _Side, n_items: int) -> _Side:
    """The same entries ordered by item (CSC), with weights permuted to match."""
    nnz = by_user.indices.shape[0]
    positions = sp.csr_matrix(
        (np.arange(nnz, dtype=np.int64), by_user.indices, by_user.indptr), shape=(len(by_user.indptr) - 1, n_items)
    ).tocsc()
    order = positions.data
    indptr = positions.indptr.astype(np.int64)
    return _Side(indptr, positions.indices.astype(np.int32), by_user.weight[order], by_user.rhs[order],
                 _balanced_chunks(indptr))


def _balanced_chunks(indptr: np.ndarray) -> np.ndarray:
    """Row boundaries splitting the rows into chunks of about equal work.

    A row costs about its number of entries plus a couple of entries' worth of
    per-row vector work (the diagonal Gramian product and the CG updates).
    """
    n_rows = len(indptr) - 1
    n_chunks = max(1, min(n_rows, _CHUNKS_PER_THREAD * numba.get_num_threads()))
    cost = np.cumsum(np.diff(indptr) + 2)
    targets = cost[-1] * np.arange(1, n_chunks) / n_chunks
    inner = np.searchsorted(cost, targets, side="left") + 1
    bounds = np.concatenate([[0], inner, [n_rows]])
    return np.unique(bounds).astype(np.int64)
