"""The outcome of a selection: :class:`Status` codes, :class:`SelectionResult` and its :class:`Reason`."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..arrays import IntArray

if TYPE_CHECKING:
    from .rules import SelectionRules

__all__ = ["ABSENT_BASIC", "ABSENT_FIELD", "Reason", "SelectionResult", "Status"]

#: Bit of ``SelectionResult.reason`` for an applicant absent from the basic / field test.
ABSENT_BASIC = 1
ABSENT_FIELD = 2


class Status(enum.IntEnum):
    """Outcome of one applicant. The values are stable (stored and published): never renumber.

    ABSENT covers both tests; ``SelectionResult.reason`` says which one. INVALIDATED is an
    applicant whose basic-test session was invalidated by the proctors (a confirmed decision that
    stands): treated like a disqualification, without rank, not counted for the shortlist or the
    quota, so the next applicant moves up.
    """

    ADMIN_FAILED = 0
    ABSENT = 1
    BELOW_THRESHOLD = 2
    NOT_SHORTLISTED = 3
    SHORTLISTED = 4
    NOT_SELECTED = 5
    SELECTED = 6
    SELECTED_BY_FILLING = 7
    INVALIDATED = 8


@dataclass(frozen=True)
class Reason:
    """Why an applicant has their status, as data for an announcement.

    Parameters
    ----------
    code : str
        The status name (``"BELOW_THRESHOLD"``, ...), stable for translation.
    params : tuple of (str, object) pairs
        E.g. ``(("failed", ("TWK", "total")),)`` or ``(("rank", 4),)``.
    """

    code: str
    params: tuple[tuple[str, object], ...] = ()

    def get(self, name: str, default: object = None) -> object:
        """The parameter ``name``, or ``default``."""
        return dict(self.params).get(name, default)


@dataclass(frozen=True, eq=False)
class SelectionResult:
    """Outcome of a selection; arrays are read-only and aligned with the input rows.

    Attributes
    ----------
    status : ndarray of int8, shape (n,)
        :class:`Status` value of each applicant.
    reason : ndarray of int32, shape (n,)
        For BELOW_THRESHOLD, a bit mask of the failed thresholds: bit ``s`` for section ``s``,
        bit ``n_sections`` for the total. For ABSENT, 1 (basic test) or 2 (field test). Else 0.
    basic_total : ndarray of float64, shape (n,)
        Sum of the basic-test sections (NaN when absent or invalidated).
    shortlist_rank : ndarray of int32, shape (n,)
        Competition rank (1, 2, 2, 4) within the position among applicants who passed the
        thresholds, by the shortlist order; 0 when not ranked.
    field_score, final_score : ndarray of float64, shape (n,)
        Scores on 0-100 for shortlisted applicants who sat the field test; NaN otherwise.
    rank : ndarray of int32, shape (n,)
        Final rank within the applied position (1 = best, ties broken to the end); 0 = unranked.
    appointed_position : ndarray of int64, shape (n,)
        Position the applicant is appointed to (own position, or another one by filling); -1.
    tie_unresolved : ndarray of bool, shape (n,)
        Equal to a neighbour of the final ranking on every tie-break key, so only the
        registration number ordered them.
    quota, filled, filled_by_filling, shortlisted : ndarray of int64, shape (n_positions,)
        Seats; seats taken (by own candidates and by filling); seats taken by filling;
        applicants shortlisted.
    rules : SelectionRules
        The rules that produced this result.
    """

    status: np.ndarray
    reason: np.ndarray
    basic_total: np.ndarray
    shortlist_rank: np.ndarray
    field_score: np.ndarray
    final_score: np.ndarray
    rank: np.ndarray
    appointed_position: np.ndarray
    tie_unresolved: np.ndarray
    quota: IntArray
    filled: IntArray
    filled_by_filling: IntArray
    shortlisted: IntArray
    rules: SelectionRules

    @property
    def vacant(self) -> IntArray:
        """Seats left empty per position, shape (n_positions,)."""
        return self.quota - self.filled

    def reason_of(self, index: int) -> Reason:
        """The announcement reason of applicant ``index`` (a row of the input).

        Parameters
        ----------
        index : int
            Row of the applicant in :class:`Applicants`.

        Returns
        -------
        Reason
            BELOW_THRESHOLD names the failed thresholds (section names and ``"total"``);
            ABSENT names the test (``"basic"`` or ``"field"``); NOT_SHORTLISTED and
            SHORTLISTED give ``shortlist_rank``; NOT_SELECTED and SELECTED give ``rank``;
            SELECTED_BY_FILLING gives ``rank`` and ``appointed_position``.
        """
        status = Status(int(self.status[index]))
        bits = int(self.reason[index])
        if status is Status.BELOW_THRESHOLD:
            names = [s.name for s in self.rules.sections] + ["total"]
            failed = tuple(name for bit, name in enumerate(names) if bits >> bit & 1)
            return Reason(status.name, (("failed", failed),))
        if status is Status.ABSENT:
            return Reason(status.name, (("test", "basic" if bits == ABSENT_BASIC else "field"),))
        if status in (Status.NOT_SHORTLISTED, Status.SHORTLISTED):
            return Reason(status.name, (("shortlist_rank", int(self.shortlist_rank[index])),))
        if status is Status.SELECTED_BY_FILLING:
            return Reason(
                status.name,
                (
                    ("rank", int(self.rank[index])),
                    ("appointed_position", int(self.appointed_position[index])),
                ),
            )
        if status in (Status.NOT_SELECTED, Status.SELECTED):
            return Reason(status.name, (("rank", int(self.rank[index])),))
        return Reason(status.name)
