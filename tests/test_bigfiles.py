"""Opening big vector files where they lie: every format, memory mapping, no float64 copies, errors."""
import zipfile

import numpy as np
import pandas as pd
import pytest

from embedviz.data.bigfiles import mapped_reference, open_vectors
from embedviz.data.synthetic import write_vectors
from embedviz.errors import DataError


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDVIZ_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return write_vectors(tmp_path_factory.mktemp("vectors"), 3_000, 12, formats=("parquet", "npy", "tsv"),
                         n_clusters=10, seed=3)


@pytest.fixture(scope="module")
def expected(files):
    return np.load(files.paths["npy"])


def test_npy_float32_is_mapped_in_place(files, expected):
    opened = open_vectors(files.paths["npy"], metadata=files.paths["metadata_tsv"])
    assert isinstance(opened.vectors, np.memmap) and opened.mapped_from == files.paths["npy"]
    assert not opened.vectors.flags.writeable
    np.testing.assert_array_equal(opened.vectors, expected)
    np.testing.assert_allclose(opened.norms, np.linalg.norm(expected, axis=1), rtol=1e-5)
    assert opened.titles([0, 1]) == pd.read_csv(files.paths["metadata_tsv"], sep="\t")["title"][:2].tolist()


def test_parquet_is_converted_once_then_mapped(files, expected, tmp_path):
    first = open_vectors(files.paths["parquet"])
    assert first.vectors.dtype == np.float32 and isinstance(first.vectors, np.memmap)
    assert first.mapped_from.parent == tmp_path / "cache" / "vectors"
    np.testing.assert_array_equal(first.vectors, expected)
    assert {"id", "title", "category"} <= set(first.table.columns)
    again = open_vectors(files.paths["parquet"])
    assert "no conversion" in again.notes[0]
    np.testing.assert_array_equal(again.norms, first.norms)


def test_projector_tsv_pair_and_folder(files, expected):
    opened = open_vectors(files.paths["vectors_tsv"], metadata=files.paths["metadata_tsv"])
    np.testing.assert_allclose(opened.vectors, expected, rtol=1e-6)
    assert opened.n == 3_000 and opened.table["title"].iloc[5] == pd.read_csv(
        files.paths["metadata_tsv"], sep="\t")["title"].iloc[5]
    from_folder = open_vectors(files.paths["vectors_tsv"].parent)
    assert from_folder.n == 3_000 and "category" in from_folder.table


def test_npz_stored_is_mapped_and_compressed_is_converted(tmp_path, expected):
    stored, packed = tmp_path / "stored.npz", tmp_path / "packed.npz"
    ids = np.array([f"w{i}" for i in range(len(expected))])
    np.savez(stored, vectors=expected, ids=ids)
    np.savez_compressed(packed, expected.astype(np.float64))
    a = open_vectors(stored)
    assert a.mapped_from == stored and a.ids[2] == "w2"
    np.testing.assert_array_equal(a.vectors, expected)
    b = open_vectors(packed)
    assert b.vectors.dtype == np.float32 and b.mapped_from != packed
    np.testing.assert_allclose(b.vectors, expected)


def test_float64_npy_is_converted_to_float32(tmp_path, expected):
    path = tmp_path / "wide.npy"
    np.save(path, expected.astype(np.float64))
    opened = open_vectors(path)
    assert opened.vectors.dtype == np.float32 and opened.mapped_from != path


def test_search_reaches_every_row_prefix_first(files):
    opened = open_vectors(files.paths["parquet"])
    last = opened.titles([opened.n - 1])[0]
    assert opened.search(last)[0] == opened.n - 1
    word = last.split()[0].lower()
    hits = opened.search(word, limit=50)
    titles = opened.titles(hits)
    assert all(word in t.lower() for t in titles)
    starts = [t.lower().startswith(word) for t in titles]
    assert starts == sorted(starts, reverse=True)


def test_category_codes_most_common_first(files):
    opened = open_vectors(files.paths["parquet"])
    assert opened.category_columns() == ["category"]
    codes, names = opened.category_codes("category")
    counts = np.bincount(codes)
    assert counts[0] == counts.max() and len(names) == len(counts)
    assert names[codes[0]] == opened.table["category"].iloc[0]


def test_mapped_reference_reopens_the_same_numbers(files, expected):
    opened = open_vectors(files.paths["npy"])
    reference = mapped_reference(opened.vectors)
    np.testing.assert_array_equal(reference.open(), expected)
    assert mapped_reference(opened.vectors[1:]) is None and mapped_reference(expected) is None


