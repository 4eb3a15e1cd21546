"""embedviz.data.readers: sources, containers, encodings, delimiter / header sniffing, typed columns."""
from __future__ import annotations

import codecs
import gzip
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embedviz.data.readers import column_names, detect_header, read_table, sniff_delimiter
from embedviz.data.sources import (
    DEFAULT_MAX_BYTES,
    decode_text,
    gunzip_if_needed,
    read_bytes,
    sniff_format,
    source_name,
)
from embedviz.errors import DataError

CSV = b"userId,movieId,rating\n1,10,4.5\n2,20,3.0\n"


def uploaded(content: bytes, name: str = "upload.csv"):
    from streamlit.runtime.uploaded_file_manager import UploadedFile, UploadedFileRec

    return UploadedFile(UploadedFileRec("id", name, "text/csv", content), None)


# --------------------------------------------------------------------------- sources
def test_default_limit_matches_streamlit_config():
    config = (Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml").read_text()
    assert f"maxUploadSize = {DEFAULT_MAX_BYTES // (1024 * 1024)}" in config


@pytest.mark.parametrize("make", [
    lambda p: str(p), lambda p: p, lambda p: p.read_bytes(), lambda p: io.BytesIO(p.read_bytes()),
    lambda p: uploaded(p.read_bytes()),
])
def test_every_kind_of_source_reads_the_same_table(tmp_path, make):
    path = tmp_path / "r.csv"
    path.write_bytes(CSV)
    frame = read_table(make(path))
    assert frame["movieId"].tolist() == [10, 20]


def test_upload_already_read_is_rewound():
    upload = uploaded(CSV)
    upload.read()
    assert len(read_table(upload)) == 2


def test_text_mode_file_object():
    assert len(read_table(io.StringIO(CSV.decode()))) == 2


def test_source_name():
    assert source_name("/a/b/ratings.csv") == "ratings.csv"
    assert source_name(uploaded(CSV, "mine.csv")) == "mine.csv"
    assert source_name(b"x") == "data"
    assert source_name(b"x", "given") == "given"


def test_unsupported_source_type():
    with pytest.raises(TypeError, match="source must be a path, bytes or a file-like object, got int"):
        read_table(42)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="nope.csv: file not found"):
        read_table(tmp_path / "nope.csv")


def test_folder_is_not_a_file(tmp_path):
    with pytest.raises(DataError, match="is a folder"):
        read_table(tmp_path)


@pytest.mark.parametrize("as_path", [True, False])
def test_size_limit_message_gives_size_limit_and_cli(tmp_path, as_path):
    path = tmp_path / "big.csv"
    path.write_bytes(CSV * 100)
    with pytest.raises(DataError) as info:
        read_table(path if as_path else path.read_bytes(), name="big.csv", max_bytes=1000)
    message = str(info.value)
    assert "big.csv is 4,000 bytes, over the 1,000 bytes size limit" in message
    assert "python -m embedviz" in message and "server.maxUploadSize" in message


def test_file_object_is_read_only_up_to_the_limit():
    class Counting(io.BytesIO):
        asked = None

        def read(self, size=-1):
            Counting.asked = size
            return super().read(size)

    with pytest.raises(DataError, match="size limit"):
        read_bytes(Counting(CSV * 1000), name="x", max_bytes=100)
    assert Counting.asked == 101


# --------------------------------------------------------------------------- containers
@pytest.mark.parametrize("data, fmt", [
    (b"\x1f\x8b\x08", "gzip"), (b"PAR1....", "parquet"), (b"\x93NUMPY", "npy"), (b"PK\x03\x04", "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole2"), (b"a,b\n", "text"), (b"", "text"),
])
def test_sniff_format(data, fmt):
    assert sniff_format(data) == fmt


def test_gzip_and_multi_member_gzip():
    data, compression = gunzip_if_needed(gzip.compress(b"a,b\n") + gzip.compress(b"1,2\n"), name="x", limit=100)
    assert (data, compression) == (b"a,b\n1,2\n", "gzip")
    assert gunzip_if_needed(b"a,b\n", name="x", limit=100) == (b"a,b\n", None)


def test_gzip_bomb_is_refused():
    bomb = gzip.compress(b"0" * 1_000_000)
    with pytest.raises(DataError, match="decompresses to more than"):
        gunzip_if_needed(bomb, name="bomb.gz", limit=999_999)
    assert gunzip_if_needed(bomb, name="bomb.gz", limit=1_000_000)[0] == b"0" * 1_000_000


def test_parquet_round_trip_keeps_types():
    frame = pd.DataFrame({"user": ["a", "b"], "item": [1, 2], "w": [0.5, 1.5]})
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    read = read_table(buffer.getvalue())
    assert read["user"].tolist() == ["a", "b"] and read["item"].dtype == np.int64
    assert read.attrs["table_info"].format == "parquet"


# --------------------------------------------------------------------------- encodings
@pytest.mark.parametrize("data, encoding", [
    ("id,t\n1,Zoë\n".encode(), "UTF-8"),
    (codecs.BOM_UTF8 + "id,t\n1,Zoë\n".encode(), "UTF-8 with BOM"),
    ("id,t\n1,Zoë\n".encode("utf-16"), "UTF-16"),
    ("id,t\n1,Zoë – ok\n".encode("cp1252"), "Windows-1252 (cp1252)"),
    (b"id,t\n1,Zo\xeb\x81\n", "Latin-1"),  # 0x81 is undefined in cp1252
])
def test_decode_text(data, encoding):
    utf8, text, used = decode_text(data, "x")
    assert used == encoding
    assert "Zoë" in text and utf8.decode("utf-8") == text
    assert not text.startswith("\ufeff")


