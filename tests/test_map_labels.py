"""Label placement on the map, the interaction threshold, and the cross-filter facets."""
import numpy as np
import pandas as pd
import pytest

from embedviz.analysis.evidence import choose_min_count
from embedviz.analysis.facets import category_facet, crossfilter_counts, filter_mask, number_facet, table_facets
from embedviz.analysis.labels import group_anchors, label_box, padded_range, place_labels


def boxes_overlap(a, b) -> bool:
    return abs(a.x - b.x) * 2 < a.width + b.width and abs(a.y - b.y) * 2 < a.height + b.height


def test_labels_never_overlap_and_stay_inside_even_when_groups_pile_up():
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=0.5, size=(20, 2))          # 20 groups crowded in the middle
    groups = rng.integers(0, 20, 4000)
    xy = centres[groups] + rng.normal(scale=0.05, size=(4000, 2))
    names = {g: f"a rather long name {g}" for g in range(20)}
    x_range, y_range = padded_range(xy[:, 0]), padded_range(xy[:, 1])
    placed = place_labels(group_anchors(xy, groups), names, x_range=x_range, y_range=y_range,
                          width_px=560, height_px=520)
    assert 3 <= len(placed) < 20                            # some had no room and were left out
    sizes = [np.sum(groups == p.group) for p in placed]
    assert sizes == sorted(sizes, reverse=True)              # the biggest groups are named first
    for i, a in enumerate(placed):
        assert x_range[0] <= a.x - a.width / 2 and a.x + a.width / 2 <= x_range[1]
        assert y_range[0] <= a.y - a.height / 2 and a.y + a.height / 2 <= y_range[1]
        assert not any(boxes_overlap(a, b) for b in placed[i + 1:])


def test_separate_groups_are_all_labelled_on_their_densest_part():
    rng = np.random.default_rng(1)
    centres = np.array([[0, 0], [10, 0], [0, 10], [10, 10]])
    groups = np.repeat(np.arange(4), 200)
    xy = centres[groups] + rng.normal(scale=0.5, size=(800, 2))
    xy[:20] = [20, 20]                                      # a few strays of group 0 far away
    anchors = group_anchors(xy, groups)
    assert np.hypot(anchors[0][0], anchors[0][1]) < 1.0     # not dragged towards the strays
    assert 0.2 < anchors[0][3] < 1.5                         # the dense part reaches ~0.5 upwards
    placed = place_labels(anchors, {g: f"group {g}" for g in range(4)}, x_range=(-2, 22), y_range=(-2, 22),
                          width_px=560, height_px=520)
    assert sorted(p.group for p in placed) == [0, 1, 2, 3]
    for label in placed:                                    # captions just above their group's points
        x, y, _, reach = anchors[label.group]
        assert abs(label.x - x) < 1e-9 and y + reach <= label.y - label.height / 2 + 1e-9
    too_wide = place_labels(anchors, {g: "x" * 100 for g in range(4)}, x_range=(-2, 22), y_range=(-2, 22),
                            width_px=560, height_px=520)
    assert too_wide == []                                   # 770 px of text cannot sit inside 560 px


def test_label_box_scales_with_text_and_data_range():
    w1, h1 = label_box("abc", 10, 10, 500, 500)
    w2, h2 = label_box("abcdef", 20, 10, 500, 500)
    assert w2 > 2 * w1 and h1 == h2


def test_threshold_hides_a_long_tail_but_not_a_catalogue_of_known_items():
    rng = np.random.default_rng(0)
    long_tail = np.concatenate([np.ones(9000), rng.integers(2, 5, 5000), rng.integers(5, 300, 3000)])
    chosen = choose_min_count(long_tail)
    assert chosen.min_count == 5 and chosen.kept == 3000 and chosen.hidden == 14_000
    assert "82%" in chosen.reason
    known = rng.integers(3, 500, 3000)
    known[:50] = 0                                           # e.g. items seen only in the held-out split
    chosen = choose_min_count(known)
    assert chosen.min_count == 1 and chosen.hidden == 50 and "50 with none" in chosen.reason
    assert choose_min_count(np.zeros(10)).min_count == 0
    small = np.concatenate([np.ones(900), np.full(100, 6)])  # too few would remain at 5
    assert choose_min_count(small, min_kept=300).min_count == 1


def test_category_facet_counts_multi_valued_cells_and_filters():
    facet = category_facet("genres", [["metal", "rock"], ["jazz"], [], ["rock"], None], max_bars=2)
    assert facet.labels == ["rock", "jazz", "other"]
    assert facet.counts().tolist() == [2, 1, 1]
    assert facet.rows_in([0]).tolist() == [True, False, False, True, False]
    assert facet.rows_in([2]).tolist() == [True, False, False, False, False]


def test_number_facet_log_bins_and_lower_bound():
    facet = number_facet("popularity", [1, 2, 3, 10, 100, 1000], log=True, low=3)
    assert facet.counts().sum() == 4                         # 1 and 2 are below the bound
    assert facet.labels[0].startswith("3")


def test_number_facet_labels_whole_numbers_plainly():
    years = number_facet("year", np.arange(1930, 2024), bins=8)
    assert years.labels[0] == "1930–1941" and years.counts().sum() == 94
    shares = number_facet("share", np.linspace(0, 1, 50), bins=4)
    assert shares.labels[0] == "0–0.25"


def test_crossfilter_counts_leave_each_facets_own_choice_out():
    table = pd.DataFrame({"title": list("abcdef"), "genres": [["x"], ["x"], ["y"], ["y"], ["y"], ["x", "y"]],
                          "kind": ["A", "B", "A", "B", "A", "B"]})
    facets = table_facets(table, popularity=np.array([1, 5, 20, 50, 200, 900]))
    names = [f.name for f in facets]
    assert names == ["popularity", "genres", "kind"]
    genres, kind = facets[1], facets[2]
    chosen = {"genres": [genres.labels.index("x")], "kind": [kind.labels.index("A")]}
    keep = filter_mask(facets, chosen, 6)
    assert keep.tolist() == [True, False, False, False, False, False]
    counts = crossfilter_counts(facets, chosen, np.ones(6, dtype=bool))
    # genre bars counted over kind A only (its own choice ignored): x = {a}, y = {c, e}
    assert dict(zip(genres.labels, counts["genres"].tolist())) == {"x": 1, "y": 2}
    # kind bars counted over genre x only: A = {a}, B = {b, f}
    assert dict(zip(kind.labels, counts["kind"].tolist())) == {"A": 1, "B": 2}


@pytest.mark.parametrize("bad", [(1, 0), (1, 1)])
def test_place_labels_refuses_empty_ranges(bad):
    with pytest.raises(ValueError):
        place_labels({0: (0.0, 0.0, 5, 0.0)}, {0: "a"}, x_range=bad, y_range=(0, 1), width_px=100, height_px=100)


def test_facet_names_stay_unique_when_the_file_has_a_cluster_column():
    table = pd.DataFrame({"title": list("abcd"), "cluster": ["x", "y", "x", "y"]})
    facets = table_facets(table, clusters=["k1", "k2", "k1", "k1"])
    assert [f.name for f in facets] == ["cluster", "cluster (file)"]
