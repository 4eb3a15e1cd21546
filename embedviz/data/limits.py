"""What one file may cost the server: bytes uploaded, memory it expands to, parses at once.

Three limits, each a `DataError` a person can act on when passed:

* the upload size (``max_bytes``, 200 MB like ``server.maxUploadSize``);
* the memory a file may expand to while it is read (decompressed text, the arrays of an
  ``.npy`` / ``.npz``, a Parquet table): `memory_limit`, 512 MB unless
  ``EMBEDVIZ_MAX_MEMORY_MB`` says otherwise. Readers check it *before* allocating
  (zip sizes, ``.npy`` headers, Parquet metadata) or while streaming (gzip), so a small
  file that claims or inflates to gigabytes costs at most this much;
* how many heavy parses run at once in one server process: `parse_slot`, 2 unless
  ``EMBEDVIZ_PARSE_SLOTS`` says otherwise, so N visitors uploading bombs at the same time
  cost at most (slots x memory limit), not N x; each parse hands the memory it freed back
  to the system when it ends (`release_free_memory`).

The command line reads local files with ``max_bytes=None``: no upload or memory limit.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from embedviz.errors import DataError

# Matches `server.maxUploadSize = 200` (MB) in .streamlit/config.toml.
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
DEFAULT_MEMORY_MB = 512
DEFAULT_PARSE_SLOTS = 2
# How long a parse waits for a free slot before telling the visitor the server is busy.
SLOT_WAIT_SECONDS = 120.0
_MB = 1024 * 1024


def _env_int(name: str, default: int, minimum: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw[:40]!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def memory_limit(max_bytes: int | None = DEFAULT_MAX_BYTES) -> int | None:
    """Bytes one file may expand to in memory; None (no limit) when ``max_bytes`` is None.

    Read from ``EMBEDVIZ_MAX_MEMORY_MB`` at each call (default 512), so a deployment (or a
    test) sets it without code.
    """
    if max_bytes is None:
        return None
    return _env_int("EMBEDVIZ_MAX_MEMORY_MB", DEFAULT_MEMORY_MB, 1) * _MB


def format_size(n_bytes: float) -> str:
    """``1,234 bytes``, ``12.3 MB``, ``4.5 GB`` or ``7.3 TB`` (powers of 1024)."""
    if n_bytes < _MB:
        return f"{int(n_bytes):,} bytes"
    for unit, scale in (("TB", _MB * _MB), ("GB", 1024 * _MB)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:,.1f} {unit}"
    return f"{n_bytes / _MB:,.1f} MB"


def check_memory(n_bytes: int, limit: int | None, name: str, what: str) -> None:
    """Raise DataError when ``n_bytes`` (what ``what`` needs in memory) exceeds ``limit``."""
    if limit is not None and n_bytes > limit:
        raise DataError(
            f"{name}: {what} needs {format_size(n_bytes)} in memory, over the {format_size(limit)} "
            "limit for one file (EMBEDVIZ_MAX_MEMORY_MB); nothing larger is read. For big data use "
            "the command line (python -m embedviz), which has no such limit."
        )


# ----------------------------------------------------------------------------- parse slots
class _Slots:
    """A process-wide semaphore whose size is read once, re-entrant within a thread."""

    def __init__(self) -> None:
        self._semaphore: threading.BoundedSemaphore | None = None
        self._lock = threading.Lock()
        self._depth = threading.local()

    @property
    def semaphore(self) -> threading.BoundedSemaphore:
        with self._lock:
            if self._semaphore is None:
                slots = _env_int("EMBEDVIZ_PARSE_SLOTS", DEFAULT_PARSE_SLOTS, 1)
                self._semaphore = threading.BoundedSemaphore(slots)
            return self._semaphore

    @contextmanager
    def hold(self, name: str, timeout: float) -> Iterator[None]:
        depth = getattr(self._depth, "value", 0)
        if depth:                       # a parse inside a parse (metadata of embeddings...)
            self._depth.value = depth + 1
            try:
                yield
            finally:
                self._depth.value = depth
            return
        semaphore = self.semaphore
        if not semaphore.acquire(timeout=timeout):
            raise DataError(f"{name}: the server is busy reading other large files; nothing was read. "
                            "Try again in a minute.")
        self._depth.value = 1
        try:
            yield
        finally:
            self._depth.value = 0
            release_free_memory()
            semaphore.release()


_SLOTS = _Slots()
_TRIM: list = []


def release_free_memory() -> None:
    """Hand memory freed by a parse back to the operating system (glibc's ``malloc_trim``).

    Each server thread allocates from its own malloc arena, and glibc keeps freed blocks there:
    without this, six visitors' refused bombs in turn left six limits' worth of resident memory
    although only two were ever in use at once. A no-op where glibc is absent.
    """
    if not _TRIM:
        try:
            import ctypes

            _TRIM.append(ctypes.CDLL("libc.so.6").malloc_trim)
        except (OSError, AttributeError):
            _TRIM.append(None)
    if _TRIM[0] is not None:
        _TRIM[0](0)


@contextmanager
def parse_slot(name: str, timeout: float = SLOT_WAIT_SECONDS) -> Iterator[None]:
    """Hold one of the server's parse slots while reading ``name`` (waits for a free one).

    Re-entrant: a reader called by another reader in the same thread uses the slot it holds.
    Raises DataError when no slot frees up within ``timeout`` seconds.
    """
    with _SLOTS.hold(name, timeout):
        yield
