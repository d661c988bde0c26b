"""The at-risk page's chart by region, drawn on the server as small inline SVG (no script, no map).

Two bars per region: the applicants of this period expected to pass the basic test, and the
qualified applicants of earlier periods who came from there for the flagged positions (where
outreach can look). The view box is 360 units wide and scales to the width of the page, so the
chart fits a 360 px phone; every bar carries its number in text, so nothing is read from colour.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import Markup, escape

from examserver.selection.messages import UNKNOWN_REGION
from examserver.selection.risk import RegionBar

#: View-box units; a phone shows the 360 units in about 300 px, so text below 11 units would read
#: smaller than 9 px there (issue 19: readable labels at 360 px).
WIDTH, LABEL_ROW, BAR, GAP, LEFT, RIGHT = 360, 17, 14, 10, 4, 44
COLOURS = ("#0b5394", "#b45f06")


def region_chart_svg(bars: Sequence[RegionBar]) -> Markup:
    """Expected passers now and qualified applicants before, per region, as accessible inline SVG."""
    title = _("Perkiraan lulus SKD per wilayah dan lulusan periode sebelumnya (sasaran sosialisasi)")
    legend = (_("perkiraan lulus SKD periode ini"), _("lulus SKD periode sebelumnya, formasi ditandai"))
    top = max([b.expected for b in bars] + [float(b.earlier_qualified) for b in bars] + [1.0])
    span = WIDTH - LEFT - RIGHT
    row = LABEL_ROW + 2 * BAR + GAP
    height = 2 * LABEL_ROW + 8 + row * len(bars)
    parts = [
        f'<svg viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" class="chart"><title>{escape(title)}</title>'
    ]
    for k, (text, colour) in enumerate(zip(legend, COLOURS, strict=True)):
        y = 4 + k * LABEL_ROW
        parts.append(f'<rect x="{LEFT}" y="{y}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{LEFT + 16}" y="{y + 11}" font-size="12">{escape(text)}</text>')
    for i, bar in enumerate(bars):
        y = 2 * LABEL_ROW + 8 + i * row
        name = bar.region or str(UNKNOWN_REGION)
        parts.append(f'<text x="{LEFT}" y="{y + 13}" font-size="14">{escape(name)}</text>')
        values = (bar.expected, float(bar.earlier_qualified))
        shown = (format_decimal(bar.expected, "#,##0.0"), format_decimal(bar.earlier_qualified, "#,##0"))
        for k, (value, label, colour) in enumerate(zip(values, shown, COLOURS, strict=True)):
            y_bar = y + LABEL_ROW + k * BAR
            width = span * value / top
            parts.append(
                f'<rect x="{LEFT}" y="{y_bar}" width="{width:.1f}" height="{BAR - 2}" fill="{colour}"/>'
                f'<text x="{LEFT + width + 3:.1f}" y="{y_bar + BAR - 3}" font-size="12">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
