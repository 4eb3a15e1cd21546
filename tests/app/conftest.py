"""AppTest helpers: every page is reached from app.py with switch_page, as a visitor would."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]

TIMEOUT = 180   # the first run trains the demo model (and may compile kernels)


def open_page(path: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if path:
        at.switch_page(path)
        at.run()
    return at


def errors(at: AppTest) -> list[str]:
    """Error texts as a visitor reads them (user text in them is markdown-escaped by the app)."""
    return [re.sub(r"\\(.)", r"\1", e.value) for e in at.error]


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


@pytest.fixture
def app():
    return open_page


@pytest.fixture(autouse=True)
def _run_from_repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)
