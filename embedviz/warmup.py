"""Compile and cache the numba code (ours and umap-learn's) ahead of the first page view.

    python -m embedviz.warmup      # run by `make run` once after install
"""
import time

from embedviz import workflows


def main() -> None:
    start = time.perf_counter()
    print("embedviz: compiling the training kernels (one-off)…", flush=True)
    from embedviz.models import warmup as warm_models

    warm_models()
    print(f"  done in {time.perf_counter() - start:.0f} s; compiling UMAP (one-off, ~1 min)…", flush=True)
    from embedviz.analysis.projection import warmup as warm_umap

    warm_umap()
    print(f"  compiled in {time.perf_counter() - start:.0f} s; training the demo model…", flush=True)
    trained = workflows.demo_evaluation()      # cached on disk, so a fresh server starts with it
    print(f"  demo model ready (NDCG@10 {trained.metrics['ndcg@10']:.3f}); all done in "
          f"{time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
