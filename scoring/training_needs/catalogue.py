"""The training catalogue and the effect model: one participant closes ``min(credible gap, effect)``.

A programme's ``effect`` is the expected gain in θ (logits) per participant on each competency;
a programme cannot close more than the gap that is there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..arrays import FloatArray, IntArray, readonly
from .gaps import GapAnalysis, float_array

__all__ = ["MODES", "TrainingCatalogue", "closed_per_competency", "gap_matrix"]

MODES = ("online", "classroom")


@dataclass(frozen=True, eq=False, init=False)
class TrainingCatalogue:
    """Training programmes, one entry per programme (arrays of length n_programmes).

    Parameters
    ----------
    names : sequence of str, length n_programmes
        Unique programme names.
    competencies : sequence of str, length n_competencies
        Competency names, in the column order of the gap matrices.
    effect : array_like of shape (n_programmes, n_competencies)
        Expected gain in θ (logits) per participant on each competency; 0 = not built; >= 0.
    mode : sequence of {"online", "classroom"}, length n_programmes
    hours : array_like of shape (n_programmes,)
        Duration in hours, > 0.
    capacity : array_like of int, shape (n_programmes,)
        Participants per run (cohort), >= 1.
    cost_per_run : array_like of shape (n_programmes,), default 0
        Fixed cost of holding one run (trainer, room).
    cost_per_participant : array_like of shape (n_programmes,), default 0
        Cost per participant (materials, travel, licence).
    max_runs : array_like of int, shape (n_programmes,), optional
        Most runs that can be held in the planning period; None = unlimited.
    orientation : str, optional
        Name of the orientation programme every new hire attends.
    """

    names: tuple[str, ...]
    competencies: tuple[str, ...]
    effect: FloatArray
    mode: tuple[str, ...]
    hours: FloatArray
    capacity: IntArray
    cost_per_run: FloatArray
    cost_per_participant: FloatArray
    max_runs: FloatArray | None
    orientation: str | None

    # Written out rather than generated: the arguments are array-likes (costs default to 0), the
    # attributes checked read-only arrays.
    def __init__(
        self,
        names: Sequence[str],
        competencies: Sequence[str],
        effect: npt.ArrayLike,
        mode: Sequence[str],
        hours: npt.ArrayLike,
        capacity: npt.ArrayLike,
        cost_per_run: npt.ArrayLike | None = None,
        cost_per_participant: npt.ArrayLike | None = None,
        max_runs: npt.ArrayLike | None = None,
        orientation: str | None = None,
    ) -> None:
        set_ = object.__setattr__
        set_(self, "names", tuple(names))
        set_(self, "competencies", tuple(competencies))
        set_(self, "mode", tuple(mode))
        set_(self, "orientation", orientation)
        self._check_names()
        set_(self, "effect", readonly(self._checked_effect(effect), copy=True))
        if len(self.mode) != self.n_programmes or any(m not in MODES for m in self.mode):
            raise ValueError(f"Each programme needs a mode out of {MODES}.")
        hours_array, capacity_array = self._checked_hours(hours), self._checked_capacity(capacity)
        run_cost = self._checked_cost(cost_per_run, "cost_per_run")
        participant_cost = self._checked_cost(cost_per_participant, "cost_per_participant")
        runs = self._checked_max_runs(max_runs)
        if self.orientation is not None and self.orientation not in self.names:
            raise ValueError(f"The orientation programme {self.orientation!r} is not in the catalogue.")
        set_(self, "hours", readonly(hours_array, copy=True))
        set_(self, "capacity", readonly(capacity_array.astype(np.int64), copy=True))
        set_(self, "cost_per_run", readonly(run_cost, copy=True))
        set_(self, "cost_per_participant", readonly(participant_cost, copy=True))
        set_(self, "max_runs", None if runs is None else readonly(runs, copy=True))

    def _check_names(self) -> None:
        """At least one programme, names unique and non-empty."""
        names, n_programmes = self.names, len(self.names)
        if n_programmes == 0:
            raise ValueError("The catalogue needs at least one programme.")
        if len(set(names)) != n_programmes or not all(isinstance(n, str) and n for n in names):
            raise ValueError("Programme names must be unique non-empty strings.")

    def _checked_effect(self, value: npt.ArrayLike) -> FloatArray:
        """``effect`` as a finite, non-negative (n_programmes, n_competencies) array."""
        effect = float_array(value, "effect", 2)
        if effect.shape != (self.n_programmes, len(self.competencies)):
            raise ValueError(
                f"effect must have shape (n_programmes, n_competencies) = "
                f"({self.n_programmes}, {len(self.competencies)}), got {effect.shape}."
            )
        if not np.all(np.isfinite(effect)) or np.any(effect < 0):
            raise ValueError("Programme effects must be finite and non-negative.")
        return effect

    def _column(self, value: npt.ArrayLike, name: str) -> FloatArray:
        """A per-programme column as a float array of shape (n_programmes,)."""
        n_programmes = self.n_programmes
        array = float_array(value, name, 1)
        if array.shape != (n_programmes,):
            raise ValueError(f"{name} must have one value per programme ({n_programmes}).")
        return array

    def _checked_hours(self, value: npt.ArrayLike | None) -> FloatArray:
        """``hours``, finite and positive."""
        hours = None if value is None else self._column(value, "hours")
        if hours is None or not np.all(np.isfinite(hours)) or np.any(hours <= 0):
            raise ValueError("Every programme needs a finite positive duration in hours.")
        return hours

    def _checked_capacity(self, value: npt.ArrayLike | None) -> FloatArray:
        """``capacity``, whole numbers of at least 1."""
        capacity = None if value is None else self._column(value, "capacity")
        if (
            capacity is None
            or not np.all(np.isfinite(capacity))
            or np.any(capacity < 1)
            or np.any(capacity != np.round(capacity))
        ):
            raise ValueError("Every programme needs a whole-number capacity of at least 1 per run.")
        return capacity

    def _checked_cost(self, value: npt.ArrayLike | None, name: str) -> FloatArray:
        """A cost column (default 0), finite and non-negative."""
        cost = self._column(np.zeros(self.n_programmes) if value is None else value, name)
        if not np.all(np.isfinite(cost)) or np.any(cost < 0):
            raise ValueError(f"{name} must be finite and non-negative.")
        return cost

    def _checked_max_runs(self, value: npt.ArrayLike | None) -> FloatArray | None:
        """``max_runs``: None, or non-negative whole numbers (inf allowed)."""
        max_runs = None if value is None else self._column(value, "max_runs")
        if max_runs is not None and (
            np.any(max_runs < 0) or np.any(np.isfinite(max_runs) & (max_runs != np.round(max_runs)))
        ):
            raise ValueError("max_runs must hold non-negative whole numbers (or inf).")
        return max_runs

    @property
    def n_programmes(self) -> int:
        """Number of programmes."""
        return len(self.names)

    @property
    def orientation_index(self) -> int | None:
        """Row of the orientation programme, or None."""
        return None if self.orientation is None else self.names.index(self.orientation)

    @property
    def unit_cost(self) -> np.ndarray:
        """Cost per participant with the run cost shared over a full run, shape (n_programmes,)."""
        return self.cost_per_participant + self.cost_per_run / self.capacity


def gap_matrix(gaps: GapAnalysis | np.ndarray, n_competencies: int) -> FloatArray:
    """Credible gaps as a float (n_employees, n_competencies) array with NaN -> 0."""
    matrix = gaps.credible_gap if isinstance(gaps, GapAnalysis) else float_array(gaps, "gaps", 2)
    if matrix.ndim != 2 or matrix.shape[1] != n_competencies:
        raise ValueError(
            f"The gap matrix has shape {matrix.shape} but the catalogue has {n_competencies} competencies."
        )
    if np.any(matrix < 0):
        raise ValueError("Credible gaps must be non-negative (use GapAnalysis.credible_gap).")
    return np.nan_to_num(matrix, nan=0.0)


def closed_per_competency(gaps: FloatArray, effect: FloatArray) -> FloatArray:
    """Gap closed by one participant, shape (n_employees, n_programmes, n_competencies)."""
    closed: FloatArray = np.minimum(gaps[:, None, :], effect[None, :, :])  # declared: indexing is untyped
    return closed
