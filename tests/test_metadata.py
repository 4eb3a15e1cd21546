"""Item metadata in the shapes real files have: a headerless Latin-1 ``u.item`` with 19 genre flags
(+ ``u.genre``), last.fm's ``artists.dat`` (header ``id name url pictureURL``), a tags table; and
every kind of bad metadata file gives a DataError naming the file and the column."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from embedviz.data.metadata import align_metadata, load_item_metadata, metadata_report
from embedviz.data.metadata_columns import guess_metadata_columns, parse_genre_names, title_candidates
from embedviz.data.readers import read_table
from embedviz.data.synthetic import write_lastfm, write_movielens_100k
from embedviz.errors import DataError


@pytest.fixture(scope="module")
def ml100k(tmp_path_factory):
    return write_movielens_100k(tmp_path_factory.mktemp("ml"), n_users=80, n_items=300, n_ratings=4_000)


@pytest.fixture(scope="module")
def lastfm(tmp_path_factory):
    return write_lastfm(tmp_path_factory.mktemp("fm"), n_users=120, pool=3_000, n_junk_tags=50)


# --------------------------------------------------------------------------- u.item
def test_headerless_u_item_gets_its_titles_and_flag_genres(ml100k):
    meta = load_item_metadata(ml100k.paths["items"], genre_names=ml100k.paths["genres"])
    truth = ml100k.truth
    assert len(meta) == truth["n_items"]
    assert meta["title"].to_dict() == truth["titles"]                    # accented Latin-1 titles included
    assert truth["accented_titles"] and all(not meta.at[i, "title"].isascii() for i in truth["accented_titles"])
    expected = {i: [g for g in genres if g != "unknown"] for i, genres in truth["item_genres"].items()}
    assert meta["genres"].to_dict() == expected
    flags = [f"column {n}" for n in range(6, 25)]
    assert not set(flags) & set(meta.columns)                             # the flags became genres
    assert "column 2" not in meta.columns                                 # the titles are not an extra column
    assert meta.attrs["notes"][1].startswith("Item ids from column 'column 1'; titles from 'column 2'; genres "
                                             "from 19 0/1 flag columns 'column 6' … 'column 24', named by u.genre")
    assert not meta.attrs["unnamed_flags"]


def test_unnamed_flags_keep_their_column_names_and_are_reported(ml100k):
    meta = load_item_metadata(ml100k.paths["items"])
    assert meta.attrs["unnamed_flags"]
    item = next(i for i, g in ml100k.truth["item_genres"].items() if "Drama" in g)
    assert "column 14" in meta.at[item, "genres"]                         # Drama is flag 8, column 14
    report = metadata_report(meta, align_metadata(meta, np.arange(1, 301)))
    assert any("19 genre flag columns of u.item have no names" in w for w in report.warnings)


def test_typed_genre_names_name_the_flags(ml100k):
    meta = load_item_metadata(ml100k.paths["items"], genre_names=list(ml100k.truth["genres"]))
    assert set(meta["genres"].explode().dropna()) <= set(ml100k.truth["genres"])


def test_title_is_the_text_column_with_most_distinct_values_not_urls_or_dates():
    rows = "\n".join(f"{i}|http://x.org/{i}|0{i % 9 + 1}-Jan-199{i % 10}|Film number {i}|{['A', 'B'][i % 2]}"
                     for i in range(1, 40))
    frame = read_table(rows.encode(), name="items.txt")
    assert title_candidates(frame, exclude={"column 1"}) == ["column 4", "column 5"]
    mapping = guess_metadata_columns(frame)
    assert (mapping.id, mapping.title) == ("column 1", "column 4")


# --------------------------------------------------------------------------- last.fm files
def test_artists_dat_titles_come_from_name(lastfm):
    meta = load_item_metadata(lastfm.paths["artists"])
    assert meta.index.name == "id" and meta.columns.tolist() == ["title", "genres", "url", "pictureURL"]
    assert meta["genres"].map(len).eq(0).all()
    plays = pd.read_csv(lastfm.paths["plays"], sep="\t")
    aligned = align_metadata(meta, np.unique(plays["artistID"]))
    report = metadata_report(meta, aligned)
    assert report.matched == report.n_items == plays["artistID"].nunique() and not report.warnings


def test_artist_tags_split_into_genres(lastfm):
    meta = load_item_metadata(lastfm.paths["artist_tags"])
    tagged = meta[meta["genres"].map(len) > 0]
    assert len(tagged) > 0 and tagged["genres"].map(len).max() <= 3
    assert set(lastfm.truth["group_tag"].values()) & set(tagged["genres"].explode())


def test_report_counts_items_without_metadata_and_warns():
    meta = load_item_metadata(b"id,title\n1,One\n2,Two\n9,Nine\n", name="items.csv")
    aligned = align_metadata(meta, np.array([1, 2, 3, 4]))
    report = metadata_report(meta, aligned)
    assert (report.rows, report.matched, report.missing, report.unused) == (3, 2, 2, 1)
    assert report.warnings == ["2 of 4 items (50.0%) have no row in items.csv: their titles are their ids."]
    none = metadata_report(meta, align_metadata(meta, np.array([7, 8])))
    assert "none of the 2 item ids matched an id in items.csv (column 'id')" in none.warnings[0]
    assert "Titles are the item ids" in metadata_report(None, aligned).warnings[0]


# --------------------------------------------------------------------------- genre name files
def test_u_genre_file_with_a_blank_last_line_and_any_order():
    assert parse_genre_names("Comedy|1\nunknown|0\nDrama|2\n\n") == ["unknown", "Comedy", "Drama"]
    assert parse_genre_names("Action, Comedy , Drama") == ["Action", "Comedy", "Drama"]
    assert parse_genre_names("Action\nComedy\n") == ["Action", "Comedy"]
    with pytest.raises(DataError, match="u.genre: the genre indices must run 0, 1, 2"):
        parse_genre_names("A|0\nB|2\n", name="u.genre")
    with pytest.raises(DataError, match="no genre names found"):
        parse_genre_names(" \n\n")


# --------------------------------------------------------------------------- bad files
def test_no_text_column():
    with pytest.raises(DataError, match=r"^nums.csv: no text column to take item titles from \(other columns: "
                                        r"'year' \(numbers\)\)"):
        load_item_metadata(b"id,year\n1,1999\n2,2001\n", name="nums.csv")


def test_all_ids_duplicated():
    content = b"genre,title\nA,x\nA,y\nB,z\nB,w\n"
    with pytest.raises(DataError, match=r"^tags.csv: every value of the id column 'genre' repeats \(4 rows, 2 "
                                        r"distinct ids, .*is 'genre' the item id\?"):
        load_item_metadata(content, id_col="genre", name="tags.csv")


def test_flags_that_are_not_0_or_1(ml100k):
    lines = ml100k.paths["items"].read_bytes().split(b"\n")
    fields = lines[4].split(b"|")
    fields[10] = b"2"                                                     # column 11, line 5
    lines[4] = b"|".join(fields)
    with pytest.raises(DataError, match=r"^u.item, line 5: genre flag column 'column 11' holds 2; a flag column "
                                        r"must hold only 0 or 1"):
        load_item_metadata(b"\n".join(lines), name="u.item", flag_cols=[f"column {n}" for n in range(6, 25)])


def test_genre_names_count_must_match_the_flags(ml100k):
    with pytest.raises(DataError, match=r"^u.item: 18 genre names \(a list\) for 19 genre flag columns "
                                        r"\('column 6' … 'column 24'\)"):
        load_item_metadata(ml100k.paths["items"], genre_names=ml100k.truth["genres"][:18])
    with pytest.raises(DataError, match=r"^items.csv: 2 genre names .* no block of 0/1 genre columns"):
        load_item_metadata(b"id,title\n1,A\n2,B\n", name="items.csv", genre_names=["x", "y"])


def test_empty_columns_are_left_out_and_only_few_valued_text_is_a_colour(ml100k):
    from embedviz.analysis import catalogue

    meta = load_item_metadata(ml100k.paths["items"], genre_names=ml100k.paths["genres"])
    assert "column 4" not in meta.columns                                 # the empty video release date
    assert any("Left out 1 empty column: 'column 4'" in note for note in meta.attrs["notes"])
    meta["decade"] = [f"{t[-5:-2]}0s" for t in meta["title"]]
    options = catalogue.colour_options(meta.reset_index(drop=True))
    assert "decade" in options and catalogue.COLOUR_BY_GENRE in options
    assert "column 5" not in options                                      # a URL per film: no colour
    assert "column 3" in options                                          # release dates: a colour scale by year


def test_u_items_release_dates_become_a_year_chart_and_colour_scale(ml100k):
    from embedviz.analysis import catalogue
    from embedviz.analysis.facets import table_facets

    meta = load_item_metadata(ml100k.paths["items"], genre_names=ml100k.paths["genres"])
    dates = next(c for c in meta.columns if meta[c].astype(str).str.contains("-Jan-").any())
    facet = next(f for f in table_facets(meta, max_facets=10) if f.name == f"{dates} (year)")
    assert facet.kind == "number"
    for row in range(0, len(meta), 7):          # the bar of each dated item holds the year in its title
        bars = facet.members[row].indices
        year = meta["title"].iloc[row][-5:-1]
        if meta["title"].iloc[row] == "unknown":
            assert len(bars) == 0
            continue
        low, _, high = facet.labels[bars[0]].partition("–")
        assert int(low) <= int(year) <= int(high or low)
    values, numeric, _ = catalogue.colour_values(meta, dates, np.zeros(len(meta)))
    assert numeric and dates in catalogue.colour_options(meta)
    dated = meta["title"] != "unknown"
    assert values[dated.to_numpy()].tolist() == [float(t[-5:-1]) for t in meta["title"][dated]]


def test_text_that_is_not_dates_stays_categories():
    from embedviz.analysis.facets import date_years

    assert date_years(pd.Series(["Star Wars (1977)", "Heat (1995)"])) is None
    assert date_years(pd.Series(["2001", "1999"])) is None               # bare years are numbers
    assert date_years(pd.Series([3, 4])) is None
    mostly_text = pd.Series(["01-Jan-1995"] + ["rock"] * 9)
    assert date_years(mostly_text) is None
    assert date_years(pd.Series(["1995-01-31", None, "2001-12-01"])).tolist()[::2] == [1995.0, 2001.0]
