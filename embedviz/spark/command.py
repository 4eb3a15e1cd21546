"""``python -m embedviz train ... --engine spark``: checks that fail fast (before a JVM starts),
then `embedviz.spark.job`.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import socket
from pathlib import Path

from embedviz.data.sources import decode_text, sniff_format, unreadable_message
from embedviz.errors import DataError

INSTALL_HINT = ("install it with `.venv/bin/pip install -r requirements-spark.txt` (pyspark; Spark also needs "
                "Java 17+, e.g. `apt-get install openjdk-17-jre-headless`)")
_MASTER_URLS = (
    r"local", r"local\[(\*|\d+)(,\s*\d+)?\]", r"local-cluster\[\d+,\s*\d+,\s*\d+\]",
    r"spark://[^\s/,]+:\d+(,[^\s/,]+:\d+)*", r"yarn", r"k8s://\S+",
)
_CONNECT_TIMEOUT_S = 5.0
HEAD_BYTES = 4096


def require_spark() -> None:
    """DataError saying how to install pyspark / Java when they are missing."""
    if importlib.util.find_spec("pyspark") is None:
        raise DataError(f"--engine spark needs pyspark, which is not installed: {INSTALL_HINT}")
    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (java_home and Path(java_home, "bin", "java").exists()):
        raise DataError("--engine spark needs Java 17 or newer, and no `java` was found: install it "
                        "(`apt-get install openjdk-17-jre-headless`) or set JAVA_HOME")


def check_master(master: str | None) -> None:
    """DataError for a malformed master URL or an unreachable standalone master (in seconds, not minutes)."""
    if master is None:
        return
    if not any(re.fullmatch(pattern, master) for pattern in _MASTER_URLS):
        raise DataError(f"--master {master!r} is not a Spark master URL; expected local[*], local[N], "
                        "spark://HOST:PORT, yarn or k8s://https://HOST:PORT")
    if master.startswith("spark://"):
        for address in master[len("spark://"):].split(","):
            host, port = address.rsplit(":", 1)
            try:
                socket.create_connection((host, int(port)), timeout=_CONNECT_TIMEOUT_S).close()
            except OSError as error:
                raise DataError(f"cannot reach the Spark master at {host}:{port} ({error}); is it running? "
                                "(docs/scale.md shows how to start one)") from None


def check_local_source(source: str) -> None:
    """DataError for a local path (no URI scheme, no glob) that does not exist or whose first data
    file is not CSV or Parquet: in a second, not after starting a JVM."""
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:", source) and not source.startswith("file:"):
        return   # hdfs://, s3a://, dbfs:/ ... are Spark's to check
    path = Path(re.sub(r"^file:(//)?", "", source)).expanduser()
    if any(char in path.name for char in "*?[{"):
        return
    if not path.exists():
        raise DataError(f"{source}: no such file or folder")
    files = [path] if path.is_file() else sorted(
        p for p in path.iterdir() if p.is_file() and not p.name.startswith(("_", ".")) and p.stat().st_size)
    if files:
        with open(files[0], "rb") as handle:
            sniff_head(files[0].name, handle.read(HEAD_BYTES), source)


def sniff_head(name: str, head: bytes, location: str) -> str:
    """"parquet" or "csv" from a data file's first bytes; DataError for what Spark cannot read."""
    fmt = sniff_format(head)
    if fmt == "parquet":
        return "parquet"
    if fmt == "gzip" and not name.lower().endswith(".gz"):
        raise DataError(f"{location}: {name} is gzip-compressed but not named .gz; Spark decompresses "
                        "by the name, so rename it to end in .gz")
    if fmt == "zip":
        raise DataError(f"{name} is a zip archive; unzip it (Spark reads CSV, gzip CSV and Parquet)")
    if fmt in ("npy", "ole2"):
        raise DataError(unreadable_message(fmt, head, name))
    if fmt == "text":
        decode_text(head, name)  # raises for images, binaries and other non-text files
    return "csv"


def train(args) -> int:
    """Run the Spark job for parsed ``train`` arguments; print what happened."""
    from embedviz.cli import model_params

    name, wals = model_params(args)   # the registry's defaults and the options given, as for local
    if name != "WALS":
        raise DataError(f"--engine spark trains implicit ALS, the counterpart of WALS; got --model {args.model}")
    require_spark()
    check_master(args.master)
    source, out = str(args.interactions), str(args.out)
    check_local_source(source)
    if args.items is not None:
        import embedviz as ev

        ev.load_item_metadata(args.items)   # a bad metadata file fails now, not after training
    wals.setdefault("alpha", _wals_alpha())
    conf = dict(_setting(text) for text in (args.conf or []))

    from embedviz.spark.job import train_on_spark

    info = train_on_spark(source, out, wals, master=args.master, conf=conf, items=args.items,
                          log=lambda line: print(line, flush=True))
    times = info["timings_s"]
    print(f"done in {times['total']:.1f} s (start + read + prepare {times['start_read_prepare']:.1f} s, "
          f"fit {times['fit']:.1f} s, write {times['write']:.1f} s)")
    print(f"saved {out} — open it with embedviz.load_factors({out!r}), or zip the folder and open it in "
          "the app (Recommend page → Save · load · export)")
    return 0


def _wals_alpha() -> float | str:
    from embedviz.models.wals import WALS

    return WALS().alpha   # the local engine's default too ("auto": resolved from the data's mean value)


def _setting(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise DataError(f"--conf {text!r}: expected KEY=VALUE, e.g. spark.executor.memory=4g")
    return key.strip(), value.strip()
