"""Big vector files (issue 14): open, memory, payload, first picture, layout — at 100k and 1M.

    .venv/bin/python benchmarks/bench_scale.py [--sizes 100000 1000000] [--no-umap] [--sessions 3]

Per size, on a generated clustered Parquet file (``embedviz.data.synthetic.write_vectors``, 64-d):

- open: `open_vectors` in a child process, cold (converts Parquet to a float32 ``.npy`` in the
  cache folder) and warm (maps that copy), with the child's peak RSS;
- ``python -m embedviz explore FILE``: the server's RSS after the first view (anonymous and
  file-backed parts), per extra session (3 more browser sessions), and the UMAP worker's RSS;
- payload to first paint: every byte the browser receives (HTTP and websocket, the app shell
  included), counted on the wire by a TCP proxy between Chromium and the server, at the first
  picture of the map and when the interactive chart is drawn (new browser context: empty cache);
- time to first picture (page opened -> the map's picture shown), and to the interactive chart;
- layout time: the UMAP job as the server logs it (sampled fit + placing the rest, multithreaded).

Peer: Embedding Atlas (0.22, the last release that draws without WebGPU), run with the same
harness when ``--atlas`` points at its ``embedding-atlas`` executable (installed in a separate
venv: it is never a dependency of embedviz), else the figures issue 14 measured on this machine.
The machine is shared: load averages are printed with each measurement.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"]
FIRST_PICTURE = 'img[alt^="Map of every point"], .js-plotly-plot'


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CountingProxy:
    """A TCP proxy on 127.0.0.1 counting the bytes sent to the browser (HTTP and websocket)."""

    def __init__(self, target_port: int):
        self.port, self.target, self.received = free_port(), target_port, 0
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        ready.wait()

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", self.port))
        ready.set()
        self.loop.run_until_complete(server.serve_forever())

    async def _client(self, reader, writer):
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)

        async def pipe(source, sink, count: bool):
            try:
                while data := await source.read(1 << 16):
                    if count:
                        self.received += len(data)
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, up_writer, False), pipe(up_reader, writer, True))


def rss(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS", "RssAnon", "RssFile")):
            name, value = line.split(":")
            fields[name] = int(value.split()[0]) // 1024
    return fields


def children(pid: int) -> list[int]:
    found = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in found] + [c for p in found for c in children(int(p))]


def dataset(n: int, folder: Path) -> Path:
    from embedviz.data.synthetic import write_vectors

    path = folder / f"n{n}" / "vectors.parquet"
    if not path.exists():
        write_vectors(path.parent, n, 64, formats=("parquet",), seed=0)
    return path


def open_times(path: Path, cache: Path) -> dict[str, str]:
    """Cold and warm open in child processes (the copy in the cache folder removed first)."""
    shutil.rmtree(cache / "vectors", ignore_errors=True)
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child of this (big) process would
    # report our peak, not its own.
    code = ("import time; t=time.perf_counter(); from embedviz.data.bigfiles import open_vectors; "
            f"v=open_vectors({str(path)!r}); s=time.perf_counter()-t; "
            "print(s, [int(l.split()[1])//1024 for l in open('/proc/self/status') if l.startswith('VmHWM')][0])")
    env = dict(os.environ, EMBEDVIZ_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    out = {}
    for kind in ("cold", "warm"):
        seconds, peak = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                                       check=True).stdout.split()
        out[f"open {kind}"] = f"{float(seconds):.1f} s (peak {peak} MB)"
    return out


def start_server(path: Path, cache: Path, log: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    for model in (ROOT / ".cache").glob("demo-model-*.npz"):     # the demo model: not what is measured
        shutil.copy(model, cache)
    env = dict(os.environ, EMBEDVIZ_CACHE_DIR=str(cache), NUMBA_CACHE_DIR=str(ROOT / ".numba_cache"),
               PYTHONUNBUFFERED="1")
    with open(log, "w") as output:   # the child keeps its own handle
        process = subprocess.Popen([sys.executable, "-m", "embedviz", "explore", str(path), "--port", str(port),
                                    "--address", "127.0.0.1"], cwd=ROOT, env=env, stdout=output,
                                   stderr=subprocess.STDOUT)
    deadline = time.time() + 600
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return process, port
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(log.read_text()[-3000:]) from None
            time.sleep(0.5)
    raise TimeoutError("server not healthy")


def first_view(browser, port: int, path: str = "/Explore", picture: str = FIRST_PICTURE,
               interactive: str = ".js-plotly-plot .main-svg") -> dict[str, float]:
    proxy = CountingProxy(port)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    opened = time.perf_counter()
    page.goto(f"http://127.0.0.1:{proxy.port}{path}")
    page.wait_for_selector(picture, state="visible", timeout=300_000)
    shown, picture_bytes = time.perf_counter() - opened, proxy.received
    page.wait_for_selector(interactive, state="visible", timeout=300_000)
    page.wait_for_timeout(1_000)
    result = {"picture s": shown, "picture MB": picture_bytes / 1e6,
              "interactive s": time.perf_counter() - opened - 1.0, "interactive MB": proxy.received / 1e6}
    context.close()
    return result


def measure(n: int, browser, folder: Path, sessions: int, umap: bool) -> dict[str, str]:
    path = dataset(n, folder)
    cache = folder / "cache"
    row = {"load before": load(), **open_times(path, cache)}
    log = folder / f"server-{n}.log"
    started = time.perf_counter()
    server, port = start_server(path, cache, log)
    try:
        row["server ready"] = f"{time.perf_counter() - started:.1f} s"
        view = first_view(browser, port)
        row["first picture"] = f"{view['picture s']:.1f} s, {view['picture MB']:.1f} MB"
        row["interactive"] = f"{view['interactive s']:.1f} s, {view['interactive MB']:.1f} MB"
        after_one = rss(server.pid)
        for _ in range(sessions):
            first_view(browser, port)
        after_more = rss(server.pid)
        row["server RSS"] = (f"{after_one['VmRSS']} MB (anon {after_one['RssAnon']}, file {after_one['RssFile']})")
        row["per session"] = f"{(after_more['VmRSS'] - after_one['VmRSS']) / max(sessions, 1):.0f} MB"
        row["worker RSS"] = ", ".join(f"{rss(p)['VmRSS']} MB" for p in children(server.pid)) or "-"
        if umap:
            row["layout"] = wait_for_umap(log, n)
    finally:
        stop(server)
    row["load after"] = load()
    return row


def stop(server: subprocess.Popen) -> None:
    for child in children(server.pid):      # the UMAP worker and its fork server
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGTERM)
    server.terminate()
    try:
        server.wait(20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def atlas_input(path: Path) -> Path:
    """The same vectors for Embedding Atlas: metadata plus precomputed x, y (our PCA; Atlas's own UMAP
    is not what is compared) so it opens without computing a projection."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from embedviz.analysis.projection import project
    from embedviz.data.bigfiles import open_vectors

    out = path.with_name("atlas.parquet")
    if not out.exists():
        opened = open_vectors(path)
        xy = project(opened.vectors, method="pca")
        table = pq.read_table(path, columns=["id", "title", "category"])
        pq.write_table(table.append_column("x", pa.array(xy[:, 0])).append_column("y", pa.array(xy[:, 1])), out)
    return out


