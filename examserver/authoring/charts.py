"""Item characteristic and information curves drawn on the server as small inline SVG.

SVG keeps the page light (a few KB, no image requests, no script) and prints sharply.
"""

from __future__ import annotations

import numpy as np
from markupsafe import Markup, escape

from examserver.numbers import format_number
from itembank.parameters import curves

#: The plot sits PAD from the top and sides and BOTTOM from the foot, which holds the tick numbers
#: and, under them, the axis name (beside the last tick they overlapped). FONT is in view-box
#: units: the chart is 320 units wide, about as wide as a phone shows it, so 12 reads as 12 px there.
WIDTH, HEIGHT, PAD, BOTTOM, FONT = 320, 200, 28, 44, 12
THETA = np.linspace(-4.0, 4.0, 81)


def item_curves_svg(parameter) -> dict[str, Markup]:
    """The characteristic and information curves of a parameter row, as SVG markup."""
    expected, info = curves(parameter, THETA)
    return {
        "icc": line_chart(THETA, expected, title="Kurva karakteristik butir", ymax=1.0, ylabel="P(θ)"),
        "info": line_chart(THETA, info, title="Kurva informasi butir", ymax=float(info.max()), ylabel="I(θ)"),
    }


def _path(xs: np.ndarray, ys: np.ndarray, ymax: float) -> str:
    sx = PAD + (xs - xs[0]) / (xs[-1] - xs[0]) * (WIDTH - 2 * PAD)
    sy = HEIGHT - BOTTOM - ys / ymax * (HEIGHT - PAD - BOTTOM)
    return "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in zip(sx, sy, strict=True))


def line_chart(xs: np.ndarray, ys: np.ndarray, *, title: str, ymax: float, ylabel: str, xlabel: str = "θ") -> Markup:
    """A single-line chart with axes, as accessible inline SVG (role img with a title)."""
    ymax = float(ymax) if ymax > 0 else 1.0
    ticks = "".join(
        f'<text x="{PAD + (t + 4) / 8 * (WIDTH - 2 * PAD):.0f}" y="{HEIGHT - BOTTOM + 16}" font-size="{FONT}" '
        f'text-anchor="middle">{t}</text>'
        for t in (-4, -2, 0, 2, 4)
    )
    top = format_number(ymax, "parameter")
    svg = (
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" class="chart"><title>{escape(title)}</title>'
        f'<line x1="{PAD}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - PAD}" y2="{HEIGHT - BOTTOM}" stroke="#57606a"/>'
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{HEIGHT - BOTTOM}" stroke="#57606a"/>'
        f'<text x="4" y="{PAD - 10}" font-size="{FONT}">{escape(ylabel)} (maks {top})</text>'
        f'<text x="{WIDTH / 2:.0f}" y="{HEIGHT - 6}" font-size="{FONT}" text-anchor="middle">{escape(xlabel)}</text>'
        f"{ticks}"
        f'<path d="{_path(xs, ys, ymax)}" fill="none" stroke="#0b5394" stroke-width="2"/></svg>'
    )
    return Markup(svg)
