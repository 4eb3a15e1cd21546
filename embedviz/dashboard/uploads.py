"""Turning uploaded files into a validated `Dataset`, without losing the one in use.

Each upload is read and digested once (keyed by Streamlit's file id), not on every rerun;
item metadata is validated once per (file, column choice, genre names).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import streamlit as st

from embedviz.dashboard.records import Dataset
from embedviz.data.metadata_columns import MetadataMapping
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
    guess: dict | MetadataMapping


@dataclass(eq=False)
class MetadataChoice:
    """An item metadata upload with its columns chosen and validated (`meta` is ready to align)."""

    raw: RawUpload
    mapping: MetadataMapping
    genre_names: list[str] | None
    names_from: str
    meta: pd.DataFrame
    digest: str = field(default="")


def read_upload(uploaded, slot: str, header: bool | None = None, *, metadata: bool = False) -> RawUpload | None:
    """Read an `UploadedFile` once per (file, header choice); later reruns reuse it. Raises DataError.

    ``metadata`` guesses item metadata columns (id, title, genres) instead of interaction columns.
    """
    if uploaded is None:
        return None
    memo = st.session_state.setdefault("ev_uploads", {})
    key = (uploaded.file_id, header)
    cached = memo.get(slot)
    if cached is not None and cached[0] == key:
        return cached[1]
    from embedviz.data.columns import guess_columns
    from embedviz.data.metadata_columns import guess_metadata_columns
    from embedviz.data.readers import read_table

    content = uploaded.getvalue()
    frame = read_table(content, name=uploaded.name, header=header)
    guess = (guess_metadata_columns(frame, name=uploaded.name) if metadata
             else guess_columns(frame, name=uploaded.name))
    raw = RawUpload(uploaded.name, content, digest_bytes(content), frame, guess)
    memo[slot] = (key, raw)
    return raw


def preview(frame: pd.DataFrame, rows: int = 8, time_col: str | None = None) -> pd.DataFrame:
    """First rows for display, without the loader's bookkeeping in ``attrs``.

    ``time_col`` holding epoch numbers is shown as dates (read the way the loader reads it).
    """
    head = frame.head(rows).copy()
    head.attrs = {}
    if time_col is not None and len(head) and time_col in head and pd.api.types.is_numeric_dtype(head[time_col]):
        from embedviz.data.values import timestamps

        try:
            seconds, _ = timestamps(head[time_col], time_col, name="preview", where=str)
            head[time_col] = pd.to_datetime(seconds, unit="s")
        except (DataError, ValueError):
            pass    # shown as read; the loader reports the problem when the data set is used
    return head


def choose_metadata(raw: RawUpload, mapping: MetadataMapping, genre_names: list[str] | None,
                    names_from: str) -> MetadataChoice:
    """Validate the chosen metadata columns (once per choice). Raises DataError."""
    from embedviz.data.metadata import metadata_from_frame

    memo = st.session_state.setdefault("ev_metadata_choices", {})
    key = (raw.digest, mapping, tuple(genre_names) if genre_names is not None else None)
    if key not in memo:
        memo.clear()     # one metadata file at a time: keep memory bounded
        meta = metadata_from_frame(raw.frame, mapping, name=raw.name, genre_names=genre_names,
                                   names_from=names_from)
        digest = digest_bytes(raw.content, repr(key[1:]).encode())
        memo[key] = MetadataChoice(raw, mapping, genre_names, names_from, meta, digest)
    return memo[key]


def items_matched(meta: pd.DataFrame, raw: RawUpload, item_col: str | None) -> tuple[int, int] | None:
    """(items of the interactions upload with a metadata row, all its items), before loading."""
    if not item_col or item_col not in raw.frame:
        return None
    from embedviz.data.metadata import align_metadata

    items = pd.unique(raw.frame[item_col].dropna())
    aligned = align_metadata(meta[["title"]], np.asarray(items))
    return int(np.count_nonzero(aligned.attrs["matched"])), len(items)


def build_dataset(raw: RawUpload, mapping: dict, kind: str | None,
                  metadata: MetadataChoice | None = None) -> Dataset:
    """Validate the mapped interactions (+ chosen item metadata) into a Dataset. Raises DataError."""
    from embedviz.data.loaders import interactions_from_frame
    from embedviz.data.metadata import align_metadata, metadata_report

    columns = {k: (None if v == NOT_MAPPED else v) for k, v in mapping.items()}
    user, item = columns.get("user"), columns.get("item")
    if not user or not item:
        raise DataError(f"{raw.name}: choose both a user column and an item column")
    interactions, report = interactions_from_frame(
        raw.frame, user_col=user, item_col=item, value_col=columns.get("value"),
        time_col=columns.get("time"), kind=kind, name=raw.name)
    digest_parts = [raw.content, repr(sorted(columns.items())).encode(), str(kind).encode()]
    meta = None
    if metadata is not None:
        meta = metadata.meta
        digest_parts.append(metadata.digest.encode())
    items = align_metadata(meta if meta is not None else pd.DataFrame(index=pd.Index([], name="item_id")),
                           interactions.item_ids)
    return Dataset(raw.name, interactions, items, digest_bytes(*digest_parts), report=report,
                   meta_report=metadata_report(meta, items))
