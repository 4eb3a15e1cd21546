"""The Data page in AppTest: good uploads replace the data set, bad ones explain and change nothing."""
import json
from pathlib import Path

import pytest

from tests.app.conftest import button, errors, metric, open_page

BAD = Path(__file__).resolve().parents[1] / "fixtures" / "bad"
MANIFEST = json.loads((BAD / "manifest.json").read_text())
# Cases that need loader arguments the upload form cannot express (a column name that does not
# exist, a tiny size limit) are covered by tests/test_loaders.py instead.
UI_CASES = sorted(name for name, case in MANIFEST.items() if not case.get("kwargs"))


def upload(at, name: str, content: bytes):
    at.file_uploader(key="upload_interactions").set_value((name, content, "application/octet-stream"))
    at.run()
    return at


def test_data_page_shows_the_demo_summary():
    at = open_page("pages/1_Data.py")
    assert metric(at, "Users") == "2,500" and metric(at, "Items") == "3,000"
    assert not errors(at)


def test_good_upload_replaces_the_data_set():
    at = open_page("pages/1_Data.py")
    rows = "\n".join(f"{u},{i},{(u * i) % 5 + 1}" for u in range(1, 21) for i in range(1, 16) if (u + i) % 3)
    upload(at, "mine.csv", ("user,item,rating\n" + rows).encode())
    assert not errors(at), errors(at)
    button(at, "Use this data set").click()
    at.run()
    assert not errors(at), errors(at)
    assert metric(at, "Users") == "20" and metric(at, "Items") == "15"
    assert "mine.csv" in at.session_state["ev_dataset"].name


@pytest.mark.parametrize("name", UI_CASES)
def test_page_survives_every_bad_file(name):
    at = open_page("pages/1_Data.py")
    upload(at, name, (BAD / name).read_bytes())
    if not errors(at):                       # readable table: the problem shows when the mapping is applied
        button(at, "Use this data set").click()
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(errors(at))
    assert MANIFEST[name]["expect"] in shown, shown
    assert metric(at, "Users") == "2,500"    # the demo data set is still the one in use
    assert at.session_state["ev_dataset"].is_demo
