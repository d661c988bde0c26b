"""The input of a selection as column arrays: :class:`Applicants` and :class:`Positions`.

Persons are rows: row ``i`` of every applicant array is applicant ``i``, row ``p`` of every
position array is position ``p``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .errors import SelectionRuleError, data_error

__all__ = ["Applicants", "Positions"]


@dataclass(frozen=True, eq=False)
class Applicants:
    """Applicants as column arrays; row ``i`` of every array is applicant ``i``.

    Parameters
    ----------
    applicant_id : ndarray of int, shape (n,)
        Registration numbers, unique; the last tie-break (ascending).
    position : ndarray of int, shape (n,)
        Index of the applied position in :class:`Positions`, 0..n_positions-1.
    category : ndarray of int, shape (n,)
        Category code: index into ``SelectionRules.thresholds``.
    basic_scores : ndarray of float, shape (n, n_sections)
        Basic-test section scores in the order of ``SelectionRules.sections``; a NaN anywhere in
        a row means the applicant did not sit the basic test.
    education : ndarray of float, shape (n,)
        Education score (e.g. the grade point average), a tie-break key; finite.
    birth_date : ndarray of int, shape (n,)
        Birth date as days since an epoch of your choice (e.g. 1970-01-01); earlier is older.
    admin_passed : ndarray of bool, shape (n,)
        Passed the administrative verification.
    field_scores : ndarray of float, shape (n, n_components), optional
        Field-test component scores in the order of ``WeightRule.components``; a NaN anywhere
        in a row means the applicant did not sit the field test. Needed only by :func:`select`.
    invalidated : ndarray of bool, shape (n,), optional
        The basic-test session was invalidated (its score may not be used); default none.
        An administratively passed applicant so marked gets status INVALIDATED whatever the
        scores, and a NaN ``basic_total``.
    """

    applicant_id: np.ndarray
    position: np.ndarray
    category: np.ndarray
    basic_scores: np.ndarray
    education: np.ndarray
    birth_date: np.ndarray
    admin_passed: np.ndarray
    field_scores: np.ndarray | None = None
    invalidated: np.ndarray | None = None

    def __post_init__(self) -> None:
        ids = np.asarray(self.applicant_id)
        n = ids.shape[0] if ids.ndim == 1 else -1
        if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
            raise data_error("applicant_id", "a one-dimensional array of whole numbers")
        columns = {
            "position": (np.asarray(self.position), "integer", 1),
            "category": (np.asarray(self.category), "integer", 1),
            "basic_scores": (np.asarray(self.basic_scores, dtype=np.float64), "float", 2),
            "education": (np.asarray(self.education, dtype=np.float64), "float", 1),
            "birth_date": (np.asarray(self.birth_date), "integer", 1),
            "admin_passed": (np.asarray(self.admin_passed), "bool", 1),
        }
        if self.field_scores is not None:
            columns["field_scores"] = (np.asarray(self.field_scores, dtype=np.float64), "float", 2)
        invalidated = np.zeros(max(n, 0), dtype=bool) if self.invalidated is None else self.invalidated
        columns["invalidated"] = (np.asarray(invalidated), "bool", 1)
        for name, (array, kind, ndim) in columns.items():
            if array.ndim != ndim or array.shape[0] != n:
                raise SelectionRuleError(
                    "applicant_shape_mismatch",
                    f"Applicants.{name} must have {n} rows like applicant_id.",
                    column=name,
                )
            if kind == "integer" and not np.issubdtype(array.dtype, np.integer):
                raise data_error(name, "whole numbers")
            if kind == "bool" and array.dtype != np.bool_:
                raise data_error(name, "true/false values")
            object.__setattr__(self, name, array)
        object.__setattr__(self, "applicant_id", ids)
        if not np.isfinite(self.education).all():
            raise data_error("education", "finite numbers")

    def __len__(self) -> int:
        return int(self.applicant_id.shape[0])


@dataclass(frozen=True, eq=False, init=False)
class Positions:
    """Positions (formasi) as column arrays; row ``p`` is position ``p``.

    Parameters
    ----------
    quota : ndarray of int, shape (n_positions,)
        Seats of each position, >= 0.
    group : ndarray of int, shape (n_positions,), optional
        Equivalence group: positions with the same non-negative label are equivalent, and their
        unselected candidates may fill each other's vacant seats; -1 (default) is no group.
    priority : ndarray of int, shape (n_positions,), optional
        Order in which vacant seats of a group are offered (lower first, then lower position
        index); default all equal, i.e. position-index order.
    """

    quota: npt.NDArray[np.int64]
    group: npt.NDArray[np.integer[Any]]
    priority: npt.NDArray[np.integer[Any]]

    # Written out rather than generated, so that the defaults (None) are filled in here and the
    # attributes are always arrays.
    def __init__(
        self, quota: npt.ArrayLike, group: npt.ArrayLike | None = None, priority: npt.ArrayLike | None = None
    ) -> None:
        quota_array = np.asarray(quota)
        if quota_array.ndim != 1 or not np.issubdtype(quota_array.dtype, np.integer):
            raise data_error("quota", "a one-dimensional array of whole numbers")
        if (quota_array < 0).any():
            raise data_error("quota", "numbers of at least 0")
        object.__setattr__(self, "quota", quota_array.astype(np.int64, copy=False))
        object.__setattr__(self, "group", _per_position("group", group, quota_array.shape, -1))
        object.__setattr__(self, "priority", _per_position("priority", priority, quota_array.shape, 0))
        if (self.group < -1).any():
            raise data_error("group", "group labels of at least 0, or -1 for no group")

    def __len__(self) -> int:
        return int(self.quota.shape[0])


def _per_position(
    name: str, value: npt.ArrayLike | None, shape: tuple[int, ...], default: int
) -> npt.NDArray[np.integer[Any]]:
    """A whole number per position (``default`` for every position when ``value`` is None)."""
    array = np.full(shape, default, dtype=np.int64) if value is None else np.asarray(value)
    if array.shape != shape or not np.issubdtype(array.dtype, np.integer):
        raise SelectionRuleError(
            "position_shape_mismatch",
            f"Positions.{name} must be whole numbers, one per position.",
            column=name,
        )
    return array
