"""The interview rubric: aspects scored 1-5 by each interviewer, blind to the others."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

RUBRIC = (
    ("integrity", _l("Integritas dan moralitas")),
    ("communication", _l("Komunikasi")),
    ("teamwork", _l("Kerja sama")),
    ("service", _l("Orientasi pelayanan")),
    ("motivation", _l("Motivasi dan komitmen")),
)
LEVELS = ((1, _l("1 - sangat kurang")), (2, _l("2 - kurang")), (3, _l("3 - cukup")), (4, _l("4 - baik")),
          (5, _l("5 - sangat baik")))  # fmt: skip


def rubric_total(levels: dict[str, int]) -> float:
    """The rubric on 0-100: 100 * sum(levels) / (5 * number of aspects)."""
    return round(100.0 * sum(levels.values()) / (5 * len(RUBRIC)), 2)
