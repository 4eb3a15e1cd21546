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


def seed(key: str, parse=str, valid=None, name: str | None = None) -> None:
    """Give the widget ``key`` its value from the URL the first time it is drawn in a session.

    Call before creating the widget (with ``key=key``). The URL parameter is ``name`` (default:
    the key). ``parse`` turns the text into the widget's value (raising ValueError when it
    cannot); values for which ``valid(value)`` is False are ignored. Later runs keep what the
    visitor chose.

    (Streamlit 1.67's ``bind="query-params"`` does this too, but a bound widget set from a
    callback fell back to its default after a fragment called ``st.rerun()``: measured with a
    radio in a popover, so the URL and the page disagreed.)
    """
    name = name or key
    if key in st.session_state or name not in st.query_params:
        return
    try:
        value = parse(st.query_params[name])
    except ValueError:
        return
    if valid is None or valid(value):
        st.session_state[key] = value


def mirror(defaults: dict[str, object], values: dict[str, object]) -> None:
    """Put ``values`` in the URL, leaving out those equal to their default (a clean link)."""
    for key, value in values.items():
        if value == defaults.get(key) or value is None:
            if key in st.query_params:
                del st.query_params[key]
        else:
            text = ("1" if value else "0") if isinstance(value, bool) else str(value)
            if st.query_params.get(key) != text:
                st.query_params[key] = text


def flag(text: str) -> bool:
    """"1"/"true" -> True, "0"/"false" -> False (for `seed`)."""
    if text.lower() in ("1", "true", "yes"):
        return True
    if text.lower() in ("0", "false", "no"):
        return False
    raise ValueError(text)