def test_nan_is_reported_with_its_row(tmp_path, expected):
    bad = expected.copy()
    bad[1234, 3] = np.nan
    np.save(tmp_path / "bad.npy", bad)
    with pytest.raises(DataError, match="row 1235: dimension 4"):
        open_vectors(tmp_path / "bad.npy")
    frame = pd.DataFrame({"vector": list(bad.astype(np.float64))})
    frame.to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(DataError, match="row 1235"):
        open_vectors(tmp_path / "bad.parquet")
    assert not list((tmp_path / "cache" / "vectors").glob("bad*.npy"))     # no half-made copy left


@pytest.mark.parametrize("content, message", [
    (np.zeros(10, np.float32), "2-D"),
    (np.zeros((1, 5), np.float32), "at least 2 vectors"),
])
def test_bad_shapes(tmp_path, content, message):
    np.save(tmp_path / "x.npy", content)
    with pytest.raises(DataError, match=message):
        open_vectors(tmp_path / "x.npy")


def test_pickles_are_refused(tmp_path):
    np.save(tmp_path / "objects.npy", np.array([[1, "a"], [2, "b"]], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="pickle"):
        open_vectors(tmp_path / "objects.npy")


def test_other_errors(tmp_path, files):
    with pytest.raises(DataError, match="no such file"):
        open_vectors(tmp_path / "missing.parquet")
    (tmp_path / "v.bin").write_bytes(b"\0" * 10)
    with pytest.raises(DataError, match="unknown vector format"):
        open_vectors(tmp_path / "v.bin")
    (tmp_path / "ragged.tsv").write_text("1\t2\t3\n4\t5\n6\t7\t8\n")
    with pytest.raises(DataError, match="ragged.tsv"):
        open_vectors(tmp_path / "ragged.tsv")
    with pytest.raises(DataError, match="has 3 rows but"):
        open_vectors(files.paths["npy"], metadata=_lines(tmp_path / "meta.tsv", 3))
    with pytest.raises(DataError, match="One row too many"):
        open_vectors(files.paths["npy"], metadata=_lines(tmp_path / "meta1.tsv", 3_001))
    with zipfile.ZipFile(tmp_path / "empty.npz", "w"):
        pass
    with pytest.raises(DataError, match="expected one 2-D array"):
        open_vectors(tmp_path / "empty.npz")


def _lines(path, n):
    path.write_text("".join(f"title {i}\n" for i in range(n)))
    return path


def test_single_column_metadata_has_no_header(files, tmp_path):
    opened = open_vectors(files.paths["npy"], metadata=_lines(tmp_path / "names.tsv", 3_000))
    assert opened.titles([0, 2999]) == ["title 0", "title 2999"]


def test_without_cache_folder_vectors_stay_in_memory(files, expected):
    opened = open_vectors(files.paths["parquet"], cache=False)
    assert opened.mapped_from is None and not opened.vectors.flags.writeable
    np.testing.assert_array_equal(opened.vectors, expected)


def test_spark_output_folder_gives_its_item_factors(tmp_path):
    from tests.test_spark_factors import make_output

    folder = tmp_path / "model_dir"
    _, item_ids, _, items, _ = make_output(folder, n_items=30)
    pd.DataFrame({"item_id": item_ids, "title": [f"Film {i}" for i in item_ids],
                  "genres": ["Drama|War"] * 30}).to_csv(folder / "items.csv", index=False)
    opened = open_vectors(folder)
    np.testing.assert_array_equal(opened.vectors, items)
    assert opened.ids.tolist() == item_ids and opened.titles([0]) == ["Film 100"]
    assert opened.table["genres"].iloc[0] == "Drama|War" and "Spark" in opened.notes[0]
    assert "no conversion" not in open_vectors(folder).notes[0] and open_vectors(folder).mapped_from.exists()


def test_a_folder_of_something_else_is_refused(tmp_path):
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(DataError, match="neither vectors.tsv"):
        open_vectors(tmp_path)


def test_the_layout_worker_maps_the_same_file(files, expected):
    from embedviz.analysis.projection import project
    from embedviz.dashboard.workers import project_shared

    reference = mapped_reference(open_vectors(files.paths["npy"]).vectors)
    np.testing.assert_array_equal(project_shared(reference, method="pca"), project(expected, method="pca"))
