"""Shareable links: a page's choices live in the URL query string.

A link pasted into a new browser reproduces the same view once the same model is
loaded; values that don't exist in the loaded data are ignored with a note.
"""
from __future__ import annotations

import streamlit as st


def read(names: tuple[str, ...]) -> dict[str, str]:
    """The query-string values among ``names`` (strings; absent ones missing)."""
    return {name: st.query_params[name] for name in names if name in st.query_params}


def write(**values) -> None:
    """Put the current choices in the URL (only when they changed, to avoid extra history entries)."""
    wanted = {k: str(v) for k, v in values.items() if v is not None}
    current = {k: st.query_params.get(k) for k in wanted}
    if current != wanted:
        st.query_params.update(wanted)
