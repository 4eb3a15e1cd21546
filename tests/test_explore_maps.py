"""The Explore page's computations (embedviz.dashboard.maps) without a browser: the threshold from
the training interactions, layouts in the worker with progress, placement of the hidden rows,
clusters stable across filters, cancellation of a superseded layout."""
import numpy as np
import pandas as pd
import pytest

from embedviz.dashboard import maps
from embedviz.dashboard.records import Space


def long_tail_space(n=1_500, seed=0) -> Space:
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, 4, n)
    centres = rng.normal(size=(4, 12)) * 3
    vectors = (centres[groups] + rng.normal(size=(n, 12))).astype(np.float32)
    evidence = np.where(rng.random(n) < 0.7, rng.integers(0, 3, n), rng.integers(5, 200, n))
    table = pd.DataFrame({"title": [f"item {i}" for i in range(n)],
                          "genres": [[f"g{g}"] for g in groups]})
    return Space("test space", vectors, table, popularity=evidence + 3, is_user=np.zeros(n, bool),
                 ids=np.arange(n).astype(object), evidence=evidence)


def test_threshold_and_laid_rows_follow_the_training_interactions():
    space = long_tail_space()
    chosen = maps.threshold(space)
    assert chosen.min_count == 5
    rows = maps.laid_rows(space, chosen.min_count)
    assert np.all(space.evidence[rows] >= 5) and len(rows) == chosen.kept
    assert maps.evidence_unit(space) == "training interactions"
    uploaded = Space("up", space.vectors, space.table, np.zeros(len(space.vectors)), space.is_user, space.ids)
    assert maps.threshold(uploaded).min_count == 0 and len(maps.laid_rows(uploaded, 0)) == len(space.vectors)


@pytest.mark.slow
def test_map_data_lays_out_places_and_clusters_consistently():
    space = long_tail_space()
    request = maps.LayoutRequest("pca", 2, maps.threshold(space).min_count)
    job = maps.layout_job(space, request)
    job.wait(120)
    assert job.status == "finished", job.error
    stages = [entry["stage"] for entry in job.history]
    assert stages[-1] == "done" and job.fraction == 1.0
    view = maps.map_data(space, request, maps.AUTO, show_hidden=False)
    laid = maps.laid_rows(space, request.min_count)
    assert view.layout is job.result
    assert view.on_map.tolist() == laid.tolist() and not view.placed.any()
    assert np.isnan(view.xy[np.setdiff1d(np.arange(len(space.vectors)), laid)]).all()
    assert np.isfinite(view.preservation[laid]).all() and 0 < view.layout.overall < 1
    shown = maps.map_data(space, request, maps.AUTO, show_hidden=True)
    assert len(shown.on_map) == len(space.vectors) and shown.placed.sum() == len(space.vectors) - len(laid)
    assert np.isnan(shown.preservation[shown.placed]).all()          # placed rows are not measured
    # Clusters come from the laid-out rows only, named after their genres, and the same whatever is shown.
    assert (view.cluster == shown.cluster).all() and view.cluster_names == shown.cluster_names
    assert {name.split(" ")[0] for name in view.cluster_names.values()} <= {"g0", "g1", "g2", "g3"}
    assert 4 <= len(view.cluster_names) <= 16
    xy = maps.full_positions(space, request)
    assert np.isfinite(xy).all() and np.allclose(xy[laid], view.xy[laid])


@pytest.mark.slow
def test_a_new_layout_request_cancels_the_one_still_running():
    space = long_tail_space(n=6_000, seed=1)
    first = maps.layout_job(space, maps.LayoutRequest("umap", 2, 0, seeded=True))
    second = maps.layout_job(space, maps.LayoutRequest("pca", 2, 0))
    assert first.cancelled
    second.wait(300)
    first.wait(300)
    assert second.status == "finished", second.error
    assert first.status == "cancelled" and first.result is None
    again = maps.layout_job(space, maps.LayoutRequest("umap", 2, 0, seeded=True))
    assert again is not first                                     # a cancelled layout is started afresh
    again.cancel()


def test_estimate_comes_from_progress_once_the_layout_runs():
    import time

    from embedviz.dashboard.jobs import Job

    job = Job("test", lambda job: time.sleep(0.5), total=1000, size=20_000)
    assert maps.estimate_seconds_left(job) is not None           # from the speed of past layouts
    job.update(650)                                               # 0.25 + 0.65 * 0.62: well into the layout
    left = maps.estimate_seconds_left(job)
    assert left is not None and left >= 0
    job.wait(5)
    assert maps.estimate_seconds_left(job) == 0.0
