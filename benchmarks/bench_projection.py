"""Layout time: embedviz.project vs vanilla umap-learn, in fresh processes, cold and warm caches.

Every UMAP run is a new Python process (as after a server start), timed from
launch to the layout saved; "cold" points NUMBA_CACHE_DIR at an empty directory,
"warm" at one filled beforehand (by `embedviz.analysis.projection.warmup()` in its own
process, as `make run` does, or by a previous vanilla run for umap-learn).
Peer: vanilla ``umap.UMAP().fit_transform(x)`` (its default euclidean metric)
and the same with ``metric="cosine"``. Data: 10k x 64 float32 clustered
vectors with long-tailed lengths (like trained item factors); 100k for the
sampling path. Trustworthiness (k=10, 5,000-row sample) in the layout's metric.

Busy server (``--busy``): the Explore page's 20k-item layout as its worker computes it, timed
from asking to the result, on a quiet machine and while two ``nice -n 0`` processes burn both
cores; against the configuration before (worker at nice 10, seeded, spectral start) and vanilla
umap-learn in the same warm, long-lived kind of process.

Run: ``python benchmarks/bench_projection.py [--skip-100k] [--busy | --busy-only]``; prints
markdown tables.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_neighbours import make_vectors  # noqa: E402

TARGET_FRESH_S, TARGET_WARM_S = 15.0, 5.0
BUSY_ROWS = 20_000

# name -> (runner, options); runners are interpreted by `child`.
SCENARIOS = {
    "vanilla umap-learn": ("vanilla", {}),
    "vanilla umap-learn, cosine": ("vanilla", {"metric": "cosine"}),
    "embedviz.project": ("ours", {}),
    "embedviz.project, no precomputed kNN": ("ours", {"no_knn": True}),
    "embedviz.project, seeded": ("ours", {"random_state": 0}),
    "embedviz.project, sample 20k + neighbour placement": ("ours", {"sample_above": 20_000}),
}


# --------------------------------------------------------------------------- child side


def child(scenario: str, data: str, out: str) -> None:
    runner, options = SCENARIOS[scenario]
    x = np.load(data)
    start = time.perf_counter()
    import umap

    import_s = time.perf_counter() - start
    start = time.perf_counter()
    if runner == "vanilla":
        xy = umap.UMAP(metric=options.get("metric", "euclidean")).fit_transform(x)
    else:
        import embedviz.analysis.projection as projection

        if options.get("no_knn"):
            projection.EXACT_KNN_ROWS = 0
        xy = projection.project(x, random_state=options.get("random_state"),
                                sample_above=options.get("sample_above", 200_000))
    np.save(out, xy)
    print(json.dumps({"import_s": import_s, "fit_s": time.perf_counter() - start}))


def busy_child(scenario: str, data: str) -> None:
    """A long-lived layout process like the Explore page's worker: warm it up, say "ready", wait
    for "go" on stdin, then time one layout of ``data`` and print JSON."""
    from bench_busy import BUSY_SCENARIOS

    import embedviz.analysis.projection as projection
    from embedviz.analysis import maps

    x = np.load(data)
    kind, options = BUSY_SCENARIOS[scenario]
    if options.get("nice"):
        os.nice(options["nice"])
    projection.enable_umap_caching()
    warm = x[: options.get("warm_rows", 1_000)]
    layout = _busy_layout(kind, options, maps, projection)
    layout(warm)                                  # numba code compiled / loaded, as in a running server
    print("ready", flush=True)
    sys.stdin.readline()
    start = time.perf_counter()
    stages = layout(x)
    print(json.dumps({"seconds": time.perf_counter() - start, "stages": stages}), flush=True)


def _busy_layout(kind, options, maps, projection):
    def ours(x):
        marks = {}
        start = time.perf_counter()

        def callback(stage, fraction):
            marks.setdefault(stage, time.perf_counter() - start)

        maps.lay_out(x, random_state=options.get("random_state"), callback=callback)
        return marks

    def before(x):
        projection.default_n_epochs = lambda n: 500 if n < 2_000 else 200   # the rule before
        projection.project(x, random_state=0, init="spectral")
        return {}

    def vanilla(x):
        import umap

        umap.UMAP(metric="cosine").fit_transform(x)
        return {}

    return {"ours": ours, "before": before, "vanilla": vanilla}[kind]


# --------------------------------------------------------------------------- parent side


def run_child(scenario: str, data: Path, cache_dir: Path, out: Path) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir), "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--child", scenario, str(data), str(out)],
                          env=env, capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - start
    return result


def warm_cache(cache_dir: Path) -> float:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir), "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from embedviz.analysis.projection import warmup; warmup()"],
                   env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def trust(x: np.ndarray, xy: np.ndarray, scenario: str) -> float:
    from embedviz.analysis.projection import trustworthiness

    default = "euclidean" if "vanilla" in scenario else "cosine"
    metric = SCENARIOS[scenario][1].get("metric", default)
    return trustworthiness(x, xy, k=10, metric=metric)


def measure(x: np.ndarray, plan: list[tuple[str, str]], tmp: Path) -> list[dict]:
    """Run (scenario, cache state) pairs in order; cache dirs persist between runs."""
    data = tmp / f"x{len(x)}.npy"
    np.save(data, x)
    rows = []
    for scenario, cache in plan:
        runner = SCENARIOS[scenario][0]
        cache_dir = tmp / f"cache-{runner}"
        if cache == "warm" and runner == "ours" and not (tmp / "ours-warmed").exists():
            print(f"  warmup() in its own process: {warm_cache(cache_dir):.0f} s", file=sys.stderr)
            (tmp / "ours-warmed").touch()
        out = tmp / "xy.npy"
        result = run_child(scenario, data, cache_dir, out)
        result.update(n=len(x), scenario=scenario, cache=cache,
                      trust=trust(x, np.load(out), scenario))
        print(f"  {scenario} ({cache}): {result['wall_s']:.1f} s", file=sys.stderr)
        rows.append(result)
    return rows


def pca_seconds(x: np.ndarray) -> tuple[float, float]:
    from embedviz.analysis.projection import project, trustworthiness

    project(x[:100], method="pca")
    times = []
    for _ in range(5):
        start = time.perf_counter()
        xy = project(x, method="pca")
        times.append(time.perf_counter() - start)
    return float(np.median(times)), trustworthiness(x, xy, k=10, metric="cosine")


def print_table(rows: list[dict], pca: dict[int, tuple[float, float]]) -> None:
    peers = {(r["n"], r["cache"]): r["wall_s"]
             for r in rows if r["scenario"] == "vanilla umap-learn"}
    print("| items × 64 | method | numba caches | import umap (s) | layout (s) | fresh process "
          "total (s) | ratio vs vanilla (same caches) | trustworthiness@10 |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for n, (seconds, quality) in pca.items():
        print(f"| {n:,} | PCA (embedviz.project, in process) | — | — | {seconds:.3f} | — | — | "
              f"{quality:.3f} |")
    for r in rows:
        peer = peers.get((r["n"], r["cache"]))
        ratio = f"{peer / r['wall_s']:.1f}×" if peer else "—"
        print(f"| {r['n']:,} | {r['scenario']} | {r['cache']} | {r['import_s']:.1f} | "
              f"{r['fit_s']:.1f} | {r['wall_s']:.1f} | {ratio} | {r['trust']:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=3, metavar=("SCENARIO", "DATA", "OUT"))
    parser.add_argument("--busy-child", nargs=2, metavar=("SCENARIO", "DATA"))
    parser.add_argument("--skip-100k", action="store_true")
    parser.add_argument("--busy", action="store_true", help="also the busy-server measurement")
    parser.add_argument("--busy-only", action="store_true", help="only the busy-server measurement")
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.busy_child:
        busy_child(*args.busy_child)
        return
    if args.busy or args.busy_only:
        from bench_busy import busy_table

        busy_table(Path(__file__), make_vectors(BUSY_ROWS, seed=5))
        if args.busy_only:
            return
    print(f"load average at start: {os.getloadavg()[0]:.1f}", file=sys.stderr)
    small = make_vectors(10_000, seed=3)
    plan_10k = [
        ("vanilla umap-learn", "cold"), ("vanilla umap-learn", "warm"),
        ("vanilla umap-learn, cosine", "warm"),
        ("embedviz.project", "cold"), ("embedviz.project", "warm"),
        ("embedviz.project, no precomputed kNN", "warm"), ("embedviz.project, seeded", "warm"),
    ]
    plan_100k = [("vanilla umap-learn", "warm"), ("embedviz.project", "warm"),
                 ("embedviz.project, sample 20k + neighbour placement", "warm")]
    pca = {10_000: pca_seconds(small)}
    with tempfile.TemporaryDirectory() as tmp:
        rows = measure(small, plan_10k, Path(tmp))
        if not args.skip_100k:
            big = make_vectors(100_000, seed=4)
            pca[100_000] = pca_seconds(big)
            rows += measure(big, plan_100k, Path(tmp))
    print_table(rows, pca)
    print(f"\nload average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
