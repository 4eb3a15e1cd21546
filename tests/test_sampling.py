"""The density-aware sample keeps outliers and small clusters that a uniform sample loses."""
import numpy as np
import pytest

from embedviz.analysis.sampling import Window, density_sample, full_window, point_priority


@pytest.fixture(scope="module")
def layout():
    """200k points in one big blob, a 40-point cluster far away, 6 lone outliers."""
    rng = np.random.default_rng(0)
    big = rng.normal(0, 1, (200_000, 2))
    small = rng.normal([7, 7], 0.05, (40, 2))
    lone = np.array([[-9, 6], [9, -8], [0, 11], [-10, -10], [8, 0], [-6, -9]])
    return np.vstack([big, small, lone]).astype(np.float32)


def test_keeps_outliers_and_the_small_cluster(layout):
    rows = density_sample(layout, 5_000)
    assert len(rows) == 5_000 and np.all(np.diff(rows) > 0)
    n = len(layout)
    assert np.isin(np.arange(n - 6, n), rows).all()
    assert np.isin(np.arange(200_000, 200_040), rows).sum() >= 20
    uniform = np.random.default_rng(1).choice(n, 5_000, replace=False)
    assert np.isin(np.arange(n - 6, n), uniform).sum() <= 1


def test_groups_keep_a_small_category_inside_a_big_cluster(layout):
    groups = np.zeros(len(layout), dtype=int)
    hidden = np.arange(0, 200_000, 10_000)          # 20 points of category 1 inside the blob
    groups[hidden] = 1
    with_groups = density_sample(layout, 2_000, groups=groups)
    without = density_sample(layout, 2_000)
    assert np.isin(hidden, with_groups).sum() >= 18
    assert np.isin(hidden, without).sum() <= 5


def test_window_sample_stays_inside_and_keeps_what_the_wide_view_showed(layout):
    wide = density_sample(layout, 5_000)
    window = Window(-0.5, 0.5, -0.5, 0.5)
    zoomed = density_sample(layout, 5_000, window=window, keep=[len(layout) - 1])
    inside = window.contains(layout[zoomed])
    assert inside.sum() == 5_000 and zoomed[~inside].tolist() == [len(layout) - 1]
    shown_before = wide[window.contains(layout[wide])]
    assert np.isin(shown_before, zoomed).mean() > 0.95


def test_everything_when_few_points_and_deterministic(layout):
    small = layout[:300]
    np.testing.assert_array_equal(density_sample(small, 1_000), np.arange(300))
    np.testing.assert_array_equal(density_sample(layout, 1_000, seed=4), density_sample(layout, 1_000, seed=4))
    assert not np.array_equal(density_sample(layout, 1_000, seed=4), density_sample(layout, 1_000, seed=5))
    priority = point_priority(len(layout), 4)
    np.testing.assert_array_equal(density_sample(layout, 1_000, priority=priority),
                                  density_sample(layout, 1_000, seed=4))


def test_windows():
    xy = np.array([[0, 0], [10, 5]], dtype=np.float32)
    full = full_window(xy, pad=0.1)
    assert (full.x0, full.x1, full.y0, full.y1) == pytest.approx((-1, 11, -0.5, 5.5))
    assert full.zoomed(0.5).width == pytest.approx(6) and full.zoomed(0.5).centre == pytest.approx((5, 2.5))
    assert Window.around(1, 2, 4, 2).as_tuple() == (-1, 3, 1, 3)
    with pytest.raises(ValueError, match="x0 < x1"):
        Window(1, 1, 0, 1)


@pytest.mark.parametrize("bad", [dict(n=-1), dict(n=1.5), dict(n=True), dict(bins=0)])
def test_bad_parameters(layout, bad):
    with pytest.raises(ValueError):
        density_sample(layout[:100], **{"n": 10, **bad})


def test_bad_layout():
    with pytest.raises(ValueError, match="shape"):
        density_sample(np.zeros(5), 2)
