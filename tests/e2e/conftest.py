"""End-to-end rig: the real app under `streamlit run`, driven in headless Debian Chromium.

Skips (with the reason) where there is no browser; CI installs chromium and runs them.
Timings the issues set targets for are printed (run with ``-s``) and asserted with generous
bounds, so a slow CI machine does not turn them into flaky failures.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the browser fixture skips with the reason
    PlaywrightTimeout = TimeoutError

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("EMBEDVIZ_CHROMIUM", "/usr/bin/chromium")
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 1000}
TALL_VIEWPORT = {"width": 1400, "height": 2200}
# The first UMAP fit in a new process compiles numba code (~45 s with cold caches).
SLOW = 120_000


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """On failure, while the fixtures are still alive: attach the server console (tracebacks go
    there, not to the page) and save a screenshot of each open page next to the test's files."""
    report = yield
    if report.when == "call" and report.failed:
        for name in ("server", "fresh_server"):
            srv = item.funcargs.get(name)
            if srv is not None:
                report.sections.append((f"{name} console ({srv.log_path})", srv.log_tail()))
        for n, page in enumerate(getattr(item, "_e2e_pages", [])):
            try:
                folder = Path(item.funcargs.get("tmp_path") or tempfile.gettempdir())
                path = folder / f"{item.name}-failure-{n}.png"
                screenshot(page, path)
                report.sections.append(("failure screenshot", str(path)))
            except Exception as error:  # a closed page: nothing to show
                report.sections.append(("failure screenshot", f"not taken: {error}"))
    return report


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The app's server process (`make run`'s launcher) on a free localhost port."""

    # What `make run` starts: the launcher warms up before the first visitor.
    LAUNCHER = ("-m", "embedviz.dashboard.serve")
    PLAIN = ("-m", "streamlit", "run", "app.py")

    def __init__(self, log_path: Path, launcher: tuple[str, ...] = LAUNCHER):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, NUMBA_CACHE_DIR=str(ROOT / ".numba_cache"), PYTHONUNBUFFERED="1")
        self.log_path = Path(log_path)
        self.log = open(log_path, "w")
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [
                sys.executable,
                *launcher,
                "--server.headless=true",
                f"--server.port={self.port}",
                "--server.address=127.0.0.1",
                "--browser.gatherUsageStats=false",
                "--server.fileWatcherType=none",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait_healthy()

    def _wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited early:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise TimeoutError(f"streamlit not healthy after {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's console (tracebacks go there, not to the page)."""
        if not self.log.closed:
            self.log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self.log.closed:
            self.log.close()


@pytest.fixture(scope="session")
def playwright_browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip(
            f"no Chromium at {CHROMIUM} (apt-get install chromium); "
            "browser tests need a real browser"
        )
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=BROWSER_ARGS,
            headless=True,
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory, playwright_browser):
    """One app server shared by the tests that don't need a fresh process."""
    srv = Server(tmp_path_factory.mktemp("server") / "streamlit.log")
    yield srv
    srv.stop()


@pytest.fixture
def fresh_server(tmp_path, playwright_browser):
    """A new server process, for tests about first requests (deep links, cold start)."""
    srv = Server(tmp_path / "streamlit.log")
    yield srv
    srv.stop()


# Counts finished script runs: every time the app root's script state turns to "notRunning".
COUNT_RUNS = """
window.__stRuns = 0;
new MutationObserver(changes => {
    for (const c of changes) {
        if (c.target.dataset && c.target.dataset.testid === 'stApp' && c.oldValue !== 'notRunning'
            && c.target.getAttribute('data-test-script-state') === 'notRunning') window.__stRuns++;
    }
}).observe(document, {attributes: true, subtree: true, attributeOldValue: true,
                      attributeFilter: ['data-test-script-state']});
"""


@pytest.fixture
def new_page(playwright_browser, request):
    """Factory for pages in new browser contexts (each a new Streamlit session)."""
    contexts = []
    request.node._e2e_pages = pages = []

    def make(viewport=VIEWPORT):
        context = playwright_browser.new_context(viewport=viewport, accept_downloads=True)
        context.add_init_script(COUNT_RUNS)
        context.set_default_timeout(60_000)
        contexts.append(context)
        pages.append(context.new_page())
        return pages[-1]

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def wait_idle(page, timeout: float = 60_000) -> None:
    """Wait until Streamlit is connected and has finished running the script.

    The app root carries ``data-test-script-state`` ("initial", "running", "notRunning", ...).
    Right after an action the new run may not have started yet, so prefer waiting for the
    content the action produces; this helper is for page loads.
    """
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout
    )


