"""Layouts: UMAP keeps neighbourhoods of clustered data, PCA is exact, inputs are checked."""
import numpy as np
import pytest

from embedviz.analysis.neighbours import exact_knn_graph
from embedviz.analysis.projection import MIN_UMAP_ROWS, ProjectionInfo, project, trustworthiness


def blobs(n=2000, dim=32, centres=8, seed=0):
    rng = np.random.default_rng(seed)
    middle = rng.standard_normal((centres, dim)) * 4
    labels = rng.integers(0, centres, n)
    return (middle[labels] + rng.standard_normal((n, dim))).astype(np.float32), labels


@pytest.fixture(scope="module")
def clustered():
    return blobs()[0]


@pytest.fixture(scope="module")
def seeded_layout(clustered):
    return project(clustered, random_state=0, return_info=True)


def test_umap_keeps_neighbourhoods_of_clustered_embeddings(clustered, seeded_layout):
    xy, info = seeded_layout
    assert xy.shape == (2000, 2) and xy.dtype == np.float32
    assert trustworthiness(clustered, xy, k=10) >= 0.9
    assert info.method == "umap" and info.n_neighbors == 15 and info.used_knn
    assert not info.sampled and info.n_fitted == 2000
    assert info.message == "UMAP layout of 2,000 items (15 neighbours, exact neighbour graph)."


def test_umap_is_reproducible_with_a_seed(clustered, seeded_layout):
    again = project(clustered, random_state=0)
    np.testing.assert_allclose(again, seeded_layout[0], atol=1e-4)


def test_precomputed_knn_graph_is_used(clustered):
    knn = exact_knn_graph(clustered, k=20, metric="cosine")
    xy, info = project(clustered[:], knn=knn, n_neighbors=12, random_state=1, return_info=True)
    assert info.used_knn and info.n_neighbors == 12
    assert trustworthiness(clustered, xy) >= 0.9


def test_three_components(clustered):
    for method in ("umap", "pca"):
        xy = project(clustered[:500], method=method, n_components=3, random_state=0)
        assert xy.shape == (500, 3) and np.isfinite(xy).all()


def test_sampling_path_fits_a_sample_and_transforms_the_rest():
    x, labels = blobs(n=1200, dim=16, centres=4, seed=1)
    stages = []
    xy, info = project(x, sample_above=400, random_state=0, return_info=True,
                       callback=lambda stage, fraction: stages.append(stage))
    assert info.sampled and info.n_fitted == 400 and xy.shape == (1200, 2)
    assert "random sample of 400 of 1,200 items" in info.message
    assert {"layout", "transform", "done"} <= set(stages)
    assert np.isfinite(xy).all()
    assert trustworthiness(x, xy) >= 0.85
    # every blob is laid out as one group: its points are closer to their own centre
    centres = np.array([xy[labels == c].mean(axis=0) for c in range(4)])
    nearest = np.linalg.norm(xy[:, None] - centres[None], axis=2).argmin(axis=1)
    assert (nearest == labels).mean() >= 0.95


def test_progress_callback_reports_stages_and_can_cancel(clustered):
    seen = []
    project(clustered[:600], callback=lambda stage, fraction: seen.append((stage, fraction)))
    stages = [stage for stage, _ in seen]
    assert stages[0] == "neighbours" and stages[-1] == "done"
    layout = [fraction for stage, fraction in seen if stage == "layout"]
    assert layout == sorted(layout) and len(layout) >= 2

    def cancel(stage, fraction):
        if stage == "layout" and fraction > 0:
            raise KeyboardInterrupt("cancelled")

    with pytest.raises(KeyboardInterrupt):
        project(clustered[:600], callback=cancel)


def test_tiny_inputs_fall_back_to_pca_and_say_so():
    x = blobs(n=MIN_UMAP_ROWS - 1, dim=5)[0]
    xy, info = project(x, return_info=True)
    assert xy.shape == (MIN_UMAP_ROWS - 1, 2) and info.method == "pca"
    assert "too few for UMAP" in info.message
    np.testing.assert_array_equal(project(np.ones((1, 4))), np.zeros((1, 2)))


def test_smallest_umap_input_works():
    x = blobs(n=MIN_UMAP_ROWS, dim=5)[0]
    xy, info = project(x, random_state=0, return_info=True)
    assert info.method == "umap" and info.n_neighbors == 4
    assert xy.shape == (MIN_UMAP_ROWS, 2) and np.isfinite(xy).all()


