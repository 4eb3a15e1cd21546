"""embedviz.data.embeddings: vectors trained elsewhere (.npy, .npz, Projector TSV, Parquet) + metadata."""
from __future__ import annotations

import gzip
import io

import numpy as np
import pandas as pd
import pytest

import embedviz as ev
from embedviz.data.embeddings import EmbeddingSet, load_embeddings, validated_vectors
from embedviz.errors import DataError

VECTORS = np.arange(15, dtype=np.float64).reshape(5, 3) / 7


def npy(array: np.ndarray, **kwargs) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, **kwargs)
    return buffer.getvalue()


def npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def tsv(array: np.ndarray, labels=None) -> bytes:
    rows = ["\t".join([*([] if labels is None else [labels[k]]), *(repr(float(x)) for x in row)]) for k, row in enumerate(array)]
    return ("\n".join(rows) + "\n").encode()


def assert_vectors(loaded: EmbeddingSet, ids) -> None:
    assert loaded.vectors.dtype == np.float32 and loaded.vectors.shape == (5, 3)
    np.testing.assert_allclose(loaded.vectors, VECTORS, rtol=1e-6)
    assert list(loaded.ids) == list(ids)
    assert len(loaded.metadata) == 5 and {"title", "genres"} <= set(loaded.metadata.columns)


# --------------------------------------------------------------------------- formats
def test_npy():
    loaded = load_embeddings(npy(VECTORS), name="v.npy")
    assert_vectors(loaded, range(5))
    assert loaded.source == "v.npy" and (loaded.n, loaded.dim) == (5, 3)
    assert loaded.metadata["title"].tolist() == ["0", "1", "2", "3", "4"]


def test_npz_with_vectors_and_ids_keys():
    loaded = load_embeddings(npz(vectors=VECTORS, ids=np.array(list("abcde")), other=np.eye(2)))
    assert_vectors(loaded, "abcde")


def test_npz_with_a_single_2d_array():
    assert_vectors(load_embeddings(npz(item_factors=VECTORS)), range(5))


def test_projector_tsv_pair_single_column_metadata_has_no_header():
    loaded = load_embeddings(tsv(VECTORS), name="vectors.tsv", metadata=b"Heat\nUp\nAlien\nBig\nJaws\n")
    assert_vectors(loaded, range(5))
    assert loaded.metadata["title"].tolist() == ["Heat", "Up", "Alien", "Big", "Jaws"]


def test_projector_metadata_with_several_columns_has_a_header():
    meta = b"Title\tGenre\tcount\nHeat\tAction|Crime\t3\nUp\tAnimation\t9\nAlien\tSciFi\t1\nBig\tComedy\t2\nJaws\tHorror\t5\n"
    loaded = load_embeddings(tsv(VECTORS), metadata=meta)
    assert loaded.metadata["title"].tolist()[:2] == ["Heat", "Up"]
    assert loaded.metadata["genres"].iloc[0] == ["Action", "Crime"] and loaded.metadata["count"].iloc[1] == 9


def test_text_with_a_leading_label_column_and_gzip():
    loaded = load_embeddings(gzip.compress(tsv(VECTORS, labels=["w0", "w1", "w2", "w3", "w4"])), name="v.tsv.gz")
    assert_vectors(loaded, ["w0", "w1", "w2", "w3", "w4"])


def test_csv_with_header_and_id_column():
    frame = pd.DataFrame(VECTORS, columns=["d0", "d1", "d2"]).assign(item_id=[10, 11, 12, 13, 14])
    data = frame[["item_id", "d0", "d1", "d2"]].to_csv(index=False).encode()
    assert_vectors(load_embeddings(data), [10, 11, 12, 13, 14])


def test_parquet_number_columns_and_text_ids():
    frame = pd.DataFrame(VECTORS, columns=["a", "b", "c"])
    frame.insert(0, "word", list("vwxyz"))
    assert_vectors(load_embeddings(parquet(frame)), "vwxyz")


def test_parquet_list_column():
    frame = pd.DataFrame({"id": list("abcde"), "embedding": list(VECTORS)})
    assert_vectors(load_embeddings(parquet(frame)), "abcde")


