"""Data page in the browser: a real upload through the widget, the summary, and a bad file."""

from __future__ import annotations

import os

import numpy as np
import pytest
from playwright.sync_api import expect

from .conftest import ROOT, metric_value, open_page, plotly_figures, screenshot

DEMO_NAME = "Demo: films (generated)"
README_SHOT = ROOT / "docs" / "screenshots" / "data_page.png"
README_LIMIT = 300_000


def write_ratings(path, n_users=30, n_items=20, seed=0):
    """user,item,rating,timestamp rows: every user rates 8-15 items, every item is rated."""
    rng = np.random.default_rng(seed)
    rows = set()
    for user in range(n_users):
        for item in rng.choice(n_items, size=rng.integers(8, 16), replace=False):
            rows.add((user, int(item)))
    rows |= {(item % n_users, item) for item in range(n_items)}
    lines = ["user,item,rating,timestamp"]
    for n, (user, item) in enumerate(sorted(rows)):
        lines.append(f"u{user:02d},film-{item:02d},{rng.integers(1, 6)},{1_600_000_000 + 3600 * n}")
    path.write_text("\n".join(lines) + "\n")
    return len(rows)


def write_fake_csv(path):
    """A PNG image renamed .csv: binary, not a table."""
    from PIL import Image

    Image.new("RGB", (32, 32), (200, 40, 40)).save(path, format="PNG")


def open_upload_form(page, server):
    open_page(page, server, "Data")
    expect(page.get_by_role("heading", name=DEMO_NAME)).to_be_visible()
    page.get_by_test_id("stExpander").filter(has_text="Load your own data").locator(
        "summary"
    ).click()
    return page.get_by_test_id("stFileUploaderDropzoneInput")


def test_bad_upload_keeps_demo(server, page, tmp_path):
    uploaders = open_upload_form(page, server)
    fake = tmp_path / "ratings.csv"
    write_fake_csv(fake)
    uploaders.nth(0).set_input_files(fake)

    error = page.get_by_test_id("stAlert").filter(has_text="is a PNG image").filter(has_text="was not changed")
    expect(error).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Use this data set")).to_have_count(0)
    expect(page.get_by_role("heading", name=DEMO_NAME)).to_be_visible()
    assert metric_value(page, "Users") == "2,500"
    screenshot(page, tmp_path / "data_bad_upload.png")


def test_upload_csv_shows_summary(server, page, tmp_path):
    csv = tmp_path / "my_ratings.csv"
    n_interactions = write_ratings(csv)
    uploaders = open_upload_form(page, server)
    uploaders.nth(0).set_input_files(csv)

    expect(page.get_by_text("my_ratings.csv — first rows as read")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Use this data set")).to_be_visible()
    preview = page.get_by_test_id("stExpander").get_by_test_id("stDataFrame")
    expect(preview).to_be_visible()
    # Glide data grid draws on a canvas; its cells are mirrored in an accessible (hidden) table.
    expect(preview.locator("td", has_text="u00").first).to_be_attached()
    page.get_by_role("button", name="Use this data set").click()

    expect(page.get_by_test_id("stAlert").filter(has_text="Loaded")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("heading", name=DEMO_NAME)).to_have_count(0)
    assert metric_value(page, "Users") == "30"
    assert metric_value(page, "Items") == "20"
    assert metric_value(page, "Interactions") == f"{n_interactions:,}"
    expect(page.get_by_test_id("stSidebar").get_by_text("30 users · 20 items")).to_be_visible()
    charts = page.get_by_test_id("stPlotlyChart")
    expect(charts.first).to_be_visible()
    page.wait_for_function(
        "() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= 4"
    )
    assert len(plotly_figures(page)) >= 4  # ratings, long tail, activity, time
    screenshot(page, tmp_path / "data_uploaded.png")

    # The new data set is the session's: other pages (and the sidebar) use it too.
    page.get_by_test_id("stSidebar").get_by_role("link", name="Home").click()
    expect(page.get_by_role("heading", name="embedviz", level=1)).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_text("30 users · 20 items")).to_be_visible()
    assert metric_value(page, "Users") == "30"


@pytest.mark.skipif(
    os.environ.get("EMBEDVIZ_UPDATE_SCREENSHOTS") != "1",
    reason="set EMBEDVIZ_UPDATE_SCREENSHOTS=1 to refresh the README screenshot",
)
def test_readme_screenshot(server, new_page):
    page = new_page({"width": 1400, "height": 1250})
    open_page(page, server, "Data")
    expect(page.get_by_role("heading", name=DEMO_NAME)).to_be_visible()
    page.wait_for_function(
        "() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= 4"
    )
    page.wait_for_timeout(1000)  # Plotly's own transitions
    README_SHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(README_SHOT))
    size = README_SHOT.stat().st_size
    print(f"\nREADME screenshot: {README_SHOT} {size / 1000:.0f} kB")
    assert size < README_LIMIT
