"""Server-side PNG charts of the HR pages (matplotlib, no browser code).

Figures are made with :class:`matplotlib.figure.Figure` directly, never through ``pyplot``: as
matplotlib's "Embed in a web application server" guide says, pyplot keeps global state that is
not thread-safe and figures that must be closed, and importing it costs every process start.

Drawing costs 50-250 ms of CPU (the nine-box's labels are laid out twice, once to find the tight
bounding box), so each process keeps the last :data:`KEPT` charts it drew, keyed by everything
drawn (:func:`drawn_once`): a chart asked for again with the same data is not drawn again.

The views import this module inside their chart views, not at the top: matplotlib costs about 0.3 s
of CPU to import, which every process (web workers, CLI commands, test workers) would otherwise pay
at start although most never draw a chart.
"""

from __future__ import annotations

import functools
import hashlib
import io
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import matplotlib
import numpy as np
from babel.numbers import get_decimal_symbol
from flask_babel import get_locale
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import ScalarFormatter

DPI = 100
#: Charts each process keeps (a few tens of kilobytes each).
KEPT = 64


def drawn_once(draw: Callable[..., bytes]) -> Callable[..., bytes]:
    """``draw`` remembering its last :data:`KEPT` charts by their arguments (arrays, labels and the
    translated texts alike, so a change of data or language draws anew)."""
    kept: OrderedDict[bytes, bytes] = OrderedDict()
    lock = threading.Lock()  # gunicorn's threads share a process's charts

    @functools.wraps(draw)
    def remembered(*args, **kwargs) -> bytes:
        try:
            key = hashlib.sha256(pickle.dumps((args, sorted(kwargs.items())))).digest()
        except (pickle.PicklingError, TypeError, AttributeError):  # an argument without a stable form
            return draw(*args, **kwargs)
        with lock:
            if key in kept:
                kept.move_to_end(key)
                return kept[key]
        image = draw(*args, **kwargs)
        with lock:
            kept[key] = image
            while len(kept) > KEPT:
                kept.popitem(last=False)
        return image

    return remembered


def decimal_sign() -> str:
    """The reader's decimal sign ("," in Indonesian), which the charts write their numbers with."""
    return get_decimal_symbol(get_locale())


class _LocalNumbers(ScalarFormatter):
    """Matplotlib's tick labels with the reader's decimal sign: "0,75", not "0.75"."""

    def __init__(self, decimal: str) -> None:
        super().__init__(useOffset=False)
        self.decimal = decimal

    def __call__(self, x, pos=None) -> str:
        return super().__call__(x, pos).replace(".", self.decimal)


def _local_ticks(axes: Axes, decimal: str) -> None:
    for axis in (axes.xaxis, axes.yaxis):
        if isinstance(axis.get_major_formatter(), ScalarFormatter):  # not the category axes' names
            axis.set_major_formatter(_LocalNumbers(decimal))


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(width, height))
    return figure, figure.subplots()


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")  # Agg, the PNG canvas
    return buffer.getvalue()


#: Inches of a heat map's column, at least, and per character of the longest line of a column's name
#: at 9 points (capitals included; the colour bar takes its share of the figure's width).
COLUMN_WIDTH = 1.1
COLUMN_PER_CHARACTER = 0.12


@drawn_once
def heatmap_png(
    values: np.ndarray,
    rows: Sequence[str],
    columns: Sequence[str],
    *,
    title: str,
    colour_label: str,
    vmax: float,
    decimal: str = ".",
) -> bytes:
    """A heat map of ``values`` (n_rows, n_columns), each cell annotated; NaN cells are grey.

    A column's name may take several lines (a competency's name wrapped, its code below): names are
    written level, centred under their column (slanted, names of several lines ran into their
    neighbours)."""
    n_rows, n_columns = values.shape
    longest = max((len(line) for name in columns for line in name.splitlines()), default=0)
    width = max(COLUMN_WIDTH, COLUMN_PER_CHARACTER * longest)
    figure, axes = _figure(1.6 + width * max(n_columns, 2), 1.2 + 0.45 * max(n_rows, 2))
    masked = np.ma.masked_invalid(values)
    cmap = matplotlib.colormaps["YlOrRd"].with_extremes(bad="#dddddd")
    image = axes.imshow(masked, cmap=cmap, vmin=0.0, vmax=vmax, aspect="auto")
    axes.set_xticks(range(n_columns), labels=list(columns), fontsize=9, linespacing=1.1)
    axes.set_yticks(range(n_rows), labels=list(rows))
    for i in range(n_rows):
        for j in range(n_columns):
            if not np.isnan(values[i, j]):
                dark = values[i, j] > 0.6 * vmax
                axes.text(
                    j,
                    i,
                    f"{values[i, j]:.2f}".replace(".", decimal),
                    ha="center",
                    va="center",
                    color="white" if dark else "black",
                )
    axes.set_title(title)
    _local_ticks(axes, decimal)
    bar = figure.colorbar(image, ax=axes, label=colour_label)
    _local_ticks(bar.ax, decimal)
    return _png(figure)


