"""Hostile files through the API: each gets its own DataError naming the file, at bounded memory.

The corpus is tests/fixtures/hostile/ (see tests/fixtures/make_hostile.py); bombs are built here.
The same files go through the pages in tests/app/test_hostile_uploads.py.
"""
from __future__ import annotations

import gc
import io
import json
import threading
from pathlib import Path

import numpy as np
import pytest

import embedviz as ev
from embedviz.data.limits import parse_slot
from embedviz.data.npyfiles import read_npy, read_npz
from embedviz.data.session_io import load_session
from embedviz.errors import DataError
from tests.fixtures import make_hostile
from tests.memory import MB, peak_rss_growth

HOSTILE = Path(__file__).resolve().parent / "fixtures" / "hostile"
MANIFEST = json.loads((HOSTILE / "manifest.json").read_text())
LIMIT_MB = 64          # the memory limit the bomb tests run with
ALLOWED_EXTRA_MB = 200   # the bound: peak RSS within the limit + 200 MB


def named(content: bytes, name: str) -> io.BytesIO:
    stream = io.BytesIO(content)
    stream.name = name
    return stream


def load(target: str, name: str, content: bytes):
    """Hand ``content`` to the loader a user reaches through ``target``."""
    if target == "interactions":
        return ev.load_interactions(content, name=name)
    if target == "metadata":
        return ev.load_item_metadata(content, name=name)
    if target == "embeddings":
        return ev.load_embeddings(content, name=name)
    if target == "embeddings_metadata":
        good = (HOSTILE / make_hostile.GOOD_VECTORS).read_bytes()
        return ev.load_embeddings(good, name=make_hostile.GOOD_VECTORS, metadata=named(content, name))
    if target == "session":
        return load_session(content, name=name)
    raise ValueError(target)


def shown_name(file: str) -> str:
    return file.split("__", 1)[1]


@pytest.mark.parametrize("file", sorted(MANIFEST))
def test_each_hostile_file_gets_its_own_message(file):
    case = MANIFEST[file]
    name = shown_name(file)
    with pytest.raises(DataError) as info:
        load(case["target"], name, (HOSTILE / file).read_bytes())
    message = str(info.value)
    assert case["expect"] in message, message
    assert message.startswith(name), f"the message should name the file first: {message}"
    assert len(message) < 600, "messages stay short (no echo of the file)"


def test_the_good_companions_load():
    vectors = ev.load_embeddings((HOSTILE / make_hostile.GOOD_VECTORS).read_bytes(), name="v.npy")
    assert vectors.vectors.shape == (6, 3)
    model, data, items, name = load_session((HOSTILE / make_hostile.GOOD_SESSION).read_bytes())
    assert (data.n_users, data.n_items, name) == (12, 10, "tiny") and items.title.iloc[0] == "Film 0"
    assert np.isfinite(model.item_factors_).all()
    assert ev.load_interactions((HOSTILE / make_hostile.GOOD_INTERACTIONS).read_bytes()).n_users == 12


def test_a_model_file_gets_the_same_checks_as_a_session():
    raw = (HOSTILE / "session__nan_factors.npz").read_bytes()
    with pytest.raises(DataError, match=r"^model.npz: item_factors holds 1 NaN"):
        ev.load_model(raw, name="model.npz")
    with pytest.raises(DataError, match=r"^model file: item_factors holds"):
        ev.load_model(raw)


# ----------------------------------------------------------------------------- bombs
@pytest.fixture
def small_memory_limit(monkeypatch):
    monkeypatch.setenv("EMBEDVIZ_MAX_MEMORY_MB", str(LIMIT_MB))
    return LIMIT_MB * MB


@pytest.mark.parametrize("bomb", sorted(make_hostile.BOMBS))
def test_bombs_are_refused_within_the_memory_limit(bomb, small_memory_limit, capsys):
    target, build, expect = make_hostile.BOMBS[bomb]
    content = build(small_memory_limit)
    gc.collect()
    with peak_rss_growth() as peak, pytest.raises(DataError) as info:
        load(target, bomb, content)
    assert expect in str(info.value), str(info.value)
    assert str(info.value).startswith(bomb)
    assert peak["mb"] < LIMIT_MB + ALLOWED_EXTRA_MB, f"peak RSS rose {peak['mb']:.0f} MB"
    with capsys.disabled():
        print(f"\n  {bomb}: {len(content) / MB:.1f} MB file, refused with peak RSS +{max(0, peak['mb']):.0f} MB "
              f"(limit {LIMIT_MB} MB)", end="")


