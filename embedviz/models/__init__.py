"""Matrix factorization models: `WALS` (alternating least squares) and
`GradientDescentMF` (SGD with biases), with shared behaviour in `base`, the ``.npz``
format in `persistence` and the list of models in `registry`.

The numba kernels compile on first use (cached on disk); `warmup` triggers that
ahead of time so the first training in the app starts at once.
"""


def warmup() -> None:
    """Compile (or load from the on-disk cache) every registered model's kernels on a tiny problem."""
    import numpy as np
    import scipy.sparse as sp

    from embedviz.models.registry import MODELS

    rng = np.random.default_rng(0)
    matrix = sp.random(20, 15, density=0.3, random_state=0, format="csr", dtype=np.float32)
    matrix.data[:] = rng.integers(1, 6, matrix.nnz)
    for spec in MODELS.values():
        for params in spec.warmup_params:
            model = spec.cls(**params).fit(matrix)
            model.recommend(0, k=3)
