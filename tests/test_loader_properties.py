"""Property tests: random interaction tables written as delimited text come back unchanged.

Each example draws ids (ints, or unicode strings with quotes, newlines and the
delimiter inside), values (explicit ratings or implicit counts, or none),
optional timestamps, a delimiter, a header or not, line endings, BOM and gzip,
then compares `load_interactions` with a pandas reference of the duplicate rule:
explicit -> the latest row (by timestamp, then file order) wins; implicit -> summed.
"""
from __future__ import annotations

import codecs
import csv
import gzip
import io

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embedviz.data.interactions import detect_kind
from embedviz.data.loaders import load_interactions

DELIMITERS = [",", ";", "\t", "|", "::"]
HEADERS = {
    "user": ["userId", "user", "customer_id"],
    "item": ["movieId", "item", "product"],
    "value": ["rating", "plays", "weight"],
    "time": ["timestamp", "ts"],
}
_UNIT_SEPARATOR = "\x1f"


def string_ids(delimiter: str):
    """Non-numeric text ids; inner characters include the delimiter, quotes and line breaks."""
    specials = "\"' \n-" + ("" if delimiter == "::" else delimiter)
    alphabet = st.characters(categories=["L", "N"], exclude_characters=":") | st.sampled_from(list(specials))
    # A bare "\r" inside a field is a line break unless quoted, and csv.writer quotes it only when
    # "\r" is in its line terminator: inner line breaks are "\n" or "\r\n".
    text = st.tuples(st.text(alphabet, max_size=8), st.booleans()).map(
        lambda t: t[0].replace("\n", "\r\n") if t[1] else t[0])
    # A letter first and a digit last: never a number, never blank at the edges, never taken for a header.
    return text.map(lambda s: f"x{s}7")


def id_pool(delimiter: str):
    ints = st.integers(-(10**12), 10**12)
    return st.one_of(st.lists(ints, min_size=2, max_size=8, unique=True),
                     st.lists(string_ids(delimiter), min_size=2, max_size=8, unique=True))


@st.composite
def tables(draw):
    delimiter = draw(st.sampled_from(DELIMITERS))
    users, items = draw(id_pool(delimiter)), draw(id_pool(delimiter))
    n = draw(st.integers(0, 40))
    pairs = [(0, 0), (1, 1)] + [(draw(st.integers(0, len(users) - 1)), draw(st.integers(0, len(items) - 1)))
                                for _ in range(n)]
    frame = pd.DataFrame({"user": [users[u] for u, _ in pairs], "item": [items[i] for _, i in pairs]})
    value_kind = draw(st.sampled_from(["ratings", "counts", "none"]))
    if value_kind == "ratings":
        frame["value"] = draw(st.lists(st.sampled_from(np.arange(1, 11) / 2), min_size=len(frame), max_size=len(frame)))
    elif value_kind == "counts":
        frame["value"] = draw(st.lists(st.integers(0, 999), min_size=len(frame), max_size=len(frame)))
    if draw(st.booleans()):
        frame["time"] = draw(st.lists(st.integers(10**9, 1_700_000_000), min_size=len(frame), max_size=len(frame)))
    layout = {
        "delimiter": delimiter, "header": draw(st.booleans()), "newline": draw(st.sampled_from(["\n", "\r\n"])),
        "bom": draw(st.booleans()), "gzip": draw(st.booleans()),
        "names": {role: draw(st.sampled_from(names)) for role, names in HEADERS.items()},
        "kind": draw(st.sampled_from([None, "explicit", "implicit"])) if value_kind != "none" else None,
    }
    return frame, layout


def to_bytes(frame: pd.DataFrame, layout: dict) -> bytes:
    single = _UNIT_SEPARATOR if layout["delimiter"] == "::" else layout["delimiter"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=single, lineterminator=layout["newline"])
    if layout["header"]:
        writer.writerow([layout["names"][role] for role in frame.columns])
    writer.writerows(frame.itertuples(index=False, name=None))
    text = buffer.getvalue().replace(_UNIT_SEPARATOR, "::")
    data = (codecs.BOM_UTF8 if layout["bom"] else b"") + text.encode("utf-8")
    return gzip.compress(data) if layout["gzip"] else data


def reference(frame: pd.DataFrame, kind: str) -> dict:
    """(user, item) -> combined value, by the documented duplicate rule."""
    frame = frame.assign(value=frame["value"] if "value" in frame else 1.0, order=np.arange(len(frame)))
    if kind == "implicit":
        combined = frame.groupby(["user", "item"], sort=False)["value"].sum()
    else:
        keys = ["time", "order"] if "time" in frame else ["order"]
        combined = frame.sort_values(keys).groupby(["user", "item"], sort=False)["value"].last()
    return {key: float(value) for key, value in combined.items()}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(tables())
def test_random_tables_round_trip(table):
    frame, layout = table
    data, report = load_interactions(to_bytes(frame, layout), kind=layout["kind"], name="random.csv",
                                     return_report=True)
    kind = layout["kind"] or (detect_kind(frame["value"].to_numpy(float)) if "value" in frame else "implicit")
    expected = reference(frame, kind)
    got = data.to_frame()
    assert data.kind == kind and report.had_header == layout["header"]
    assert report.delimiter == layout["delimiter"]
    assert (data.n_users, data.n_items) == (frame["user"].nunique(), frame["item"].nunique())
    assert data.nnz == len(expected) and report.duplicates_combined == len(frame) - len(expected)
    actual = {(u, i): float(v) for u, i, v in zip(got["user"], got["item"], got["value"])}
    assert actual.keys() == expected.keys()
    np.testing.assert_allclose([actual[k] for k in expected], list(expected.values()), rtol=1e-6)
    assert (data.timestamps is not None) == ("time" in frame)


_JUNK = st.binary(max_size=300) | st.text(alphabet=',;|:\t"\n\r ab1.5e-\x00é', max_size=150).map(str.encode)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_JUNK, _JUNK)
def test_any_bytes_give_a_result_or_a_data_error(data, metadata):
    """No KeyError, ParserError, UnicodeDecodeError or ArrowInvalid ever escapes a loader."""
    from embedviz.data.embeddings import load_embeddings
    from embedviz.data.metadata import load_item_metadata
    from embedviz.errors import DataError

    for load in (lambda: load_interactions(data), lambda: load_item_metadata(data),
                 lambda: load_embeddings(data, metadata=metadata)):
        try:
            load()
        except DataError as error:
            assert str(error)
