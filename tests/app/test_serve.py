"""The `make run` launcher: warm up, then the same Streamlit server with the options given."""
from __future__ import annotations

import gc
import sys

import pytest
from streamlit.web import cli

from embedviz.dashboard import serve, services

from .conftest import ROOT


@pytest.fixture
def calls(monkeypatch):
    seen = []
    monkeypatch.setattr(cli, "main", lambda: seen.append(list(sys.argv)))
    monkeypatch.setattr(gc, "freeze", lambda: seen.append("freeze"))
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    return seen


def test_launcher_warms_up_then_runs_the_app_with_the_options(monkeypatch, calls):
    monkeypatch.setattr(services, "warm_up_now", lambda: calls.append("warm"))
    serve.main(["--server.port=9999"])
    assert calls == ["warm", "freeze", ["streamlit", "run", str(ROOT / "app.py"), "--server.port=9999"]]


def test_launcher_serves_even_when_the_warm_up_fails(monkeypatch, calls, capsys):
    def broken():
        raise RuntimeError("no demo data")

    monkeypatch.setattr(services, "warm_up_now", broken)
    serve.main([])
    assert calls[-1] == ["streamlit", "run", str(ROOT / "app.py")]
    assert "no demo data" in capsys.readouterr().err


def test_malloc_arena_cap_is_set_on_glibc_and_left_to_an_explicit_setting(monkeypatch):
    import ctypes
    import platform

    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert serve.limit_malloc_arenas() is False          # the operator's own choice wins
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    if platform.system() != "Linux" or not hasattr(ctypes.CDLL(None), "gnu_get_libc_version"):
        pytest.skip("the arena cap is a glibc setting")
    assert serve.limit_malloc_arenas() is True
