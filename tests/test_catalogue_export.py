import numpy as np
import pandas as pd

from embedviz.analysis import catalogue
from embedviz.data.export import embeddings_frame, neutralise, safe_text_frame

ITEMS = pd.DataFrame({
    "title": ["Galaxy Quest", "The Galaxy", "Love Actually", "=cmd|' /C calc'!A0"],
    "genres": [["Sci-Fi", "Comedy"], ["Sci-Fi"], ["Romance"], []],
    "year": [1999, 2001, 2003, 2010],
})
POP = np.array([50, 5, 20, 1])


def test_search_is_case_insensitive_with_prefix_matches_first():
    assert catalogue.search_titles(ITEMS.title.to_numpy(), "galaxy").tolist() == [0, 1]
    assert catalogue.search_titles(ITEMS.title.to_numpy(), "THE GAL").tolist() == [1]
    assert catalogue.search_titles(ITEMS.title.to_numpy(), "  ").tolist() == []


def test_filter_by_genre_and_popularity():
    assert catalogue.filter_mask(ITEMS, POP, ["Sci-Fi"]).tolist() == [True, True, False, False]
    assert catalogue.filter_mask(ITEMS, POP, [], min_interactions=10).tolist() == [True, False, True, False]


def test_colour_values_and_options():
    options = catalogue.colour_options(ITEMS)
    # the labelled clusters first: the map opens on named groups
    assert options[:2] == [catalogue.COLOUR_BY_CLUSTER, catalogue.COLOUR_BY_GENRE] and "year" in options
    assert catalogue.COLOUR_BY_PRESERVATION in options
    uploaded = catalogue.colour_options(ITEMS, has_popularity=False)
    assert uploaded[0] == catalogue.COLOUR_BY_GENRE and catalogue.COLOUR_BY_POPULARITY not in uploaded
    genres, numeric, _ = catalogue.colour_values(ITEMS, catalogue.COLOUR_BY_GENRE, POP)
    assert genres.tolist() == ["Sci-Fi", "Sci-Fi", "Romance", "(none)"] and not numeric
    pop, numeric, log = catalogue.colour_values(ITEMS, catalogue.COLOUR_BY_POPULARITY, POP)
    assert numeric and log and pop.tolist() == POP.tolist()


def test_points_to_draw_samples_the_candidates_but_keeps_the_pick():
    candidates = np.arange(0, 400_000, 2)
    drawn = catalogue.points_to_draw(candidates, 1000, must_keep=[8, 399_998, 3])   # 3 is not a candidate
    assert np.isin(drawn, candidates).all() and {8, 399_998} <= set(drawn.tolist()) and 3 not in drawn
    assert 1000 <= len(drawn) <= 1002 and np.all(np.diff(drawn) > 0)
    assert catalogue.points_to_draw(candidates[:10], 1000).tolist() == candidates[:10].tolist()


def test_display_sample_keeps_wanted_rows_and_caps_size():
    rows = catalogue.display_sample(1_000_000, 1000, must_keep=[999_999])
    assert 1000 <= len(rows) <= 1001 and rows[-1] == 999_999 and np.all(np.diff(rows) > 0)
    assert catalogue.display_sample(10, 1000).tolist() == list(range(10))


def test_formula_cells_are_neutralised_numbers_untouched():
    assert neutralise("=1+1") == "'=1+1" and neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise("-2") == "'-2" and neutralise("Plain") == "Plain"
    safe = safe_text_frame(pd.DataFrame({"title": ITEMS.title, "n": [-1, 2, 3, 4]}))
    assert safe.title.iloc[3].startswith("'=") and safe.n.tolist() == [-1, 2, 3, 4]


def test_embeddings_frame_layout():
    frame = embeddings_frame(np.array([7, 8]), np.eye(2, 3, dtype=np.float32), ["a", "b"])
    assert list(frame.columns) == ["id", "title", "f0", "f1", "f2"] and frame.f1.tolist() == [0.0, 1.0]