def measure_atlas(n: int, browser, folder: Path, executable: str) -> dict[str, str]:
    data = atlas_input(dataset(n, folder))
    port, log = free_port(), folder / f"atlas-{n}.log"
    row = {"load before": load()}
    started = time.perf_counter()
    with open(log, "w") as output:
        server = subprocess.Popen([executable, str(data), "--x", "x", "--y", "y", "--text", "title",
                                   "--disable-projection", "--host", "127.0.0.1", "--port", str(port),
                                   "--no-auto-port"], stdout=output, stderr=subprocess.STDOUT)
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).close()
                break
            except OSError:
                if server.poll() is not None or time.perf_counter() - started > 600:
                    raise RuntimeError(log.read_text()[-2000:]) from None
                time.sleep(0.5)
        row["server ready"] = f"{time.perf_counter() - started:.1f} s"
        view = first_view(browser, port, "/", picture="canvas", interactive="canvas")
        row["first picture"] = f"{view['picture s']:.1f} s, {view['picture MB']:.1f} MB"
        row["interactive"] = f"{view['interactive s']:.1f} s, {view['interactive MB']:.1f} MB"
        after_one = rss(server.pid)
        for _ in range(3):
            first_view(browser, port, "/", picture="canvas", interactive="canvas")
        after_more = rss(server.pid)
        row["server RSS"] = f"{after_one['VmRSS']} MB (anon {after_one['RssAnon']}, file {after_one['RssFile']})"
        row["per session"] = f"{(after_more['VmRSS'] - after_one['VmRSS']) / 3:.0f} MB"
    finally:
        stop(server)
    row["load after"] = load()
    return row


