"""The Streamlit side of embedviz: session state, cached calls, background jobs, shared sidebar.

This is the only part of the package that imports streamlit.
"""
from threadpoolctl import threadpool_limits  # installed with scikit-learn

# One BLAS thread in the server process: the heavy loops are numba kernels with their own
# threads, and on a 2-core machine idle-spinning OpenBLAS threads made small products
# (a 3,000 x 32 PCA) 10-100x slower while a numba job ran (measured: 0.45 s vs 0.01 s).
threadpool_limits(1, user_api="blas")