@pytest.mark.slow
def test_a_bomb_far_past_the_default_limit_costs_at_most_the_limit(monkeypatch):
    monkeypatch.delenv("EMBEDVIZ_MAX_MEMORY_MB", raising=False)
    limit = ev.data.limits.memory_limit()
    content = make_hostile.session_bomb(3 << 30)      # declares 3 GB: refused before inflating
    with peak_rss_growth() as peak, pytest.raises(DataError, match="over the 512.0 MB limit"):
        load_session(content, name="bomb.npz")
    assert peak["mb"] < 50, peak
    bomb = make_hostile.gzip_bomb(4 * limit)           # inflates until the running total passes the limit
    gc.collect()
    with peak_rss_growth() as peak, pytest.raises(DataError, match="decompresses to more than 512.0 MB"):
        ev.load_interactions(bomb, name="bomb.csv.gz")
    assert peak["mb"] < limit / MB + ALLOWED_EXTRA_MB, peak
    print(f"gzip bomb at the default {limit / MB:.0f} MB limit: peak RSS +{peak['mb']:.0f} MB")


@pytest.mark.slow
def test_simultaneous_bombs_cost_at_most_one_limit_per_parse_slot(monkeypatch, capsys):
    limit_mb, threads = 128, 6
    monkeypatch.setenv("EMBEDVIZ_MAX_MEMORY_MB", str(limit_mb))
    bomb = make_hostile.gzip_bomb(4 * limit_mb * MB)
    errors: list[Exception] = []

    def parse() -> None:
        try:
            ev.load_interactions(bomb, name="bomb.csv.gz")
        except DataError as error:
            errors.append(error)

    gc.collect()
    with peak_rss_growth() as peak:
        workers = [threading.Thread(target=parse) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    assert len(errors) == threads and all("decompresses to more than" in str(e) for e in errors)
    slots = 2   # DEFAULT_PARSE_SLOTS: without the semaphore the peak would be ~threads x the limit
    assert peak["mb"] < slots * limit_mb + ALLOWED_EXTRA_MB, peak
    with capsys.disabled():
        print(f"\n  {threads} gzip bombs at once (limit {limit_mb} MB, {slots} slots): peak RSS +{peak['mb']:.0f} MB",
              end="")


def test_a_parse_waits_for_a_free_slot_and_gives_up_with_a_message():
    both_taken, release = threading.Barrier(3), threading.Event()

    def hold() -> None:
        with parse_slot("a.csv"):
            both_taken.wait(5)
            release.wait(10)

    holders = [threading.Thread(target=hold) for _ in range(2)]   # the default 2 slots
    for thread in holders:
        thread.start()
    try:
        both_taken.wait(5)
        with pytest.raises(DataError, match=r"^c.csv: the server is busy"), parse_slot("c.csv", timeout=0.2):
            pass
    finally:
        release.set()
        for thread in holders:
            thread.join()
    with parse_slot("d.csv", timeout=1), parse_slot("nested in the same thread", timeout=0):
        pass


# ----------------------------------------------------------------------------- the .npy reader itself
@pytest.mark.parametrize("array", [
    np.arange(12.0).reshape(3, 4), np.asfortranarray(np.arange(12, dtype=np.int32).reshape(3, 4)),
    np.array(["a", "bcd"]), np.zeros((0, 3), dtype=np.float32), np.array(5.0),
    np.zeros(3, dtype=[("x", "<f4"), ("y", "<i8")]),
])
def test_read_npy_matches_numpy(array):
    read = read_npy(make_hostile.npy(array), "a.npy", 1 << 20)
    assert read.dtype == array.dtype and read.shape == array.shape and np.array_equal(read, array)
    assert read.flags.writeable


def test_read_npz_checks_declared_sizes_before_inflating():
    content = make_hostile.zip_member_bomb("vectors.npy", 1 << 30)
    with peak_rss_growth() as peak, pytest.raises(DataError, match=r"unpacking its 1 array\(s\) .* needs 1.0 GB"):
        read_npz(content, "bomb.npz", 64 * MB)
    assert peak["mb"] < 20
    assert read_npz(make_hostile.arrays_npz({"a": np.ones(3)}), "ok.npz", None)["a"].tolist() == [1.0, 1.0, 1.0]


# ----------------------------------------------------------------------------- absurd sizes and long lines
@pytest.mark.parametrize("model", [ev.WALS, ev.GradientDescentMF])
def test_absurd_factors_are_refused_relative_to_the_data_before_allocating(model):
    from embedviz.data.datasets import synthetic_interactions

    data = synthetic_interactions(610, 2_000, 20_000, seed=0)
    with peak_rss_growth() as peak, pytest.raises(ValueError, match=r"factors=1000000 needs about .* TB to train on "
                                                                    r"\d+ users x .* choose factors <= "):
        model(factors=10**6).fit(data)
    assert peak["mb"] < 50
    assert model(factors=8, random_state=0).fit(data).item_factors_.shape[1] == 8


def test_a_wide_table_whose_header_outgrows_the_sample_reads_all_its_columns():
    from embedviz.data.readers import read_table

    columns = 12_000   # a header longer than the 64k-character sniffing sample
    text = ",".join(f"c{j}" for j in range(columns)) + "\n" + "\n".join(
        ",".join(str((r + j) % 7) for j in range(columns)) for r in range(3)) + "\n"
    frame = read_table(text.encode(), name="wide.csv")
    assert frame.shape == (3, columns) and frame.columns[-1] == f"c{columns - 1}"
    assert frame.attrs["table_info"].had_header
