"""Helpers for the Spark tests: is Spark usable here, a standalone cluster on 127.0.0.1 started
with the ``spark-class`` launcher that ships in the pyspark package, and process bookkeeping."""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def spark_missing() -> str | None:
    """Why the Spark tests cannot run here, or None."""
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (make test installs requirements-spark.txt)"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "java is not installed (.ci/run installs openjdk-17-jre-headless)"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def processes_with(marker: str) -> list[int]:
    """Pids of live processes whose command line contains ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def descendants(pid: int) -> list[int]:
    """Pids of all processes below ``pid`` (from /proc/*/stat parent ids)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def stop_processes(pids: list[int], timeout_s: float = 10.0) -> None:
    """SIGTERM each pid, then SIGKILL what is still alive after ``timeout_s``."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
            time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# Short jobs on tiny data: the client JIT compiler and one GC thread start a JVM in about half
# the CPU time (measured: 20 s instead of 33 s for a session on a loaded 2-core machine).
FAST_START = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


def marked_env(**extra) -> tuple[dict, str]:
    """An environment whose Spark JVMs carry a unique marker on their command line."""
    marker = uuid.uuid4().hex
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_SUBMIT_OPTS": f"-Dembedviz.test={marker} {FAST_START}",
           "PYTHONPATH": str(ROOT), **extra}
    return env, marker


def run_cli(args: list[str], env: dict, timeout_s: float = 600) -> tuple[subprocess.CompletedProcess, float]:
    """``python -m embedviz ARGS`` in a child; (result, seconds)."""
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "embedviz", *args], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=timeout_s)
    return result, time.monotonic() - started


def spark_class() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent / "bin" / "spark-class"


class StandaloneCluster:
    """A Spark standalone master and one worker on 127.0.0.1 (one core, small memory)."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port, self.webui_port = free_port(), free_port()
        self.url = f"spark://127.0.0.1:{self.port}"
        self.processes: list[subprocess.Popen] = []
        self.env, self.marker = marked_env(SPARK_DAEMON_MEMORY="256m", SPARK_WORKER_DIR=str(workdir / "work"))

    def _launch(self, name: str, *args: str) -> None:
        log = open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115 - kept open for the process's life
        env = {**self.env, "SPARK_DAEMON_JAVA_OPTS": f"-Dembedviz.test={self.marker} {FAST_START}"}
        self.processes.append(subprocess.Popen([str(spark_class()), *args], env=env, stdout=log,
                                               stderr=subprocess.STDOUT, start_new_session=True))

    def start(self, timeout_s: float = 120) -> None:
        self._launch("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                     "--port", str(self.port), "--webui-port", str(self.webui_port))
        self._launch("worker", "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                     "--port", str(free_port()), "--webui-port", str(free_port()), "--cores", "1",
                     "--memory", "1g", "--work-dir", str(self.workdir / "work"), self.url)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if self.status().get("aliveworkers", 0) >= 1:
                    return
            except OSError:
                pass
            if any(process.poll() is not None for process in self.processes):
                break
            time.sleep(0.5)
        raise RuntimeError(f"the standalone cluster did not come up:\n{self.logs()}")

    def status(self) -> dict:
        """The master's JSON (workers, active and completed applications)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.webui_port}/json/", timeout=5) as response:
            return json.loads(response.read())

    def logs(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
                         for path in sorted(self.workdir.glob("*.log")))

    def stop(self) -> None:
        """Stop the master, the worker and every process they started (executors), by pid."""
        pids = [process.pid for process in self.processes]
        pids += [child for pid in pids for child in descendants(pid)]
        pids += processes_with(self.marker)
        stop_processes(sorted(set(pids)))
        for process in self.processes:
            process.wait(timeout=5)