@pytest.mark.parametrize("data, encoding", [
    (codecs.BOM_UTF8 + "id,t\n1,Zoë\n".encode() + b"2,\xff\n", "UTF-8 with BOM, invalid bytes replaced"),
    ("id,t\n1,Zoë\n".encode() + b"2,\xff\n", "UTF-8, invalid bytes replaced"),
])
def test_damaged_utf8_stays_utf8(data, encoding):
    _, text, used = decode_text(data, "x")
    assert used.startswith(encoding) and "Zoë" in text and "\ufffd" in text


def test_bad_utf16():
    with pytest.raises(DataError, match="not valid UTF-16"):
        decode_text(codecs.BOM_UTF16_LE + b"a\x00\x00\xd8", "x")


# --------------------------------------------------------------------------- sniffing
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|", "::"])
def test_sniff_each_delimiter(delimiter):
    text = "\n".join(delimiter.join(row) for row in [["u", "i", "r"], ["1", "2", "3"], ["4", "5", "6"]])
    assert sniff_delimiter(text) == delimiter


def test_sniff_ignores_delimiters_inside_quotes_and_multi_values():
    movies = 'movieId,title,genres\n1,"Heat; the | movie",Action|Crime|Drama\n2,Up,Animation\n3,"A, B",Drama|War\n'
    assert sniff_delimiter(movies) == ","


def test_sniff_prefers_more_columns_when_both_are_steady():
    assert sniff_delimiter("1;2;4,5;9\n1;3;3,5;9\n") == ";"


def test_sniff_one_column_is_none():
    assert sniff_delimiter("Toy Story\nHeat, the\nUp\n") is None


def test_one_ragged_row_does_not_change_the_guess():
    rows = ["1,2,3"] * 10
    rows[5] = "1,2"
    assert sniff_delimiter("\n".join(rows)) == ","


@pytest.mark.parametrize("rows, expected", [
    ([["userId", "movieId"], ["1", "2"]], True),
    ([["u", "i", "r"], ["a", "b", "1"]], True),          # text above numbers in column r
    ([["User-ID", "ISBN"], ["x7", "0195153448"]], True),  # known words, no digits
    ([["alice", "Heat"], ["bob", "Up"]], False),
    ([["user_1", "item_7"], ["user_2", "item_8"]], False),
    ([["1", "2"], ["3", "4"]], False),
    ([["user", "item"]], True),                           # header-only file
    ([["1", "2"]], False),
    ([], False),
])
def test_detect_header(rows, expected):
    assert detect_header(rows) is expected


def test_column_names_are_unique_and_never_blank():
    assert column_names([" a ", "", "a", "a"], 4) == ["a", "column 2", "a.1", "a.2"]
    assert column_names(None, 2) == ["column 1", "column 2"]


# --------------------------------------------------------------------------- typed columns
def test_column_types():
    data = b"i,f,s,pad,big,mixed,empty\n1,1.5,a,007,123456789012345678901,1,\n-2,2,b,010,1,x,\n"
    frame = read_table(data)
    assert frame["i"].dtype == np.int64 and frame["f"].dtype == np.float64
    assert frame["s"].tolist() == ["a", "b"]
    assert frame["pad"].tolist() == ["007", "010"]  # zero-padded codes stay text
    assert frame["big"].iloc[0] == "123456789012345678901"  # too long for int64: text, not a rounded float
    assert frame["mixed"].tolist() == ["1", "x"]
    assert frame["empty"].isna().all()


def test_spaces_around_fields_are_trimmed():
    frame = read_table(b"user, item, rating\n1, a , 4\n2, b, 5\n")
    assert frame.columns.tolist() == ["user", "item", "rating"]
    assert frame["item"].tolist() == ["a", "b"] and frame["rating"].dtype == np.int64


def test_bom_crlf_and_quoted_newlines():
    data = codecs.BOM_UTF8 + b'user,item\r\n1,"two\r\nlines, and a comma"\r\n2,"say ""hi"""\r\n'
    frame = read_table(data)
    assert frame.columns.tolist() == ["user", "item"]
    assert frame["item"].tolist() == ["two\r\nlines, and a comma", 'say "hi"']


def test_double_colon_and_table_info():
    frame = read_table(b"1::10::5::978300760\n2::20::3::978302109\n", name="ratings.dat")
    info = frame.attrs["table_info"]
    assert frame.shape == (2, 4) and frame.iloc[1, 1] == 20
    assert (info.delimiter, info.had_header, info.encoding, info.format) == ("::", False, "UTF-8", "csv")
    assert info.location(0) == "line 1"


def test_header_can_be_forced():
    assert read_table(b"a,b\nc,d\n", header=True).columns.tolist() == ["a", "b"]
    assert len(read_table(b"user,item\n1,2\n", header=False)) == 2


def test_location_counts_the_header_line():
    info = read_table(b"u,i\n1,2\n").attrs["table_info"]
    assert info.location(0) == "line 2"


# --------------------------------------------------------------------------- never a raw exception
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300) | st.text(alphabet=',;|:\t"\n\r ab1.\x00é', max_size=120).map(str.encode))
def test_arbitrary_bytes_give_a_frame_or_a_data_error(data):
    try:
        frame = read_table(data, name="fuzz.csv")
    except DataError as error:
        assert str(error)
    else:
        assert isinstance(frame, pd.DataFrame)

