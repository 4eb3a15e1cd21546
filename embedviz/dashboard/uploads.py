"""Turning uploaded files into a validated `Dataset`, without losing the one in use.

Each upload is read and digested once (keyed by Streamlit's file id), not on every rerun.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from embedviz.dashboard.records import Dataset
from embedviz.data.sources import digest_bytes
from embedviz.errors import DataError

KIND_CHOICES = {"Detect automatically": None, "Explicit ratings": "explicit", "Implicit counts / weights": "implicit"}
NOT_MAPPED = "(none)"
HEADER_CHOICES = {"Detect header": None, "Is a header": True, "Is data": False}


@dataclass(eq=False)
class RawUpload:
    """An uploaded file read into a raw table, before column mapping."""

    name: str
    content: bytes
    digest: str
    frame: pd.DataFrame
    guess: dict


def read_upload(uploaded, slot: str, header: bool | None = None) -> RawUpload | None:
    """Read an `UploadedFile` once per (file, header choice); later reruns reuse it. Raises DataError."""
    if uploaded is None:
        return None
    memo = st.session_state.setdefault("ev_uploads", {})
    key = (uploaded.file_id, header)
    cached = memo.get(slot)
    if cached is not None and cached[0] == key:
        return cached[1]
    from embedviz.data.columns import guess_columns
    from embedviz.data.readers import read_table

    content = uploaded.getvalue()
    frame = read_table(content, name=uploaded.name, header=header)
    raw = RawUpload(uploaded.name, content, digest_bytes(content), frame, guess_columns(frame))
    memo[slot] = (key, raw)
    return raw


def preview(frame: pd.DataFrame, rows: int = 8) -> pd.DataFrame:
    """First rows for display, without the loader's bookkeeping in ``attrs``."""
    head = frame.head(rows).copy()
    head.attrs = {}
    return head


def build_dataset(raw: RawUpload, mapping: dict, kind: str | None, metadata=None) -> Dataset:
    """Validate the mapped interactions (+ optional metadata file) into a Dataset. Raises DataError."""
    from embedviz.data.loaders import interactions_from_frame
    from embedviz.data.metadata import align_metadata, load_item_metadata

    columns = {k: (None if v == NOT_MAPPED else v) for k, v in mapping.items()}
    user_col, item_col = columns.get("user"), columns.get("item")
    if not user_col or not item_col:
        raise DataError(f"{raw.name}: choose both a user column and an item column")
    interactions, report = interactions_from_frame(
        raw.frame, user_col=user_col, item_col=item_col, value_col=columns.get("value"),
        time_col=columns.get("time"), kind=kind, name=raw.name)
    digest_parts = [raw.content, repr(sorted(columns.items())).encode(), str(kind).encode()]
    if metadata is not None:
        meta = load_item_metadata(metadata.getvalue(), name=metadata.name)
        digest_parts.append(metadata.getvalue())
    else:
        meta = pd.DataFrame(index=pd.Index([], name="item_id"))
    items = align_metadata(meta, interactions.item_ids)
    return Dataset(raw.name, interactions, items, digest_bytes(*digest_parts), report=report)
