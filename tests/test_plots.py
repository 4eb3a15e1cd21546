"""The Explore scatter and its server-drawn preview: colours, escaping, and pixels where Plotly puts them."""
from __future__ import annotations

from io import BytesIO

import numpy as np
import pytest
from PIL import Image
from plotly.colors import hex_to_rgb

from embedviz.viz import data_plots, plots
from embedviz.viz.preview import static_preview


def scatter(xy, colour=None, **options):
    n = len(xy)
    return plots.embedding_scatter(np.asarray(xy, dtype=float), row_ids=np.arange(100, 100 + n),
                                   hover=[f"item {i}" for i in range(n)], colour=colour, **options)


def point_colours(marker) -> list[str]:
    """The colour Plotly gives each point of a marker coloured by numbers on a stepped scale."""
    k = marker.cmax + 0.5
    bands = [colour for _, colour in marker.colorscale[::2]]
    assert len(bands) == k
    return [bands[int(code)] for code in marker.color]


def pixels(png: bytes) -> np.ndarray:
    image = Image.open(BytesIO(png))
    assert image.format == "PNG"
    return np.asarray(image.convert("RGB")).astype(int)


def where(canvas: np.ndarray, hex_colour: str, opacity: float = 0.8) -> np.ndarray:
    """(row, column) of the pixels painted in this colour (as blended over white)."""
    rgb = np.rint(np.array(hex_to_rgb(hex_colour)) * opacity + 255 * (1 - opacity))
    return np.argwhere((np.abs(canvas - rgb) <= 1).all(axis=2))


def test_categories_get_palette_colours_by_frequency_and_match_the_legend():
    colour = np.array(["drama"] * 5 + ["comedy"] * 3 + ["horror"])
    fig = scatter(np.random.default_rng(0).normal(size=(9, 2)), colour, colour_label="genre")
    main = fig.data[0]
    assert main.type == "scattergl" and len(fig.data[0].x) == 9
    colours = point_colours(main.marker)
    assert colours[0] == plots.PALETTE[0] and colours[5] == plots.PALETTE[1] and colours[8] == plots.PALETTE[2]
    legend = {trace.name: trace.marker.color for trace in fig.data[1:]}
    assert legend == {"drama": plots.PALETTE[0], "comedy": plots.PALETTE[1], "horror": plots.PALETTE[2]}


def test_categories_beyond_the_palette_share_the_other_colour():
    n = len(plots.PALETTE) + 4
    colour = np.array([f"genre {i:02d}" for i in range(n) for _ in range(n - i)])   # counts n, n-1, ..., 1
    fig = scatter(np.zeros((len(colour), 2)), colour)
    colours = point_colours(fig.data[0].marker)
    assert colours[-1] == plots.OTHER_COLOUR and colours[0] == plots.PALETTE[0]
    names = [trace.name for trace in fig.data[1:]]
    assert len(names) == len(plots.PALETTE) + 1 and names[-1] == "other"


def test_hover_text_is_escaped_and_points_carry_their_global_row_ids():
    fig = plots.embedding_scatter(np.zeros((2, 2)), row_ids=np.array([7, 3]),
                                  hover=["<script>alert(1)</script>", "Tom & Jerry"])
    main = fig.data[0]
    assert list(main.text) == ["&lt;script&gt;alert(1)&lt;/script&gt;", "Tom &amp; Jerry"]
    assert list(main.customdata) == [7, 3]


def test_preview_puts_each_point_where_the_axes_put_it_in_its_colour():
    # Lower-left point red, upper-right point blue, on a 0..10 square.
    fig = scatter([[1, 1], [9, 9]], np.array(["red", "blue"]))
    fig.update_xaxes(range=[0, 10])
    fig.update_yaxes(range=[0, 10])
    canvas = pixels(static_preview(fig, width=600))
    assert canvas.shape == (fig.layout.height, 600, 3)
    colours = point_colours(fig.data[0].marker)
    first, second = where(canvas, colours[0]).mean(axis=0), where(canvas, colours[1]).mean(axis=0)
    assert first[1] < 150 and second[1] > 450          # columns: left, right
    assert first[0] > second[0] + 300                   # rows grow downwards: the first point is lower


