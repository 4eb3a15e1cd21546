"""User text inside Streamlit markdown, and user files read without surprises.

Streamlit renders markdown in st.markdown, st.error, st.success and friends; a title or
cell value could otherwise add links, images, colour directives (``:red[...]``) or LaTeX
(`md`). Every step that reads a visitor's file runs through `attempt`, so a bad file gets
one message and leaves the data set and model in use as they were.
"""
from __future__ import annotations

import re
import traceback
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from embedviz.errors import DataError

T = TypeVar("T")

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(text) -> str:
    """``text`` with every markdown-special character backslash-escaped, so it shows literally."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))


UNCHANGED = "The data set and model in use were not changed."


def attempt(name: str, action: Callable[[], T], unchanged: str = UNCHANGED) -> T | None:
    """``action()``, or None after one ``st.error`` naming ``name`` and saying ``unchanged``.

    For every step that reads a file a visitor handed over: a `DataError` is shown as it is
    (it says where and what); anything else - a bug, or a file no check foresaw - is logged
    with its traceback on the server and shown as a short message, never as Streamlit's
    exception box.
    """
    try:
        return action()
    except Exception as error:   # the last line of defence for hostile files
        st.error(failure_message(name, error, unchanged), icon=":material/error:")
    return None


def failure_message(name: str, error: Exception, unchanged: str = UNCHANGED) -> str:
    """What `attempt` shows for ``error`` (markdown-escaped); logs unexpected errors' tracebacks."""
    if isinstance(error, DataError):
        return f"{md(error)}\n\n{unchanged}"
    if isinstance(error, MemoryError):
        return f"{md(name)}: not enough memory to read this file.\n\n{unchanged}"
    traceback.print_exception(error)
    return (f"{md(name)}: could not be read ({md(type(error).__name__)}); the server log has the details."
            f"\n\n{unchanged}")
