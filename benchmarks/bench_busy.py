"""The Explore layout on a busy server (used by ``bench_projection.py --busy``).

Each scenario is a long-lived process like the page's layout worker: started, warmed up (umap
imported, kernels compiled on a small layout), then timed on one 20k × 64 layout from the moment
it is asked. "Busy" = two ``nice -n 0`` processes spinning on both cores for the whole time.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

# name -> (kind, options); kinds are run by bench_projection.busy_child.
BUSY_SCENARIOS = {
    "Explore layout (worker at nice 0, unseeded, PCA start, exact kNN + preservation)": ("ours", {}),
    "Explore layout, reproducible (seeded: umap-learn on one thread)": ("ours", {"random_state": 0}),
    "before: worker at nice 10, seeded, spectral start, 200 epochs": ("before", {"nice": 10}),
    "vanilla umap-learn, cosine (warm process, nice 0)": ("vanilla", {"warm_rows": 5_000}),
}
# A run that takes longer is stopped and reported as "> CAP".
CAP_S = 240.0


def _burners() -> list[subprocess.Popen]:
    """Two processes at normal priority, each spinning one core: another tenant's busy work."""
    spin = [sys.executable, "-c", "while True: pass"]
    return [subprocess.Popen(["nice", "-n", "0", *spin]) for _ in range(2)]


def _run(script: Path, scenario: str, data: Path, busy: bool) -> dict:
    env = {**os.environ, "PYTHONPATH": str(script.parents[1])}
    child = subprocess.Popen([sys.executable, str(script), "--busy-child", scenario, str(data)], env=env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    burners: list[subprocess.Popen] = []
    try:
        assert child.stdout is not None and child.stdin is not None
        if child.stdout.readline().strip() != "ready":
            raise RuntimeError(f"{scenario}: the child did not start")
        if busy:
            burners = _burners()
            time.sleep(1.0)                        # let the scheduler see them
        load = os.getloadavg()[0]
        child.stdin.write("go\n")
        child.stdin.flush()
        try:
            out, _ = child.communicate(timeout=CAP_S)
            result = json.loads(out.strip().splitlines()[-1])
        except subprocess.TimeoutExpired:
            result = {"seconds": None, "stages": {}}
        result["load"] = load
        return result
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for burner in burners:
            burner.kill()
            burner.wait()


def busy_table(script: Path, x: np.ndarray) -> None:
    import tempfile

    print(f"load average at start: {os.getloadavg()[0]:.1f}", file=sys.stderr)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "x.npy"
        np.save(data, x)
        for busy in (False, True):
            for scenario in BUSY_SCENARIOS:
                result = _run(script, scenario, data, busy)
                shown = "—" if result["seconds"] is None else f"{result['seconds']:.1f}"
                print(f"  {'busy' if busy else 'quiet'} {scenario}: {shown} s", file=sys.stderr)
                rows.append((busy, scenario, result))
    print(f"\n| {len(x):,} × {x.shape[1]} layout, timed from asking a warm worker | machine | load before "
          "| seconds | ratio vs before (same machine state) | where the time went |")
    print("|---|---|---:|---:|---:|---|")
    for busy, scenario, result in rows:
        before = next(r for b, s, r in rows if b == busy and s.startswith("before"))
        seconds = result["seconds"]
        shown = f"> {CAP_S:.0f} (stopped)" if seconds is None else f"{seconds:.1f}"
        ratio = "—"
        if seconds and before["seconds"]:
            ratio = f"{before['seconds'] / seconds:.1f}×"
        elif seconds and before["seconds"] is None:
            ratio = f"> {CAP_S / seconds:.0f}×"
        marks = result["stages"]
        stages = ", ".join(f"{stage} from {t:.1f} s" for stage, t in marks.items() if stage != "done") or "—"
        machine = "2 burners at nice 0" if busy else "quiet"
        print(f"| {scenario} | {machine} | {result['load']:.1f} | {shown} | {ratio} | {stages} |")