def test_preview_honours_the_axis_range_a_search_centres_on():
    fig = scatter([[0, 0], [100, 100]])
    fig.update_xaxes(range=[-1, 1])
    fig.update_yaxes(range=[-1, 1])
    canvas = pixels(static_preview(fig, width=400))
    painted = where(canvas, plots.PALETTE[0])
    assert len(painted) and np.ptp(painted[:, 1]) < 10   # one disc, in the middle; the far point is off-axis
    assert abs(painted[:, 1].mean() - 200) < 15


def test_preview_numeric_colours_run_along_the_colour_scale():
    fig = scatter([[0, 0], [10, 0], [5, 5]], np.array([1.0, 1000.0, 30.0]), numeric_colour=True, log_colour=True)
    marker = fig.data[0].marker
    canvas = pixels(static_preview(fig))
    assert len(where(canvas, marker.colorscale[0][1])) and len(where(canvas, marker.colorscale[-1][1]))


def test_preview_draws_highlights_on_top_and_writes_the_title():
    fig = scatter(np.random.default_rng(1).normal(size=(50, 2)), highlight={"selected": np.arange(50) == 3},
                  title="PCA layout")
    canvas = pixels(static_preview(fig))
    selected = where(canvas, plots.HIGHLIGHT_COLOURS["selected"], opacity=0.95)
    assert len(selected) > 20                          # the selected point's bigger disc
    assert (canvas[10:40, 10:200] < 200).any()          # title text, top left


@pytest.mark.parametrize("n", [0, 1])
def test_preview_of_tiny_or_empty_layouts(n):
    png = static_preview(scatter(np.ones((n, 2))))
    assert pixels(png).shape[2] == 3


def test_warm_up_runs():
    plots.warm_up(np.random.default_rng(0).normal(size=(300, 2)))


def test_every_figure_is_drawn_with_the_plotly_white_template():
    import json

    import plotly.io as pio

    figures = [data_plots.rating_distribution(np.array([1.0, 2.0, 5.0]), "explicit"),
               data_plots.popularity_curve(np.array([5, 3, 1])),
               plots.embedding_scatter(np.zeros((3, 2)), row_ids=np.arange(3), hover=["a", "b", "c"], title="t")]
    for fig in figures:
        layout = json.loads(pio.to_json(fig, validate=False))["layout"]
        assert layout["template"]["layout"]["plot_bgcolor"] == "white"   # plotly's own default is #E5ECF6
        assert layout["margin"] == {"l": 10, "r": 10, "t": 50, "b": 10}


def test_long_tail_axes_label_powers_of_ten_only_when_they_span_decades():
    zipf = np.sort(np.random.default_rng(0).zipf(1.3, 20_000).astype(float))[::-1]
    wide = data_plots.popularity_curve(zipf)
    assert wide.layout.xaxis.dtick == 1 and wide.layout.yaxis.dtick == 1
    narrow = data_plots.popularity_curve(np.array([5.0, 3.0, 1.0]))
    assert narrow.layout.xaxis.dtick is None and narrow.layout.yaxis.dtick is None


def test_histogram_facets_label_a_few_bin_starts_and_hover_the_full_range():
    labels = [f"{1920 + 5 * i}–{1924 + 5 * i}" for i in range(16)]
    fig = plots.facet_chart("year", labels, np.arange(16), np.arange(16), horizontal=False)
    axis = fig.layout.xaxis
    assert len(axis.tickvals) <= plots.MAX_BIN_TICKS
    assert list(axis.ticktext) == [labels[i].split("–")[0] for i in axis.tickvals]
    assert list(fig.data[0].text) == labels                  # the hover keeps "1920–1924"
    bars = plots.facet_chart("genre", ["<b>a</b>", "b"], np.ones(2), np.ones(2))
    assert list(bars.layout.yaxis.ticktext) == ["&lt;b&gt;a&lt;/b&gt;", "b"]
