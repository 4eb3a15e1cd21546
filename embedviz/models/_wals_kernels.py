"""Numba kernels for one WALS half-sweep: re-solve every row of ``X`` against fixed ``Y``.

Each row ``x_u`` minimises, for its observed entries ``j`` (weight ``c_uj``, target ``t_uj``)::

    sum_j c_uj (t_uj - x_u.y_j)^2 + w0 sum_{unobserved j} (x_u.y_j)^2 + lam |x_u|^2

whose normal equations are ``A_u x_u = b_u`` with::

    A_u = (w0 Y^T Y + lam I) + sum_j (c_uj - w0) y_j y_j^T     b_u = sum_j c_uj t_uj y_j

The first bracket (``gram``) is shared by all rows and computed once per sweep by the
caller, so the unobserved entries never have to be visited. Per observed entry the
kernels receive ``weight = c - w0`` and ``rhs = c * t``.

Rows are independent and each row is computed by one thread from start to end, so
the result does not depend on thread scheduling. The per-row and per-pass helpers
are inlined (``inline="always"``): with a handful of entries per row, the calls
themselves (arrays are passed as a dozen fields each) cost about a quarter of the sweep.
Rows are handed out in ``chunks`` (row ranges of similar cost) so that scratch buffers are allocated once per chunk.

Both kernels also return, per row, the two observed-entry sums the loss needs
(``row_loss[u, 0] = sum_j (c d^2 - 2 c t d)`` and ``row_loss[u, 1] = sum_j d^2`` with
``d = x_u.y_j``), computed after the row's solve when ``track_loss`` is set.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from embedviz import numba_cache

numba_cache.install()   # a damaged or read-only cache means compiling, never an error

# Entries ahead of the current one whose factor rows are prefetched: the rows are
# gathered in random order from a matrix that may not fit in cache (measured on the
# 10M set: item sweep 36 % faster, user sweep 22 %).
_PREFETCH_DISTANCE = 8


@intrinsic
def _prefetch(typingctx, matrix, row, col):
    """Hint the CPU to start loading the cache line holding ``matrix[row, col]`` (no effect on results)."""

    def codegen(context, builder, signature, args):
        matrix_type, row_type, col_type = signature.args
        array = context.make_array(matrix_type)(context, builder, args[0])
        index = [context.cast(builder, value, kind, types.intp)
                 for value, kind in ((args[1], row_type), (args[2], col_type))]
        pointer = cgutils.get_item_pointer(context, builder, matrix_type, array, index)
        byte_pointer = ir.PointerType(ir.IntType(8))
        int32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [byte_pointer, int32, int32, int32]), "llvm.prefetch.p0"
        )
        # read access, high temporal locality, data cache
        builder.call(function, [builder.bitcast(pointer, byte_pointer), int32(0), int32(3), int32(1)])
        return context.get_dummy_value()

    return types.void(matrix, row, col), codegen


@njit(fastmath=True, cache=True, error_model="numpy")
def _prefetch_row(Y, indices, n, end):
    """Prefetch the factor row of entry ``n`` (if it exists): one hint per 64-byte line."""
    if n < end:
        row = indices[n]
        for f in range(0, Y.shape[1], 16):
            _prefetch(Y, row, f)  # type: ignore[call-arg]  # numba intrinsic: context arg implicit


@njit(fastmath=True, cache=True, error_model="numpy")
def _dot(a, b):
    total = np.float32(0.0)
    for f in range(a.shape[0]):
        total += a[f] * b[f]
    return total


@njit(fastmath=True, cache=True, error_model="numpy")
def _max_row_nnz(indptr, first, last):
    longest = 0
    for u in range(first, last):
        longest = max(longest, indptr[u + 1] - indptr[u])
    return longest


@njit(fastmath=True, cache=True, error_model="numpy", inline="always")
def _entry_pass(start, end, indices, weight, rhs, Y, v, out, dots, residual):
    """One pass over a row's entries: ``dots[n - start] = y_n.v`` and ``out += c_n y_n``.

    ``c_n = rhs_n - weight_n dots_n`` when ``residual`` (the b - A x pass), else
    ``weight_n dots_n`` (the A p pass). Entries go four at a time so ``out`` is read
    and written once per four factor rows: updating it once per row stalled on
    store-to-load forwarding (measured 30 % slower).
    """
    k = v.shape[0]
    n = start
    while n + 4 <= end:
        for ahead in range(n + _PREFETCH_DISTANCE, n + _PREFETCH_DISTANCE + 4):
            _prefetch_row(Y, indices, ahead, end)
        j0, j1, j2, j3 = indices[n], indices[n + 1], indices[n + 2], indices[n + 3]
        s0 = s1 = s2 = s3 = np.float32(0.0)
        for f in range(k):
            vf = v[f]
            s0 += Y[j0, f] * vf
            s1 += Y[j1, f] * vf
            s2 += Y[j2, f] * vf
            s3 += Y[j3, f] * vf
        dots[n - start], dots[n + 1 - start], dots[n + 2 - start], dots[n + 3 - start] = s0, s1, s2, s3
        c0, c1, c2, c3 = weight[n] * s0, weight[n + 1] * s1, weight[n + 2] * s2, weight[n + 3] * s3
        if residual:
            c0, c1, c2, c3 = rhs[n] - c0, rhs[n + 1] - c1, rhs[n + 2] - c2, rhs[n + 3] - c3
        for f in range(k):
            out[f] += c0 * Y[j0, f] + c1 * Y[j1, f] + c2 * Y[j2, f] + c3 * Y[j3, f]
        n += 4
    while n < end:
        j = indices[n]
        s = _dot(Y[j], v)
        dots[n - start] = s
        c = rhs[n] - weight[n] * s if residual else weight[n] * s
        for f in range(k):
            out[f] += c * Y[j, f]
        n += 1


@njit(fastmath=True, cache=True, error_model="numpy", inline="always")
def _cg_row(start, end, indices, weight, rhs, Y, x, diag, cg_steps, r, p, ap, d, e):
    """Warm-started conjugate gradient for one row; updates ``x`` in place.

    Coordinates are the eigenbasis of the shared Gramian, so its product with a
    vector is ``diag * vector`` (k operations instead of k^2). ``d[n - start]`` ends
    holding ``x.y_j`` for the final ``x`` (tracked through the CG recurrence, so the
    loss needs no extra pass over the factors).
    """
    k = x.shape[0]
    for f in range(k):
        r[f] = -diag[f] * x[f]
    _entry_pass(start, end, indices, weight, rhs, Y, x, r, d, True)
    for f in range(k):
        p[f] = r[f]
    rs_old = _dot(r, r)
    for _ in range(cg_steps):
        if rs_old < 1e-20:
            break
        for f in range(k):
            ap[f] = diag[f] * p[f]
        _entry_pass(start, end, indices, weight, rhs, Y, p, ap, e, False)
        alpha = rs_old / _dot(p, ap)
        for f in range(k):
            x[f] += alpha * p[f]
            r[f] -= alpha * ap[f]
        for n in range(end - start):
            d[n] += alpha * e[n]
        rs_new = _dot(r, r)
        beta = rs_new / rs_old
        for f in range(k):
            p[f] = r[f] + beta * p[f]
        rs_old = rs_new


@njit(fastmath=True, cache=True, error_model="numpy")
def _row_loss(start, end, weight, rhs, w0, d, out):
    observed = 0.0
    squares = 0.0
    for n in range(start, end):
        dn = np.float64(d[n - start])
        observed += (weight[n] + w0) * dn * dn - 2.0 * rhs[n] * dn
        squares += dn * dn
    out[0] = observed
    out[1] = squares


@njit(parallel=True, fastmath=True, cache=True, error_model="numpy")
def cg_sweep(indptr, indices, weight, rhs, Y, X, diag, w0, cg_steps, chunks, track_loss, row_loss):
    """Update every row of ``X`` (n_rows, k) in place with ``cg_steps`` CG steps.

    ``X`` and ``Y`` are expressed in the eigenbasis of the shared Gramian
    ``w0 YᵀY + lam I``, whose eigenvalues are ``diag``.

    Parameters
    ----------
    indptr : int64 (n_rows + 1,), indices : int32 (nnz,)
        CSR structure of the rows being solved (columns index rows of ``Y``).
    weight, rhs : float32 (nnz,)
        ``c - w0`` and ``c * t`` per observed entry.
    Y : float32 (n_cols, k)
        Fixed factors (rotated).
    X : float32 (n_rows, k)
        Factors to update (rotated warm start).
    diag : float32 (k,)
        Eigenvalues of the shared Gramian.
    chunks : int64 (n_chunks + 1,)
        Row boundaries of the work chunks.
    row_loss : float64 (n_rows, 2)
        Output, filled when ``track_loss``.
    """
    k = X.shape[1]
    for c in prange(chunks.shape[0] - 1):
        first, last = chunks[c], chunks[c + 1]
        longest = _max_row_nnz(indptr, first, last)
        r = np.empty(k, np.float32)
        p = np.empty(k, np.float32)
        ap = np.empty(k, np.float32)
        d = np.empty(longest, np.float32)
        e = np.empty(longest, np.float32)
        for u in range(first, last):
            start, end = indptr[u], indptr[u + 1]
            _cg_row(start, end, indices, weight, rhs, Y, X[u], diag, cg_steps, r, p, ap, d, e)
            if track_loss:
                _row_loss(start, end, weight, rhs, w0, d, row_loss[u])


@njit(fastmath=True, cache=True, error_model="numpy")
def _cholesky_solve_inplace(A, b):
    """Solve A x = b for symmetric positive definite A (lower triangle used); b <- x."""
    k = b.shape[0]
    for j in range(k):
        s = A[j, j]
        for m in range(j):
            s -= A[j, m] * A[j, m]
        A[j, j] = np.sqrt(s)
        for i in range(j + 1, k):
            t = A[i, j]
            for m in range(j):
                t -= A[i, m] * A[j, m]
            A[i, j] = t / A[j, j]
    for i in range(k):
        t = b[i]
        for m in range(i):
            t -= A[i, m] * b[m]
        b[i] = t / A[i, i]
    for i in range(k - 1, -1, -1):
        t = b[i]
        for m in range(i + 1, k):
            t -= A[m, i] * b[m]
        b[i] = t / A[i, i]


@njit(fastmath=True, cache=True, error_model="numpy")
def _cholesky_row(start, end, indices, weight, rhs, Y, x, gram64, A, b, d):
    """Exact solve of one row's normal equations (float64), written into ``x``."""
    k = x.shape[0]
    for a in range(k):
        b[a] = 0.0
        for c in range(a + 1):
            A[a, c] = gram64[a, c]
    for n in range(start, end):
        y = Y[indices[n]]
        w = np.float64(weight[n])
        for a in range(k):
            ya = np.float64(y[a])
            b[a] += rhs[n] * ya
            wa = w * ya
            for c in range(a + 1):
                A[a, c] += wa * y[c]
    _cholesky_solve_inplace(A, b)
    for a in range(k):
        x[a] = b[a]
    for n in range(start, end):
        d[n - start] = _dot(Y[indices[n]], x)


@njit(parallel=True, fastmath=True, cache=True, error_model="numpy")
def cholesky_sweep(indptr, indices, weight, rhs, Y, X, gram64, w0, chunks, track_loss, row_loss):
    """Exact per-row solve (Cholesky, float64) of every row of ``X``; same layout as `cg_sweep`.

    ``gram64`` is float64 (k, k): ``w0 Y^T Y + lam I``.
    """
    k = X.shape[1]
    for c in prange(chunks.shape[0] - 1):
        first, last = chunks[c], chunks[c + 1]
        longest = _max_row_nnz(indptr, first, last)
        A = np.empty((k, k), np.float64)
        b = np.empty(k, np.float64)
        d = np.empty(longest, np.float32)
        for u in range(first, last):
            start, end = indptr[u], indptr[u + 1]
            _cholesky_row(start, end, indices, weight, rhs, Y, X[u], gram64, A, b, d)
            if track_loss:
                _row_loss(start, end, weight, rhs, w0, d, row_loss[u])

