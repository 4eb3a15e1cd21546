"""Hostile input and faults in the real app: uploads through the widgets, bad links, leaving a page
while its UMAP layout computes. Never Streamlit's exception box; always a short message."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect

from embedviz.data.synthetic import clustered_vectors
from tests.fixtures import make_hostile

from .conftest import SLOW, after_rerun, open_page, screenshot, wait_idle
from .explore_map import open_upload

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"


def no_exception_box(page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)


def open_tab(page, name: str):
    page.get_by_role("tab", name=name).click()
    return page.get_by_role("tabpanel", name=name)


@pytest.mark.parametrize("file, expect_text", [
    ("session__nan_factors.npz", "item_factors holds 1 NaN"),
    ("session__titles_shorter_than_items.npz", "item_title has shape (8,)"),
    ("session__session_info_not_json.npz", "session_info is not valid JSON"),
])
def test_bad_saved_sessions_get_a_message_in_the_browser(server, page, tmp_path, file, expect_text):
    open_page(page, server, "Recommend", SLOW)
    upload = tmp_path / file.split("__", 1)[1]
    upload.write_bytes((HOSTILE / file).read_bytes())
    panel = open_tab(page, "Save · load · export")
    uploader = panel.get_by_test_id("stFileUploaderDropzoneInput")
    after_rerun(page, lambda: uploader.set_input_files(upload))   # a click before that rerun would be lost
    button = panel.get_by_role("button", name="Open this model")
    expect(button).to_be_visible(timeout=30_000)
    button.click()
    error = page.get_by_test_id("stAlert").filter(has_text=expect_text)
    expect(error).to_be_visible(timeout=30_000)
    expect(error).to_contain_text("were not changed")
    no_exception_box(page)


def test_a_forged_huge_array_and_a_zip_bomb_on_explore(server, page, tmp_path):
    open_page(page, server, "Explore", SLOW)
    open_data_menu(page)
    vectors_input = page.get_by_test_id("stFileUploaderDropzoneInput").first
    for name, content, text in [
        ("huge_shape.npy", (HOSTILE / "embeddings__huge_shape.npy").read_bytes(), "needs 3.6 TB in memory"),
        ("bomb.npz", make_hostile.zip_member_bomb("vectors.npy", 3 << 30), "unpacking its 1 array(s)"),
    ]:
        path = tmp_path / name
        path.write_bytes(content)
        after_rerun(page, lambda path=path: vectors_input.set_input_files(path))
        button = page.get_by_role("button", name="Open these embeddings")
        expect(button).to_be_visible(timeout=30_000)
        button.click()
        open_data_menu(page)   # the menu closes on the rerun; the message is inside it
        expect(page.get_by_test_id("stAlert").filter(has_text=text)).to_be_visible(timeout=30_000)
        no_exception_box(page)
    screenshot(page, tmp_path / "explore_bomb.png")


@pytest.mark.parametrize("query", ["k=abc", "k=-1", "k=99999999", "k=3.5", "k=%00", "item=" + "9" * 100_000])
def test_bad_link_parameters_are_ignored_quickly(server, page, query):
    started = time.perf_counter()
    open_page(page, server, f"Neighbours?{query}", SLOW)
    notice = page.get_by_test_id("stAlert").filter(has_text="Ignored in the link")
    expect(notice).to_be_visible(timeout=30_000)
    assert len(notice.inner_text()) < 300
    expect(page.get_by_role("heading", name="Neighbours", exact=True)).to_be_visible()
    no_exception_box(page)
    assert time.perf_counter() - started < 30, "the tab stays responsive"


def open_data_menu(page) -> None:
    """The Explore page's "Data" menu (what to show, and the upload form)."""
    menu = page.get_by_test_id("stPopover").get_by_role("button", name=re.compile("Data"))
    if page.get_by_test_id("stPopoverBody").count() == 0 or not page.get_by_test_id("stPopoverBody").is_visible():
        menu.click()
    expect(page.get_by_test_id("stPopoverBody")).to_be_visible(timeout=30_000)


def test_leaving_explore_while_umap_computes(server, page, tmp_path):
    # Enough uploaded vectors that their UMAP layout takes several seconds on any machine (the
    # demo's 2,500 users can finish before the page's first poll on a fast one).
    n = 30_000
    vectors = tmp_path / "vectors.npy"
    np.save(vectors, clustered_vectors(n, dim=16, n_clusters=12, seed=5)[0])
    open_upload(page, server, vectors)
    expect(page.get_by_test_id("stProgress")).to_be_visible(timeout=SLOW)   # their UMAP is computing
    page.get_by_test_id("stSidebar").get_by_role("link", name="Neighbours").click()
    wait_idle(page, SLOW)
    expect(page.get_by_role("heading", name="Neighbours", exact=True)).to_be_visible()
    page.wait_for_timeout(3_000)          # the Explore page's polling would have fired by now
    no_exception_box(page)
    page.get_by_test_id("stSidebar").get_by_role("link", name="Explore").click()
    wait_idle(page, SLOW)
    expect(page.get_by_text(f"UMAP of all {n:,} points")).to_be_visible(timeout=SLOW)
    no_exception_box(page)
    screenshot(page, tmp_path / "explore_back.png")