#: Where a point's name may go, tried in this order: (dx, dy) in points from the point, and the
#: name's alignment there; the first place that covers no other name, point or box name is taken.
NAME_PLACES = [
    (dx * r, dy * r, ha, va)
    for r in (1, 2.5, 4)
    for dx, dy, ha, va in (
        (4, 3, "left", "bottom"), (4, -3, "left", "top"), (-4, 3, "right", "bottom"), (-4, -3, "right", "top"),
        (0, 5, "center", "bottom"), (0, -5, "center", "top"),
    )
]  # fmt: skip
NAME_GROUND = {"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.85, "edgecolor": "none"}
#: Half the side of the square a point's marker covers, in pixels.
MARKER = 4.5


def _box(x: float, y: float, width: float, height: float, ha: str, va: str) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) in pixels of a text of ``width`` x ``height`` anchored at (x, y)."""
    x0 = {"left": x, "right": x - width, "center": x - width / 2}[ha]
    y0 = {"bottom": y, "top": y - height, "center": y - height / 2}[va]
    return x0, y0, x0 + width, y0 + height


def _overlap(a: tuple[float, float, float, float], boxes: list[tuple[float, float, float, float]]) -> float:
    """The area ``a`` shares with ``boxes``."""
    total = 0.0
    for b in boxes:
        w, h = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
        if w > 0 and h > 0:
            total += w * h
    return total


def _name_boxes(renderer, axes: Axes, cells, names, points: np.ndarray) -> list:
    """Each box's name in the corner of its cell with the fewest points under it; their pixel boxes."""
    taken = []
    markers = [(px - MARKER, py - MARKER, px + MARKER, py + MARKER) for px, py in points]
    for (x0, y0, x1, y1), name in zip(cells, names, strict=True):
        # Above the points, on a light ground, so a crowded box keeps its name readable.
        text = axes.text(0, 0, name, fontsize=8, color="#555555", zorder=5, bbox=NAME_GROUND)
        width, height = (lambda e: (e.width + 4, e.height + 4))(text.get_window_extent(renderer))
        (left, bottom), (right, top) = axes.transData.transform([(x0, y0), (x1, y1)])
        places = [((left + right) / 2, top - 3, "center", "top"), ((left + right) / 2, bottom + 3, "center", "bottom"),
                  (left + 3, top - 3, "left", "top"), (right - 3, top - 3, "right", "top"),
                  (left + 3, bottom + 3, "left", "bottom"), (right - 3, bottom + 3, "right", "bottom")]  # fmt: skip
        best = min(places, key=lambda p: _overlap(_box(p[0], p[1], width, height, p[2], p[3]), markers))
        text.set(position=axes.transData.inverted().transform(best[:2]), ha=best[2], va=best[3])
        taken.append(_box(best[0], best[1], width, height, best[2], best[3]))
    return taken


def _place_names(renderer, axes: Axes, points: np.ndarray, labels: Sequence[str], taken: list) -> None:
    """Each point's name beside it, where it covers no other name, point or box name (else where it
    covers least): crowded boxes kept names drawn over one another."""
    scale = axes.figure.dpi / 72  # points to pixels
    markers = [(px - MARKER, py - MARKER, px + MARKER, py + MARKER) for px, py in points]
    frame = axes.get_window_extent(renderer)
    for (px, py), label, own in zip(points, labels, markers, strict=True):
        at = tuple(axes.transData.inverted().transform((px, py)))
        # Measured at its point: an annotation of a point outside the axes has no extent.
        text = axes.annotate(str(label), at, xytext=(0, 0), textcoords="offset points", fontsize=7, zorder=4)
        extent = text.get_window_extent(renderer)
        others = [m for m in markers if m is not own]

        def cost(place, extent=extent, px=px, py=py, others=others):
            dx, dy, ha, va = place
            box = _box(px + dx * scale, py + dy * scale, extent.width + 1, extent.height, ha, va)
            outside = box[0] < frame.x0 or box[2] > frame.x1 or box[1] < frame.y0 or box[3] > frame.y1
            return _overlap(box, taken + others) + (1e6 if outside else 0.0)

        costs = [cost(place) for place in NAME_PLACES]
        best = NAME_PLACES[costs.index(0.0)] if 0.0 in costs else NAME_PLACES[int(np.argmin(costs))]
        dx, dy, ha, va = best
        text.set(ha=ha, va=va)
        text.xyann = (dx, dy)
        taken.append(_box(px + dx * scale, py + dy * scale, extent.width + 1, extent.height, ha, va))


@drawn_once
def nine_box_png(*args, **kwargs) -> bytes:
    """The nine-box grid as a PNG (see :func:`nine_box_figure`)."""
    return _png(nine_box_figure(*args, **kwargs))


