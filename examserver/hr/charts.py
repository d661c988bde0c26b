"""Server-side PNG charts of the HR pages (matplotlib, no browser code).

Figures are made with :class:`matplotlib.figure.Figure` directly, never through ``pyplot``: as
matplotlib's "Embed in a web application server" guide says, pyplot keeps global state that is
not thread-safe and figures that must be closed, and importing it costs every process start.

Drawing costs 50-250 ms of CPU (the nine-box's labels are laid out twice, once to find the tight
bounding box), so each process keeps the last :data:`KEPT` charts it drew, keyed by everything
drawn (:func:`drawn_once`): a chart asked for again with the same data is not drawn again.
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
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

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


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(width, height))
    return figure, figure.subplots()


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")  # Agg, the PNG canvas
    return buffer.getvalue()


@drawn_once
def heatmap_png(
    values: np.ndarray, rows: Sequence[str], columns: Sequence[str], *, title: str, colour_label: str, vmax: float
) -> bytes:
    """A heat map of ``values`` (n_rows, n_columns), each cell annotated; NaN cells are grey."""
    n_rows, n_columns = values.shape
    figure, axes = _figure(1.6 + 1.1 * max(n_columns, 2), 1.2 + 0.45 * max(n_rows, 2))
    masked = np.ma.masked_invalid(values)
    cmap = matplotlib.colormaps["YlOrRd"].with_extremes(bad="#dddddd")
    image = axes.imshow(masked, cmap=cmap, vmin=0.0, vmax=vmax, aspect="auto")
    axes.set_xticks(range(n_columns), labels=list(columns), rotation=30, ha="right")
    axes.set_yticks(range(n_rows), labels=list(rows))
    for i in range(n_rows):
        for j in range(n_columns):
            if not np.isnan(values[i, j]):
                dark = values[i, j] > 0.6 * vmax
                axes.text(j, i, f"{values[i, j]:.2f}", ha="center", va="center", color="white" if dark else "black")
    axes.set_title(title)
    figure.colorbar(image, ax=axes, label=colour_label)
    return _png(figure)


@drawn_once
def nine_box_png(
    performance: np.ndarray,
    potential: np.ndarray,
    labels: Sequence[str],
    *,
    performance_cuts: tuple[float, float],
    potential_cuts: tuple[float, float],
    axis_labels: tuple[str, str],
    box_names: dict[tuple[int, int], str],
    title: str,
) -> bytes:
    """The nine-box grid with each employee as a labelled point."""
    figure, axes = _figure(7.5, 6.5)
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
    for p in range(3):
        for q in range(3):
            axes.add_patch(
                Rectangle(
                    (x_edges[p], y_edges[q]),
                    x_edges[p + 1] - x_edges[p],
                    y_edges[q + 1] - y_edges[q],
                    facecolor=colours.get((p, q), "#f5f5f5"),
                    edgecolor="#888888",
                )
            )
            axes.text(
                (x_edges[p] + x_edges[p + 1]) / 2,
                y_edges[q + 1] - 0.03 * span_y,
                box_names[(p, q)],
                ha="center",
                va="top",
                fontsize=8,
                color="#555555",
                # Above the points and their names, on a light ground, so a crowded box keeps its name readable.
                zorder=5,
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.85, "edgecolor": "none"},
            )
    axes.scatter(x, y, color="#1f4e79", zorder=3)
    for label, xi, yi in zip(np.asarray(labels, dtype=object)[ok], x, y, strict=True):
        axes.annotate(str(label), (xi, yi), textcoords="offset points", xytext=(4, 3), fontsize=7, zorder=4)
    axes.set_xlim(x_edges[0], x_edges[-1])
    axes.set_ylim(y_edges[0], y_edges[-1])
    axes.set_xlabel(axis_labels[0])
    axes.set_ylabel(axis_labels[1])
    axes.set_title(title)
    return _png(figure)


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
    axes.legend(loc="lower right", fontsize=8)
    return _png(figure)


@drawn_once
def scatter_png(x: np.ndarray, y: np.ndarray, *, xlabel: str, ylabel: str, title: str) -> bytes:
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
    return _png(figure)


@drawn_once
def impact_png(groups: Sequence[str], ratios: np.ndarray, threshold: float, *, xlabel: str, title: str) -> bytes:
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
    return _png(figure)
