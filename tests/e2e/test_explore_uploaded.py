"""Explore with embeddings trained elsewhere (.npy + metadata TSV): neighbours on click, the full
Neighbours page, a genre bar filtering the map, and the selection exported and read back; and a
shared link reopening the same view in a new session."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
from playwright.sync_api import expect

from embedviz.data.synthetic import clustered_vectors

from .conftest import SLOW, after_rerun, open_page, pick_option, screenshot, table_rows, wait_idle
from .explore_map import (
    MAP,
    chart_locator,
    facet_bars,
    open_upload,
    points_length,
    side_panel,
    trace_names,
    wait_for_map,
)
from .scatter import densest_disc, isolated_point, lasso, points_on_screen, set_dragmode

N = 2_000


def write_upload(folder):
    vectors, metadata, truth = clustered_vectors(N, dim=16, n_clusters=8, seed=3)
    np.save(folder / "vectors.npy", vectors)
    metadata[["title", "category"]].to_csv(folder / "metadata.tsv", sep="\t", index=False)
    return folder / "vectors.npy", folder / "metadata.tsv", metadata


def test_uploaded_embeddings_neighbours_filter_and_export(server, page, tmp_path):
    vectors, metadata_path, metadata = write_upload(tmp_path)
    open_upload(page, server, vectors, metadata_path)
    wait_for_map(page)

    # Click a point: two lists beside the map, and the link to the full Neighbours page.
    set_dragmode(page, "pan")
    points, plot = points_on_screen(page)
    point, _ = isolated_point(points, plot)
    page.mouse.click(point[0], point[1])
    panel = side_panel(page)
    expect(panel.get_by_text("Euclidean", exact=True)).to_be_visible(timeout=SLOW)
    focus = int(re.search(r"focus=(\d+)", page.url).group(1))   # the point clicked (ids are row numbers here)
    assert focus < N
    title = metadata["title"].iloc[focus]
    expect(panel.get_by_text(title, exact=True)).to_be_visible()
    panel.get_by_role("link", name="All three metrics side by side").click()
    expect(page.get_by_role("heading", name=re.compile(f"Neighbours of {re.escape(title)}"))).to_be_visible(
        timeout=SLOW)
    wait_idle(page)
    lists = page.get_by_test_id("stDataFrame")
    expect(lists).to_have_count(3)
    for n in range(3):
        assert len(table_rows(lists.nth(n))) == 11            # header + 10 neighbours per metric
    assert "space=uploaded" in page.url
    screenshot(page, tmp_path / "neighbours_uploaded.png")

    # Back on the map: brush (click) the biggest category bar; the map keeps only that category.
    page.get_by_test_id("stSidebar").get_by_role("link", name="Explore").click()
    wait_for_map(page)
    bars = facet_bars(page, "genres / tags")
    assert bars, "a linked chart of the categories is drawn"
    bar = max(bars, key=lambda b: b["n"])
    after_rerun(page, lambda: page.mouse.click(bar["x"], bar["y"]))
    expect(page.get_by_text(re.compile(rf"Filter: genres: {re.escape(bar['label'])}"))).to_be_visible(timeout=SLOW)
    page.wait_for_function(f"""() => {{ const gd = document.querySelector('{MAP}');
        const t = gd && gd._fullData.find(t => t.name === 'points'); return t && t._length === {bar['n']}; }}""")
    in_category = int((metadata["category"] == bar["label"]).sum())
    print(f"\nfilter {bar['label']!r}: {points_length(page)} points on the map, {in_category} in the file")
    assert points_length(page) == bar["n"] == in_category
    screenshot(page, tmp_path / "explore_filtered.png")

    # Lasso a group, export the selection as CSV and Parquet, read both back.
    set_dragmode(page, "lasso")
    points, plot = points_on_screen(page)
    centre, inside = densest_disc(points, plot, radius=40)
    lasso(page, centre, radius=40)
    heading = page.get_by_text(re.compile(r"^[\d,]+ points selected"))
    expect(heading).to_be_visible(timeout=SLOW)
    selected = int(heading.inner_text().split()[0].replace(",", ""))
    assert abs(selected - len(inside)) <= max(3, 0.2 * len(inside))
    frames = {}
    for kind in ("CSV", "Parquet"):
        with page.expect_download() as download:
            page.get_by_role("button", name=f"Export selection ({kind})").click()
        data = open(download.value.path(), "rb").read()
        frames[kind] = pd.read_csv(io.BytesIO(data)) if kind == "CSV" else pd.read_parquet(io.BytesIO(data))
    csv, parquet = frames["CSV"], frames["Parquet"]
    assert len(csv) == len(parquet) == selected
    assert {"id", "title", "x", "y", "cluster", "preserved"} <= set(csv.columns)
    assert sorted(csv["id"].astype(str)) == sorted(parquet["id"].astype(str))
    rows = csv["id"].astype(int).to_numpy()
    assert (metadata["category"].to_numpy()[rows] == bar["label"]).all()   # only filtered points could be picked
    assert (csv["title"].to_numpy() == metadata["title"].to_numpy()[rows]).all()
    print(f"exported {selected} selected points (CSV and Parquet)")


def test_shared_link_reopens_colour_filter_and_focus(server, new_page, tmp_path):
    page = new_page()
    open_page(page, server, "Explore", SLOW)
    wait_for_map(page)
    after_rerun(page, lambda: pick_option(page, page.get_by_role("combobox", name="Colour by"), "Genre"))
    wait_for_map(page)
    bars = facet_bars(page, "genres / tags")
    bar = bars[1]
    after_rerun(page, lambda: page.mouse.click(bar["x"], bar["y"]))
    expect(page.get_by_text(re.compile(rf"Filter: genres: {re.escape(bar['label'])}"))).to_be_visible(timeout=SLOW)
    wait_for_map(page)
    set_dragmode(page, "pan")
    points, plot = points_on_screen(page)
    point, _ = isolated_point(points, plot)
    page.mouse.click(point[0], point[1])
    panel = side_panel(page)
    expect(panel.get_by_text("Cosine", exact=True)).to_be_visible(timeout=SLOW)
    wait_idle(page)
    title = panel.get_by_test_id("stMarkdown").first.inner_text()
    shown = points_length(page)
    url = page.url
    assert "colour=Genre" in url and "f.genres=" in url and "focus=" in url

    other = new_page()                                          # a new session: nothing in memory
    other.goto(url)
    wait_for_map(other)
    expect(other.get_by_role("combobox", name="Colour by")).to_have_value("Genre")
    expect(other.get_by_text(re.compile(rf"Filter: genres: {re.escape(bar['label'])}"))).to_be_visible()
    expect(side_panel(other).get_by_text(title, exact=True)).to_be_visible(timeout=SLOW)
    assert points_length(other) == shown
    assert "cosine: lines to true neighbours" in trace_names(other)
    screenshot(other, tmp_path / "explore_shared_link.png")
    assert chart_locator(other, "genres / tags").count() == 1
