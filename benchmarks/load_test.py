"""Load test without browsers: N simulated visitors on one app server, over Streamlit's websocket.

    .venv/bin/python benchmarks/load_test.py                  # 1, 10 and 30 sessions (~15-20 min)
    .venv/bin/python benchmarks/load_test.py --sessions 2 --cycles 1 --session-ttl 5   # a quick look
    .venv/bin/python benchmarks/load_test.py --profile out/   # + py-spy: where the server's time goes
    .venv/bin/python benchmarks/load_test.py --server-option=--runner.postScriptGC=false   # compare a setting

Each simulated session is one websocket connection (benchmarks/st_client.py speaks the protocol the
Streamlit frontend speaks) and walks the app as a visitor would, with its own widget states and its
own data: Home -> Data (uploads a generated ratings CSV and items CSV whose titles carry a token
unique to the session, through the real upload endpoint, and presses "Use this data set") -> Train
(submits the form, follows the progress fragment until the model is in) -> Explore (stays a few
seconds, following the UMAP polling fragment) -> Neighbours (opens a link to one of its items, then
searches a title) -> Recommend (moves the k slider) -> Home; later cycles revisit the pages with other
items. The server is ``make run``'s launcher (``python -m embedviz.dashboard.serve``) on a free
loopback port, started and stopped here; no browser runs, so the cores serve the server (and this
lean client) only.

Reported per level (sessions at once): script-run latency per page and action (p50 / p95 / max: from
the rerun BackMsg to the final ``script_finished`` ForwardMsg), errors (exception elements, st.error
alerts, disconnects, timeouts, pages not found), sessions that did not finish, cross-session leaks
(every ForwardMsg a session receives is scanned for every other session's token; a session must
also see its own, or the check would be vacuous), and the server's RSS over time: idle before, peak,
soon after the sessions closed, and after Streamlit dropped the closed sessions
(``server.disconnectedSessionTTL``, 120 s by default, then one short visit, because expired sessions
are only reaped when the session store is next written).
Targets (issue 15): 10 sessions p95 < 2 s with nothing lost; 30 sessions without errors; RSS back
within 10 % of idle after the sessions close.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from server_process import Profiler, Server
from st_client import ProtocolError, Run, Session

TOKEN = re.compile(rb"LTK[0-9a-f]{8}")
GENRES = ["Drama", "Comedy", "Action", "Thriller", "Romance", "Sci-Fi"]
WORDS = ["Silent", "Harbour", "Neon", "Orchard", "Glass", "Winter", "Copper", "Atlas", "Velvet", "Echo"]
MODEL_READY = "Held-out evaluation"     # the Train page's section once a model is in
PAGE_TARGET_S = 2.0


# ---------------------------------------------------------------- the data each session uploads

def session_data(token: str, seed: int, n_users: int = 150, n_items: int = 60,
                 per_user: int = 14) -> tuple[bytes, bytes]:
    """A small ratings CSV (with taste groups a model can learn) and an items CSV whose titles
    carry ``token``."""
    rng = random.Random(seed)
    genre_of = [rng.randrange(len(GENRES)) for _ in range(n_items)]
    rows = ["user_id,item_id,rating,timestamp"]
    for user in range(1, n_users + 1):
        taste = rng.randrange(len(GENRES))
        for item in rng.sample(range(n_items), per_user):
            liked = genre_of[item] == taste
            rating = min(5, max(1, round(rng.gauss(4.3 if liked else 2.6, 0.7))))
            rows.append(f"{user},{item + 1},{rating},{1_600_000_000 + rng.randrange(10**7)}")
    items = ["item_id,title,genres"]
    for item in range(n_items):
        title = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {token} n{item + 1:03d}"
        items.append(f'{item + 1},"{title}",{GENRES[genre_of[item]]}|{rng.choice(GENRES)}')
    return "\n".join(rows).encode(), "\n".join(items).encode()


def item_title(items_csv: bytes, item_id: int) -> str:
    line = items_csv.decode().splitlines()[item_id]
    return line.split('"')[1]


# ---------------------------------------------------------------- one simulated visitor

@dataclass
class Visitor:
    """One session's scenario, its timings and what it saw."""

    index: int
    token: str
    base_url: str
    cycles: int
    think: float
    runs: list[tuple[str, Run]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    own_seen: int = 0
    train_seconds: float = float("nan")
    finished: bool = False

    def scan(self, data: bytes) -> None:
        for found in set(TOKEN.findall(data)):
            if found.decode() == self.token:
                self.own_seen += 1
            else:
                self.leaks.append(found.decode())

    async def pause(self, rng: random.Random) -> None:
        await asyncio.sleep(rng.uniform(0.5, 1.5) * self.think)

    async def step(self, session: Session, label: str, coro) -> Run:
        run = await coro
        self.runs.append((label, run))
        if run.errors:
            raise ProtocolError(f"{label}: {run.errors[0]}")
        return run

    async def main(self, stop: asyncio.Event) -> None:
        rng = random.Random(self.index)
        ratings, items = session_data(self.token, seed=self.index)
        session = Session(self.base_url, on_message=self.scan)
        try:
            await asyncio.sleep(rng.uniform(0, 1.0))   # visitors do not arrive in the same millisecond
            await session.connect()
            await self.step(session, "Home", session.rerun("Home"))
            await self.pause(rng)
            await self.load_data(session, rng, ratings, items)
            await self.train(session, rng)
            for cycle in range(self.cycles):
                if stop.is_set():
                    break
                await self.visit_pages(session, rng, items, cycle)
            self.finished = True
        except (TimeoutError, ProtocolError, OSError) as error:
            self.errors.append(f"session {self.index}: {error}")
        finally:
            await session.close()
            self.errors.extend(f"session {self.index}: {e}" for e in session.errors
                               if f"session {self.index}: {e}" not in self.errors)

    async def load_data(self, s: Session, rng, ratings: bytes, items: bytes) -> None:
        await self.step(s, "Data", s.rerun("Data"))
        await s.upload("Interactions file", f"ratings-{self.token}.csv", ratings)
        await s.upload("Item metadata (optional)", f"items-{self.token}.csv", items)
        await self.step(s, "Data: read upload", s.rerun())
        await self.pause(rng)
        await self.step(s, "Data: use this data set", s.rerun(trigger="Use this data set"))
        if not any(self.token in t for t in s.texts):
            raise ProtocolError("the Data page does not show the uploaded data set after loading it")
        await self.pause(rng)

    async def train(self, s: Session, rng) -> None:
        await self.step(s, "Train", s.rerun("Train"))
        await self.pause(rng)
        started = time.perf_counter()
        await self.step(s, "Train: submit", s.rerun(trigger="Train"))
        polls = await s.dwell(180, until=lambda: any(MODEL_READY in t for t in s.texts) or bool(s.errors))
        self.runs.extend(("Train (progress fragment)", r) for r in polls)
        if not any(MODEL_READY in t for t in s.texts):
            progress = [t for t in s.texts if " of " in t and "iteration" in t]
            raise ProtocolError(f"training did not finish within 180 s "
                                f"(last progress: {progress[-1] if progress else 'none'!r}); "
                                "last messages:\n    " + "\n    ".join(list(s.trace)[-25:]))
        self.train_seconds = time.perf_counter() - started
        await self.pause(rng)

    async def visit_pages(self, s: Session, rng, items: bytes, cycle: int) -> None:
        n_items = len(items.splitlines()) - 1
        await self.step(s, "Explore", s.rerun("Explore"))
        polls = await s.dwell(3.0 * self.think)
        self.runs.extend(("Explore (UMAP polling fragment)", r) for r in polls)
        await self.step(s, "Neighbours", s.rerun("Neighbours"))
        await self.pause(rng)
        item = rng.randrange(1, n_items + 1)
        await self.step(s, "Neighbours: open a link", s.rerun(query=f"query=item&item={item}&k=10&normalise=0"))
        if not any(item_title(items, item) in t for t in s.texts):
            raise ProtocolError(f"Neighbours did not show item {item} asked for by the link")
        await self.pause(rng)
        title = item_title(items, rng.randrange(1, n_items + 1))
        s.set_text("Search an item by title", title)
        await self.step(s, "Neighbours: search a title", s.rerun())
        if title not in s.widget("Item").element.options:
            raise ProtocolError(f"searching {title!r} on Neighbours did not offer it")
        await self.pause(rng)
        await self.step(s, "Recommend", s.rerun("Recommend"))
        await self.pause(rng)
        k = 15 + 5 * ((cycle + self.index) % 4)
        s.set_number("How many recommendations", k)
        await self.step(s, "Recommend: move the k slider", s.rerun())
        if f"k={k}" not in s.query_string.split("&"):
            raise ProtocolError(f"the k slider set to {k} did not reach the page ({s.query_string!r})")
        await self.pause(rng)
        await self.step(s, "Home", s.rerun("Home"))
        await self.pause(rng)
        if cycle + 1 < self.cycles:
            await self.step(s, "Data", s.rerun("Data"))
            await self.pause(rng)


# ---------------------------------------------------------------- one level: N sessions at once

@dataclass
class Level:
    sessions: int
    visitors: list[Visitor]
    wall: float
    server_cpu: float
    client_cpu: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    rss_idle: float
    rss_peak: float
    rss_peak_tree: float
    rss_closed: float
    rss_reaped: float
    rss_series: list[float]
    profile: dict

    def times(self) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        for visitor in self.visitors:
            for label, run in visitor.runs:
                if run.status is not None:
                    found.setdefault(label, []).append(run.seconds)
        return found

    def page_times(self) -> list[float]:
        return [t for label, values in self.times().items() if "fragment" not in label for t in values]

    @property
    def errors(self) -> list[str]:
        return [e for v in self.visitors for e in v.errors]

    @property
    def leaks(self) -> list[str]:
        return [f"session {v.index} saw {t}" for v in self.visitors for t in sorted(set(v.leaks))]

    @property
    def lost(self) -> int:
        return sum(not v.finished for v in self.visitors)


async def _run_sessions(url: str, n: int, cycles: int, think: float, budget: float) -> tuple[list[Visitor], float]:
    rng = random.Random(1000 + n)
    visitors = [Visitor(i, f"LTK{rng.getrandbits(32):08x}", url, cycles, think) for i in range(n)]
    stop = asyncio.Event()
    started = time.perf_counter()
    tasks = [asyncio.create_task(v.main(stop)) for v in visitors]
    _, pending = await asyncio.wait(tasks, timeout=budget)
    if pending:
        stop.set()
        _, pending = await asyncio.wait(pending, timeout=60)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for v in visitors:
            if not v.finished:
                v.errors.append(f"session {v.index}: not finished within the {budget:.0f} s budget")
    return visitors, time.perf_counter() - started


def _wait_for_reaping(server: Server, ttl: float, settle: float) -> float:
    """Wait until Streamlit may drop the closed sessions, make one short visit (the write that reaps
    expired ones), let memory settle, and return the server's RSS then."""
    time.sleep(ttl + 2)
    asyncio.run(_probe(server.url))
    time.sleep(settle)
    return statistics.median(server.current_rss_mb() for _ in range(3) if time.sleep(0.3) is None)


async def _probe(url: str) -> None:
    session = Session(url)
    await session.connect()
    await session.rerun("Home")
    await session.close()


def run_level(server: Server, n: int, args) -> Level:
    rss_idle = statistics.median(server.current_rss_mb() for _ in range(5) if time.sleep(0.2) is None)
    load_before, cpu_before = os.getloadavg(), server.cpu_seconds()
    client_before = resource.getrusage(resource.RUSAGE_SELF)
    profiler = Profiler(server.process.pid, args.profile / f"py-spy-{n}.txt") if args.profile else None
    started = time.perf_counter()
    visitors, wall = asyncio.run(_run_sessions(server.url, n, args.cycles, args.think, args.budget))
    ended = time.perf_counter()
    profile = profiler.stop() if profiler else {}
    client_after = resource.getrusage(resource.RUSAGE_SELF)
    server_cpu, load_after = server.cpu_seconds() - cpu_before, os.getloadavg()
    time.sleep(args.after_close)
    rss_closed = server.current_rss_mb()
    rss_reaped = _wait_for_reaping(server, args.ttl_wait, args.settle)
    series = server.rss_mb(since=started)
    return Level(
        sessions=n, visitors=visitors, wall=wall, server_cpu=server_cpu,
        client_cpu=(client_after.ru_utime + client_after.ru_stime) - (client_before.ru_utime + client_before.ru_stime),
        load_before=load_before, load_after=load_after, rss_idle=rss_idle,
        rss_peak=max(server.rss_mb(started, ended), default=float("nan")),
        rss_peak_tree=max(server.rss_mb(started, ended, tree=True), default=float("nan")),
        rss_closed=rss_closed, rss_reaped=rss_reaped, rss_series=series, profile=profile)


# ---------------------------------------------------------------- report

def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _cell(values: list[float]) -> str:
    if not values:
        return "–"
    return f"{statistics.median(values):.2f} / {_pct(values, 0.95):.2f} / {max(values):.2f}"


def report(levels: list[Level], idle_start: float, args) -> str:
    options = " ".join(args.server_option)
    out = [(f"Server: `python -m embedviz.dashboard.serve{' ' + options if options else ''}` on 127.0.0.1; "
            f"{os.cpu_count()} cores; "
            f"{args.cycles} page cycle(s) per session after upload + training; think time "
            f"{0.5 * args.think:.1f}-{1.5 * args.think:.1f} s; idle RSS at the start (after the warm-up visit) "
            f"{idle_start:.0f} MB."), ""]
    # The peer is the same server with one session, in the same run.
    single = next((_pct(lv.page_times(), 0.95) for lv in levels if lv.sessions == 1 and lv.page_times()), None)
    out += [("| sessions | script runs | all pages p50 / p95 / max (s) | p95 ÷ 1-session p95 | errors "
             "| sessions lost | leaks | own names seen | training (submit → model in), median / max (s) "
             "| wall (s) | server CPU (s) | client CPU (s) | load avg before → after |"),
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for lv in levels:
        pages = lv.page_times()
        train = [v.train_seconds for v in lv.visitors if v.train_seconds == v.train_seconds]
        seen = sum(v.own_seen > 0 for v in lv.visitors)
        ratio = f"{_pct(pages, 0.95) / single:.1f}" if single and pages else "–"
        out.append(f"| {lv.sessions} | {len(pages)} | {_cell(pages)} | {ratio} | {len(lv.errors)} | {lv.lost} | "
                   f"{len(lv.leaks)} | {seen} of {lv.sessions} | "
                   f"{(f'{statistics.median(train):.1f} / {max(train):.1f}') if train else '–'} | "
                   f"{lv.wall:.0f} | {lv.server_cpu:.0f} | {lv.client_cpu:.0f} | "
                   f"{lv.load_before[0]:.1f} → {lv.load_after[0]:.1f} |")
    labels = list(dict.fromkeys(label for lv in levels for label in lv.times()))
    out += ["", "Script-run latency per page and action, p50 / p95 / max (s):", "",
            "| page / action | " + " | ".join(f"{lv.sessions} sessions" for lv in levels) + " |",
            "|---|" + "---:|" * len(levels)]
    for label in labels:
        out.append(f"| {label} | " + " | ".join(_cell(lv.times().get(label, [])) for lv in levels) + " |")
    out += ["", ("Server RSS (MB; the launcher process, which runs every session; the UMAP worker "
                 "process is counted in the last column only):"), "",
            (f"| sessions | idle before | peak | {args.after_close:.0f} s after close | after the TTL + one visit | "
             "change vs idle before | peak incl. UMAP worker |"), "|---:|---:|---:|---:|---:|---:|---:|"]
    for lv in levels:
        change = (lv.rss_reaped - lv.rss_idle) / lv.rss_idle
        out.append(f"| {lv.sessions} | {lv.rss_idle:.0f} | {lv.rss_peak:.0f} | {lv.rss_closed:.0f} | "
                   f"{lv.rss_reaped:.0f} | {change:+.1%} | {lv.rss_peak_tree:.0f} |")
    out += ["", "RSS over time (MB, every 5 s from the level's start):"]
    for lv in levels:
        out.append(f"- {lv.sessions}: " + " ".join(f"{v:.0f}" for v in lv.rss_series[::10]))
    for lv in levels:
        out += _profile_lines(lv)
    problems = [(lv.sessions, e) for lv in levels for e in lv.errors + lv.leaks]
    if problems:
        out += ["", "Problems (first 20):"] + [f"- {n} sessions: {e}" for n, e in problems[:20]]
    return "\n".join(out)


def _profile_lines(lv: Level) -> list[str]:
    profile = lv.profile
    if not profile.get("total"):
        return []
    total = profile["total"]

    def share(rows):
        return "; ".join(f"{name} {count / total:.0%}" for name, count in rows)

    return ["", f"py-spy, {lv.sessions} sessions ({total} samples of busy server threads):",
            f"- by page script: {share(profile['pages'])}",
            f"- embedviz and page functions (inclusive): {share(profile['ours'])}",
            f"- innermost functions (self): {share(profile['leaves'])}"]


def verdict(levels: list[Level]) -> list[str]:
    lines = []
    for lv in levels:
        pages = lv.page_times()
        p95 = _pct(pages, 0.95) if pages else float("nan")
        rss_ok = lv.rss_reaped <= 1.10 * lv.rss_idle
        lines.append(f"{lv.sessions} sessions: p95 {p95:.2f} s ({'<' if p95 < PAGE_TARGET_S else '>='} "
                     f"{PAGE_TARGET_S} s), {len(lv.errors)} errors, {lv.lost} lost, {len(lv.leaks)} leaks, "
                     f"RSS {'back within' if rss_ok else 'NOT back within'} 10 % of idle "
                     f"({lv.rss_idle:.0f} → {lv.rss_reaped:.0f} MB)")
    return lines


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 10, 30],
                        help="levels: how many sessions at once (default 1 10 30)")
    parser.add_argument("--cycles", type=int, default=2, help="page cycles per session after training")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time between actions (s)")
    parser.add_argument("--budget", type=float, default=600, help="time limit per level (s)")
    parser.add_argument("--session-ttl", type=int, default=None,
                        help="server.disconnectedSessionTTL for the server (default: Streamlit's, 120 s)")
    parser.add_argument("--settle", type=float, default=10, help="seconds to wait after reaping before "
                        "reading RSS")
    parser.add_argument("--after-close", type=float, default=10, help="seconds after the sessions close "
                        "for the 'soon after close' RSS reading")
    parser.add_argument("--no-warmup", action="store_true", help="skip the unmeasured first visit")
    parser.add_argument("--server-option", action="append", default=[], metavar="--section.option=value",
                        help="extra Streamlit option for the server (repeatable), to compare settings")
    parser.add_argument("--max-sessions", type=int, default=50, help="refuse levels above this (safety bound)")
    parser.add_argument("--profile", type=Path, help="record the server with py-spy during each level "
                        "and write the raw stacks to this folder (needs py-spy in the venv)")
    parser.add_argument("--json", type=Path, help="also write the raw numbers here")
    parser.add_argument("--log", type=Path, help="server console log (default: a temporary file)")
    args = parser.parse_args(argv)
    if max(args.sessions) > args.max_sessions:
        parser.error(f"at most {args.max_sessions} sessions (raise --max-sessions knowingly)")
    if args.profile:
        if not Profiler.available():
            parser.error("--profile needs py-spy: .venv/bin/pip install py-spy")
        args.profile.mkdir(parents=True, exist_ok=True)
    args.ttl_wait = 120 if args.session_ttl is None else args.session_ttl
    log = args.log or Path(tempfile.mkdtemp(prefix="embedviz-load-")) / "server.log"
    server = Server(log, args.session_ttl, tuple(args.server_option))
    try:
        print(f"server on {server.url} (log {log})", flush=True)
        if not args.no_warmup:
            print("warming up with one unmeasured visit…", flush=True)
            warm = asyncio.run(_run_sessions(server.url, 1, 1, 0.2, args.budget))[0][0]
            if warm.errors:
                print("warm-up visit failed:", *warm.errors, sep="\n  ", flush=True)
            idle_start = _wait_for_reaping(server, args.ttl_wait, args.settle)
        else:
            idle_start = server.current_rss_mb()
        levels = []
        for n in args.sessions:
            print(f"{n} session(s)…", flush=True)
            levels.append(run_level(server, n, args))
            print("  " + verdict(levels[-1:])[0], flush=True)
    finally:
        server.stop()
    print()
    print(report(levels, idle_start, args))
    print()
    print("\n".join(verdict(levels)))
    result = {
        "idle_start_mb": idle_start,
        "levels": [{"sessions": lv.sessions, "errors": lv.errors, "leaks": lv.leaks, "lost": lv.lost,
                    "own_seen": [v.own_seen for v in lv.visitors], "times": lv.times(),
                    "rss_idle": lv.rss_idle, "rss_peak": lv.rss_peak, "rss_closed": lv.rss_closed,
                    "rss_reaped": lv.rss_reaped, "rss_peak_tree": lv.rss_peak_tree, "wall": lv.wall,
                    "server_cpu": lv.server_cpu, "client_cpu": lv.client_cpu,
                    "load_before": lv.load_before, "load_after": lv.load_after,
                    "profile": lv.profile} for lv in levels],
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
