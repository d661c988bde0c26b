"""Published rubrics scored independently by two or more committee members, blind to each other.

``interview`` scores every field component of kind ``interview``; ``track_record`` scores the
field component named in :data:`TRACK_RECORD_COMPONENTS` (kind ``other``): education, work
experience and prior performance appraisals. Each aspect has five levels described in words;
a scorer's total on 0-100 is ``100 * sum(levels) / (5 * number of aspects)``, and the component
score is the mean of the scorers' totals once the period's required number of scorers is in.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from examserver.labels import label

#: Field components (kind "other") scored with the track-record rubric.
TRACK_RECORD_COMPONENTS = ("REKAM_JEJAK",)


@dataclass(frozen=True)
class Aspect:
    """One aspect of a rubric and what each level 1-5 means."""

    key: str
    label: str
    levels: tuple[str, str, str, str, str]


@dataclass(frozen=True)
class Rubric:
    """A rubric: its name as shown and its aspects."""

    key: str
    label: str
    aspects: tuple[Aspect, ...]

    def total(self, levels: dict[str, int]) -> float:
        """The scorer's total on 0-100: 100 * sum(levels) / (5 * number of aspects)."""
        return round(100.0 * sum(levels[a.key] for a in self.aspects) / (5 * len(self.aspects)), 2)


GENERIC_LEVELS = (_l("sangat kurang"), _l("kurang"), _l("cukup"), _l("baik"), _l("sangat baik"))
RUBRICS = {
    "interview": Rubric("interview", _l("Wawancara"), (
        Aspect("integrity", _l("Integritas dan moralitas"), GENERIC_LEVELS),
        Aspect("communication", _l("Komunikasi"), GENERIC_LEVELS),
        Aspect("teamwork", _l("Kerja sama"), GENERIC_LEVELS),
        Aspect("service", _l("Orientasi pelayanan"), GENERIC_LEVELS),
        Aspect("motivation", _l("Motivasi dan komitmen"), GENERIC_LEVELS),
    )),
    "track_record": Rubric("track_record", _l("Rekam jejak"), (
        Aspect("education", _l("Pendidikan"), (
            _l("di bawah syarat formasi"), _l("sesuai syarat"), _l("sesuai syarat, IPK di atas 3,25"),
            _l("satu jenjang di atas syarat"), _l("dua jenjang atau lebih di atas syarat"),
        )),
        Aspect("experience", _l("Pengalaman kerja yang relevan"), (
            _l("belum ada"), _l("kurang dari 1 tahun"), _l("1 sampai 3 tahun"), _l("3 sampai 5 tahun"),
            _l("lebih dari 5 tahun"),
        )),
        Aspect("appraisal", _l("Penilaian kinerja sebelumnya"), (
            _l("tidak ada atau sangat kurang"), _l("kurang"), _l("baik"), _l("sangat baik"),
            _l("sangat baik dengan penghargaan"),
        )),
    )),
}  # fmt: skip


def rubric_of(component) -> str | None:
    """The rubric key scoring a field component, or None when its score is entered directly."""
    if component.kind == "interview":
        return "interview"
    if component.name in TRACK_RECORD_COMPONENTS:
        return "track_record"
    return None


def component_label(component) -> str:
    """A field component as people read it: its rubric's name, else its kind's label. The
    component's name (``REKAM_JEJAK``) is the committee's identifier in the period's rules."""
    rubric = rubric_of(component)
    return str(RUBRICS[rubric].label) if rubric else label("field_component_kind", component.kind)
