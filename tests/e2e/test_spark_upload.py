"""A zipped Spark output opened on the Recommend page with item metadata: its users get
recommendations with titles, and the Neighbours page works on Spark's item vectors."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.test_spark_factors import make_output, zipped

from .conftest import after_rerun, open_page, screenshot, wait_idle
from .test_recommend_page import VISIBLE_RECOMMENDATIONS, open_tab

N_ITEMS = 60


def test_open_a_zipped_spark_output(server, page, tmp_path):
    make_output(tmp_path / "model_dir", user_ids=[f"u{i:02d}" for i in range(30)], n_items=N_ITEMS,
                info_changes={"source": "s3a://bucket/plays.parquet"})
    archive = tmp_path / "model.zip"
    archive.write_bytes(zipped(tmp_path / "model_dir"))
    metadata = tmp_path / "films.csv"
    metadata.write_text("item,title,genres\n" + "".join(
        f"{i},Spark film {i},{'Drama' if i % 2 else 'Comedy'}\n" for i in range(100, 100 + N_ITEMS)))

    open_page(page, server, "Recommend")
    panel = open_tab(page, "Save · load · export")
    uploads = panel.get_by_test_id("stFileUploaderDropzoneInput")
    after_rerun(page, lambda: uploads.first.set_input_files(archive))
    expect(uploads).to_have_count(2)          # the metadata uploader appears for a zip
    after_rerun(page, lambda: uploads.nth(1).set_input_files(metadata))
    after_rerun(page, lambda: panel.get_by_role("button", name="Open this model").click())
    expect(page.get_by_test_id("stAlert").filter(has_text="Loaded model.zip")).to_be_visible(timeout=30_000)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_role("combobox", name="Model in use")).to_have_value(re.compile("SparkALS"))

    open_tab(page, "A real user")
    page.wait_for_function(f"() => ({VISIBLE_RECOMMENDATIONS})().includes('Spark film')", timeout=30_000)
    screenshot(page, tmp_path / "spark_recommend.png")

    after_rerun(page, lambda: sidebar.get_by_role("link", name="Neighbours").click())
    wait_idle(page)
    expect(page.get_by_text(re.compile("Spark film")).first).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    screenshot(page, tmp_path / "spark_neighbours.png")
