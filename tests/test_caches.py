"""Caches that can be lost: a damaged or foreign cache file is recomputed, a read-only folder is
worked around in memory, numba's cache falls back to compiling, and writes are all-or-nothing."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from embedviz import paths, workflows
from embedviz.data.datasets import synthetic_interactions
from embedviz.models.persistence import load_model

ROOT = Path(__file__).resolve().parents[1]
PARAMS = {"factors": 4, "iterations": 2, "random_state": 0}


@pytest.fixture(scope="module")
def data():
    return synthetic_interactions(120, 80, 2_000, seed=3)


@pytest.fixture
def cached(tmp_path, data):
    path = tmp_path / "model.npz"
    first = workflows.cached_evaluation(path, data, "WALS", PARAMS)
    assert workflows.cache_status() == "written" and path.exists()
    return path, first


def _rewrite(path: Path, **changes) -> None:
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    arrays.update(changes)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    path.write_bytes(buffer.getvalue())


def _nan_factors(path: Path) -> None:
    with np.load(path) as archive:
        factors = archive["item_factors"].copy()
    factors[0, 0] = np.nan
    _rewrite(path, item_factors=factors)


CORRUPTIONS = {
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
    "garbage": lambda p: p.write_bytes(os.urandom(4096)),
    "empty": lambda p: p.write_bytes(b""),
    "flipped_bytes": lambda p: p.write_bytes(bytes(b ^ 0xFF if 200 < i < 400 else b
                                                   for i, b in enumerate(p.read_bytes()))),
    "nan_factors": _nan_factors,
    "other_parameters": lambda p: _rewrite(p, extra__scores=np.array(json.dumps(
        {**json.loads(str(np.load(p)["extra__scores"])), "params": {"model": "WALS", "factors": 99}}))),
    "scores_missing": lambda p: _rewrite(p, extra__scores=np.array("{}")),
    "other_users": lambda p: _rewrite(p, user_ids=np.arange(1000, 1000 + len(np.load(p)["user_ids"]))),
}


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_a_damaged_or_foreign_cache_file_is_recomputed_and_rewritten(corruption, cached, data, capsys):
    path, first = cached
    CORRUPTIONS[corruption](path)
    again = workflows.cached_evaluation(path, data, "WALS", PARAMS)
    assert workflows.cache_status() == "written"
    assert "not used" in capsys.readouterr().out
    np.testing.assert_array_equal(again.model.item_factors_, first.model.item_factors_)   # deterministic
    reloaded = workflows.cached_evaluation(path, data, "WALS", PARAMS)
    assert workflows.cache_status() == "loaded"
    assert reloaded.metrics == first.metrics and np.isfinite(reloaded.model.item_factors_).all()


def test_an_intact_cache_is_loaded_not_retrained(cached, data):
    path, first = cached
    before = path.stat().st_mtime_ns
    loaded = workflows.cached_evaluation(path, data, "WALS", PARAMS)
    assert workflows.cache_status() == "loaded" and path.stat().st_mtime_ns == before
    assert loaded.metrics == first.metrics and loaded.params == first.params


def test_a_read_only_folder_keeps_the_result_in_memory(tmp_path, data, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")   # unwritable even for root
    result = workflows.cached_evaluation(blocker / "cache" / "model.npz", data, "WALS", PARAMS)
    assert workflows.cache_status() == "read-only" and np.isfinite(result.model.item_factors_).all()
    assert "kept in memory only" in capsys.readouterr().out


def test_atomic_write_leaves_the_old_file_when_the_writer_fails(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"old")

    def broken(handle):
        handle.write(b"half")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        paths.atomic_write(path, broken)
    assert path.read_bytes() == b"old" and list(tmp_path.iterdir()) == [path]
    assert paths.atomic_write(path, lambda handle: handle.write(b"new")) and path.read_bytes() == b"new"


def test_stale_temporaries_of_dead_writers_are_removed(tmp_path):
    path = tmp_path / "model.npz"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f"model.npz.{dead.stdout.strip()}.abc.tmp"
    live = tmp_path / f"model.npz.{os.getpid()}.def.tmp"
    old = tmp_path / f"model.npz.{os.getpid()}.old.tmp"
    for file in (stale, live, old):
        file.write_bytes(b"partial")
    os.utime(old, (0, 0))
    assert paths.remove_stale_temporaries(path) == 2
    assert sorted(tmp_path.iterdir()) == [live]


def test_writable_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDVIZ_CACHE_DIR", str(tmp_path / "new"))
    assert paths.writable_cache_dir() == tmp_path / "new"
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("EMBEDVIZ_CACHE_DIR", str(tmp_path / "file" / "cache"))
    assert paths.writable_cache_dir() is None


# ----------------------------------------------------------------------------- numba's cache
DAMAGES = ("truncate_index", "garbage_index", "flip_data", "delete_checksum")
KERNEL = "from embedviz import numba_cache\nnumba_cache.install()\nfrom numba import njit\n" + "".join(
    f"\n@njit(cache=True)\ndef {name}(x):\n    return x + {n}\n" for n, name in enumerate(DAMAGES)
) + "\nprint('result', " + " + ".join(f"{name}(10)" for name in DAMAGES) + ")\n"   # 40 + 0+1+2+3 = 46


def _run_kernel(folder: Path, cache: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, str(folder / "kernel.py")], capture_output=True, text=True, env=env,
                          timeout=120)


def _damage(cache: Path, function: str, how: str) -> None:
    index = next(cache.rglob(f"kernel.{function}-*.nbi"))
    data = next(cache.rglob(f"kernel.{function}-*.nbc"))
    if how == "truncate_index":
        index.write_bytes(index.read_bytes()[:10])
    elif how == "garbage_index":
        index.write_bytes(os.urandom(300))
    elif how == "flip_data":
        raw = bytearray(data.read_bytes())
        raw[len(raw) // 2] ^= 0xFF
        data.write_bytes(bytes(raw))
    else:
        Path(str(data) + ".sha256").unlink()


@pytest.mark.slow
def test_a_damaged_numba_cache_means_compiling_again(tmp_path):
    (tmp_path / "kernel.py").write_text(KERNEL)
    cache = tmp_path / "numba"
    first = _run_kernel(tmp_path, cache)
    assert "result 46" in first.stdout, first.stderr
    for how in DAMAGES:               # each function's cache damaged its own way
        _damage(cache, how, how)
    second = _run_kernel(tmp_path, cache)
    assert second.returncode == 0 and "result 46" in second.stdout, second.stderr
    assert second.stderr.count("is damaged") == 2, second.stderr     # the two unreadable indexes say so
    third = _run_kernel(tmp_path, cache)        # every entry was rewritten: loaded, no message
    assert "result 46" in third.stdout and "embedviz:" not in third.stderr, third.stderr


def test_an_unwritable_numba_cache_folder_means_compiling_in_a_temporary_one(tmp_path):
    (tmp_path / "kernel.py").write_text(KERNEL)
    (tmp_path / "file").write_text("x")
    result = _run_kernel(tmp_path, tmp_path / "file" / "numba")
    assert result.returncode == 0 and "result 46" in result.stdout, result.stderr
    assert "is not writable; compiled code is kept in" in result.stderr
    temporary = result.stderr.split("compiled code is kept in ", 1)[1].split(" for this run only")[0]
    assert not Path(temporary).exists(), "the temporary folder is removed when the process ends"


def test_the_demo_cache_file_is_a_valid_archive_after_writing(cached):
    path, _ = cached
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
    assert np.isfinite(load_model(path).item_factors_).all()
