"""Train page in the browser: progress, loss curve, evaluation, the model picker, page changes."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from .conftest import SLOW, open_page, plotly_figures, screenshot


def model_picker(page):
    return page.get_by_test_id("stSidebar").get_by_role("combobox", name="Model in use")


def picker_options(page) -> list[str]:
    model_picker(page).click()
    options = page.get_by_role("option")
    expect(options.first).to_be_visible()
    names = [o.strip() for o in options.all_inner_texts()]
    page.keyboard.press("Escape")
    return names


def start_training(page, name: str, iterations: int | None = None) -> None:
    form = page.get_by_test_id("stForm")
    if iterations is not None:
        form.get_by_role("spinbutton", name="Iterations", exact=True).fill(str(iterations))
    form.get_by_role("textbox", name="Name this run", exact=True).fill(name)
    form.get_by_role("button", name="Train").click()


def test_train_with_defaults(server, page, tmp_path):
    open_page(page, server, "Train")
    expect(page.get_by_role("heading", name="Train", level=1)).to_be_visible()
    start = time.perf_counter()
    start_training(page, "my WALS")

    progress = page.get_by_test_id("stProgress")
    expect(progress).to_be_visible(timeout=30_000)
    expect(progress).to_contain_text("my WALS: iteration")
    expect(page.get_by_text(re.compile(r"my WALS: iteration 15 of 15 .* finished"))).to_be_visible(
        timeout=SLOW
    )
    seconds = time.perf_counter() - start
    print(f"\nTrain page: WALS defaults on the demo, click -> finished {seconds:.1f} s")

    expect(model_picker(page)).to_have_value("my WALS", timeout=30_000)
    assert "my WALS" in picker_options(page)
    expect(page.get_by_role("heading", name="Held-out evaluation")).to_be_visible()
    page.wait_for_function(
        "() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= 2"
    )
    figures = plotly_figures(page)
    loss = [
        f
        for f in figures
        if "loss" in str(f["title"]).lower()
        or any("loss" in t["name"].lower() for t in f["traces"])
    ]
    assert loss, f"no loss curve among {figures}"
    metrics = [f for f in figures if any(t["name"] == "my WALS" for t in f["traces"])]
    assert metrics, f"the held-out chart does not show the new run: {figures}"
    screenshot(page, tmp_path / "train_done.png")


def test_training_survives_page_change(server, page, tmp_path):
    open_page(page, server, "Train")
    start_training(page, "long run", iterations=60)
    progress = page.get_by_test_id("stProgress")
    expect(progress).to_contain_text(re.compile(r"long run: iteration [1-9]"), timeout=30_000)

    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("link", name="Data").click()
    expect(page.get_by_role("heading", name="Data", level=1)).to_be_visible()
    page.wait_for_timeout(1500)  # training goes on without the page
    sidebar.get_by_role("link", name="Train").click()
    expect(page.get_by_role("heading", name="Train", level=1)).to_be_visible()

    expect(progress).to_contain_text("long run: iteration")
    first = int(re.search(r"iteration (\d+)", progress.inner_text()).group(1))
    screenshot(page, tmp_path / "train_back.png")
    expect(page.get_by_text(re.compile(r"long run: iteration 60 of 60 .* finished"))).to_be_visible(
        timeout=SLOW
    )
    assert first >= 1
    expect(model_picker(page)).to_have_value("long run", timeout=30_000)
