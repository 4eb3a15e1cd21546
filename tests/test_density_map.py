"""The density image draws every point in the window; the map figure sends only the sample."""
import json
from io import BytesIO

import numpy as np
import plotly.io
import pytest
from PIL import Image

from embedviz.analysis.sampling import Window, full_window
from embedviz.viz.density import PLAIN_COLOUR, density_rgba, png_bytes
from embedviz.viz.mapview import map_figure
from embedviz.viz.plots import PALETTE


@pytest.fixture(scope="module")
def two_blobs():
    rng = np.random.default_rng(0)
    xy = np.vstack([rng.normal([-3, 0], 0.5, (50_000, 2)), rng.normal([3, 0], 0.5, (50_000, 2)),
                    [[0, 4]]]).astype(np.float32)
    codes = np.r_[np.zeros(50_000, int), np.ones(50_000, int), [5]]
    return xy, codes


def test_every_point_lands_in_the_image_with_its_colour(two_blobs):
    xy, codes = two_blobs
    window = full_window(xy)
    image = density_rgba(xy, window, 200, 100, codes=codes, palette=PALETTE)
    assert image.shape == (100, 200, 4) and image.dtype == np.uint8
    left, right = image[:, :90], image[:, 110:]
    left_colour = left[left[..., 3] == left[..., 3].max()][0, :3]
    right_colour = right[right[..., 3] == right[..., 3].max()][0, :3]
    assert tuple(left_colour) == tuple(int(PALETTE[0][i:i + 2], 16) for i in (1, 3, 5))
    assert tuple(right_colour) == tuple(int(PALETTE[1][i:i + 2], 16) for i in (1, 3, 5))
    top = image[:20, 90:110]            # the lone point at (0, 4): visible (spread to a few pixels)
    assert (top[..., 3] > 0).sum() >= 1
    assert image[..., 3].max() == 255 and (image[..., 3] == 0).mean() > 0.3


def test_a_window_shows_only_its_points(two_blobs):
    xy, _ = two_blobs
    image = density_rgba(xy, Window(1, 5, -2, 2), 50, 50)
    assert (image[..., 3] > 0).mean() > 0.2
    assert tuple(image[image[..., 3] > 0][0, :3]) == tuple(int(PLAIN_COLOUR[i:i + 2], 16) for i in (1, 3, 5))
    empty = density_rgba(xy, Window(10, 11, 10, 11), 20, 20)
    assert empty[..., 3].max() == 0


def test_png_round_trip(two_blobs):
    xy, codes = two_blobs
    rgba = density_rgba(xy, full_window(xy), 300, 200, codes=codes, palette=PALETTE)
    decoded = np.asarray(Image.open(BytesIO(png_bytes(rgba))))
    np.testing.assert_array_equal(decoded, rgba)
    with pytest.raises(ValueError):
        density_rgba(xy, full_window(xy), 0, 10)


def test_map_figure_sends_the_sample_only(two_blobs):
    xy, codes = two_blobs
    window = full_window(xy)
    rows = np.arange(0, len(xy), 100)
    png = png_bytes(density_rgba(xy, window, 120, 60, codes=codes, palette=PALETTE))
    fig = map_figure(xy, rows, [f"<b>item {r}</b>" for r in rows], window=window, image=png, codes=codes,
                     names=["left", "right"], found=5, found_label="item 5", picked=7, neighbours=np.array([8, 9]))
    points = fig.data[0]
    assert len(points.x) == len(rows) and list(points.customdata[:3]) == [0, 100, 200]
    assert points.text[0] == "&lt;b&gt;item 0&lt;/b&gt;"          # user text escaped
    names = [t.name for t in fig.data]
    assert {"left", "right", "neighbours", "picked", "found: item 5"} <= set(names)
    assert fig.layout.images[0].source.startswith("data:image/png;base64,")
    assert tuple(fig.layout.xaxis.range) == (window.x0, window.x1)
    sent = len(plotly.io.to_json(fig, validate=False))
    assert sent < 60 * len(rows) + 4 * len(png) + 20_000, sent
    json.loads(plotly.io.to_json(fig, validate=False))
