"""Matrix factorization models: `WALS` (alternating least squares) and
`GradientDescentMF` (SGD with biases), with shared behaviour in `base`.

The numba kernels compile on first use (cached on disk); `warmup` triggers that
ahead of time so the first training in the app starts at once.
"""


def warmup() -> None:
    """Compile (or load from the on-disk cache) every training kernel on a tiny problem."""
    import numpy as np
    import scipy.sparse as sp

    from embedviz.models.gradient_descent import GradientDescentMF
    from embedviz.models.wals import WALS

    rng = np.random.default_rng(0)
    matrix = sp.random(20, 15, density=0.3, random_state=0, format="csr", dtype=np.float32)
    matrix.data[:] = rng.integers(1, 6, matrix.nnz)
    for solver in ("cg", "cholesky"):
        WALS(factors=2, iterations=1, solver=solver, random_state=0).fit(matrix)
    model = GradientDescentMF(factors=2, epochs=1, random_state=0).fit(matrix)
    model.predict(np.array([0]), np.array([0]))
