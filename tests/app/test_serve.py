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
    monkeypatch.setattr(serve, "collect_periodically", lambda: calls.append("periodic gc"))
    serve.main(["--server.port=9999"])
    assert calls == ["warm", "freeze", "periodic gc", ["streamlit", "run", str(ROOT / "app.py"), "--server.port=9999",
                                                       "--runner.postScriptGC=false"]]


def test_launcher_leaves_an_explicit_post_script_gc_choice_alone(monkeypatch, calls):
    monkeypatch.setattr(services, "warm_up_now", lambda: None)
    monkeypatch.setattr(serve, "collect_periodically", lambda: calls.append("periodic gc"))
    serve.main(["--runner.postScriptGC=true"])
    assert calls == ["freeze", ["streamlit", "run", str(ROOT / "app.py"), "--runner.postScriptGC=true"]]


def test_periodic_collection_frees_reference_cycles():
    import threading
    import time
    import weakref

    class Node:
        pass

    gc.disable()   # only the collector under test may free the cycle
    try:
        node = Node()
        node.self = node
        alive = weakref.ref(node)
        del node
        stop = threading.Event()
        thread = serve.collect_periodically(every=0.05, stop=stop)
        deadline = time.monotonic() + 5
        while alive() is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        stop.set()
        thread.join(1)
    finally:
        gc.enable()
    assert alive() is None


def test_launcher_serves_even_when_the_warm_up_fails(monkeypatch, calls, capsys):
    def broken():
        raise RuntimeError("no demo data")

    monkeypatch.setattr(services, "warm_up_now", broken)
    monkeypatch.setattr(serve, "collect_periodically", lambda: None)
    serve.main([])
    assert calls[-1] == ["streamlit", "run", str(ROOT / "app.py"), "--runner.postScriptGC=false"]
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