LAYOUT_CODE = """
import sys, time
from embedviz.analysis.projection import project
from embedviz.data.bigfiles import open_vectors
vectors = open_vectors(sys.argv[1]).vectors
start, stages = time.perf_counter(), {}
def progress(stage, fraction):
    stages.setdefault(stage, time.perf_counter() - start)
xy, info = project(vectors, method="umap", random_state=None, callback=progress, return_info=True)
total = time.perf_counter() - start
print(f"{total:.0f} s (" + ", ".join(f"{k} from {v:.0f} s" for k, v in stages.items()) + f"); {info.message}")
"""


def layout_time(n: int, folder: Path) -> str:
    """UMAP as the dashboard runs it (sampled fit + placing the rest, multithreaded), in a child process."""
    path = dataset(n, folder)
    env = dict(os.environ, EMBEDVIZ_CACHE_DIR=str(folder / "cache"), NUMBA_CACHE_DIR=str(ROOT / ".numba_cache"),
               PYTHONPATH=str(ROOT))
    before = load()
    done = subprocess.run([sys.executable, "-c", LAYOUT_CODE, str(path)], capture_output=True, text=True, env=env)
    if done.returncode:
        return "failed: " + done.stderr[-500:]
    return f"{done.stdout.strip()} [load {before} -> {load()}]"


def wait_for_umap(log: Path, n: int, timeout: float = 1_500) -> str:
    deadline = time.time() + timeout
    pattern = re.compile(rf"UMAP 2-D layout of {n:,} rows in ([\d.]+) s")
    while time.time() < deadline:
        found = pattern.search(log.read_text())
        if found:
            return f"{float(found.group(1)):.0f} s (UMAP)"
        time.sleep(5)
    return f"> {timeout:.0f} s"


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--sessions", type=int, default=3)
    parser.add_argument("--no-umap", action="store_true")
    parser.add_argument("--layout", type=int, nargs="*", help="only time UMAP layouts of these sizes "
                                                               "(e.g. 200000 1000000)")
    parser.add_argument("--atlas", help="the embedding-atlas executable (0.22, in its own venv) to run as the peer")
    parser.add_argument("--folder", type=Path, default=Path(os.environ.get("EMBEDVIZ_CACHE_DIR", ROOT / ".cache"))
                        / "bench_scale")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    if args.layout:
        for n in args.layout:
            print(f"UMAP layout of {n:,} x 64: {layout_time(n, args.folder)}", flush=True)
        return
    rows: dict[str, dict[str, str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        for n in args.sizes:
            rows[f"embedviz {n:,}"] = measure(n, browser, args.folder, args.sessions, not args.no_umap)
            print(f"embedviz {n:,}: {rows[f'embedviz {n:,}']}", flush=True)
            if args.atlas:
                rows[f"Atlas {n:,}"] = measure_atlas(n, browser, args.folder, args.atlas)
                print(f"Atlas {n:,}: {rows[f'Atlas {n:,}']}", flush=True)
        browser.close()
    print_table(rows)


def print_table(rows: dict[str, dict[str, str]]) -> None:
    keys = ["open cold", "open warm", "server ready", "first picture", "interactive", "server RSS", "per session",
            "worker RSS", "layout", "load before", "load after"]
    print("\n| measure | " + " | ".join(rows) + " | Embedding Atlas 0.22, 1M (issue 14) |")
    print("|---|" + "---|" * (len(rows) + 1))
    atlas = {"server RSS": "502 MB", "interactive": "21 MB of Arrow for the points"}
    for key in keys:
        print(f"| {key} | " + " | ".join(row.get(key, "-") for row in rows.values()) + f" | {atlas.get(key, '')} |")


if __name__ == "__main__":
    main()
