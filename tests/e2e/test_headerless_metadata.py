"""A MovieLens-100K-like upload in the browser: headerless u.data + headerless Latin-1 u.item, genre names
typed, trained, and then a film is found by its title on Explore (not by its id), and the unnamed
release-date column is a linked chart by year."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from embedviz.data.synthetic import write_movielens_100k

from .conftest import SLOW, open_page, screenshot, wait_idle
from .explore_map import chart_locator, facet_bars


@pytest.mark.slow
def test_headerless_upload_is_searchable_by_title(server, page, tmp_path):
    files = write_movielens_100k(tmp_path / "ml", n_users=200, n_items=300, n_ratings=8_000)
    truth = files.truth
    title = truth["titles"][truth["most_popular"]]
    words = re.sub(r"\s*\(\d{4}\)$", "", title)              # "Film Name (1995)" -> "Film Name"

    open_page(page, server, "Data")
    page.get_by_test_id("stExpander").filter(has_text="Load your own data").locator("summary").click()
    uploaders = page.get_by_test_id("stFileUploaderDropzoneInput")
    uploaders.nth(0).set_input_files(files.paths["ratings"])
    expect(page.get_by_text("u.data — first rows as read")).to_be_visible(timeout=30_000)
    uploaders.nth(1).set_input_files(files.paths["items"])
    expect(page.get_by_text("How items will be shown")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stAlert").filter(has_text="genre flag columns have no names")).to_be_visible()

    names = page.get_by_role("textbox", name=re.compile(r"Genre names \(19"))
    names.fill(", ".join(truth["genres"]))
    names.press("Control+Enter")
    expect(page.get_by_test_id("stAlert").filter(has_text="genre flag columns have no names")).to_have_count(
        0, timeout=30_000)
    shown = page.get_by_test_id("stDataFrame").filter(has=page.locator("td", has_text="Drama"))
    expect(shown.first).to_be_attached()
    expect(page.get_by_text("300 of 300 items in u.data have a row here.")).to_be_visible()
    page.get_by_role("button", name="Use this data set").click()
    expect(page.get_by_test_id("stAlert").filter(has_text="Loaded u")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stAlert").filter(has_text="Titles are the item ids")).to_have_count(0)
    screenshot(page, tmp_path / "data_headerless.png")

    page.get_by_test_id("stSidebar").get_by_role("link", name="Train").click()
    form = page.get_by_test_id("stForm")
    form.get_by_role("spinbutton", name="Iterations", exact=True).fill("5")
    form.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_text(re.compile(r"iteration 5 of 5 .* finished"))).to_be_visible(timeout=SLOW)

    page.get_by_test_id("stSidebar").get_by_role("link", name="Explore").click()
    wait_idle(page, SLOW)
    search = page.get_by_role("textbox", name="Find an item")
    search.fill(words)
    search.press("Enter")
    matches = page.get_by_role("combobox", name="Matches")
    expect(matches).to_be_visible(timeout=30_000)
    expect(matches).to_have_value(re.compile(re.escape(words)))
    screenshot(page, tmp_path / "explore_found_title.png")

    # u.item's third column (release dates like 01-Jan-1995) is binned by year, not one bar per date.
    expect(chart_locator(page, "column 3 (year)")).to_be_visible(timeout=SLOW)
    bars = facet_bars(page, "column 3 (year)")
    assert len(bars) >= 5, bars
    assert all(re.fullmatch(r"\d{4}(–\d{4})?", bar["label"]) for bar in bars), [b["label"] for b in bars]
    assert 1900 < int(bars[0]["label"][:4]) and int(bars[-1]["label"][-4:]) <= 2005

