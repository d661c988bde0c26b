"""The HR charts as a person reads them (issue 19): numbers written the reader's way, and on the
nine-box no employee's name drawn over another name, another point or a box's name.

matplotlib, and scipy.stats in the scoring tests, are imported in the tests that use them: every
xdist worker imports every test module to collect it (0.5 s of CPU each for matplotlib)."""

from __future__ import annotations

import numpy as np
from flask_babel import force_locale

BOXES = {(p, q): f"Kotak {p}{q}" for p in range(3) for q in range(3)}


def crowded_box(decimal: str = ","):
    """A nine-box where pairs of employees sit almost on one another, as the demo's 22 and 21 do."""
    from examserver.hr.charts import nine_box_figure

    rng = np.random.default_rng(7)
    performance = np.concatenate([rng.uniform(65, 95, 60), [89.0, 89.2, 94.5, 94.6, 79.2, 79.3]])
    potential = np.concatenate([rng.uniform(-0.2, 1.5, 60), [1.0, 1.0, 0.25, 0.26, 0.69, 0.68]])
    labels = [f"{n:02d}" for n in range(len(performance))]
    figure = nine_box_figure(
        performance,
        potential,
        labels,
        performance_cuts=(79.8, 88.1),
        potential_cuts=(0.44, 0.74),
        axis_labels=("Kinerja", "Potensi"),
        box_names=BOXES,
        title="Peta talenta",
        decimal=decimal,
    )
    figure.canvas.draw()
    return figure


def test_no_name_on_the_nine_box_is_drawn_over_another():
    from matplotlib.text import Annotation

    figure = crowded_box()
    axes = figure.axes[0]
    renderer = figure.canvas.get_renderer()
    names = [text for text in axes.texts if isinstance(text, Annotation)]
    boxes = [text for text in axes.texts if not isinstance(text, Annotation)]
    assert len(names) == 66 and len(boxes) == 9
    extents = [text.get_window_extent(renderer) for text in names]
    box_extents = [text.get_bbox_patch().get_window_extent(renderer) for text in boxes]
    over = [
        (names[i].get_text(), names[j].get_text())
        for i in range(len(names))
        for j in range(i + 1, len(names))
        if extents[i].overlaps(extents[j])
    ]
    assert not over, over
    under_box = [n.get_text() for n, e in zip(names, extents, strict=True) if any(e.overlaps(b) for b in box_extents)]
    assert not under_box, under_box


def test_the_charts_write_decimals_the_readers_way(app):
    from examserver.hr.charts import decimal_sign

    with app.test_request_context():
        with force_locale("id"):
            assert decimal_sign() == ","
        with force_locale("en"):
            assert decimal_sign() == "."
    ticks = [label.get_text() for label in crowded_box(",").axes[0].get_yticklabels()]
    assert any("," in tick for tick in ticks) and not any("." in tick for tick in ticks), ticks
