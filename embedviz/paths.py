"""Where embedviz finds its packaged files and keeps its caches, installed or in a checkout.

The demo data ships inside the package (``embedviz/data/demo``, a link to the repository's
``data/`` folder in a checkout), found with `importlib.resources`. Caches go to
``$EMBEDVIZ_CACHE_DIR``, else the user's cache folder (``$XDG_CACHE_HOME/embedviz`` or
``~/.cache/embedviz``); `make run` and `make test` point it at ``.cache/`` in the checkout.
"""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path


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