def test_metadata_as_a_dataframe_and_upload(tmp_path):
    meta = pd.DataFrame({"name": list("ABCDE"), "group": [1, 1, 2, 2, 3]})
    loaded = load_embeddings(npy(VECTORS), metadata=meta)
    assert loaded.metadata["title"].tolist() == list("ABCDE") and loaded.metadata["group"].tolist() == [1, 1, 2, 2, 3]
    path = tmp_path / "meta.tsv"
    path.write_bytes(b"a\nb\nc\nd\ne\n")
    with open(path, "rb") as handle:
        assert load_embeddings(npy(VECTORS), metadata=handle).metadata["title"].tolist() == list("abcde")


def test_public_export():
    assert ev.load_embeddings is load_embeddings


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("source, message", [
    (npy(np.array([{"a": 1}, None], dtype=object), allow_pickle=True), "holds Python objects"),
    (npy(VECTORS[0]), "expected a 2-D array of shape (n_items, n_dims)"),
    (npy(np.zeros((2, 3, 4))), "found an array of shape (2, 3, 4)"),
    (npy(VECTORS[:1]), "found 1 vector(s); need at least 2"),
    (npy(VECTORS[:, :1]), "vectors have 1 dimension(s); need at least 2"),
    (npy(np.zeros((4, 0))), "vectors have 0 dimension(s)"),
    (npy(np.array([["a", "b"], ["c", "d"]])), "expected numbers, found an array of dtype <U1"),
    (npy(np.array([[1 + 1j, 2], [3, 4]])), "expected numbers, found an array of dtype complex128"),
    (npy(VECTORS)[:100], "not a readable NumPy file"),
    (npz(a=VECTORS, b=VECTORS), "expected one 2-D array (or a key named 'vectors')"),
    (b"1\t2\t3\n4\t5\n6\t7\t8\n", "line 2: expected 3 fields like line 1, found 2"),
    (b"0.1,0.2,0.3\n0.4,oops,0.6\n0.7,0.8,0.9\n", "line 2: column 'column 2' should hold numbers, found 'oops'"),
    (b"", "is empty"),
    (b"\x89PNG\r\n\x1a\n" + bytes(20), "PNG image"),
    (b"PK\x03\x04" + bytes(30), "damaged zip archive"),
])
def test_bad_vectors(source, message):
    with pytest.raises(DataError) as info:
        load_embeddings(source, name="vectors.bin")
    assert message in str(info.value) and str(info.value).startswith("vectors.bin")


def test_nan_and_inf_rows_are_named():
    array = VECTORS.copy()
    array[3, 1] = np.nan
    with pytest.raises(DataError, match=r"row 4: dimension 2 is a missing or NaN value"):
        load_embeddings(npy(array))
    array[3, 1] = -np.inf
    with pytest.raises(DataError, match=r"line 4: dimension 2 is -inf \(infinite\)"):
        load_embeddings(tsv(array))
    array[3, 1] = 1e300
    with pytest.raises(DataError, match=r"row 4: dimension 2 is 1e\+300 \(too large for float32\)"):
        load_embeddings(npy(array))


def test_ragged_list_column():
    frame = pd.DataFrame({"embedding": [[0.1, 0.2], [0.3], [0.4, 0.5]]})
    with pytest.raises(DataError, match="row 2: column 'embedding' has 1 numbers but row 1 has 2"):
        load_embeddings(parquet(frame))


def test_metadata_row_count_must_match():
    with pytest.raises(DataError, match="meta.tsv has 2 rows but vectors.tsv has 5 vectors"):
        load_embeddings(tsv(VECTORS), name="vectors.tsv", metadata=_named(b"a\nb\n", "meta.tsv"))


def test_metadata_with_one_row_too_many_hints_at_the_header():
    with pytest.raises(DataError, match="One row too many"):
        load_embeddings(tsv(VECTORS), metadata=b"label\na\nb\nc\nd\ne\n")


def test_size_limit_applies_to_both_files():
    with pytest.raises(DataError, match="size limit"):
        load_embeddings(npy(VECTORS), max_bytes=50)
    with pytest.raises(DataError, match="size limit"):
        load_embeddings(npy(VECTORS[:2, :2]), metadata=b"a\n" * 200, max_bytes=300)


def test_validated_vectors_accepts_ints_and_bools():
    assert validated_vectors(np.eye(2, dtype=np.int8), "x").dtype == np.float32


def _named(content: bytes, name: str) -> io.BytesIO:
    stream = io.BytesIO(content)
    stream.name = name
    return stream
