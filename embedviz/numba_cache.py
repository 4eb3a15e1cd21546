"""numba's on-disk cache, made safe to lose: a corrupt or unwritable cache means compiling
again (slower once), never an error.

Out of the box numba fails hard in both cases: a truncated index file raises "Ran out of
input" on every call of the function until the folder is deleted, damaged machine code can
crash the process, and ``cache=True`` raises at import when no cache folder is writable (a
read-only deployment). `install` (idempotent, run by every module with cached kernels before
its decorators) makes numba

* compile into a temporary folder when the configured one cannot be written;
* treat an index or data file it cannot load as absent: the function is compiled and the
  cache entry rewritten;
* keep a SHA-256 of every data file it writes next to it (``.nbc.sha256``) and use a data
  file only when it matches, so flipped bytes are recompiled instead of executed.
"""
from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import shutil
import sys
import tempfile
import threading

_lock = threading.Lock()
_installed = False
_DIGEST_SUFFIX = ".sha256"


def install() -> None:
    """Make numba's cache fall back to compiling; call before ``@njit(cache=True)`` runs."""
    global _installed
    with _lock:
        if _installed:
            return
        from numba.core import caching, config

        _ensure_writable_folder(config, caching)
        _tolerate_bad_entries(caching.Cache)
        _verify_data_files(caching.IndexDataCacheFile)
        _installed = True


def _writable(path: str) -> bool:
    try:
        os.makedirs(path, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError:
        return False
    return True


def _ensure_writable_folder(config, caching) -> None:
    configured = config.CACHE_DIR
    if configured and _writable(configured):
        return
    if not configured and _default_locator_works(caching):
        return
    fallback = tempfile.mkdtemp(prefix="embedviz-numba-")
    atexit.register(shutil.rmtree, fallback, ignore_errors=True)
    config.CACHE_DIR = fallback
    os.environ["NUMBA_CACHE_DIR"] = fallback   # worker processes started later use it too
    _warn(f"numba cache folder {configured or '(default)'} is not writable; compiled code is kept in "
          f"{fallback} for this run only")


def _default_locator_works(caching) -> bool:
    """Whether numba finds a writable cache folder for our modules without NUMBA_CACHE_DIR."""
    try:
        classes = caching._CacheImpl._locator_classes
        return any(cls.from_function(install, __file__) is not None for cls in classes)
    except Exception:  # numba internals changed: let numba decide, as before
        return True


def _tolerate_bad_entries(cache_class) -> None:
    load, save = cache_class.load_overload, cache_class.save_overload

    def load_overload(self, sig, target_context):
        try:
            return load(self, sig, target_context)
        except Exception as error:  # a damaged index or data file: compile instead
            _forget(self, error)
            return None

    def save_overload(self, sig, data):
        try:
            save(self, sig, data)
        except Exception as error:  # e.g. the index it extends is damaged: start it afresh
            _forget(self, error)
            try:
                save(self, sig, data)
            except Exception as again:  # the compiled function still works, just uncached
                _warn(f"could not cache {self._name}: {again}")

    cache_class.load_overload, cache_class.save_overload = load_overload, save_overload


def _forget(cache, error: Exception) -> None:
    """Delete a function's cache index after ``error`` (its data files are overwritten later)."""
    index = getattr(getattr(cache, "_cache_file", None), "_index_path", None)
    _warn(f"numba cache of {getattr(cache, '_name', '?')} is damaged ({type(error).__name__}: "
          f"{str(error)[:120]}); recompiling")
    if index:
        with contextlib.suppress(OSError):
            os.unlink(index)


def _verify_data_files(file_class) -> None:
    load_data, save_data = file_class._load_data, file_class._save_data

    def _load_data(self, name):
        path = self._data_path(name)
        with open(path, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
        try:
            with open(path + _DIGEST_SUFFIX, encoding="ascii") as handle:
                expected = handle.read().strip()
        except (OSError, ValueError):
            expected = None
        if digest != expected:   # OSError: numba treats the entry as missing and compiles
            raise FileNotFoundError(f"{path}: no matching checksum; recompiling")
        return load_data(self, name)

    def _save_data(self, name, data):
        save_data(self, name, data)
        path = self._data_path(name)
        with open(path, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
        with self._open_for_write(path + _DIGEST_SUFFIX) as handle:
            handle.write(digest.encode("ascii"))

    file_class._load_data, file_class._save_data = _load_data, _save_data


def _warn(message: str) -> None:
    print(f"embedviz: {message}", file=sys.stderr, flush=True)
