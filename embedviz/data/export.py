"""Exporting tables safely: text cells can't become spreadsheet formulas."""
from __future__ import annotations

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Prefix a cell that a spreadsheet would run as a formula with a single quote."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def safe_text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``frame`` with every text cell neutralised (numbers untouched)."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = [neutralise(v) if isinstance(v, str) else v for v in safe[column]]
    return safe


def embeddings_frame(ids, vectors, titles=None) -> pd.DataFrame:
    """One row per vector: id, [title,] f0..f{d-1}."""
    frame = pd.DataFrame({"id": ids})
    if titles is not None:
        frame["title"] = titles
    factors = pd.DataFrame(vectors, columns=[f"f{j}" for j in range(vectors.shape[1])])
    return pd.concat([frame, factors], axis=1)


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV of ``frame`` with text cells neutralised against spreadsheet formulas."""
    return safe_text_frame(frame).to_csv(index=False).encode()


def to_parquet_bytes(frame: pd.DataFrame) -> bytes:
    """Parquet of ``frame`` (list cells, e.g. genres, stay lists)."""
    import io

    out = io.BytesIO()
    frame.to_parquet(out, index=False)
    return out.getvalue()
