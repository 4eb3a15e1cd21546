"""Which files on the server the dashboard may open: none unless the operator names a folder.

A public deployment must not read arbitrary paths, so opening server-side files is off by
default. The operator switches it on by naming one folder, with the environment variable
``EMBEDVIZ_DATA_DIR`` or ``python -m embedviz explore ... --data-dir FOLDER``; visitors can
then open files inside that folder only: relative paths are taken inside it, and a path that
leaves it (``..``, an absolute path elsewhere, a symbolic link pointing out) is refused.
"""
from __future__ import annotations

import os
from pathlib import Path

from embedviz.errors import DataError

ENV_VAR = "EMBEDVIZ_DATA_DIR"
MAX_LISTED = 500
_SUFFIXES = (".npy", ".npz", ".parquet", ".pq", ".tsv", ".txt", ".csv")


def allowed_folder(environ=None) -> Path | None:
    """The folder visitors may open files from, or None (the default: switched off).

    Parameters
    ----------
    environ : mapping, optional
        Where to read ``EMBEDVIZ_DATA_DIR``; ``os.environ`` by default.

    Raises
    ------
    DataError
        The variable names something that is not a folder (a configuration mistake the
        operator should see, rather than a silently disabled feature).
    """
    value = (os.environ if environ is None else environ).get(ENV_VAR, "").strip()
    if not value:
        return None
    folder = Path(value).expanduser().resolve()
    if not folder.is_dir():
        raise DataError(f"{ENV_VAR}={value!r} is not a folder; server-side files stay switched off")
    return folder


def resolve_inside(requested: str | os.PathLike, folder: Path | None) -> Path:
    """The real path of ``requested`` if it is inside ``folder``; otherwise a DataError.

    Parameters
    ----------
    requested : str or path
        Relative to ``folder``, or absolute (then it must still lie inside ``folder``).
    folder : Path or None
        From `allowed_folder`; None means the feature is off and every path is refused.
    """
    if folder is None:
        raise DataError(f"Opening files on the server is switched off. The operator can allow one folder "
                        f"with {ENV_VAR}=/path/to/folder (or `python -m embedviz explore --data-dir`).")
    text = os.fspath(requested).strip()
    if not text or "\x00" in text:
        raise DataError("Give a file name inside the allowed folder")
    folder = folder.resolve()
    candidate = Path(text).expanduser()
    candidate = (candidate if candidate.is_absolute() else folder / candidate).resolve()
    if not candidate.is_relative_to(folder):
        raise DataError(f"{text!r} is outside the folder the operator allowed; only files inside it can be opened")
    if not candidate.exists():
        raise DataError(f"{text!r}: no such file in the allowed folder")
    return candidate


def list_openable(folder: Path, limit: int = MAX_LISTED, depth: int = 3) -> list[str]:
    """Vector files (and Projector folders) under ``folder``, as paths relative to it, sorted.

    Hidden entries and links leading out of the folder are skipped; at most ``limit`` entries,
    ``depth`` levels deep.
    """
    folder = folder.resolve()
    found: list[str] = []
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        level = len(here.relative_to(folder).parts)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and level < depth
                         and (here / d).resolve().is_relative_to(folder))
        if "vectors.tsv" in files and here != folder:
            found.append(str(here.relative_to(folder)) + "/")
        for name in sorted(files):
            path = here / name
            if not name.startswith(".") and path.suffix.lower() in _SUFFIXES \
                    and path.resolve().is_relative_to(folder):
                found.append(str(path.relative_to(folder)))
        if len(found) >= limit:
            break
    return sorted(found)[:limit]
