"""What the pages got wrong on real data: the strength histogram of play counts, epoch times in
previews, "None" in the results table, empty genre columns, scores that all read 0.04."""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

import embedviz as ev
from embedviz.viz import data_plots


def test_play_count_histogram_has_bars_from_1_to_300k():
    values = np.ceil(np.random.default_rng(0).lognormal(5, 2, 20_000)).clip(1, 300_000)
    values[:3] = [1, 300_000, 150_000]
    fig = data_plots.rating_distribution(values, "implicit")
    bar = fig.data[0]
    assert bar.type == "bar" and sum(bar.y) == len(values)
    assert np.count_nonzero(bar.y) >= 15 and bar.x[0] == "1" and bar.x[-1].endswith("300,000")
    assert fig.layout.xaxis.type == "category"


def test_previews_show_times_as_dates():
    from embedviz.dashboard.uploads import preview

    frame = pd.DataFrame({"user": [1, 2], "item": [3, 4], "when": [874_724_710, 893_286_638]})
    shown = preview(frame, time_col="when")
    assert str(shown["when"].iloc[0]) == "1997-09-20 03:05:10"
    assert frame["when"].dtype.kind == "i"                      # the raw table is untouched


def test_results_table_has_no_none_and_says_what_fit_time_is():
    from embedviz.dashboard.records import TrainedModel
    from embedviz.dashboard.train_view import results_table

    base = {"precision@10": 0.1, "ndcg@10": 0.2}
    runs = {"WALS": TrainedModel("WALS", None, {}, "d", 1.234, {**base, "ndcg@10": 0.3}, base),
            "GD": TrainedModel("GD", None, {}, "d", 0.5, {**base, "rmse": 0.9}, base)}
    table = results_table(runs)
    assert table.loc["Popularity baseline", "fit (s)"] == "–" and table.loc["Popularity baseline", "rmse"] == "–"
    assert table.loc["WALS", "fit (s)"] == "1.234" and table.loc["GD", "rmse"] == "0.900"
    assert not table.isin(["None", "nan", "NaN"]).any().any()


def test_recommendations_without_genres_have_no_genre_column_and_readable_scores():
    from embedviz.analysis.recommendations import recommendation_frame
    from embedviz.data.metadata import align_metadata

    rng = np.random.default_rng(0)
    matrix = sp.random(60, 40, density=0.2, random_state=0, format="csr", dtype=np.float32)
    matrix.data[:] = rng.integers(1, 6, matrix.nnz)
    model = ev.WALS(factors=4, iterations=3, regularization=1.0, random_state=0).fit(matrix)
    items = align_metadata(pd.DataFrame(index=pd.Index([], name="id")), np.arange(40))
    vector = model.fold_in([0, 1, 2])
    frame = recommendation_frame(model, ([0, 1, 2], None), items, k=8, vector=vector, exclude=[0, 1, 2])
    assert "genres" not in frame.columns
    assert frame["score"].nunique() == len(frame)              # four significant digits tell them apart
