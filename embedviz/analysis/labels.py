"""Where to write group names on a map so that no two labels overlap.

Each group gets an anchor in its densest part (a group scattered over the map is named where
most of it is, not at a mean that may fall between its islands). Labels are then placed
biggest group first: at the anchor if the box is free, else at the nearest free spot among a
few offsets around it; a label with no free spot is left out. Sizes are in screen pixels,
converted with the plot's data range and an assumed (small) plot size, so on a larger
screen the boxes only get further apart.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embedviz.validation import check_int

# Grid cells per axis used to find each group's densest part.
ANCHOR_GRID = 32
# Text metrics for a 13 px sans-serif label: a generous average character width, so the
# estimated box is never narrower than the drawn one (Plotly pads the box by borderpad).
FONT_PX = 13
CHAR_PX = 7.6
PAD_PX = 5


@dataclass(frozen=True)
class PlacedLabel:
    """A label's centre in data coordinates, its text, and its box size in data units."""

    x: float
    y: float
    text: str
    group: int
    width: float
    height: float

    def overlaps(self, other: PlacedLabel) -> bool:
        """True when the two boxes share any area."""
        return (abs(self.x - other.x) * 2 < self.width + other.width
                and abs(self.y - other.y) * 2 < self.height + other.height)


def group_anchors(xy, groups, *, grid: int = ANCHOR_GRID) -> dict[int, tuple[float, float, int, float]]:
    """Per group: (x, y) of the members in its densest 3×3 block of a grid, its size, and how far
    that dense part reaches upwards (90th percentile of y above the centre).

    Parameters
    ----------
    xy : array-like, shape (n_points, >= 2)
        Layout (the first two columns are used).
    groups : array-like of int, shape (n_points,)
        Group of each point; negative values are ignored.
    grid : int
        Cells per axis.

    Returns
    -------
    dict
        group -> (x, y, n_members, reach_up).
    """
    points = np.asarray(xy, dtype=np.float64)[:, :2]
    labels = np.asarray(groups).astype(np.int64)
    if len(points) != len(labels):
        raise ValueError(f"xy and groups must have the same length, got {len(points)} and {len(labels)}")
    grid = check_int("grid", grid, 1)
    keep = labels >= 0
    points, labels = points[keep], labels[keep]
    if len(points) == 0:
        return {}
    low, high = points.min(axis=0), points.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    cells = np.minimum(((points - low) / span * grid).astype(np.int64), grid - 1)
    out: dict[int, tuple[float, float, int, float]] = {}
    for group in np.unique(labels):
        members = labels == group
        counts = np.zeros((grid + 2, grid + 2))
        np.add.at(counts, (cells[members, 0] + 1, cells[members, 1] + 1), 1)
        block = np.zeros_like(counts)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                block += np.roll(np.roll(counts, dx, 0), dy, 1)
        cx, cy = np.unravel_index(int(np.argmax(block)), block.shape)
        near = members.copy()
        near[members] = (np.abs(cells[members, 0] + 1 - cx) <= 1) & (np.abs(cells[members, 1] + 1 - cy) <= 1)
        centre = np.median(points[near], axis=0)
        reach = float(np.percentile(points[near, 1], 90) - centre[1])    # how far the dense part goes up
        out[int(group)] = (float(centre[0]), float(centre[1]), int(members.sum()), max(reach, 0.0))
    return out


def label_box(text: str, x_span: float, y_span: float, width_px: float, height_px: float,
              *, font_px: float = FONT_PX, char_px: float = CHAR_PX, pad_px: float = PAD_PX) -> tuple[float, float]:
    """(width, height) of a label's box in data units, for a plot area of the given pixel size."""
    width = (len(text) * char_px + 2 * pad_px) * x_span / width_px
    height = (font_px * 1.35 + 2 * pad_px) * y_span / height_px
    return width, height


# Where to try a label, in box sizes from the top of its group's dense part: just above it (a caption
# that leaves the points visible), then on the group, below, beside, diagonal, further out.
_OFFSETS = [(0, 0.5), (0, 0.0), (0, -0.5), (0, 1.5), (0.6, 0.5), (-0.6, 0.5), (0.6, -0.5), (-0.6, -0.5),
            (0, -1.5), (0, 2.5), (1.1, 0.5), (-1.1, 0.5)]


def place_labels(anchors: dict[int, tuple[float, float, int, float]], names: dict[int, str], *,
                 x_range: tuple[float, float], y_range: tuple[float, float],
                 width_px: float, height_px: float, max_labels: int | None = None,
                 min_members: int = 1) -> list[PlacedLabel]:
    """Non-overlapping labels for groups, biggest group first; groups without room get none.

    Parameters
    ----------
    anchors : dict
        group -> (x, y, n_members, reach_up), e.g. from `group_anchors`; the label goes just
        above ``y + reach_up`` when there is room.
    names : dict
        group -> text; groups without a name are skipped.
    x_range, y_range : (float, float)
        The plot's axis ranges (data units); labels stay inside them.
    width_px, height_px : float
        Plot area size in pixels to assume (use the smallest the plot is drawn at).
    max_labels : int, optional
        At most this many labels.
    min_members : int
        Groups smaller than this get no label.

    Returns
    -------
    list of PlacedLabel
        Boxes pairwise disjoint and inside the ranges.
    """
    x_span, y_span = x_range[1] - x_range[0], y_range[1] - y_range[0]
    if x_span <= 0 or y_span <= 0 or width_px <= 0 or height_px <= 0:
        raise ValueError("ranges and pixel sizes must be positive")
    placed: list[PlacedLabel] = []
    order = sorted(anchors, key=lambda g: (-anchors[g][2], g))
    for group in order:
        x, y, size, reach = anchors[group]
        y += min(reach, 0.12 * y_span)      # the top of the dense part, not of a long tail of points
        text = names.get(group)
        if not text or size < min_members or (max_labels is not None and len(placed) >= max_labels):
            continue
        width, height = label_box(text, x_span, y_span, width_px, height_px)
        if width > x_span or height > y_span:
            continue                    # wider than the plot: it cannot sit inside
        for dx, dy in _OFFSETS:
            cx = min(max(x + dx * width, x_range[0] + width / 2), x_range[1] - width / 2)
            cy = min(max(y + dy * height, y_range[0] + height / 2), y_range[1] - height / 2)
            candidate = PlacedLabel(cx, cy, text, group, width, height)
            if not any(candidate.overlaps(other) for other in placed):
                placed.append(candidate)
                break
    return placed


def padded_range(values, pad: float = 0.04) -> tuple[float, float]:
    """(low, high) of ``values`` widened by ``pad`` of the span on each side (never empty)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return (-1.0, 1.0)
    low, high = float(values.min()), float(values.max())
    span = high - low if high > low else 1.0
    return low - pad * span, high + pad * span