def test_pca_known_answer():
    rng = np.random.default_rng(0)
    t = rng.standard_normal(300)
    direction = np.array([3.0, 0.0, 4.0, 0.0]) / 5
    x = t[:, None] * direction + 0.001 * rng.standard_normal((300, 4))
    xy, info = project(x, method="pca", metric="euclidean", return_info=True)
    assert info.method == "pca" and info.message == "PCA layout of 300 items."
    # first component is the line itself (up to its fixed sign), second is noise
    assert abs(np.corrcoef(xy[:, 0], t)[0, 1]) > 0.9999
    assert xy[:, 1].std() < 0.01
    # components beyond the rank are zero
    assert (project(x[:, :1], method="pca", n_components=3)[:, 1:] == 0).all()


def test_pca_is_deterministic_and_cosine_uses_directions():
    x = blobs(n=300, dim=6)[0]
    np.testing.assert_array_equal(project(x, method="pca"), project(x, method="pca"))
    np.testing.assert_allclose(project(x * 7, method="pca"), project(x, method="pca"), atol=1e-5)


def test_trustworthiness_of_perfect_and_scrambled_layouts():
    x = blobs(n=400, dim=2)[0]
    assert trustworthiness(x, x, metric="euclidean") == pytest.approx(1.0)
    scrambled = np.random.default_rng(0).permutation(x)
    assert trustworthiness(x, scrambled, metric="euclidean") < 0.7
    assert trustworthiness(x, x, metric="euclidean", sample=200) == pytest.approx(1.0)


def test_info_is_a_projection_info():
    _, info = project(np.eye(3), method="pca", return_info=True)
    assert isinstance(info, ProjectionInfo) and not info.sampled and info.seconds >= 0


# ----------------------------------------------------------------------------- bad input


def test_nan_is_rejected():
    x = np.ones((20, 3))
    x[4, 2] = np.inf
    with pytest.raises(ValueError, match="vectors must be finite"):
        project(x)


def test_one_dimensional_input_is_rejected():
    with pytest.raises(ValueError, match=r"vectors must be a 2-D array.*got shape \(5,\)"):
        project(np.ones(5))


def test_unknown_method_is_rejected():
    with pytest.raises(ValueError, match=r"method must be one of \['pca', 'umap'\], got 'tsne'"):
        project(np.ones((20, 3)), method="tsne")


def test_unknown_metric_is_rejected():
    expected = r"metric must be one of \['cosine', 'euclidean'\], got 'dot'"
    with pytest.raises(ValueError, match=expected):
        project(np.ones((20, 3)), metric="dot")


def test_bad_n_components_is_rejected():
    with pytest.raises(ValueError, match="n_components must be an integer >= 1, got 0"):
        project(np.ones((20, 3)), n_components=0)


def test_bad_n_neighbors_is_rejected():
    with pytest.raises(ValueError, match="n_neighbors must be None or an integer >= 2, got 1"):
        project(np.ones((20, 3)), n_neighbors=1)


def test_bad_sample_above_is_rejected():
    with pytest.raises(ValueError, match="sample_above must be an integer >= 16, got 3"):
        project(np.ones((20, 3)), sample_above=3)


def test_knn_graph_too_small_is_rejected(clustered):
    knn = exact_knn_graph(clustered[:100], k=5)
    with pytest.raises(ValueError, match="knn has 5 neighbours per row but n_neighbors is 15"):
        project(clustered[:100], knn=knn, n_neighbors=15)
    with pytest.raises(ValueError, match=r"knn must be \(indices, distances\) of shape \(50, k\)"):
        project(clustered[:50], knn=knn)


def test_warmup_compiles_each_path_and_reports_seconds():
    from embedviz.analysis.projection import warmup

    seconds = warmup()
    assert {"import umap", "neighbours", "umap (parallel)", "umap (seeded)",
            "umap (sampled)"} <= set(seconds)
    assert all(value >= 0 for value in seconds.values())


def test_umaps_serial_and_parallel_twins_get_cache_files_of_their_own():
    """umap-learn compiles its layout epoch twice (seeded: serial, else parallel); with one cache
    file for both, the unseeded layout ran the serial code (half the speed on two cores)."""
    import umap.layouts

    from embedviz.analysis.umap_setup import enable_umap_caching

    enable_umap_caching()
    serial = umap.layouts._nb_optimize_layout_euclidean_single_epoch
    parallel = umap.layouts._nb_optimize_layout_euclidean_single_epoch_parallel
    names = {d._cache._impl.filename_base for d in (serial, parallel)}
    assert len(names) == 2 and any(n.endswith("-parallel") for n in names)
