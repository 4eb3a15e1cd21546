"""Background jobs: long work runs in a plain thread that never calls ``st.*``.

A rerun (any click) interrupts the script, so training cannot run on the script
thread. The page keeps a `Job` in session state and polls it from an
``st.fragment(run_every=...)``; the job survives reruns and page changes.
"""
from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable


class Job:
    """One unit of background work with progress, a log of updates and cancellation.

    ``work(job)`` runs in a daemon thread; it reports with `job.update(...)` and
    checks `job.cancelled`. Its return value ends up in `job.result`; an exception
    ends up in `job.error` (message) and `job.status == "failed"`.
    """

    def __init__(self, name: str, work: Callable[[Job], object], total: int = 1, unit: str = "step", *,
                 size: int | None = None, cancel_finishes: bool = False):
        self.name = name
        self.size = size                  # how much there is to do (e.g. rows to lay out), for estimates
        self.unit = unit                  # what one of ``total`` is called ("iteration", "epoch")
        self.model: str | None = None     # the registry model a training / tuning job works on
        self.total = max(1, total)
        self.done = 0
        self.status = "running"           # running | finished | cancelled | failed
        self.result = None
        self.error: str | None = None
        self.history: list[dict] = []
        self.started = time.perf_counter()
        self.finished_at: float | None = None
        self.cancel_finishes = cancel_finishes   # work that ends cleanly when cancelled (a search keeps its best)
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, args=(work,), daemon=True, name=f"embedviz-{name}")
        self._thread.start()

    def _run(self, work) -> None:
        try:
            result = work(self)
            with self._lock:
                self.result = result
                cancelled = self._cancel.is_set() and not self.cancel_finishes
                self.status = "cancelled" if cancelled else "finished"
        except Exception as exc:  # shown to the user; the traceback goes to the server log
            traceback.print_exc()
            with self._lock:
                self.error = str(exc) or type(exc).__name__
                self.status = "failed"
        finally:
            self.finished_at = time.perf_counter()

    def update(self, done: int, entry: dict | None = None) -> bool:
        """Record progress (and one history entry); returns False once cancelled."""
        with self._lock:
            self.done = done
            if entry is not None:
                self.history.append(dict(entry))
        return not self._cancel.is_set()

    def set_total(self, total: int) -> None:
        """Change the expected number of steps (e.g. as a time-budgeted search learns its pace)."""
        with self._lock:
            self.total = max(1, int(total))

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total)

    @property
    def elapsed(self) -> float:
        end = self.finished_at if self.finished_at is not None else time.perf_counter()
        return end - self.started

    def snapshot(self) -> tuple[int, list[dict]]:
        """A consistent copy of (done, history) for drawing."""
        with self._lock:
            return self.done, list(self.history)

    def wait(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)