def nine_box_figure(
    performance: np.ndarray,
    potential: np.ndarray,
    labels: Sequence[str],
    *,
    performance_cuts: tuple[float, float],
    potential_cuts: tuple[float, float],
    axis_labels: tuple[str, str],
    box_names: dict[tuple[int, int], str],
    title: str,
    decimal: str = ".",
) -> Figure:
    """The nine-box grid with each employee as a labelled point, no name over another."""
    figure, axes = _figure(7.5, 6.5)
    canvas = FigureCanvasAgg(figure)  # measures the names as they will be drawn
    ok = ~(np.isnan(performance) | np.isnan(potential))
    x, y = performance[ok], potential[ok]
    span_x = max(float(np.ptp(x)) if x.size else 1.0, 1e-6)
    span_y = max(float(np.ptp(y)) if y.size else 1.0, 1e-6)
    x_edges = (
        [float(x.min()) - 0.08 * span_x, *performance_cuts, float(x.max()) + 0.08 * span_x] if x.size else [0, 1, 2, 3]
    )
    y_edges = (
        [float(y.min()) - 0.08 * span_y, *potential_cuts, float(y.max()) + 0.08 * span_y] if y.size else [0, 1, 2, 3]
    )
    colours = {(2, 2): "#c8e6c9", (0, 0): "#ffcdd2"}
    cells = [(x_edges[p], y_edges[q], x_edges[p + 1], y_edges[q + 1]) for p in range(3) for q in range(3)]
    for (x0, y0, x1, y1), key in zip(cells, [(p, q) for p in range(3) for q in range(3)], strict=True):
        axes.add_patch(
            Rectangle((x0, y0), x1 - x0, y1 - y0, facecolor=colours.get(key, "#f5f5f5"), edgecolor="#888888")
        )
    axes.set_xlim(x_edges[0], x_edges[-1])
    axes.set_ylim(y_edges[0], y_edges[-1])
    axes.set_xlabel(axis_labels[0])
    axes.set_ylabel(axis_labels[1])
    axes.set_title(title)
    _local_ticks(axes, decimal)
    figure.set_layout_engine("tight")
    canvas.draw()  # the axes' place in the figure is final before names are placed in pixels
    figure.set_layout_engine("none")
    axes.scatter(x, y, color="#1f4e79", zorder=3)
    points = axes.transData.transform(np.column_stack([x, y])) if x.size else np.empty((0, 2))
    names = [box_names[(p, q)] for p in range(3) for q in range(3)]
    renderer = canvas.get_renderer()
    taken = _name_boxes(renderer, axes, cells, names, points)
    _place_names(renderer, axes, points, [str(v) for v in np.asarray(labels, dtype=object)[ok]], taken)
    return figure


@drawn_once
def validity_png(
    keys: Sequence[str],
    observed: np.ndarray,
    observed_ci: np.ndarray,
    corrected: np.ndarray,
    corrected_ci: np.ndarray,
    *,
    legend: tuple[str, str],
    xlabel: str,
    title: str,
    decimal: str = ".",
) -> bytes:
    """Forest plot: observed and corrected validity per selection score with their intervals.

    ``observed_ci`` and ``corrected_ci`` have shape (n_keys, 2).
    """
    n = len(keys)
    figure, axes = _figure(7.5, 1.4 + 0.55 * max(n, 1))
    rows = np.arange(n)
    axes.errorbar(
        observed, rows + 0.12, xerr=np.abs(observed_ci.T - observed), fmt="o", color="#1f4e79", label=legend[0]
    )
    axes.errorbar(
        corrected, rows - 0.12, xerr=np.abs(corrected_ci.T - corrected), fmt="s", color="#c0504d", label=legend[1]
    )
    axes.axvline(0.0, color="#888888", linewidth=0.8)
    axes.set_yticks(rows, labels=list(keys))
    axes.set_xlim(-1.0, 1.0)
    axes.invert_yaxis()
    axes.set_xlabel(xlabel)
    axes.set_title(title)
    _local_ticks(axes, decimal)
    axes.legend(loc="lower right", fontsize=8)
    return _png(figure)


@drawn_once
def scatter_png(x: np.ndarray, y: np.ndarray, *, xlabel: str, ylabel: str, title: str, decimal: str = ".") -> bytes:
    """Selection score against later performance among the hired, with the least-squares line."""
    figure, axes = _figure(6, 4.5)
    axes.scatter(x, y, s=14, color="#1f4e79", alpha=0.7)
    if x.size >= 2 and np.ptp(x) > 0:
        slope, intercept = np.polyfit(x, y, 1)
        grid = np.linspace(x.min(), x.max(), 2)
        axes.plot(grid, slope * grid + intercept, color="#c0504d")
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    _local_ticks(axes, decimal)
    return _png(figure)


@drawn_once
def impact_png(
    groups: Sequence[str], ratios: np.ndarray, threshold: float, *, xlabel: str, title: str, decimal: str = "."
) -> bytes:
    """Impact ratio per group against the four-fifths line."""
    n = len(groups)
    figure, axes = _figure(6.5, 1.2 + 0.4 * max(n, 1))
    colours = ["#c0504d" if r < threshold else "#4f81bd" for r in ratios]
    axes.barh(np.arange(n), ratios, color=colours)
    axes.axvline(threshold, color="black", linestyle="--", linewidth=1)
    axes.set_yticks(np.arange(n), labels=list(groups))
    axes.invert_yaxis()
    axes.set_xlabel(xlabel)
    axes.set_title(title)
    _local_ticks(axes, decimal)
    return _png(figure)