def after_rerun(page, action, timeout: float = 60_000, seen_within: float = 10_000):
    """Do ``action()`` (a click, a key press) and wait until the script run it triggers is done.

    A very fast run can start and finish within one browser frame, and then the app root's
    state attribute never visibly changes: if no run is seen within ``seen_within`` ms, settle
    for the app being idle (callers then wait for the content they expect anyway).
    Fragment runs count too, so on pages that poll (training, UMAP) wait for content instead."""
    before = page.evaluate("() => window.__stRuns")
    result = action()
    try:
        page.wait_for_function("n => window.__stRuns > n", arg=before, timeout=seen_within)
    except PlaywrightTimeout:
        pass
    wait_idle(page, timeout)
    return result


def open_page(page, server, path: str = "", timeout: float = 60_000) -> None:
    """Go to a page of the app (deep link) and wait for its first run to finish."""
    page.goto(f"{server.url}/{path.lstrip('/')}")
    wait_idle(page, timeout)


def screenshot(page, path: Path, viewport=TALL_VIEWPORT) -> Path:
    """Screenshot of the app in a tall viewport (Streamlit scrolls inside its own container,
    so ``full_page`` would only capture the first screen)."""
    before = page.viewport_size
    page.set_viewport_size(viewport)
    page.wait_for_timeout(500)  # let Plotly re-layout to the new size
    page.screenshot(path=str(path))
    page.set_viewport_size(before)
    return path


def metric_value(page, label: str) -> str:
    """The value shown by the st.metric with exactly this label."""
    metric = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return metric.get_by_test_id("stMetricValue").inner_text().strip()


def plotly_figures(page) -> list[dict]:
    """Title (as drawn), trace names/types and point counts of every Plotly chart on the page."""
    return page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => ({
        title: (gd.querySelector('.gtitle') || {}).textContent || '',
        traces: (gd._fullData || []).map(
            t => ({name: t.name || '', type: t.type, n: t._length || 0})),
    }))""")


# Number of points of the named trace in the first Plotly chart; -1 when there is no such trace.
TRACE_LENGTH = """name => { const gd = document.querySelector('.js-plotly-plot');
    const trace = gd && (gd._fullData || []).find(t => t.name === name);
    return trace ? trace._length : -1; }"""


def trace_length(page, name: str) -> int:
    return page.evaluate(TRACE_LENGTH, name)


def wait_for_trace(page, name: str, at_least: int = 1, timeout: float = 30_000) -> None:
    """Wait until the first chart has a trace with this name and at least this many points."""
    page.wait_for_function(
        f"([name, n]) => ({TRACE_LENGTH})(name) >= n", arg=[name, at_least], timeout=timeout
    )


def wait_for_title(page, prefix: str, timeout: float = 60_000) -> None:
    """Wait until the first Plotly chart's drawn title starts with ``prefix``."""
    page.wait_for_function(
        """prefix => { const gd = document.querySelector('.js-plotly-plot');
            const title = gd && gd.querySelector('.gtitle');
            return !!title && title.textContent.startsWith(prefix); }""",
        arg=prefix,
        timeout=timeout,
    )


def table_rows(frame) -> list[list[str]]:
    """Header and rows of an st.dataframe, from the accessible table Glide data grid mirrors its
    canvas into (only the rows/columns it has rendered: fine for short tables)."""
    frame.locator("td").first.wait_for(state="attached")
    return frame.evaluate("""df => [...df.querySelectorAll('tr')].map(
        tr => [...tr.children].map(cell => cell.textContent.trim()))""")


def pick_option(
    page, combobox, pattern, timeout: float = 30_000, type_text: str | None = None
) -> str:
    """Open a selectbox, click the first option matching ``pattern`` (str or regex).

    ``type_text`` is typed into the box first to filter long lists (their options are virtualised).
    Retries while the options are still the ones from before the last rerun; returns the
    option's text."""
    deadline = time.monotonic() + timeout / 1000
    while True:
        if combobox.count() != 1:  # a widget being replaced by a rerun shows twice for a moment
            page.wait_for_timeout(200)
            if time.monotonic() > deadline:
                raise AssertionError(f"{combobox} matches {combobox.count()} elements")
            continue
        combobox.click()
        if type_text:
            combobox.fill(type_text)
        option = page.get_by_role("option").filter(has_text=pattern).first
        try:
            option.wait_for(state="visible", timeout=2_000)
        except PlaywrightTimeout as error:
            page.keyboard.press("Escape")
            if time.monotonic() > deadline:
                raise AssertionError(f"no option matching {pattern!r} in {combobox}") from error
            continue
        text = option.inner_text().strip()
        try:  # a rerun can replace the list between finding the option and clicking it
            option.click(timeout=5_000)
        except PlaywrightTimeout:
            if time.monotonic() > deadline:
                raise
            page.keyboard.press("Escape")
            continue
        return text
