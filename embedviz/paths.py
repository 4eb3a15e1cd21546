"""Where embedviz finds its packaged files and keeps its caches, installed or in a checkout.

The demo data ships inside the package (``embedviz/data/demo``, a link to the repository's
``data/`` folder in a checkout), found with `importlib.resources`. Caches go to
``$EMBEDVIZ_CACHE_DIR``, else the user's cache folder (``$XDG_CACHE_HOME/embedviz`` or
``~/.cache/embedviz``); `make run` and `make test` point it at ``.cache/`` in the checkout.
Cache files are written atomically (`atomic_write`); when the folder cannot be written the
app keeps its results in memory (`writable_cache_dir` is None).
"""
from __future__ import annotations

import contextlib
import glob
import os
import tempfile
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import BinaryIO


def demo_data_dir() -> Path:
    """The folder holding the embedded demo data set."""
    return Path(str(resources.files("embedviz.data") / "demo"))


def cache_dir() -> Path:
    """The folder for computed caches (created on first use by the writer)."""
    configured = os.environ.get("EMBEDVIZ_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "embedviz"


def writable_cache_dir() -> Path | None:
    """`cache_dir`, created if needed, or None when it cannot be written (a read-only deployment)."""
    path = cache_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError:
        return None
    return path


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> bool:
    """Write ``path`` all or nothing: ``write(handle)`` fills a temporary file in the same folder,
    which is flushed to disk and renamed over ``path``.

    A reader never sees a half-written file, even when the process is killed mid-write; the
    temporary file it leaves is removed by the next writer (`remove_stale_temporaries`).
    Returns False when the folder cannot be written (nothing is written then).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path)
        handle_fd, temporary = tempfile.mkstemp(prefix=f"{path.name}.{os.getpid()}.", suffix=".tmp",
                                                dir=path.parent)
    except OSError:
        return False
    try:
        with os.fdopen(handle_fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return False
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return True


def remove_stale_temporaries(path: Path, max_age_s: float = 3600.0) -> int:
    """Delete temporary files `atomic_write` left next to ``path`` when its process died.

    A temporary file is stale when the process that wrote it (its pid is in the name) is
    gone, or when it is older than ``max_age_s``. Returns how many were removed.
    """
    removed = 0
    for temporary in path.parent.glob(f"{glob.escape(path.name)}.*.tmp"):
        pid = temporary.name[len(path.name) + 1:].split(".", 1)[0]
        try:
            stale = not (pid.isdigit() and _alive(int(pid)))
            stale = stale or time.time() - temporary.stat().st_mtime > max_age_s
            if stale:
                temporary.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # someone else's process
        return True
    return True
