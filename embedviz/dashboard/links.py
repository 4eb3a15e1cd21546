"""Shareable links: a page's choices live in the URL query string.

A link pasted into a new browser reproduces the same view once the same model is
loaded. Every value is read through `read`, which checks its type, range and length:
a bad value (``?k=-1``, ``?k=abc``, a 100,000-character id, a NUL byte) is ignored - the
page uses its default - with one short notice that quotes at most a few characters of it.
Values that are well-formed but not in the loaded data are the page's to report
(with `shorten`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import streamlit as st

from embedviz.dashboard.safe import md

MAX_LENGTH = 200     # longest id or label a link may carry
_SHOWN = 24          # characters of a bad value quoted back
_INTEGER = re.compile(r"[+-]?[0-9]{1,12}")


@dataclass(frozen=True)
class Int:
    """A whole number from ``low`` to ``high`` (``1e3``, ``3.5`` and ``abc`` are refused)."""

    low: int
    high: int

    def parse(self, raw: str) -> int | None:
        text = raw.strip()
        if not _INTEGER.fullmatch(text):
            return None
        value = int(text)
        return value if self.low <= value <= self.high else None

    @property
    def expected(self) -> str:
        return f"a whole number from {self.low} to {self.high}"


@dataclass(frozen=True)
class Choice:
    """One of a few fixed words."""

    options: tuple[str, ...]

    def parse(self, raw: str) -> str | None:
        return raw if raw in self.options else None

    @property
    def expected(self) -> str:
        return "one of " + ", ".join(self.options)


@dataclass(frozen=True)
class Text:
    """An id or label: at most ``max_length`` characters, no control characters."""

    max_length: int = MAX_LENGTH

    def parse(self, raw: str) -> str | None:
        if not raw or len(raw) > self.max_length or any(ord(c) < 32 or ord(c) == 127 for c in raw):
            return None
        return raw

    @property
    def expected(self) -> str:
        return f"an id of 1 to {self.max_length} characters"


Param = Int | Choice | Text


def read(spec: dict[str, Param]) -> dict[str, int | str]:
    """The valid query-string values among ``spec``'s names, parsed (absent or bad ones missing).

    Bad values are listed in one short warning on the page, never quoted whole.
    """
    values: dict[str, int | str] = {}
    ignored = []
    for name, param in spec.items():
        if name not in st.query_params:
            continue
        raw = st.query_params.get(name)
        value = param.parse(raw) if isinstance(raw, str) else None
        if value is None:
            ignored.append(f"{name}={shorten(raw)} (expected {param.expected})")
        else:
            values[name] = value
    if ignored:
        st.warning("Ignored in the link: " + md("; ".join(ignored)) + ". Showing the defaults instead.",
                   icon=":material/link_off:")
    return values


def shorten(value) -> str:
    """A bad or unknown value as a short quote: at most a few characters, control characters shown escaped."""
    text = str(value)
    short = repr(text[:_SHOWN])[1:-1]
    return f"'{short}…' ({len(text):,} characters)" if len(text) > _SHOWN else f"'{short}'"


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
