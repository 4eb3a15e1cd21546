"""Peak memory of a block of code, for the bomb tests (Linux: VmHWM after resetting it)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

MB = 1024 * 1024


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


@contextmanager
def peak_rss_growth() -> Iterator[dict]:
    """``box["bytes"]``: how far the process's peak resident memory rose above its level at the start.

    Resets the kernel's high-water mark (``/proc/self/clear_refs``), so earlier peaks of the test
    process do not count. Skips the test where that is not possible.
    """
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pytest.skip("cannot reset the peak RSS here (/proc/self/clear_refs)")
    start = _status("VmRSS")
    box: dict = {}
    try:
        yield box
    finally:
        box["bytes"] = _status("VmHWM") - start
        box["mb"] = box["bytes"] / MB
