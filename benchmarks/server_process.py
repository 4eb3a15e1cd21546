"""The app server a load test drives: started on a free loopback port, sampled, profiled, stopped.

`Server` starts ``python -m embedviz.dashboard.serve`` (what ``make run`` starts) and samples the
resident memory of that process (every session runs in it) and of its children (the UMAP worker)
twice a second from ``/proc``. `Profiler` records the server with py-spy while a level runs and
sums the samples by page script and by function, to say what the server spends its time on.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("app.py", "1_Data.py", "2_Train.py", "3_Explore.py", "4_Neighbours.py", "5_Recommend.py")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            for task in os.listdir(f"/proc/{parent}/task"):
                with open(f"/proc/{parent}/task/{task}/children") as handle:
                    kids = [int(k) for k in handle.read().split()]
                found += kids
                todo += kids
        except OSError:
            continue
    return found


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


class Server:
    """``python -m embedviz.dashboard.serve`` (what ``make run`` starts) on a free loopback port."""

    def __init__(self, log_path: Path, session_ttl: int | None = None, extra: tuple[str, ...] = ()):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, NUMBA_CACHE_DIR=str(ROOT / ".numba_cache"), PYTHONUNBUFFERED="1")
        options = ["--server.headless=true", f"--server.port={self.port}", "--server.address=127.0.0.1",
                   "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"]
        if session_ttl is not None:
            options.append(f"--server.disconnectedSessionTTL={session_ttl}")
        options += extra
        self.log_path = log_path
        self._log = open(log_path, "w")  # noqa: SIM115 - open while the server runs
        self.process = subprocess.Popen([sys.executable, "-m", "embedviz.dashboard.serve", *options],
                                        cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self.samples: list[tuple[float, int, int]] = []   # (time, server RSS kB, with children kB)
        self._stop = threading.Event()
        self._wait_healthy()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _wait_healthy(self, timeout: float = 120) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited early; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise TimeoutError(f"the server did not answer within {timeout} s; see {self.log_path}")

    def _sample(self) -> None:
        pid = self.process.pid
        while not self._stop.wait(0.5):
            main = _rss_kb(pid)
            self.samples.append((time.perf_counter(), main, main + sum(_rss_kb(c) for c in _descendants(pid))))

    def rss_mb(self, since: float = 0.0, until: float = float("inf"), tree: bool = False) -> list[float]:
        return [s[2 if tree else 1] / 1024 for s in self.samples if since <= s[0] <= until]

    def current_rss_mb(self, tree: bool = False) -> float:
        main = _rss_kb(self.process.pid)
        return (main + (sum(_rss_kb(c) for c in _descendants(self.process.pid)) if tree else 0)) / 1024

    def cpu_seconds(self) -> float:
        return _cpu_seconds(self.process.pid)

    def stop(self) -> None:
        self._stop.set()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()



class Profiler:
    """``py-spy record`` on a running process (sampled without pausing it), summarised on stop."""

    def __init__(self, pid: int, path: Path, rate: int = 50):
        spy = Path(sys.executable).parent / "py-spy"
        self.path = path
        self.process = subprocess.Popen(
            # --gil: only the thread holding the GIL, i.e. what the one Python server spends its time on
            [str(spy), "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw", "--gil",
             "--nonblocking", "--output", str(path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    @staticmethod
    def available() -> bool:
        return (Path(sys.executable).parent / "py-spy").exists()

    def stop(self) -> dict:
        """Stop recording; return samples by page script, by our functions and by any function."""
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
        return summarise(self.path) if self.path.exists() else {}


def summarise(path: Path, top: int = 12) -> dict:
    """Sum py-spy's collapsed stacks (``frame;frame;... count``; innermost frame last).

    Returns the total, samples per page script (inclusive), the top functions by inclusive
    samples within ``embedviz`` and the pages, and the top innermost (self) functions anywhere.
    """
    total, pages, ours, leaves = 0, Counter(), Counter(), Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        total += n
        page = next((p for p in PAGES for f in frames if _is_page(f, p)), None)
        pages[page or "(no page script: server, training and layout threads)"] += n
        seen = set()
        for frame in frames:
            name = _short(frame)
            ours_ = ("embedviz/" in frame and "dashboard/serve.py" not in frame) or any(
                _is_page(frame, p) for p in PAGES)   # serve.py: the launcher, under every server frame
            if ours_ and name not in seen:
                ours[name] += n
                seen.add(name)
        if frames:
            leaves[_short(frames[-1])] += n
    return {"total": total, "pages": pages.most_common(), "ours": ours.most_common(top),
            "leaves": leaves.most_common(top)}


def _is_page(frame: str, page: str) -> bool:
    return f"({page}:" in frame or f"/{page}:" in frame


def _short(frame: str) -> str:
    """``function (path/to/file.py:12)`` -> ``function (to/file.py)``."""
    function, _, where = frame.rpartition(" (")
    return f"{function} ({'/'.join(where.split(':')[0].split('/')[-2:])})"
