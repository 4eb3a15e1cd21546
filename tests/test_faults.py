"""Process-level faults, each in real processes: the server killed while it writes the demo model,
then restarted; the demo model, a stale temporary and the neighbour kernels' numba files corrupted,
then a fresh process serving every page; a read-only
cache folder (every page works, one notice).

(Cancelling a training and leaving a page during UMAP are in tests/app/test_training_faults.py.
The UMAP layout itself is not kept on disk, so only the demo model can be caught mid-write.)
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
NUMBA = ROOT / ".numba_cache"

pytestmark = pytest.mark.slow

HALF_WRITE_THEN_HANG = """
import io, time
import embedviz.models.persistence as persistence
real = persistence.save_model

def half_then_hang(model, target, **extra):
    buffer = io.BytesIO()
    real(model, buffer, **extra)
    raw = buffer.getvalue()
    target.write(raw[: len(raw) // 2])
    target.flush()
    print("half written", flush=True)
    time.sleep(600)

persistence.save_model = half_then_hang
from embedviz import workflows
workflows.demo_evaluation()
"""

EVERY_PAGE = """
import sys
from streamlit.testing.v1 import AppTest

def main():
    at = AppTest.from_file(sys.argv[1], default_timeout=600)
    at.run()
    for page in [None, "pages/1_Data.py", "pages/2_Train.py", "pages/3_Explore.py", "pages/4_Neighbours.py",
                 "pages/5_Recommend.py"]:
        if page:
            at.switch_page(page)
            at.run()
        alarming = [e.value for e in at.exception] + [e.value for e in at.error] + [w.value for w in at.warning]
        print("PAGE", page or "app.py", "OK" if not alarming and at.title else alarming, flush=True)
        print("TOASTS", len(at.toast), " | ".join(t.value for t in at.toast), flush=True)

if __name__ == "__main__":
    main()
"""


def _env(cache: Path, numba: Path) -> dict:
    return dict(os.environ, EMBEDVIZ_CACHE_DIR=str(cache), NUMBA_CACHE_DIR=str(numba), PYTHONPATH=str(ROOT),
                PYTHONUNBUFFERED="1")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(env: dict, log: Path) -> tuple[subprocess.Popen, str]:
    """The `make run` launcher (warm-up, then Streamlit) on a free port; returns once it is healthy."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "embedviz.dashboard.serve", "--server.headless=true", f"--server.port={port}",
         "--server.address=127.0.0.1", "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"],
        cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    deadline = time.time() + 300
    while time.time() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise TimeoutError(log.read_text())


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def numba_copy(tmp_path):
    if not NUMBA.is_dir():
        pytest.skip("no warm numba cache to copy (run `make warm` first)")
    copy = tmp_path / "numba"
    shutil.copytree(NUMBA, copy)
    return copy


def test_killed_while_writing_the_demo_model_then_restarted(tmp_path, numba_copy):
    cache = tmp_path / "cache"
    env = _env(cache, numba_copy)
    writer = subprocess.Popen([sys.executable, "-c", HALF_WRITE_THEN_HANG], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in writer.stdout:
        if "half written" in line:
            break
    os.kill(writer.pid, signal.SIGKILL)     # kill -9 in the middle of the write
    writer.wait()
    leftovers = list(cache.glob("*.tmp"))
    assert leftovers and leftovers[0].stat().st_size > 0, list(cache.iterdir())
    assert not list(cache.glob("demo-model-*.npz")), "the half-written file never takes the real name"

    process, _ = _serve(env, tmp_path / "restart.log")   # restart: the server warms up and serves
    try:
        log = (tmp_path / "restart.log").read_text()
        assert "warmed up" in log and "Traceback" not in log, log
        (written,) = cache.glob("demo-model-*.npz")
        assert not list(cache.glob("*.tmp")), "the dead writer's temporary file was removed"
    finally:
        _stop(process)
    from embedviz.models.persistence import load_model

    assert np.isfinite(load_model(written, max_bytes=None).item_factors_).all()


def _every_page(tmp_path: Path, env: dict) -> subprocess.CompletedProcess:
    script = tmp_path / "every_page.py"
    script.write_text(EVERY_PAGE)
    return subprocess.run([sys.executable, str(script), str(ROOT / "app.py")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)


def _pages_ok(result: subprocess.CompletedProcess) -> bool:
    pages = [line for line in result.stdout.splitlines() if line.startswith("PAGE")]
    return len(pages) == 6 and all(line.endswith(" OK") for line in pages)


def test_a_read_only_cache_folder_serves_every_page_with_one_notice(tmp_path, numba_copy):
    (tmp_path / "file").write_text("a file where the cache folder should be: unwritable, even for root")
    result = _every_page(tmp_path, _env(tmp_path / "file" / "cache", numba_copy))
    assert _pages_ok(result), (result.stdout, result.stderr[-3000:])
    toasts = [line for line in result.stdout.splitlines() if line.startswith("TOASTS")]
    assert "cache folder cannot be written" in toasts[0] and all(line == "TOASTS 0 " for line in toasts[1:]), toasts
    assert "kept in memory only" in result.stdout


def test_corrupted_cache_files_then_a_fresh_process_serves_every_page(tmp_path, numba_copy):
    cache = tmp_path / "cache"
    env = _env(cache, numba_copy)
    subprocess.run([sys.executable, "-c", "from embedviz import workflows; workflows.demo_evaluation()"],
                   cwd=ROOT, env=env, check=True, capture_output=True, timeout=600)
    (model_file,) = cache.glob("demo-model-*.npz")
    model_file.write_bytes(os.urandom(model_file.stat().st_size))
    (cache / f"{model_file.name}.999999.x.tmp").write_bytes(b"left by a dead writer")
    damaged = 0
    # The neighbour-search kernels' numba files (the Neighbours page compiles them again, ~20 s).
    # The training and UMAP kernels are left alone only because recompiling them takes minutes
    # on a small machine; the same mechanism covers every cached function (tests/test_caches.py).
    for file in numba_copy.glob("analysis_*/*"):
        raw = file.read_bytes()
        file.write_bytes(raw[: len(raw) // 3] if file.suffix == ".nbi" else bytes(b ^ 0x5A for b in raw))
        damaged += 1
    assert damaged
    result = _every_page(tmp_path, env)
    assert _pages_ok(result), (result.stdout, result.stderr[-3000:])
    assert all(line.startswith("TOASTS 0") for line in result.stdout.splitlines() if line.startswith("TOASTS"))
    assert "recompiling" in result.stderr and "not used" in result.stdout
    (rewritten,) = cache.glob("demo-model-*.npz")
    from embedviz.models.persistence import load_model

    assert np.isfinite(load_model(rewritten, max_bytes=None).item_factors_).all()
    assert not list(cache.glob("*.tmp"))
